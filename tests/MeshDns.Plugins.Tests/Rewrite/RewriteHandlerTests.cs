using MeshDns.Plugins.Rewrite;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Allocation;

namespace MeshDns.Plugins.Tests.Rewrite;

/// <summary>What the rest of the chain is asked, and what the client gets back.</summary>
public sealed class RewriteHandlerTests
{
    // CoreDNS's rule list from its rewrite tests (class rules left out: MeshDns refuses non-IN queries earlier).
    private static readonly RewriteRule[] CoreDnsRules = RewriteKit.Rules(
        @"stop name from.nl. to.nl.",
        @"stop name regex (core)\.(dns)\.(rocks)\.(nl) {2}.{1}.{3}.{4} answer name (dns)\.(core)\.(rocks)\.(nl) {2}.{1}.{3}.{4}",
        @"stop name exact from.exact.nl. to.nl.",
        @"stop name prefix prefix to",
        @"stop name suffix .suffix. .nl.",
        @"stop name substring from.substring to",
        @"stop name regex (f.*m)\.regex\.(nl) to.{2}",
        @"continue name regex consul\.(rocks) core.dns.{1}",
        @"stop name core.dns.rocks to.nl.",
        @"stop type ANY HINFO");

    [Theory]
    [InlineData("from.nl.", DnsRecordType.A, "to.nl.", DnsRecordType.A, "from.nl.")]
    [InlineData("a.nl.", DnsRecordType.A, "a.nl.", DnsRecordType.A, "a.nl.")]
    [InlineData("a.nl.", DnsRecordType.ANY, "a.nl.", DnsRecordType.HINFO, "a.nl.")]
    [InlineData("from.nl.", DnsRecordType.ANY, "to.nl.", DnsRecordType.ANY, "from.nl.")]
    [InlineData("from.exact.nl.", DnsRecordType.A, "to.nl.", DnsRecordType.A, "from.exact.nl.")]
    [InlineData("FROM.Exact.nl.", DnsRecordType.A, "to.nl.", DnsRecordType.A, "FROM.Exact.nl.")]
    [InlineData("prefix.nl.", DnsRecordType.A, "to.nl.", DnsRecordType.A, "to.nl.")]
    [InlineData("to.suffix.", DnsRecordType.A, "to.nl.", DnsRecordType.A, "to.nl.")]
    [InlineData("from.substring.nl.", DnsRecordType.A, "to.nl.", DnsRecordType.A, "to.nl.")]
    [InlineData("from.regex.nl.", DnsRecordType.A, "to.nl.", DnsRecordType.A, "to.nl.")]
    [InlineData("consul.rocks.", DnsRecordType.A, "to.nl.", DnsRecordType.A, "core.dns.rocks.")]
    [InlineData("core.dns.rocks.nl.", DnsRecordType.A, "dns.core.rocks.nl.", DnsRecordType.A, "core.dns.rocks.nl.")]
    public async Task ServeAsync_CoreDnsRuleTable_NextSeesRewrittenQuestionAndAnswerIsMappedBack(string from, DnsRecordType fromType, string to, DnsRecordType toType, string answerOwner)
    {
        var upstream = new RecordingUpstream();
        var handler = new RewriteHandler(upstream, CoreDnsRules);

        var context = await RewriteKit.ServeAsync(handler, from, fromType);

        Assert.Equal(to, upstream.SeenName);
        Assert.Equal(toType, upstream.SeenType);
        Assert.Equal(answerOwner, context.Response.Answers[0].Name.ToString());
        Assert.True(context.Response.Answers[0].Name.EqualsExact(DnsName.Parse(answerOwner)), "owner spelling");
    }

    [Fact]
    public async Task ServeAsync_AfterNext_QuestionRestoredForEarlierPlugins()
    {
        var handler = new RewriteHandler(new RecordingUpstream(), RewriteKit.Rules("name suffix .example.org. .example.net.", "continue type AAAA A"));

        var context = await RewriteKit.ServeAsync(handler, "WWW.example.org.", DnsRecordType.AAAA);

        Assert.Equal("WWW.example.org.", WireName.ToPresentation(context.QuestionName));
        Assert.Equal(DnsRecordType.AAAA, context.QuestionType);
    }

