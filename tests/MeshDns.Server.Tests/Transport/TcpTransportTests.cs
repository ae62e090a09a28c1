using System.Diagnostics;
using System.Net.Sockets;
using MeshDns.Protocol;
using MeshDns.Server.Transport;
using MeshDns.Testing.Dns;
using Xunit.Abstractions;

namespace MeshDns.Server.Tests.Transport;

public sealed class TcpTransportTests(ITestOutputHelper output)
{
    private static readonly TransportOptions ShortTimeouts = new()
    {
        UdpReceiveLoops = 1,
        TcpIdleTimeout = TimeSpan.FromMilliseconds(400),
        TcpReadTimeout = TimeSpan.FromMilliseconds(400),
        TcpWriteTimeout = TimeSpan.FromMilliseconds(400),
        DrainTimeout = TimeSpan.FromSeconds(1),
    };

    private Task<TestDnsServer> StartAsync(string corefile, TransportOptions? transport = null) =>
        TestDnsServer.StartAsync(corefile, output, transport ?? ShortTimeouts, plugins: ErraticTestSetup.RegistryWithErratic());

    private const string Simple = ".:0 {\n    erratic {\n        records 1\n    }\n}\n";

    private static async Task<Socket> ConnectAsync(TestDnsServer server)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Endpoint);
        return socket;
    }

    [Fact]
    public async Task Tcp_PipelinedQueries_AnsweredAsTheyComplete()
    {
        const string corefile = "slow.example.:0 {\n    erratic {\n        delay 400ms\n    }\n}\n.:0 {\n    erratic {\n        records 2\n    }\n}\n";
        await using var server = await StartAsync(corefile);
        using var socket = await ConnectAsync(server);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var slow = DnsTestClient.CreateQuery("slow.example.", DnsRecordType.A);
        var fast1 = DnsTestClient.CreateQuery("fast1.example.", DnsRecordType.A);
        var fast2 = DnsTestClient.CreateQuery("fast2.example.", DnsRecordType.A);
        await DnsTestClient.WriteFrameAsync(socket, slow.ToArray(), cts.Token);
        await DnsTestClient.WriteFrameAsync(socket, fast1.ToArray(), cts.Token);
        await DnsTestClient.WriteFrameAsync(socket, fast2.ToArray(), cts.Token);
        var order = new List<ushort>();
        for (var i = 0; i < 3; i++)
        {
            var frame = await DnsTestClient.ReadFrameAsync(socket, cts.Token);
            Assert.NotNull(frame);
            Assert.True(DnsMessage.TryParse(frame, out var message, out _));
            order.Add(message.Id);
        }

        Assert.Equal(slow.Id, order[2]);
        Assert.Contains(fast1.Id, order);
        Assert.Contains(fast2.Id, order);
    }

    [Fact]
    public async Task Tcp_IdleConnection_IsClosedAfterIdleTimeout()
    {
        await using var server = await StartAsync(Simple);
        using var socket = await ConnectAsync(server);
        var watch = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var read = await socket.ReceiveAsync(new byte[1], SocketFlags.None, cts.Token);
        Assert.Equal(0, read);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Tcp_LengthPrefixWithoutBody_ClosedAndOthersUnaffected()
    {
        await using var server = await StartAsync(Simple);
        using var socket = await ConnectAsync(server);
        await socket.SendAsync(new byte[] { 0, 50 }, SocketFlags.None);
        Assert.Single((await server.QueryAsync("x.example.", DnsRecordType.A, tcp: true)).Answers);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Equal(0, await socket.ReceiveAsync(new byte[1], SocketFlags.None, cts.Token));
    }

    [Fact]
    public async Task Tcp_SlowClientTricklingBytes_IsCutOff()
    {
        await using var server = await StartAsync(Simple);
        using var socket = await ConnectAsync(server);
        var query = DnsTestClient.CreateQuery("slow-client.example.", DnsRecordType.A).ToArray();
        var frame = new byte[query.Length + 2];
        frame[0] = (byte)(query.Length >> 8);
        frame[1] = (byte)query.Length;
        query.CopyTo(frame, 2);
        var closed = false;
        foreach (var b in frame)
        {
            try
            {
                await socket.SendAsync(new[] { b }, SocketFlags.None);
            }
            catch (SocketException)
            {
                closed = true;
                break;
            }

            await Task.Delay(60);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var reply = closed ? null : await DnsTestClient.ReadFrameAsync(socket, cts.Token);
        Assert.Null(reply);
    }

    [Fact]
    public async Task Tcp_ClientThatNeverReads_IsClosedAndServerStaysResponsive()
    {
        await using var server = await StartAsync(".:0 {\n    erratic {\n        records 2000\n    }\n}\n");
        using var socket = await ConnectAsync(server);
        socket.ReceiveBufferSize = 4096;
        var query = DnsTestClient.CreateQuery("flood.example.", DnsRecordType.A).ToArray();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            for (var i = 0; i < 200; i++)
            {
                await DnsTestClient.WriteFrameAsync(socket, query, cts.Token);
            }
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            // The server may close first: that is the point.
        }

        var other = await server.QueryAsync("other.example.", DnsRecordType.A, tcp: true);
        Assert.Equal(2000, other.Answers.Count);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        while (DateTime.UtcNow < deadline && OpenConnections(server) > 0)
        {
            await Task.Delay(50);
        }

        Assert.Equal(0, OpenConnections(server));
    }

    [Fact]
    public async Task Tcp_ConnectionLimit_ExtraConnectionsClosed()
    {
        await using var server = await StartAsync(Simple, ShortTimeouts with { MaxTcpConnections = 3, TcpIdleTimeout = TimeSpan.FromSeconds(5) });
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                held.Add(await ConnectAsync(server));
            }

            await Task.Delay(200);
            using var extra = await ConnectAsync(server);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            Assert.Equal(0, await extra.ReceiveAsync(new byte[1], SocketFlags.None, cts.Token));
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }

        await Task.Delay(300);
        Assert.Single((await server.QueryAsync("after.example.", DnsRecordType.A, tcp: true)).Answers);
    }

    [Fact]
    public async Task Tcp_QueriesPerConnectionLimit_AnswersThenCloses()
    {
        await using var server = await StartAsync(Simple, ShortTimeouts with { MaxQueriesPerConnection = 3, TcpIdleTimeout = TimeSpan.FromSeconds(5) });
        using var socket = await ConnectAsync(server);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 5; i++)
        {
            try
            {
                await DnsTestClient.WriteFrameAsync(socket, DnsTestClient.CreateQuery($"q{i}.example.", DnsRecordType.A).ToArray(), cts.Token);
            }
            catch (SocketException)
            {
                break;
            }
        }

        var answers = 0;
        while (await DnsTestClient.ReadFrameAsync(socket, cts.Token) is not null)
        {
            answers++;
        }

        Assert.Equal(3, answers);
    }

    private static int OpenConnections(TestDnsServer server) =>
        server.Server.Host.TcpConnections;
}
