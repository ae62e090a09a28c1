using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Time;
using Xunit.Abstractions;

namespace MeshDns.FunctionalTests.Ops;

/// <summary>health, ready and prometheus on ephemeral HTTP ports of a real server.</summary>
public sealed class EndpointsFunctionalTests(ITestOutputHelper output)
{
    private const string Corefile = """
        example.org:0 {
            bind 127.0.0.1
            health 127.0.0.1:0 {
                lameduck 1s
            }
            ready 127.0.0.1:0
            prometheus 127.0.0.1:0
            hosts {
                10.0.0.1 example.org
            }
        }
        """;

    [Fact]
    public async Task Endpoints_Running_HealthReadyAndMetrics()
    {
        await using var server = await TestDnsServer.StartAsync(Corefile, output);
        await server.QueryAsync("example.org.", DnsRecordType.A);
        await server.QueryAsync("example.org.", DnsRecordType.A, tcp: true);

        Assert.Equal((200, "OK"), await OpsHelpers.GetAsync(server, "127.0.0.1:0", "/health"));
        Assert.Equal((200, "OK"), await OpsHelpers.GetAsync(server, "127.0.0.1:0", "/ready"));
        var (status, metrics) = await OpsHelpers.GetAsync(server, "127.0.0.1:0", "/metrics");
        Assert.Equal(200, status);
        Assert.Contains("coredns_dns_requests_total{family=\"1\",proto=\"udp\",server=\"dns://127.0.0.1:0\",type=\"A\",view=\"\",zone=\"example.org.\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("coredns_dns_requests_total{family=\"1\",proto=\"tcp\",server=\"dns://127.0.0.1:0\",type=\"A\",view=\"\",zone=\"example.org.\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("coredns_dns_responses_total{plugin=\"hosts\",rcode=\"NOERROR\",server=\"dns://127.0.0.1:0\",view=\"\",zone=\"example.org.\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("coredns_hosts_entries 2\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lameduck_Stopping_HealthAndReady503WhileDnsStillAnswers()
    {
        // The lameduck period runs on the server's clock, held still here: on a loaded machine the checks below could
        // otherwise outlast a real second and meet a server that already closed its endpoints.
        var time = new ManualTimeProvider();
        var server = await TestDnsServer.StartAsync(Corefile, output, time: time);
        try
        {
            Assert.Equal(TimeSpan.FromSeconds(1), server.Server.Services.LameDuck);
            var stopping = server.Server.StopAsync();

            var health = await OpsHelpers.GetAsync(server, "127.0.0.1:0", "/health");
            var ready = await OpsHelpers.GetAsync(server, "127.0.0.1:0", "/ready");
            var reply = await server.QueryAsync("example.org.", DnsRecordType.A);

            Assert.False(stopping.IsCompleted, "the lameduck period should still be running");
            Assert.Equal(503, health.Status);
            Assert.Equal((503, "Shutting down"), ready);
            RecordAssert.Response(reply, DnsResponseCode.NoError, ["example.org. 3600 IN A 10.0.0.1"]);

            time.Advance(TimeSpan.FromMilliseconds(999));
            await Task.Delay(50);
            Assert.False(stopping.IsCompleted, "lameduck lasts its whole second");
            time.Advance(TimeSpan.FromMilliseconds(1));
            await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
