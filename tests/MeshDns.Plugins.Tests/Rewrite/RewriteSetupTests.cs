using MeshDns.Plugins.Rewrite;
using MeshDns.Plugins.Tests.Cache;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Tests.Rewrite;

/// <summary>The <c>rewrite</c> directive: CoreDNS's rule syntax, and clear errors for what MeshDns does not do.</summary>
public sealed class RewriteSetupTests
{
    [Theory]
    [InlineData("name a.com b.com")]
    [InlineData("name exact a.com b.com")]
    [InlineData("name prefix a.com b.com")]
    [InlineData("name suffix a.com b.com")]
    [InlineData("name suffix foo3.bar google.com answer name g(o+)gle(.*) f{1}{2}")]
    [InlineData("name substring a.com b.com")]
    [InlineData(@"name regex ([a])\.com new-{1}.com")]
    [InlineData(@"name regex (dns)\.(core)\.(rocks) {2}.{1}.{3} answer name (core)\.(dns)\.(rocks) {2}.{1}.{3}")]
    [InlineData(@"name substring fcore.dns.rocks dns.fcore.rocks answer name (fcore)\.(dns)\.(rocks) {2}.{1}.{3}")]
    [InlineData("name suffix .a. .b. answer auto")]
    [InlineData("name suffix .a. .b. answer auto answer value (.*) {1}")]
    [InlineData("name suffix .a. .b. answer auto value (.*) {1}")]
    [InlineData("name exact a.com b.com answer name (.*) {1}")]
    [InlineData("stop name a.com b.com")]
    [InlineData("continue name a.com b.com")]
    [InlineData("type any a")]
    [InlineData("stop type ANY A")]
    [InlineData("continue type ANY HINFO")]
    public void ParseRule_Valid_Accepted(string line)
    {
        Assert.Null(RewriteKit.Error(line));
    }