    [Fact]
    public async Task ServeAsync_RegionalSuffixWithAnswerAuto_EveryNameMappedBackToTheRegion()
    {
        var upstream = new RecordingUpstream
        {
            Answer =
            [
                "_http._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 50 80 web-0.web.shop.svc.cluster.local.",
                "_http._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 50 80 web-1.web.shop.svc.cluster.local.",
            ],
            Additional =
            [
                "web-0.web.shop.svc.cluster.local. 5 IN A 10.20.4.7",
                "web-1.web.shop.svc.cluster.local. 5 IN A 10.20.4.8",
                "elsewhere.example.com. 5 IN CNAME web.shop.svc.cluster.local.",
            ],
        };
        var handler = new RewriteHandler(upstream, RewriteKit.Rules("name suffix .gcp-europe-west4-c.local. .cluster.local. answer auto"));

        var context = await RewriteKit.ServeAsync(handler, "_http._tcp.web.shop.svc.gcp-europe-west4-c.local.", DnsRecordType.SRV);

        Assert.Equal("_http._tcp.web.shop.svc.cluster.local.", upstream.SeenName);
        RecordAssert.Response(context.Response, DnsResponseCode.NoError,
            [
                "_http._tcp.web.shop.svc.gcp-europe-west4-c.local. 5 IN SRV 0 50 80 web-0.web.shop.svc.gcp-europe-west4-c.local.",
                "_http._tcp.web.shop.svc.gcp-europe-west4-c.local. 5 IN SRV 0 50 80 web-1.web.shop.svc.gcp-europe-west4-c.local.",
            ],
            additional:
            [
                "web-0.web.shop.svc.gcp-europe-west4-c.local. 5 IN A 10.20.4.7",
                "web-1.web.shop.svc.gcp-europe-west4-c.local. 5 IN A 10.20.4.8",
                "elsewhere.example.com. 5 IN CNAME web.shop.svc.gcp-europe-west4-c.local.",
            ]);
    }

    [Fact]
    public async Task ServeAsync_RegionalSuffixNxDomain_SoaMnameMappedOwnerAtZoneApexKept()
    {
        var upstream = new RecordingUpstream
        {
            Rcode = DnsResponseCode.NXDomain,
            Answer = [],
            Authority = ["cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5"],
        };
        var handler = new RewriteHandler(upstream, RewriteKit.Rules("name suffix .gcp-europe-west4-c.local. .cluster.local. answer auto"));

        var context = await RewriteKit.ServeAsync(handler, "nope.shop.svc.gcp-europe-west4-c.local.");

        RecordAssert.Response(context.Response, DnsResponseCode.NXDomain, [],
            authority: ["cluster.local. 5 IN SOA ns.dns.gcp-europe-west4-c.local. hostmaster.cluster.local. 1 7200 1800 86400 5"]);
    }

    [Fact]
    public async Task ServeAsync_SuffixWithAnswerAuto_QuestionOwnerGetsTheClientsSpelling()
    {
        var handler = new RewriteHandler(new RecordingUpstream(), RewriteKit.Rules("name suffix .gcp-europe-west4-c.local. .cluster.local. answer auto"));

        var context = await RewriteKit.ServeAsync(handler, "WEB.shop.svc.GCP-europe-west4-c.local.");

        Assert.True(context.Response.Answers[0].Name.EqualsExact(DnsName.Parse("WEB.shop.svc.GCP-europe-west4-c.local.")));
    }

    [Fact]
    public async Task ServeAsync_SuffixWithoutAnswer_AnswersKeepTheRewrittenNames()
    {
        var upstream = new RecordingUpstream();
        var handler = new RewriteHandler(upstream, RewriteKit.Rules("name suffix .gcp-europe-west4-c.local. .cluster.local."));

        var context = await RewriteKit.ServeAsync(handler, "web.shop.svc.gcp-europe-west4-c.local.");

        RecordAssert.Response(context.Response, DnsResponseCode.NoError, ["web.shop.svc.cluster.local. 300 IN A 127.0.0.1"]);
    }

    [Theory]
    [InlineData("name prefix api api-v2 answer auto", "api.example.org.", "api-v2.example.org.")]
    [InlineData("name substring .staging. .prod. answer auto", "db.staging.example.org.", "db.prod.example.org.")]
    [InlineData(@"name regex ^(.*)\.old\.org\.$ {1}.new.org answer auto", "a.b.old.org.", "a.b.new.org.")]
    public async Task ServeAsync_AnswerAuto_RewrittenNameMappedBackAsOwnerAndTarget(string rule, string asked, string rewritten)
    {
        var upstream = new RecordingUpstream { Answer = ["{q} 60 IN CNAME {q}", "{q} 60 IN MX 10 {q}", "other.example.com. 60 IN A 10.0.0.1"] };
        var handler = new RewriteHandler(upstream, RewriteKit.Rules(rule));

        var context = await RewriteKit.ServeAsync(handler, asked);

        Assert.Equal(rewritten, upstream.SeenName);
        RecordAssert.Response(context.Response, DnsResponseCode.NoError,
            [$"{asked} 60 IN CNAME {asked}", $"{asked} 60 IN MX 10 {asked}", "other.example.com. 60 IN A 10.0.0.1"]);
    }

    [Fact]
    public async Task ServeAsync_AnswerNameAndValue_RegexRulesApplyToOwnersAndTargetsSeparately()
    {
        var upstream = new RecordingUpstream { Answer = ["ftp.service.us-west-1.consul. 0 IN CNAME x.service.us-west-1.consul."] };
        var handler = new RewriteHandler(upstream, RewriteKit.Rules(
            @"stop name regex (.*)-(us-west-1)\.example\.org {1}.service.{2}.consul answer name (.*)\.service\.(us-west-1)\.consul {1}-{2}.example.org answer value (.*)\.service\.(us-west-1)\.consul {1}-{2}.targets.example.org"));

        var context = await RewriteKit.ServeAsync(handler, "ftp-us-west-1.example.org.");

        Assert.Equal("ftp.service.us-west-1.consul.", upstream.SeenName);
        RecordAssert.Response(context.Response, DnsResponseCode.NoError, ["ftp-us-west-1.example.org. 0 IN CNAME x-us-west-1.targets.example.org."]);
    }

