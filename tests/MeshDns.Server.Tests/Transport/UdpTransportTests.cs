using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using Xunit.Abstractions;

namespace MeshDns.Server.Tests.Transport;

public sealed class UdpTransportTests(ITestOutputHelper output)
{
    private Task<TestDnsServer> StartAsync(string erratic = "records 1") =>
        TestDnsServer.StartAsync($".:0 {{\n    erratic {{\n        {erratic}\n    }}\n}}\n", output, plugins: ErraticTestSetup.RegistryWithErratic());

    [Fact]
    public async Task Udp_AnswersOverIpv4AndIpv6()
    {
        await using var server = await StartAsync();
        var v4 = await DnsTestClient.QueryUdpAsync(new IPEndPoint(IPAddress.Loopback, server.Endpoint.Port), DnsTestClient.CreateQuery("a.example.", DnsRecordType.A));
        Assert.Single(v4.Answers);
        if (Socket.OSSupportsIPv6)
        {
            var v6 = await DnsTestClient.QueryUdpAsync(new IPEndPoint(IPAddress.IPv6Loopback, server.Endpoint.Port), DnsTestClient.CreateQuery("a.example.", DnsRecordType.A));
            Assert.Single(v6.Answers);
        }
    }

    [Fact]
    public async Task Udp_ReplyLeavesFromTheAddressTheQueryCameTo()
    {
        // The server listens on every address; 127.0.0.2 is also loopback on Linux. A connected UDP socket only
        // accepts datagrams from the address it is connected to, so a reply sent from 127.0.0.1 would be lost.
        await using var server = await StartAsync();
        var target = new IPEndPoint(IPAddress.Parse("127.0.0.2"), server.Endpoint.Port);
        var reply = await DnsTestClient.QueryUdpAsync(target, DnsTestClient.CreateQuery("b.example.", DnsRecordType.A), TimeSpan.FromSeconds(3));
        Assert.Single(reply.Answers);
    }

    [Fact]
    public async Task Udp_DatagramLargerThanLimit_IsDroppedAndServerKeepsAnswering()
    {
        await using var server = await StartAsync();
        var huge = new byte[6000];
        DnsTestClient.CreateQuery("c.example.", DnsRecordType.A).ToArray().CopyTo(huge, 0);
        Assert.Null(await DnsTestClient.SendUdpAsync(server.Endpoint, huge, TimeSpan.FromMilliseconds(500)));
        Assert.Single((await server.QueryAsync("c.example.", DnsRecordType.A)).Answers);
    }

    [Fact]
    public async Task Udp_TruncatedAnswer_ClientRetriesOverTcpAndGetsItWhole()
    {
        await using var server = await StartAsync("records 200");
        var udp = await server.QueryAsync("big.example.", DnsRecordType.A);
        Assert.True(udp.Truncated);
        Assert.Empty(udp.Answers);
        var tcp = await server.QueryAsync("big.example.", DnsRecordType.A, tcp: true);
        Assert.False(tcp.Truncated);
        Assert.Equal(200, tcp.Answers.Count);
    }

    [Fact]
    public async Task Udp_FloodFromOneSource_DoesNotStallOtherClients()
    {
        await using var server = await StartAsync();
        using var stop = new CancellationTokenSource();
        var sent = 0L;
        var flood = Task.Run(() =>
        {
            // One source sends valid queries and garbage as fast as it can, bounded in count and time.
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(server.Endpoint);
            var valid = DnsTestClient.CreateQuery("flood.example.", DnsRecordType.A).ToArray();
            var garbage = new byte[64];
            Random.Shared.NextBytes(garbage);
            var watch = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested && sent < 400_000 && watch.Elapsed < TimeSpan.FromSeconds(6))
            {
                try
                {
                    socket.Send((sent & 1) == 0 ? valid : garbage);
                }
                catch (SocketException)
                {
                    // ECONNREFUSED from earlier ICMP: keep flooding
                }

                sent++;
            }
        });

        await Task.Delay(300);
        var answered = 0;
        for (var i = 0; i < 40; i++)
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var reply = await DnsTestClient.SendUdpAsync(server.Endpoint, DnsTestClient.CreateQuery("other.example.", DnsRecordType.A).ToArray(), TimeSpan.FromMilliseconds(400));
                if (reply is not null)
                {
                    answered++;
                    break;
                }
            }
        }

        await stop.CancelAsync();
        await flood;
        output.WriteLine($"flood sent {sent} datagrams; other client answered {answered}/40");
        Assert.True(answered >= 36, $"only {answered} of 40 queries from another client were answered during the flood");
    }
}
