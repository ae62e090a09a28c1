using System.Net;
using System.Text.RegularExpressions;
using MeshDns.Plugins.Log;
using MeshDns.Plugins.Tests.Support;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Testing.Dns;

namespace MeshDns.Plugins.Tests.Log;

public sealed partial class LogTests
{
    private const string Answer = "erratic {\n answer \"example.org. 5 IN A 10.0.0.1\"\n }";

    [Theory]
    [InlineData("log", ".", LogFormat.Common, ResponseClass.All, 0)]
    [InlineData("log example.org", "example.org.", LogFormat.Common, ResponseClass.All, 0)]
    [InlineData("log example.org. {common}", "example.org.", "{common}", ResponseClass.All, 0)]
    [InlineData("log example.org {combined}", "example.org.", "{combined}", ResponseClass.All, 0)]
    [InlineData("log example.org {host}", "example.org.", "{host}", ResponseClass.All, 0)]
    [InlineData("log example.org {\n class denial\n }", "example.org.", LogFormat.Common, ResponseClass.Denial, 0)]
    [InlineData("log {\n class denial error\n }", ".", LogFormat.Common, ResponseClass.Denial | ResponseClass.Error, 0)]
    [InlineData("log {\n class denial\n class error\n }", ".", LogFormat.Common, ResponseClass.Denial | ResponseClass.Error, 0)]
    [InlineData("log {\n class all\n }", ".", LogFormat.Common, ResponseClass.All, 0)]
    [InlineData("log {\n minDuration\n }", ".", LogFormat.Common, ResponseClass.All, 100)]
    [InlineData("log {\n class error\n minDuration 1s\n }", ".", LogFormat.Common, ResponseClass.Error, 1000)]
    public void Setup_Table_OneRule(string directive, string scope, string format, ResponseClass classes, int minDurationMs)
    {
        var rule = Assert.Single(Rules($". {{\n{directive}\n whoami\n}}"));

        Assert.Equal(scope, rule.NameScope.ToString());
        Assert.Equal(format, rule.Format.Text);
        Assert.Equal(classes, rule.Classes);
        Assert.Equal(TimeSpan.FromMilliseconds(minDurationMs), rule.MinDuration);
    }

    [Fact]
    public void Setup_SeveralNamesAndLines_RulesInOrderSharingOptions()
    {
        var rules = Rules(". {\n log example.org example.net {when} {\n class denial\n }\n log example.com\n whoami\n}");

        Assert.Equal(["example.org.", "example.net.", "example.com."], rules.Select(r => r.NameScope.ToString()));
        Assert.Equal(["{when}", "{when}", LogFormat.Common], rules.Select(r => r.Format.Text));
        Assert.Equal([ResponseClass.Denial, ResponseClass.Denial, ResponseClass.All], rules.Select(r => r.Classes));
    }

    [Theory]
    [InlineData("log {\n class abracadabra\n }", "Corefile:3 - plugin/log: invalid Class: abracadabra")]
    [InlineData("log {\n class\n }", "Corefile:3 - plugin/log: Wrong argument count or unexpected line ending after 'class'")]
    [InlineData("log {\n minDuration 123abc\n }", "Corefile:3 - plugin/log: Illegal duration found: '123abc'")]
    [InlineData("log {\n minDuration 1s 2s\n }", "Corefile:3 - plugin/log: Wrong argument count or unexpected line ending after '2s'")]
    [InlineData("log {\n unknown\n }", "Corefile:3 - plugin/log: Wrong argument count or unexpected line ending after 'unknown'")]
    public void Setup_Invalid_ReportsCoreDnsErrors(string directive, string expected)
    {
        Assert.Equal([expected], PluginHarness.SetupErrors($". {{\n{directive}\n}}"));
    }

    [Fact]
    public async Task Log_DefaultFormat_LineAsCoreDnsPrintsIt()
    {
        await using var harness = await PluginHarness.StartAsync($". {{\n log\n {Answer}\n}}");
        var query = DnsTestClient.CreateQuery("Example.ORG.", DnsRecordType.A);

        var exchange = await harness.ExchangeAsync(query);

        var line = Assert.Single(harness.Logs.LinesStartingWith("[INFO] 127"));
        Assert.Equal(
            $"[INFO] 127.0.0.1:52791 - {query.Id} \"A IN example.org. udp {exchange.QueryBytes.Length} false 512\" NOERROR qr,aa,rd {exchange.ReplySize} <d>",
            DurationPattern().Replace(line, "<d>"));
    }

