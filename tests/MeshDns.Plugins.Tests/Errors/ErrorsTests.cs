using MeshDns.Plugins.Errors;
using MeshDns.Plugins.Tests.Support;
using MeshDns.Protocol;
using MeshDns.Testing.Time;

namespace MeshDns.Plugins.Tests.Errors;

public sealed class ErrorsTests
{
    [Theory]
    [InlineData("errors", "")]
    [InlineData("errors stdout", "")]
    [InlineData("errors { \n stacktrace \n }", "")]
    [InlineData("errors { \n consolidate 1m ^exact$ \n }", "")]
    [InlineData("errors { \n consolidate 1m error \n }", "")]
    [InlineData("errors { \n consolidate 1m \"format error\" \n }", "")]
    [InlineData("errors { \n consolidate 1m error1 \n consolidate 5s error2 \n }", "")]
    [InlineData("errors { \n consolidate 5m \".* timeout$\" warning show_first \n }", "")]
    [InlineData("errors { \n consolidate 5m x show_first \n }", "")]
    [InlineData("errors errors.txt", "Corefile:2 - plugin/errors: invalid log file: errors.txt")]
    [InlineData("errors a b", "Corefile:2 - plugin/errors: Wrong argument count or unexpected line ending after 'b'")]
    [InlineData("errors { \n log visible \n }", "Corefile:3 - plugin/errors: Syntax error: Unexpected token 'log', expecting 'Unknown field log'")]
    [InlineData("errors \n errors", "Corefile:3 - plugin/errors: this plugin can only be used once per Server Block")]
    [InlineData("errors { \n consolidate \n }", "Corefile:3 - plugin/errors: Wrong argument count or unexpected line ending after 'consolidate'")]
    [InlineData("errors { \n consolidate 1m \n }", "Corefile:3 - plugin/errors: Wrong argument count or unexpected line ending after '1m'")]
    [InlineData("errors { \n consolidate 1m .* extra \n }", "Corefile:3 - plugin/errors: unknown log level argument in consolidate: extra")]
    [InlineData("errors { \n consolidate abc .* \n }", "Corefile:3 - plugin/errors: invalid duration \"abc\"")]
    [InlineData("errors { \n consolidate 1 .* \n }", "Corefile:3 - plugin/errors: missing unit in duration \"1\"")]
    [InlineData("errors { \n consolidate 1m .* warning error \n }", "Corefile:3 - plugin/errors: Wrong argument count or unexpected line ending after 'error'")]
    public void Setup_Table_ReportsCoreDnsErrors(string directive, string expected)
    {
        var errors = PluginHarness.SetupErrors($". {{\n{directive}\n}}");

        Assert.Equal(expected, string.Join('\n', errors));
    }

    [Fact]
    public void Setup_BadRegexp_ReportsIt()
    {
        var errors = PluginHarness.SetupErrors(". {\nerrors {\nconsolidate 1m \"())\"\n}\n}");

        Assert.StartsWith("Corefile:3 - plugin/errors: error parsing regexp:", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeAsync_ChainFails_LogsRcodeNameTypeAndError()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n errors\n erratic {\n fail SERVFAIL forward \"no healthy upstream\"\n }\n}");

        var reply = await harness.QueryAsync("Example.ORG.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, reply.ResponseCode);
        Assert.Equal(["[ERROR] plugin/errors: 2 example.org. A: plugin/forward: no healthy upstream"], harness.Logs.LinesStartingWith("[ERROR] plugin/errors"));
    }

    [Fact]
    public async Task ServeAsync_ChainAnswers_LogsNothing()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n errors\n erratic {\n answer \"example.org. 5 IN A 10.0.0.1\"\n }\n}");

        await harness.QueryAsync("example.org.", DnsRecordType.A);

        Assert.Empty(harness.Logs.LinesStartingWith("[ERROR]"));
    }

    [Fact]
    public async Task ServeAsync_AsynchronousFailure_LogsToo()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n errors\n erratic {\n delay 5ms\n fail REFUSED forward \"upstream refused\"\n }\n}");

        var reply = await harness.QueryAsync("example.org.", DnsRecordType.AAAA);

        Assert.Equal(DnsResponseCode.Refused, reply.ResponseCode);
        Assert.Equal(["[ERROR] plugin/errors: 5 example.org. AAAA: plugin/forward: upstream refused"], harness.Logs.LinesStartingWith("[ERROR] plugin/errors"));
    }

    [Fact]
    public async Task Consolidate_MatchingErrors_OneSummaryPerPeriodAtItsLevel()
    {
        var time = new ManualTimeProvider();
        await using var harness = await PluginHarness.StartAsync(
            ". {\n errors {\n consolidate 30s \"^plugin/forward: .* timeout$\" warning\n }\n erratic {\n fail SERVFAIL forward \"read udp: i/o timeout\"\n }\n}", time);

        for (var i = 0; i < 3; i++)
        {
            await harness.QueryAsync("example.org.", DnsRecordType.A);
        }

        Assert.Empty(harness.Logs.LinesStartingWith("[ERROR]"));
        Assert.Empty(harness.Logs.LinesStartingWith("[WARNING]"));

        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(["[WARNING] plugin/errors: 3 errors like '^plugin/forward: .* timeout$' occurred in last 30s"], harness.Logs.LinesStartingWith("[WARNING]"));

        // A new period starts with the next error.
        await harness.QueryAsync("example.org.", DnsRecordType.A);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(2, harness.Logs.LinesStartingWith("[WARNING]").Count);
        Assert.Equal("[WARNING] plugin/errors: 1 errors like '^plugin/forward: .* timeout$' occurred in last 30s", harness.Logs.LinesStartingWith("[WARNING]")[1]);
    }

