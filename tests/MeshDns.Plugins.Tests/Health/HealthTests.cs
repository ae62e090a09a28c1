using MeshDns.Plugins.Health;
using MeshDns.Plugins.Tests.Support;
using MeshDns.Testing.Time;

namespace MeshDns.Plugins.Tests.Health;

public sealed class HealthTests
{
    [Theory]
    [InlineData("health", "")]
    [InlineData("health localhost:1234", "")]
    [InlineData("health [::1]:1234", "")]
    [InlineData("health :1234 {\n lameduck 4s\n }", "")]
    [InlineData("health bla:a", "Corefile:2 - plugin/health: address bla:a: 'bla:a' is not HOST:PORT")]
    [InlineData("health bla", "Corefile:2 - plugin/health: address bla: missing port in address")]
    [InlineData("health a b", "Corefile:2 - plugin/health: Wrong argument count or unexpected line ending after 'b'")]
    [InlineData("health :1234 {\n lameduck zzz\n }", "Corefile:3 - plugin/health: unable to parse lameduck duration value: 'zzz' : invalid duration \"zzz\"")]
    [InlineData("health :1234 {\n lameduck\n }", "Corefile:3 - plugin/health: Wrong argument count or unexpected line ending after 'lameduck'")]
    [InlineData("health :1234 {\n bla\n }", "Corefile:3 - plugin/health: Wrong argument count or unexpected line ending after 'bla'")]
    public void Setup_Table(string directive, string expected)
    {
        Assert.Equal(expected, string.Join('\n', PluginHarness.SetupErrors($". {{\n{directive}\n}}")));
    }

    [Fact]
    public async Task Health_Running_200Ok()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n health 127.0.0.1:0\n whoami\n}");

        var (status, body, _) = await Http.GetAsync(harness.Services, "127.0.0.1:0", "/health");

        Assert.Equal(200, status);
        Assert.Equal("OK", body);
    }

    [Fact]
    public async Task Health_ShuttingDown_503()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n health 127.0.0.1:0\n whoami\n}");
        harness.Services.IsShuttingDown = true;

        var (status, body, _) = await Http.GetAsync(harness.Services, "127.0.0.1:0", "/health");

        Assert.Equal(503, status);
        Assert.Equal(string.Empty, body);
    }

    [Fact]
    public async Task Lameduck_Started_SetsProcessLameDuckToTheLongest()
    {
        await using var harness = await PluginHarness.StartAsync(
            "a.example {\n health 127.0.0.1:0 {\n lameduck 2s\n }\n whoami\n}\nb.example {\n health 127.0.0.1:0 {\n lameduck 5s\n }\n whoami\n}");

        Assert.Equal(TimeSpan.FromSeconds(5), harness.Services.LameDuck);
    }

    [Fact]
    public async Task Lameduck_ConfigurationStops_ClearedOnlyByItsOwner()
    {
        var first = await PluginHarness.StartAsync(". {\n health 127.0.0.1:0 {\n lameduck 3s\n }\n whoami\n}");
        var endpoint = new HealthEndpoint("127.0.0.1:0", first.Services);
        endpoint.RequestLameDuck(TimeSpan.FromSeconds(7));

        // A newer configuration takes over, then the old one stops: the newer setting stays.
        await endpoint.StartAsync(CancellationToken.None);
        await first.Instance.StopAsync(CancellationToken.None);
        Assert.Equal(TimeSpan.FromSeconds(7), first.Services.LameDuck);

        // The newest stops without a successor: no lameduck any more.
        await endpoint.StopAsync(CancellationToken.None);
        Assert.Equal(TimeSpan.Zero, first.Services.LameDuck);
        endpoint.Dispose();
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Endpoint_NewConfigurationOnSameAddress_ListenerStaysUp()
    {
        var first = await PluginHarness.StartAsync(". {\n health 127.0.0.1:0\n whoami\n}");
        var port = first.Services.Http.GetBoundUris("127.0.0.1:0")[0].Port;
        var next = new HealthEndpoint("127.0.0.1:0", first.Services);

        await next.StartAsync(CancellationToken.None);
        await first.Instance.StopAsync(CancellationToken.None);

        Assert.Equal(port, first.Services.Http.GetBoundUris("127.0.0.1:0")[0].Port);
        Assert.Equal(200, (await Http.GetAsync(first.Services, "127.0.0.1:0", "/health")).Status);
        await next.StopAsync(CancellationToken.None);
        Assert.Empty(first.Services.Http.GetBoundUris("127.0.0.1:0"));
        next.Dispose();
        await first.DisposeAsync();
    }

    [Fact]
    public async Task SelfCheck_EveryInterval_ObservesDuration()
    {
        var time = new ManualTimeProvider();
        await using var harness = await PluginHarness.StartAsync(". {\n health 127.0.0.1:0\n whoami\n}", time);
        var duration = harness.Metrics.Histogram("coredns_health_request_duration_seconds", "Histogram of the time (in seconds) each request took.", MeshDns.Server.Metrics.Buckets.CoreDnsSlimTime());

        time.Advance(HealthEndpoint.SelfCheckInterval);
        await WaitUntilAsync(() => duration.Count >= 1);
        time.Advance(HealthEndpoint.SelfCheckInterval);
        await WaitUntilAsync(() => duration.Count >= 2);

        Assert.Equal(0, harness.Metrics.Counter("coredns_health_request_failures_total", "The number of times the health check failed.").Value);
    }

    [Fact]
    public async Task CheckOnce_NothingListening_CountsFailureAndWarns()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n health 127.0.0.1:0\n whoami\n}", new ManualTimeProvider());
        var endpoint = new HealthEndpoint("127.0.0.1:0", harness.Services);
        var uri = harness.Services.Http.GetBoundUris("127.0.0.1:0")[0];
        using var client = new HttpClient(new FailingHandler());

        await endpoint.CheckOnceAsync(client, CancellationToken.None);

        Assert.Equal(1, harness.Metrics.Counter("coredns_health_request_failures_total", "The number of times the health check failed.").Value);
        Assert.Equal([$"[WARNING] plugin/health: Local health request to \"{new Uri(uri, "/health")}\" failed: connection refused"], harness.Logs.LinesStartingWith("[WARNING] plugin/health"));
        endpoint.Dispose();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, cts.Token);
        }
    }

    private sealed class FailingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("connection refused");
    }
}