    [Fact]
    public async Task Log_EdnsOverTcpFromIPv6_BufsizeDoAndBrackets()
    {
        await using var harness = await PluginHarness.StartAsync($". {{\n log\n {Answer}\n}}");
        var query = DnsTestClient.CreateQuery("example.org.", DnsRecordType.A, edns: true, udpSize: 4096, dnssecOk: true);

        var exchange = await harness.ExchangeAsync(query, tcp: true, client: new IPEndPoint(IPAddress.IPv6Loopback, 40000));

        var line = Assert.Single(harness.Logs.LinesStartingWith("[INFO] ["));
        Assert.Equal(
            $"[INFO] [::1]:40000 - {query.Id} \"A IN example.org. tcp {exchange.QueryBytes.Length} true 65535\" NOERROR qr,aa,rd {exchange.ReplySize} <d>",
            DurationPattern().Replace(line, "<d>"));
    }

    [Fact]
    public async Task Log_EdnsOverUdp_BufsizeIsTheAdvertisedSize()
    {
        await using var harness = await PluginHarness.StartAsync($". {{\n log . \"{{>bufsize}} {{>do}}\"\n {Answer}\n}}");

        await harness.ExchangeAsync(DnsTestClient.CreateQuery("example.org.", DnsRecordType.A, edns: true, udpSize: 1232));
        await harness.ExchangeAsync(DnsTestClient.CreateQuery("example.org.", DnsRecordType.A, edns: true, udpSize: 100));

        Assert.Equal(["[INFO] 1232 false", "[INFO] 512 false"], harness.Logs.LinesStartingWith("[INFO] "));
    }

    [Fact]
    public async Task Log_CombinedAndCustomPlaceholders_Rendered()
    {
        await using var harness = await PluginHarness.StartAsync($". {{\n log . \"{{proto}} Request: {{name}} {{type}} {{>id}} {{>opcode}} {{local}} {{class}} {{/missing}} {{unknown}} }} {{rcode}}\"\n {Answer}\n}}");
        var query = DnsTestClient.CreateQuery("www.Example.org.", DnsRecordType.MX);

        await harness.ExchangeAsync(query);

        Assert.Equal([$"[INFO] udp Request: www.example.org. MX {query.Id} 0 127.0.0.1 IN - {{unknown}} }} NOERROR"], harness.Logs.LinesStartingWith("[INFO] udp"));
    }

