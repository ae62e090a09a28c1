using MeshDns.Plugins.Prometheus;
using MeshDns.Plugins.Tests.Support;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Metrics;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Allocation;

namespace MeshDns.Plugins.Tests.Prometheus;

public sealed class PrometheusTests
{
    [Theory]
    [InlineData("prometheus", "")]
    [InlineData("prometheus localhost:53", "")]
    [InlineData("prometheus [::1]:9153", "")]
    [InlineData("prometheus localhost", "Corefile:2 - plugin/prometheus: address localhost: missing port in address")]
    [InlineData("prometheus a b", "Corefile:2 - plugin/prometheus: Wrong argument count or unexpected line ending after 'b'")]
    [InlineData("prometheus \n prometheus", "Corefile:3 - plugin/prometheus: this plugin can only be used once per Server Block")]
    public void Setup_Table(string directive, string expected)
    {
        Assert.Equal(expected, string.Join('\n', PluginHarness.SetupErrors($". {{\n{directive}\n}}")));
    }

    [Fact]
    public async Task Record_Answered_SeriesWithZoneRcodeAndPlugin()
    {
        await using var harness = await PluginHarness.StartAsync(
            "example.org {\n prometheus 127.0.0.1:0\n erratic {\n answer \"example.org. 5 IN A 10.0.0.1\"\n }\n}");

        await harness.QueryAsync("www.example.org.", DnsRecordType.A);
        await harness.QueryAsync("www.example.org.", DnsRecordType.NAPTR, tcp: true);

        var text = harness.Metrics.Serialize();
        var server = harness.Processor.ServerAddress;
        Assert.Contains($"coredns_dns_requests_total{{family=\"1\",proto=\"udp\",server=\"{server}\",type=\"A\",view=\"\",zone=\"example.org.\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"coredns_dns_requests_total{{family=\"1\",proto=\"tcp\",server=\"{server}\",type=\"other\",view=\"\",zone=\"example.org.\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"coredns_dns_responses_total{{plugin=\"erratic\",rcode=\"NOERROR\",server=\"{server}\",view=\"\",zone=\"example.org.\"}} 2\n", text, StringComparison.Ordinal);
        Assert.Contains($"coredns_dns_request_duration_seconds_count{{server=\"{server}\",view=\"\",zone=\"example.org.\"}} 2\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_PluginFailedWithoutWriting_ReturnedRcodeAndEmptyPlugin()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n prometheus 127.0.0.1:0\n erratic {\n fail SERVFAIL forward boom\n }\n}");

        await harness.QueryAsync("example.org.", DnsRecordType.A);

        Assert.Contains(
            $"coredns_dns_responses_total{{plugin=\"\",rcode=\"SERVFAIL\",server=\"{harness.Processor.ServerAddress}\",view=\"\",zone=\".\"}} 1\n",
            harness.Metrics.Serialize(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_WrittenNxdomain_CountedWithItsPlugin()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n prometheus 127.0.0.1:0\n hosts {\n 10.0.0.1 known.example.\n }\n}");

        var reply = await harness.QueryAsync("unknown.example.", DnsRecordType.A, edns: true);

        Assert.Equal(DnsResponseCode.NXDomain, reply.ResponseCode);
        var text = harness.Metrics.Serialize();
        Assert.Contains($"coredns_dns_responses_total{{plugin=\"hosts\",rcode=\"NXDOMAIN\",server=\"{harness.Processor.ServerAddress}\",view=\"\",zone=\".\"}} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_Http_PrometheusTextWithContentType()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n prometheus 127.0.0.1:0\n whoami\n}");
        await harness.QueryAsync("example.org.", DnsRecordType.A);

        var (status, body, contentType) = await Http.GetAsync(harness.Services, "127.0.0.1:0", "/metrics");

        Assert.Equal(200, status);
        Assert.Equal(MetricsRegistry.ContentType.Replace(" ", string.Empty, StringComparison.Ordinal), contentType!.Replace(" ", string.Empty, StringComparison.Ordinal));
        Assert.Contains("# TYPE coredns_dns_requests_total counter\n", body, StringComparison.Ordinal);
        Assert.Contains("coredns_build_info{", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_TwoBlocksSameAddress_OneListenerBothCounted()
    {
        await using var harness = await PluginHarness.StartAsync(
            "a.example {\n prometheus 127.0.0.1:0\n whoami\n}\nb.example {\n prometheus 127.0.0.1:0\n whoami\n}");
        await harness.QueryAsync("x.a.example.", DnsRecordType.A);
        await harness.QueryAsync("x.b.example.", DnsRecordType.A);

        var body = (await Http.GetAsync(harness.Services, "127.0.0.1:0", "/metrics")).Body;

        Assert.Single(harness.Services.Http.GetBoundUris("127.0.0.1:0"));
        Assert.Contains("zone=\"a.example.\"} 1\n", body, StringComparison.Ordinal);
        Assert.Contains("zone=\"b.example.\"} 1\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_BlockWithoutPrometheus_NotCounted()
    {
        await using var harness = await PluginHarness.StartAsync("a.example {\n prometheus 127.0.0.1:0\n whoami\n}\nb.example {\n whoami\n}");

        await harness.QueryAsync("x.b.example.", DnsRecordType.A);

        Assert.DoesNotContain("b.example.", harness.Metrics.Serialize(), StringComparison.Ordinal);
    }

    [Fact]
    public void ServeAndRecord_WarmSeries_AllocatesNothing()
    {
        var services = new MeshDns.Server.Hosting.MeshDnsServices(
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new MeshDns.Server.Hosting.ServerOptions());
        var behaviour = new ErraticBehaviour();
        behaviour.Answers.Add(ResourceRecord.Parse("example.org. 5 IN A 10.0.0.1"));
        var handler = new PrometheusHandler(new ErraticHandler(behaviour), services.CoreMetrics);
        var processor = new RequestProcessor(
            "dns://:53",
            new ZoneRouter([new ServerBlockRuntime("dns://.:53", [DnsName.Root], handler, ["prometheus"])]),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var context = new DnsRequestContext();
        context.SetEndpoints(PluginHarness.DefaultClient, null);
        var query = DnsTestClient.CreateQuery("example.org.", DnsRecordType.A).ToArray();
        var buffer = new byte[512];
        var calls = 0;
        Assert.Equal(0, AllocationMeter.BytesPerRound(() =>
        {
            calls++;
            Assert.True(Size(processor.ProcessAsync(context, query, DnsTransport.Udp, buffer)) > 0);
        }));
        Assert.Contains($"coredns_dns_requests_total{{family=\"1\",proto=\"udp\",server=\"dns://:53\",type=\"A\",view=\"\",zone=\".\"}} {calls}\n", services.Metrics.Serialize(), StringComparison.Ordinal);
    }

    private static int Size(ValueTask<int> pending) => pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("expected a synchronous completion");
}