    [Fact]
    public async Task Consolidate_ErrorNotMatching_IsLoggedAtOnce()
    {
        var time = new ManualTimeProvider();
        await using var harness = await PluginHarness.StartAsync(
            ". {\n errors {\n consolidate 5m timeout$\n }\n erratic {\n fail SERVFAIL forward \"no healthy upstream\"\n }\n}", time);

        await harness.QueryAsync("example.org.", DnsRecordType.A);

        Assert.Equal(["[ERROR] plugin/errors: 2 example.org. A: plugin/forward: no healthy upstream"], harness.Logs.LinesStartingWith("[ERROR]"));
    }

    [Fact]
    public async Task Consolidate_ShowFirst_LogsFirstNowAndSummaryOnlyForMore()
    {
        var time = new ManualTimeProvider();
        await using var harness = await PluginHarness.StartAsync(
            ". {\n errors {\n consolidate 1m timeout$ info show_first\n }\n erratic {\n fail SERVFAIL forward \"i/o timeout\"\n }\n}", time);

        await harness.QueryAsync("example.org.", DnsRecordType.A);
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(["[INFO] plugin/errors: 2 example.org. A: plugin/forward: i/o timeout"], harness.Logs.LinesStartingWith("[INFO] plugin/errors"));

        harness.Logs.Clear();
        await harness.QueryAsync("a.example.org.", DnsRecordType.A);
        await harness.QueryAsync("b.example.org.", DnsRecordType.A);
        await harness.QueryAsync("c.example.org.", DnsRecordType.A);
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(
            [
                "[INFO] plugin/errors: 2 a.example.org. A: plugin/forward: i/o timeout",
                "[INFO] plugin/errors: 3 errors like 'timeout$' occurred in last 1m0s",
            ],
            harness.Logs.LinesStartingWith("[INFO] plugin/errors"));
    }

    [Fact]
    public async Task Consolidate_Shutdown_FlushesPendingCountThenLogsEachError()
    {
        var time = new ManualTimeProvider();
        var harness = await PluginHarness.StartAsync(
            ". {\n errors {\n consolidate 1h timeout$ debug\n }\n erratic {\n fail SERVFAIL forward \"i/o timeout\"\n }\n}", time);
        await harness.QueryAsync("example.org.", DnsRecordType.A);
        await harness.QueryAsync("example.org.", DnsRecordType.A);

        await harness.Instance.StopAsync(CancellationToken.None);

        Assert.Equal(["[DEBUG] plugin/errors: 2 errors like 'timeout$' occurred in last 1h0m0s"], harness.Logs.LinesStartingWith("[DEBUG] plugin/errors"));
        await harness.DisposeAsync();
    }

    [Fact]
    public void Offer_FirstMatchingRuleWins()
    {
        var logs = new MeshDns.Testing.Logging.LogCapture();
        var time = new ManualTimeProvider();
        var consolidator = new ErrorConsolidator(
            [
                new ConsolidationRule(TimeSpan.FromSeconds(2), new System.Text.RegularExpressions.Regex("^error"), Microsoft.Extensions.Logging.LogLevel.Warning, false),
                new ConsolidationRule(TimeSpan.FromSeconds(2), new System.Text.RegularExpressions.Regex("error"), Microsoft.Extensions.Logging.LogLevel.Error, false),
            ],
            logs.CreateLogger("plugin/errors"),
            time);

        Assert.True(consolidator.Offer("error one").Consolidated);
        Assert.True(consolidator.Offer("an error").Consolidated);
        Assert.False(consolidator.Offer("other").Consolidated);
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(
            [
                "[WARNING] plugin/errors: 1 errors like '^error' occurred in last 2s",
                "[ERROR] plugin/errors: 1 errors like 'error' occurred in last 2s",
            ],
            logs.Lines);
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "100ns")]
    [InlineData(15_000L, "1.5ms")]
    [InlineData(5_000L, "500\u00b5s")]
    [InlineData(20_000_000L, "2s")]
    [InlineData(300_000_000L, "30s")]
    [InlineData(600_000_000L, "1m0s")]
    [InlineData(3_000_000_000L, "5m0s")]
    [InlineData(36_000_000_000L, "1h0m0s")]
    [InlineData(37_815_000_000L, "1h3m1.5s")]
    public void GoDuration_Table_MatchesGo(long ticks, string expected)
    {
        Assert.Equal(expected, GoFormat.Duration(TimeSpan.FromTicks(ticks)));
    }

    [Theory]
    [InlineData(0.000156, "0.000156")]
    [InlineData(0.037990251, "0.037990251")]
    [InlineData(1.5e-7, "0.00000015")]
    [InlineData(2.0, "2")]
    [InlineData(6.010923182, "6.010923182")]
    [InlineData(1e21, "1000000000000000000000")]
    [InlineData(-0.25, "-0.25")]
    public void GoFixed_Table_ShortestWithoutExponent(double value, string expected)
    {
        Assert.Equal(expected, GoFormat.FormatFixed(value));
    }
}