    [Fact]
    public async Task Log_ServerWroteError_LineShowsWhatTheClientGot()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n log . \"{rcode} {>rflags} {rsize}\"\n erratic {\n fail SERVFAIL forward \"no healthy upstream\"\n }\n}");

        var exchange = await harness.ExchangeAsync(DnsTestClient.CreateQuery("example.org.", DnsRecordType.A));

        Assert.Equal([$"[INFO] SERVFAIL qr,rd {exchange.ReplySize}"], harness.Logs.LinesStartingWith("[INFO] SERVFAIL"));
    }

    [Fact]
    public async Task Log_Dropped_RcodeAndFlagsEmpty()
    {
        await using var harness = await PluginHarness.StartAsync(". {\n log . \"{rcode} {>rflags} {rsize}\"\n erratic {\n drop\n }\n}");

        var exchange = await harness.ExchangeAsync(DnsTestClient.CreateQuery("example.org.", DnsRecordType.A));

        Assert.Null(exchange.Reply);
        Assert.Equal(["[INFO] - - 0"], harness.Logs.LinesStartingWith("[INFO] -"));
    }

    [Theory]
    [InlineData("success", "answer \"example.org. 5 IN A 10.0.0.1\"", true)]
    [InlineData("success", "rcode NXDOMAIN", false)]
    [InlineData("denial", "rcode NXDOMAIN", true)]
    [InlineData("denial", "authority \"example.org. 5 IN SOA ns. host. 1 2 3 4 5\"", true)]
    [InlineData("denial", "answer \"example.org. 5 IN CNAME other.example.org.\"", true)]
    [InlineData("denial", "answer \"example.org. 5 IN A 10.0.0.1\"", false)]
    [InlineData("error", "fail SERVFAIL forward boom", true)]
    [InlineData("error", "rcode REFUSED", true)]
    [InlineData("error", "answer \"example.org. 5 IN A 10.0.0.1\"", false)]
    [InlineData("success", "authority \"example.org. 5 IN NS ns.example.org.\"", true)]
    [InlineData("denial error", "answer \"example.org. 5 IN A 10.0.0.1\"", false)]
    public async Task Log_ClassFilter_Table(string classes, string behaviour, bool logged)
    {
        await using var harness = await PluginHarness.StartAsync($". {{\n log . \"logged {{rcode}}\" {{\n class {classes}\n }}\n erratic {{\n {behaviour}\n }}\n}}");

        await harness.QueryAsync("example.org.", DnsRecordType.A);

        Assert.Equal(logged, harness.Logs.LinesStartingWith("[INFO] logged").Count == 1);
    }

    [Fact]
    public async Task Log_MinDuration_SlowResponsesOfOtherClassesLogged()
    {
        await using var harness = await PluginHarness.StartAsync(
            ". {\n log slow.example.org. \"slow {name}\" {\n class error\n minDuration 10ms\n }\n log . \"fast {name}\" {\n class error\n minDuration 10s\n }\n erratic {\n delay 30ms\n answer \"example.org. 5 IN A 10.0.0.1\"\n }\n}");

        await harness.QueryAsync("slow.example.org.", DnsRecordType.A);
        await harness.QueryAsync("fast.example.org.", DnsRecordType.A);

        Assert.Equal(["[INFO] slow slow.example.org."], harness.Logs.LinesStartingWith("[INFO] "));
    }

    [Fact]
    public async Task Log_NameScopes_FirstMatchingRuleOnly()
    {
        await using var harness = await PluginHarness.StartAsync(
            $". {{\n log example.org \"org {{name}}\"\n log sub.example.org \"sub {{name}}\"\n log example.net \"net {{name}}\"\n {Answer}\n}}");

        await harness.QueryAsync("sub.example.org.", DnsRecordType.A);
        await harness.QueryAsync("example.net.", DnsRecordType.A);
        await harness.QueryAsync("example.com.", DnsRecordType.A);

        Assert.Equal(["[INFO] org sub.example.org.", "[INFO] net example.net."], harness.Logs.LinesStartingWith("[INFO] "));
    }

    [Fact]
    public void OnCompleted_ClassNotSelected_AllocatesNothing()
    {
        var rule = new LogRule(DnsName.Root, LogFormat.Parse(LogFormat.Common), ResponseClass.Denial, TimeSpan.Zero, new MeshDns.Testing.Logging.LogCapture().CreateLogger("query"));
        var handler = new LogHandler(new ErraticHandler(Success()), [rule]);
        var context = new DnsRequestContext();
        context.SetEndpoints(PluginHarness.DefaultClient, null);
        var query = DnsTestClient.CreateQuery("example.org.", DnsRecordType.A).ToArray();
        context.Load(query, DnsTransport.Udp);
        Assert.True(CompletedAtOnce(handler.ServeAsync(context)));

        rule.OnCompleted(context, 60);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            rule.OnCompleted(context, 60);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ServeAsync_MatchingRule_RegistersWithoutAllocating()
    {
        var rule = new LogRule(DnsName.Parse("example.org."), LogFormat.Parse(LogFormat.Common), ResponseClass.All, TimeSpan.Zero, new MeshDns.Testing.Logging.LogCapture().CreateLogger("query"));
        var handler = new LogHandler(new ErraticHandler(Success()), [rule]);
        var context = new DnsRequestContext();
        var query = DnsTestClient.CreateQuery("www.example.org.", DnsRecordType.A).ToArray();
        context.Load(query, DnsTransport.Udp);
        Assert.True(CompletedAtOnce(handler.ServeAsync(context)));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            context.Load(query, DnsTransport.Udp);
            if (!CompletedAtOnce(handler.ServeAsync(context)))
            {
                Assert.Fail("the chain should complete synchronously");
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("{type}", "{type}")]
    [InlineData("A } {type}", "A } {type}")]
    [InlineData("{ {type} }", "{ {type} }")]
    [InlineData("plain", "plain")]
    [InlineData("{/meta}", "{/meta}")]
    public void Parse_KeepsText(string format, string text)
    {
        Assert.Equal(text, LogFormat.Parse(format).Text);
    }

    private static bool CompletedAtOnce(ValueTask<PluginResult> pending) => pending.IsCompletedSuccessfully;

    private static ErraticBehaviour Success()
    {
        var behaviour = new ErraticBehaviour();
        behaviour.Answers.Add(ResourceRecord.Parse("example.org. 5 IN A 10.0.0.1"));
        return behaviour;
    }

    private static IReadOnlyList<LogRule> Rules(string corefile)
    {
        var harness = PluginHarness.Build(corefile);
        try
        {
            var chain = harness.Instance.Blocks[0].Chain;
            return Assert.IsType<LogHandler>(chain).Rules;
        }
        finally
        {
            harness.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [GeneratedRegex(@"\d+(\.\d+)?s$")]
    private static partial Regex DurationPattern();
}
