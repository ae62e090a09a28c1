using System.Net.Sockets;
using MeshDns.Protocol;
using MeshDns.Server.Tests.Pipeline;
using MeshDns.Server.Transport;
using MeshDns.Testing.Dns;
using Xunit.Abstractions;

namespace MeshDns.Server.Tests.Transport;

/// <summary>Runs the memory measurements alone: GC.GetTotalMemory counts every thread of the test process.</summary>
[CollectionDefinition(nameof(ResourceLeakCollection), DisableParallelization = true)]
public sealed class ResourceLeakCollection;

/// <summary>Bad input must not leak: memory and connections return to their baseline after churn.</summary>
[Collection(nameof(ResourceLeakCollection))]
public sealed class ResourceLeakTests(ITestOutputHelper output)
{
    [Fact]
    public void ProcessAsync_HalfAMillionMixedRequests_RetainedMemoryDoesNotGrow()
    {
        var harness = new ProcessorHarness((["."], new ErraticTestHandler(new ErraticOptions { Records = 5 })));
        var packets = new[]
        {
            DnsTestClient.CreateQuery("a.example.", DnsRecordType.A).ToArray(),
            DnsTestClient.CreateQuery("b.example.", DnsRecordType.AAAA, edns: true).ToArray(),
            new byte[] { 1, 2, 3 },
            new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1 },
        };
        var context = new DnsRequestContext();
        var response = new byte[ushort.MaxValue];
        void Run(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var pending = harness.Processor.ProcessAsync(context, packets[i % packets.Length], DnsTransport.Udp, response);
                Assert.True(pending.IsCompletedSuccessfully);
            }
        }

        Run(50_000); // warm up: pools, JIT, list capacities
        var before = GC.GetTotalMemory(forceFullCollection: true);
        Run(500_000);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"retained before {before:N0} B, after {after:N0} B");
        Assert.True(after - before < 2 * 1024 * 1024, $"retained memory grew by {after - before:N0} bytes over 500,000 requests");
    }

    [Fact]
    public async Task Tcp_TwoThousandShortConnections_AllClosedAndMemoryStable()
    {
        await using var server = await TestDnsServer.StartAsync(".:0 {\n    erratic {\n        records 3\n    }\n}\n", output,
            new TransportOptions { UdpReceiveLoops = 1, DrainTimeout = TimeSpan.FromSeconds(1) }, plugins: ErraticTestSetup.RegistryWithErratic());
        async Task ChurnAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(server.Endpoint);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                if (i % 3 == 0)
                {
                    await socket.SendAsync(new byte[] { 0, 40, 1, 2 }, SocketFlags.None); // a broken frame, then hang up
                    continue;
                }

                await DnsTestClient.WriteFrameAsync(socket, DnsTestClient.CreateQuery($"c{i}.example.", DnsRecordType.A).ToArray(), cts.Token);
                Assert.NotNull(await DnsTestClient.ReadFrameAsync(socket, cts.Token));
            }
        }

        await ChurnAsync(200);
        await WaitNoConnectionsAsync(server);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        await ChurnAsync(2000);
        await WaitNoConnectionsAsync(server);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"retained before {before:N0} B, after {after:N0} B");
        Assert.Equal(0, server.Server.Host.TcpConnections);
        Assert.True(after - before < 4 * 1024 * 1024, $"retained memory grew by {after - before:N0} bytes over 2,000 connections");
    }

    private static async Task WaitNoConnectionsAsync(TestDnsServer server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (server.Server.Host.TcpConnections > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }
}
