using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;
using MeshDns.Server.Transport;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Logging;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace MeshDns.Server.Tests.Transport;

/// <summary>
/// Bursts of datagrams reach a receive loop several per system call (recvmmsg) and are answered several per call
/// (sendmmsg). Every reply must still go to its own client with its own question, also when some queries of a batch
/// wait (and leave with their slot) and others are dropped.
/// </summary>
public sealed class UdpBatchTests(ITestOutputHelper output)
{
    private const string Corefile = "slow.example.:0 {\n    erratic {\n        delay 30ms\n    }\n}\n.:0 {\n    erratic {\n        records 1\n    }\n}\n";

    [Fact]
    public async Task Udp_BurstsFromSeveralClients_MixedWaitingAndImmediate_EveryReplyMatchesItsQuery()
    {
        var transport = new TransportOptions { UdpReceiveLoops = 1, UdpBatchSize = 4, DrainTimeout = TimeSpan.FromSeconds(2) };
        await using var server = await TestDnsServer.StartAsync(Corefile, output, transport, plugins: ErraticTestSetup.RegistryWithErratic());
        const int Clients = 4;
        const int PerClient = 60;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var sockets = new List<Socket>();
        try
        {
            var sent = new List<Dictionary<ushort, string>>();
            for (var c = 0; c < Clients; c++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
                socket.Connect(server.Endpoint);
                sockets.Add(socket);
                sent.Add([]);
            }

            // Send everything first, so datagrams queue up at the server and arrive in batches.
            for (var i = 0; i < PerClient; i++)
            {
                for (var c = 0; c < Clients; c++)
                {
                    if (i % 20 == 7)
                    {
                        await sockets[c].SendAsync(new byte[6000], cts.Token); // dropped (too long) in the middle of a batch
                    }

                    var name = i % 3 == 0 ? $"c{c}q{i}.slow.example." : $"c{c}q{i}.fast.example.";
                    var query = DnsMessage.CreateQuery(DnsName.Parse(name), DnsRecordType.A, (ushort)((c * 1000) + i));
                    sent[c][query.Id] = name;
                    await sockets[c].SendAsync(query.ToArray(), cts.Token);
                }
            }

            var buffer = new byte[2048];
            for (var c = 0; c < Clients; c++)
            {
                var seen = new HashSet<ushort>();
                while (seen.Count < PerClient)
                {
                    var length = await sockets[c].ReceiveAsync(buffer, cts.Token);
                    Assert.True(DnsMessage.TryParse(buffer.AsSpan(0, length), out var reply, out var error), error.ToString());
                    Assert.True(sent[c].TryGetValue(reply.Id, out var name), $"client {c} got a reply with a foreign id {reply.Id}");
                    Assert.True(seen.Add(reply.Id), $"client {c} got id {reply.Id} twice");
                    Assert.Equal(name, reply.Questions[0].Name.ToString());
                    var answer = Assert.Single(reply.Answers);
                    Assert.Equal(name, answer.Name.ToString());
                }
            }
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task Udp_BatchOfOne_StillAnswers()
    {
        var transport = new TransportOptions { UdpReceiveLoops = 1, UdpBatchSize = 1, DrainTimeout = TimeSpan.FromSeconds(2) };
        await using var server = await TestDnsServer.StartAsync(Corefile, output, transport, plugins: ErraticTestSetup.RegistryWithErratic());
        Assert.Single((await server.QueryAsync("one.fast.example.", DnsRecordType.A)).Answers);
        Assert.Single((await server.QueryAsync("one.slow.example.", DnsRecordType.A)).Answers);
    }
}

/// <summary>The address a query was sent to reaches plugins (log's <c>{local}</c>), with and without IP_PKTINFO.</summary>
public sealed class UdpDestinationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Udp_BoundToOneAddress_LocalAddressIsTheBoundAddress()
    {
        var logs = new LogCapture();
        await using var server = await TestDnsServer.StartAsync(".:0 {\n bind 127.0.0.1\n log . \"{local} {name}\"\n whoami\n}", output, logging: b => b.AddProvider(logs));
        Assert.NotNull(await server.QueryAsync("bound.example.", DnsRecordType.A));
        Assert.Equal("[INFO] 127.0.0.1 bound.example.", await logs.WaitForAsync(l => l.Contains("bound.example.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Udp_Wildcard_LocalAddressIsWhereTheQueryWent()
    {
        var logs = new LogCapture();
        await using var server = await TestDnsServer.StartAsync(".:0 {\n log . \"{local} {name}\"\n whoami\n}", output, logging: b => b.AddProvider(logs));
        var target = new IPEndPoint(IPAddress.Parse("127.0.0.2"), server.Endpoint.Port);
        Assert.NotNull(await DnsTestClient.QueryUdpAsync(target, DnsTestClient.CreateQuery("wild.example.", DnsRecordType.A), TimeSpan.FromSeconds(3)));
        Assert.Equal("[INFO] 127.0.0.2 wild.example.", await logs.WaitForAsync(l => l.Contains("wild.example.", StringComparison.Ordinal)));
    }
}