    [Fact]
    public async Task ServeAsync_ContinueThenStop_RulesChainAndLaterRulesAreSkipped()
    {
        var upstream = new RecordingUpstream();
        var handler = new RewriteHandler(upstream, RewriteKit.Rules(
            "continue name suffix .corp. .corp.example.org.",
            "name substring staging.corp.example.org prod.corp.example.org answer auto",
            "name exact db.prod.corp.example.org never.example.org"));

        var context = await RewriteKit.ServeAsync(handler, "db.staging.corp.");

        Assert.Equal("db.prod.corp.example.org.", upstream.SeenName);
        Assert.Equal("db.staging.corp.example.org.", context.Response.Answers[0].Name.ToString());
    }

    [Fact]
    public async Task ServeAsync_SeveralAnswerRules_UndoneLastRuleFirst()
    {
        var upstream = new RecordingUpstream();
        var handler = new RewriteHandler(upstream, RewriteKit.Rules(
            "continue name exact a.example.org b.example.org",
            "name exact b.example.org c.example.org"));

        var context = await RewriteKit.ServeAsync(handler, "a.example.org.");

        Assert.Equal("c.example.org.", upstream.SeenName);
        Assert.Equal("a.example.org.", context.Response.Answers[0].Name.ToString());
    }

    [Fact]
    public async Task ServeAsync_UpstreamReplyWithQuestion_QuestionRevertedToTheClients()
    {
        var upstream = new RecordingUpstream { EchoQuestion = true };
        var handler = new RewriteHandler(upstream, RewriteKit.Rules("name exact a.example.org b.example.org", "type AAAA A"));

        var context = await RewriteKit.ServeAsync(handler, "A.example.org.");

        var question = Assert.Single(context.Response.Questions);
        Assert.True(question.Name.EqualsExact(DnsName.Parse("A.example.org.")));
        Assert.Equal(DnsRecordType.A, question.Type);
    }

    [Theory]
    [InlineData(@"name regex (.*) {1}..broken")]
    [InlineData("name prefix www 0123456789012345678901234567890123456789012345678901234567890123456789.www")]
    public async Task ServeAsync_RewrittenNameInvalid_ServfailAndQuestionUnchanged(string rule)
    {
        var upstream = new RecordingUpstream();
        var handler = new RewriteHandler(upstream, RewriteKit.Rules(rule));
        var context = RewriteKit.Context("www.example.org.");

        var result = await handler.ServeAsync(context);

        Assert.Equal(DnsResponseCode.ServFail, result.Rcode);
        Assert.Contains("invalid name after rewrite", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.Calls);
        Assert.Equal("www.example.org.", WireName.ToPresentation(context.QuestionName));
    }

    [Fact]
    public async Task ServeAsync_NextAnswersAsynchronously_StillMappedBack()
    {
        var handler = new RewriteHandler(new SlowUpstream(new RecordingUpstream()), RewriteKit.Rules("name exact a.example.org b.example.org"));

        var context = await RewriteKit.ServeAsync(handler, "a.example.org.");

        Assert.Equal("a.example.org.", context.Response.Answers[0].Name.ToString());
        Assert.Equal("a.example.org.", WireName.ToPresentation(context.QuestionName));
    }

    [Fact]
    public void ServeAsync_NoRuleMatches_AllocatesNothing()
    {
        var handler = new RewriteHandler(new ChainTerminator(), RewriteKit.Rules(
            "name suffix .gcp-europe-west4-c.local. .cluster.local. answer auto",
            @"name regex ^(.*)\.old\.org\.$ {1}.new.org answer auto",
            "name exact a.example.org b.example.org",
            "name substring .staging. .prod.",
            "type ANY HINFO"));
        var query = DnsMessage.CreateQuery(DnsName.Parse("www.example.com."), DnsRecordType.A, 1).ToArray();
        var context = new DnsRequestContext();

        void Serve()
        {
            context.Load(query, DnsTransport.Udp);
            var pending = handler.ServeAsync(context);
            if (!pending.IsCompletedSuccessfully || pending.Result.Rcode != DnsResponseCode.ServFail)
            {
                throw new InvalidOperationException("expected the terminator's synchronous SERVFAIL");
            }
        }

        Assert.Equal(0, AllocationMeter.BytesPerRound(Serve, callsPerRound: 10_000));
    }

    private sealed class SlowUpstream(DnsHandler inner) : DnsHandler
    {
        public override string Name => "slow";

        public override async ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
        {
            await Task.Yield();
            return await inner.ServeAsync(context);
        }
    }
}
