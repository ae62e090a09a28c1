using MeshDns.Plugins.Ready;
using MeshDns.Plugins.Tests.Support;

namespace MeshDns.Plugins.Tests.Ready;

public sealed class ReadyTests
{
    [Theory]
    [InlineData("ready", "")]
    [InlineData("ready localhost:1234", "")]
    [InlineData("ready localhost:1234 {\n monitor until-ready\n }", "")]
    [InlineData("ready localhost:1234 {\n monitor continuously\n }", "")]
    [InlineData("ready localhost:1234 b", "Corefile:2 - plugin/ready: Wrong argument count or unexpected line ending after 'b'")]
    [InlineData("ready bla", "Corefile:2 - plugin/ready: address bla: missing port in address")]
    [InlineData("ready \n ready", "Corefile:3 - plugin/ready: this plugin can only be used once per Server Block")]
    [InlineData("ready localhost:1234 {\n monitor sometimes\n }", "Corefile:3 - plugin/ready: monitor type 'sometimes' not supported")]
    [InlineData("ready localhost:1234 {\n monitor\n }", "Corefile:3 - plugin/ready: Wrong argument count or unexpected line ending after 'monitor'")]
    [InlineData("ready localhost:1234 {\n bla\n }", "Corefile:3 - plugin/ready: unknown property 'bla'")]
    public void Setup_Table(string directive, string expected)
    {
        Assert.Equal(expected, string.Join('\n', PluginHarness.SetupErrors($". {{\n{directive}\n}}")));
    }

    [Fact]
    public async Task Ready_NoReporters_200Ok()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n ready 127.0.0.1:0\n whoami\n}");

        var (status, body, _) = await Http.GetAsync(harness.Services, "127.0.0.1:0", "/ready");

        Assert.Equal(200, status);
        Assert.Equal("OK", body);
    }

    [Fact]
    public async Task Ready_SomeNotReady_503WithNamesThenDetails()
    {
        await using var harness = await PluginHarness.StartAsync(
            "a.example {\n ready 127.0.0.1:0\n erratic {\n notready kubernetai/zeta \"waiting for the first sync of services\"\n notready kubernetes\n }\n}\n" +
            "b.example {\n erratic {\n notready kubernetai/alpha \"cluster alpha: endpoints not synced\"\n }\n}");

        var (status, body, _) = await Http.GetAsync(harness.Services, "127.0.0.1:0", "/ready");

        Assert.Equal(503, status);
        Assert.Equal(
            "kubernetai/alpha,kubernetai/zeta,kubernetes\n" +
            "kubernetai/alpha: cluster alpha: endpoints not synced\n" +
            "kubernetai/zeta: waiting for the first sync of services\n",
            body);
        Assert.Equal(["[INFO] plugin/ready: Plugins not ready: \"kubernetai/alpha,kubernetai/zeta,kubernetes\""], harness.Logs.LinesStartingWith("[INFO] plugin/ready"));
    }

    [Fact]
    public async Task Ready_AllBecomeReady_200AndUntilReadyStopsAsking()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n ready 127.0.0.1:0\n erratic {\n notready kubernetes\n }\n}");
        var reporter = Assert.IsType<TestReadiness>(Assert.Single(harness.Instance.Readiness));
        Assert.Equal(503, (await Http.GetAsync(harness.Services, "127.0.0.1:0", "/ready")).Status);

        reporter.IsReady = true;
        Assert.Equal(200, (await Http.GetAsync(harness.Services, "127.0.0.1:0", "/ready")).Status);
        var checks = reporter.Checks;
        reporter.IsReady = false;

        Assert.Equal(200, (await Http.GetAsync(harness.Services, "127.0.0.1:0", "/ready")).Status);
        Assert.Equal(checks, reporter.Checks);
    }

    [Fact]
    public async Task Ready_MonitorContinuously_TurnsBackTo503()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n ready 127.0.0.1:0 {\n monitor continuously\n }\n erratic {\n notready kubernetes \"lost the API server\"\n }\n}");
        var reporter = Assert.IsType<TestReadiness>(Assert.Single(harness.Instance.Readiness));
        reporter.IsReady = true;
        Assert.Equal(200, (await Http.GetAsync(harness.Services, "127.0.0.1:0", "/ready")).Status);

        reporter.IsReady = false;
        var (status, body, _) = await Http.GetAsync(harness.Services, "127.0.0.1:0", "/ready");

        Assert.Equal(503, status);
        Assert.Equal("kubernetes\nkubernetes: lost the API server\n", body);
    }

    [Fact]
    public async Task Ready_ShuttingDown_503ShuttingDown()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n ready 127.0.0.1:0\n whoami\n}");
        harness.Services.IsShuttingDown = true;

        var (status, body, _) = await Http.GetAsync(harness.Services, "127.0.0.1:0", "/ready");

        Assert.Equal(503, status);
        Assert.Equal("Shutting down", body);
    }

    [Fact]
    public void FormatNotReady_NoDetails_OnlyTheCoreDnsLine()
    {
        Assert.Equal("a,b\n", ReadyEndpoint.FormatNotReady([("a", null), ("b", "")]));
    }
}