    [Theory]
    [InlineData("", "no rule type specified for rewrite")]
    [InlineData("foo", "invalid rule type \"foo\"")]
    [InlineData("name", "too few arguments for a name rule")]
    [InlineData("name a.com", "too few arguments for a name rule")]
    [InlineData("name a.com b.com c.com", "name rule supports only exact, prefix, suffix, substring, and regex name matching, received: a.com")]
    [InlineData(@"name regex ([a]\.com new-{1}.com", @"invalid regex matching pattern: ([a]\.com")]
    [InlineData(@"name regex ([a])\.com new-{1}-{2}.com", "uses more subexpressions than its corresponding matching regex pattern")]
    [InlineData(@"name regex (adns)\.(core) {2}.{1} answer name (core)\.(adns) {2}.{1} too.long way.too.long", "invalid type \"too.long\" for answer rule")]
    [InlineData(@"name regex (bdns)\.(core) {2}.{1} NoAnswer name (core)\.(bdns) {2}.{1}", "exceeded the number of arguments for a non-answer rule argument")]
    [InlineData(@"name regex (cdns)\.(core) {2}.{1} answer ttl (core)\.(cdns) {2}.{1}", "invalid type \"ttl\" for answer rule")]
    [InlineData("name substring a.com b.com c.com", "invalid arguments for substring rule")]
    [InlineData("name suffix .a. .b. answer", "invalid arguments for suffix rule")]
    [InlineData("name suffix .a. .b. answer name x", "name answer rule for suffix rule: 2 arguments required")]
    [InlineData("name suffix .a. .b. answer auto answer name (.*) {1}", "auto name answer rule cannot be combined with explicit name answer rules")]
    [InlineData("name regex (.*) {1} answer value ([x] {1}", "value answer rule for regex rule: invalid regex matching pattern")]
    [InlineData(@"name regex (a)\1 x", "invalid regex matching pattern")]
    [InlineData("answer name a b", "response rewrites must begin with a name rule")]
    [InlineData("unknown-action name a.com b.com", "invalid rule type \"unknown-action\"")]
    [InlineData("stop", "stop rule must begin with a rule type")]
    [InlineData("continue", "continue rule must begin with a rule type")]
    [InlineData("type", "type rules must have exactly two arguments")]
    [InlineData("type a", "type rules must have exactly two arguments")]
    [InlineData("type any a a", "type rules must have exactly two arguments")]
    [InlineData("type XY WV", "invalid type \"XY\"")]
    [InlineData("type ANY WV", "invalid type \"WV\"")]
    [InlineData("class ch in", "'class' rewrites are not supported by MeshDns")]
    [InlineData("edns0 local set 0xffee abcd", "'edns0' rewrites are not supported by MeshDns")]
    [InlineData("stop ttl example.org 15", "'ttl' rewrites are not supported by MeshDns")]
    [InlineData("cname exact a.example.org b.example.org", "'cname' rewrites are not supported by MeshDns")]
    [InlineData("rcode exact a.example.org SERVFAIL NXDOMAIN", "'rcode' rewrites are not supported by MeshDns")]
    public void ParseRule_Invalid_CoreDnsError(string line, string expected)
    {
        var error = RewriteKit.Error(line);

        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name Example.COM target.example.NET", NameMatch.Exact, "example.com.", "target.example.net.")]
    [InlineData("name prefix www api", NameMatch.Prefix, "www.", "api.")]
    [InlineData("name suffix .schmoogle.com. .google.com.", NameMatch.Suffix, ".schmoogle.com.", ".google.com.")]
    [InlineData(@"name regex (.*)\.Example\.org {1}.Other.org", NameMatch.Regex, @"(.*)\.Example\.org", "{1}.other.org.")]
    public void ParseRule_Names_NormalisedLikeCoreDns(string line, NameMatch match, string from, string to)
    {
        var rule = Assert.IsType<NameRule>(RewriteKit.Rule(line));

        Assert.Equal(match, rule.Match);
        Assert.Equal(from, rule.From);
        Assert.Equal(to, rule.To);
        Assert.True(rule.Stop);
    }

    [Fact]
    public async Task Setup_BlockForm_ReadAsOneRuleWithItsAnswerRule()
    {
        var instance = CorefileHarness.Build("""
            example.org {
                rewrite continue name suffix .corp. .corp.example.org.
                rewrite stop {
                    name regex (.*)-(us-west-1)\.example\.org {1}.service.{2}.consul
                    answer name (.*)\.service\.(us-west-1)\.consul {1}-{2}.example.org
                }
                rewrite type ANY HINFO
                whoami
            }
            """);
        var handler = Assert.IsType<RewriteHandler>(instance.Blocks[0].Chain);

        var context = await RewriteKit.ServeAsync(handler, "ftp-us-west-1.example.org.");

        // whoami answered for ftp.service.us-west-1.consul.; the answer rule maps its records back.
        Assert.Equal(["ftp-us-west-1.example.org.", "_udp.ftp-us-west-1.example.org."], context.Response.Additionals.Select(r => r.Name.ToString()));
        Assert.Equal(["rewrite", "whoami"], instance.Blocks[0].Plugins);
    }

    [Fact]
    public async Task Setup_SeveralLines_RulesRunInCorefileOrder()
    {
        var instance = CorefileHarness.Build("""
            example.org {
                rewrite continue name suffix .a.example.org. .b.example.org.
                rewrite name suffix .b.example.org. .c.example.org.
                whoami
            }
            """);
        var handler = Assert.IsType<RewriteHandler>(instance.Blocks[0].Chain);

        var context = await RewriteKit.ServeAsync(handler, "x.a.example.org.");

        // No answer rules: whoami's record carries the name it was asked, after both rules in order.
        Assert.Equal("x.c.example.org.", context.Response.Additionals[0].Name.ToString());
    }

    [Theory]
    [InlineData("rewrite name a.example.org b.example.org {\nname x y\n}", "a rewrite rule on one line takes no block")]
    [InlineData("rewrite {\n}", "no rule type specified for rewrite")]
    [InlineData("rewrite stop {\nclass CH IN\n}", "'class' rewrites are not supported")]
    [InlineData("rewrite name regex ([ x", "invalid regex matching pattern")]
    public void Setup_BadInput_ErrorNamesThePlugin(string directive, string expected)
    {
        var message = CorefileHarness.Error($"example.org {{\n{directive}\nwhoami\n}}");

        Assert.Contains("plugin/rewrite", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseRule_TypeRule_TypesParsed()
    {
        var rule = Assert.IsType<TypeRule>(RewriteKit.Rule("continue type any hinfo"));

        Assert.Equal(DnsRecordType.ANY, rule.From);
        Assert.Equal(DnsRecordType.HINFO, rule.To);
        Assert.False(rule.Stop);
    }
}
