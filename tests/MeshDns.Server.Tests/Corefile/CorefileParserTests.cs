using MeshDns.Server.Corefile;
using static MeshDns.Server.Tests.Corefile.CorefileTestSupport;

namespace MeshDns.Server.Tests.Corefile;

public sealed class CorefileParserTests
{
    public static TheoryData<string, string> Structures => new()
    {
        // Keys and braces.
        { ".:53 {\n    whoami\n}", ".:53 @1\n  whoami @2" },
        { ".:53 {\n}", ".:53 @1" },
        { ".:53 {}", ".:53 @1" },
        { ".:53 { whoami }", ".:53 @1\n  whoami @1" },
        { ".:53 { forward . 1.1.1.1 }", ".:53 @1\n  forward . 1.1.1.1 @1" },
        { ".:53\n{\n  whoami\n}", ".:53 @1\n  whoami @3" },
        { "example.org example.net {\n  whoami\n}", "example.org example.net @1\n  whoami @2" },
        { "example.org, example.net {\n}", "example.org example.net @1" },
        { "example.org,\n  example.net,\n  example.com {\n}", "example.org example.net example.com @1" },
        { "example.org , example.net {\n}", "example.org example.net @1" },
        { "a {\n}\nb {\n}", "a @1\nb @3" },
        { "a {\n} b {\n}", "a @1\nb @2" },

        // Caddy lets the only server block leave out its braces: it runs to the end of the input.
        { "example.org", "example.org @1" },
        { "example.org:1053", "example.org:1053 @1" },
        { "example.org\nwhoami\nlog", "example.org @1\n  whoami @2\n  log @3" },
        { "a, b\nwhoami", "a b @1\n  whoami @2" },

        // Directives, arguments and nested blocks.
        { ".:53 {\n  forward . 1.1.1.1 8.8.8.8\n  cache 30\n}", ".:53 @1\n  forward . 1.1.1.1 8.8.8.8 @2\n  cache 30 @3" },
        {
            ".:53 {\n  forward . 1.1.1.1 {\n    max_fails 3\n    policy random\n  }\n  log\n}",
            ".:53 @1\n  forward . 1.1.1.1 @2\n    max_fails 3 @3\n    policy random @4\n  log @6"
        },
        { ".:53 {\n  health {\n  }\n}", ".:53 @1\n  health {} @2" },
        { ".:53 {\n  health {}\n}", ".:53 @1\n  health {} @2" },
        { ".:53 {\n  a {\n    b {\n      c d\n    }\n  }\n}", ".:53 @1\n  a @2\n    b @3\n      c d @4" },
        { ".:53 {\n  forward . 1.1.1.1 { max_fails 3 }\n}", ".:53 @1\n  forward . 1.1.1.1 @2\n    max_fails 3 @2" },
        { ".:53 {\n  a { b c\n  d }\n}", ".:53 @1\n  a @2\n    b c @2\n    d @3" },
        { ".:53 {\n  a {\n    b }\n}", ".:53 @1\n  a @2\n    b @3" },

        // Blank lines and comments.
        { "# header\n\n.:53 {   # the root\n\n  whoami # answers\n  # log\n}\n# trailer", ".:53 @3\n  whoami @5" },

        // Quoted strings: kept whole, may be empty or span lines; the line after one counts correctly.
        { ".:53 {\n  template \"a b\" \"\"\n}", ".:53 @1\n  template \"a b\" \"\" @2" },
        { ".:53 {\n  answer \"line1\nline2\nline3\" x\n  log\n}", ".:53 @1\n  answer \"line1\nline2\nline3\" x @2\n  log @5" },
        { ".:53 {\n  a \"multi\nline\"\n  b\n}", ".:53 @1\n  a \"multi\nline\" @2\n  b @4" },
        { ".:53 {\n  a \"{\" \"}\"\n}", ".:53 @1\n  a \"{\" \"}\" @2" },
        { ".:53 {\n  \"quoted\" name\n}", ".:53 @1\n  \"quoted\" name @2" },
        { ".:53 {\n  a \"say \\\"hi\\\"\"\n}", ".:53 @1\n  a \"say \"hi\"\" @2" },

        // 'import' is only special where a directive name goes.
        { ".:53 {\n  basicauth / import password\n}", ".:53 @1\n  basicauth / import password @2" },

        // Empty input, or nothing but empty keys, has no server blocks (as in Caddy's tests).
        { "", "" },
        { "# nothing\n\n", "" },
        { "\"\"", "" },
    };

    [Theory]
    [MemberData(nameof(Structures))]
    public void Parse_ValidCorefile_GivesBlocksDirectivesArgsAndLines(string corefile, string expected) =>
        Assert.Equal(expected, Dump(Parse(corefile)));

    [Fact]
    public void Parse_TypicalKubernetesCorefile_ReadsEveryPart()
    {
        const string corefile = """
            .:53 {
                errors
                health {
                   lameduck 5s
                }
                ready
                kubernetes cluster.local in-addr.arpa ip6.arpa {
                   pods insecure
                   fallthrough in-addr.arpa ip6.arpa
                   ttl 30
                }
                prometheus :9153
                forward . /etc/resolv.conf {
                   max_concurrent 1000
                }
                cache 30
                loop
                reload
                loadbalance
            }
            """;

        var document = Parse(corefile);

        Assert.Equal("Corefile", document.SourceName);
        var block = Assert.Single(document.ServerBlocks);
        Assert.Equal(new ZoneAddress("dns", ".", 53, ".:53"), Assert.Single(block.Addresses));
        Assert.Equal(
            ["errors", "health", "ready", "kubernetes", "prometheus", "forward", "cache", "loop", "reload", "loadbalance"],
            block.Directives.Select(static d => d.Name));
        var kubernetes = block.Directives[3];
        Assert.Equal(["cluster.local", "in-addr.arpa", "ip6.arpa"], kubernetes.ArgValues);
        Assert.True(kubernetes.HasBlock);
        Assert.Equal(["pods", "fallthrough", "ttl"], kubernetes.Block.Select(static d => d.Name));
        Assert.Equal(new SourceLocation("Corefile", 9), kubernetes.Block[1].Location);
        Assert.Equal(["in-addr.arpa", "ip6.arpa"], kubernetes.Block[1].ArgValues);
        Assert.False(block.Directives[2].HasBlock);
        Assert.Empty(block.Directives[2].Block);
        Assert.Equal(new SourceLocation("Corefile", 19), block.Directives[^1].Location);
    }

    [Fact]
    public void Parse_EmptyBraces_AreAnEmptyBlockNotAnArgument()
    {
        var health = Parse(".:53 {\n  health {}\n  log \"{}\"\n}").ServerBlocks[0].Directives;

        Assert.True(health[0].HasBlock);
        Assert.Empty(health[0].Args);
        Assert.Equal("health {}", health[0].ToString());
        Assert.False(health[1].HasBlock);
        Assert.Equal(["{}"], health[1].ArgValues);
    }

    [Fact]
    public void Parse_Tokens_KeepQuotedFlagAndLocation()
    {
        var block = Assert.Single(Parse(".:53 {\n  hosts \"/etc/my hosts\" example.org\n}").ServerBlocks);
        var hosts = Assert.Single(block.Directives);

        Assert.Equal(new CorefileToken("hosts", new SourceLocation("Corefile", 2)), hosts.NameToken);
        Assert.Equal(new CorefileToken("/etc/my hosts", new SourceLocation("Corefile", 2), Quoted: true), hosts.Args[0]);
        Assert.False(hosts.Args[1].Quoted);
        Assert.Equal([".:53"], block.Keys);
        Assert.Equal(new SourceLocation("Corefile", 1), block.Location);
    }

    [Fact]
    public void Parse_SourceName_IsWhatErrorsAndLocationsPrint()
    {
        var document = CorefileParser.Parse(".:53 {\n  whoami\n}", "/etc/coredns/Corefile", Options());

        Assert.Equal("/etc/coredns/Corefile", document.SourceName);
        Assert.Equal("/etc/coredns/Corefile:2", document.ServerBlocks[0].Directives[0].Location.ToString());
    }

    [Fact]
    public void Parse_KnownDirectives_RejectsUnknownTopLevelNamesOnly()
    {
        var options = Options() with { KnownDirectives = new HashSet<string> { "forward", "log" } };

        var e = Assert.Throws<CorefileException>(() => CorefileParser.Parse(
            ".:53 {\n  forward . 1.1.1.1 {\n    anything 1\n  }\n  lgo\n  log\n}", "Corefile", options));

        Assert.Equal(["Corefile:5 - Error during parsing: Unknown directive 'lgo'"], e.Errors.Select(static x => x.ToString()));
    }

    public static TheoryData<string, string> EnvironmentCases => new()
    {
        { "{$ZONE} {\n}", "example.org @1" },
        { "{%ZONE%} {\n}", "example.org @1" },
        { "{env.ZONE} {\n}", "example.org @1" },
        { "{$ZONE}:{$PORT} {\n}", "example.org:1053 @1" },
        { "{%ZONE%}:{$PORT} {\n}", "example.org:1053 @1" },
        { "di{$PARTIAL} {\n}", "dir1 @1" },
        { ".:53 {\n  {$PLUGIN} {$ARG}\n}", ".:53 @1\n  forward . @2" },
        { ".:53 {\n  forward . {$UPSTREAM} {\n    max_fails {env.FAILS}\n  }\n}", ".:53 @1\n  forward . 10.0.0.1 @2\n    max_fails 3 @3" },
        { ".:53 {\n  a \"Test {$FOOBAR} test\"\n}", ".:53 @1\n  a \"Test foobar test\" @2" },
        { ".:53 {\n  answer \"{{ .Name }} {$FOOBAR}\"\n}", ".:53 @1\n  answer \"{{ .Name }} foobar\" @2" },

        // Unset variables become empty; malformed references stay as written.
        { ".:53 {\n  a x{$UNSET}y\n}", ".:53 @1\n  a xy @2" },
        { ".:53 {\n  a {$UNSET}\n}", ".:53 @1\n  a  @2" },
        { ".:53 {\n  a {%ZONE}\n}", ".:53 @1\n  a {%ZONE} @2" },
        { ".:53 {\n  a {$} {%%} {env.}\n}", ".:53 @1\n  a {$} {%%} {env.} @2" },
        { ".:53 {\n  a {$ZONE\n}", ".:53 @1\n  a {$ZONE @2" },

        // Values are not expanded again, and a value with spaces stays one argument.
        { ".:53 {\n  a {$SELF}\n}", ".:53 @1\n  a {$SELF} @2" },
        { ".:53 {\n  a {$SPACED}\n}", ".:53 @1\n  a two words @2" },

        // A key that substitutes to nothing is dropped, as in Caddy.
        { "{$UNSET} example.org {\n}", "example.org @1" },
    };

    [Theory]
    [MemberData(nameof(EnvironmentCases))]
    public void Parse_EnvironmentReferences_AreSubstitutedInKeysNamesAndArgs(string corefile, string expected)
    {
        var environment = new Dictionary<string, string>
        {
            ["ZONE"] = "example.org",
            ["PORT"] = "1053",
            ["PARTIAL"] = "r1",
            ["PLUGIN"] = "forward",
            ["ARG"] = ".",
            ["UPSTREAM"] = "10.0.0.1",
            ["FAILS"] = "3",
            ["FOOBAR"] = "foobar",
            ["SELF"] = "{$SELF}",
            ["SPACED"] = "two words",
        };

        Assert.Equal(expected, Dump(Parse(corefile, environment)));
    }

    [Fact]
    public void Parse_EnvironmentInKey_ResolvesTheSubstitutedAddress()
    {
        var block = Parse("{$ZONE}:{$PORT} {\n}", new Dictionary<string, string> { ["ZONE"] = "Example.ORG", ["PORT"] = "1053" }).ServerBlocks[0];

        Assert.Equal(new ZoneAddress("dns", "example.org.", 1053, "Example.ORG:1053"), Assert.Single(block.Addresses));
    }

    [Fact]
    public void Parse_DefaultEnvironment_ReadsTheProcessEnvironment()
    {
        // Only checks the default wiring: a variable this test does not own is looked up, not replaced blindly.
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var document = CorefileParser.Parse(".:53 {\n  a \"{$PATH}\"\n}", "Corefile", new CorefileParseOptions { BaseDirectory = Path.GetTempPath() });

        Assert.Equal(path, document.ServerBlocks[0].Directives[0].Args[0].Text);
    }

    [Fact]
    public void Parse_Directive_HelpersGiveCaddyTexts()
    {
        var forward = Parse(".:53 {\n  forward . 1.1.1.1 {\n    bogus 1\n  }\n  log\n}").ServerBlocks[0].Directives[0];
        var log = Parse(".:53 {\n  log\n}").ServerBlocks[0].Directives[0];

        Assert.Equal("Wrong argument count or unexpected line ending after '1.1.1.1'", forward.ArgErr());
        Assert.Equal("Wrong argument count or unexpected line ending after 'log'", log.ArgErr());
        Assert.Equal("unknown property 'bogus'", forward.Block[0].UnknownProperty());
        Assert.Equal(["1"], forward.Block[0].ArgValues);
        Assert.Equal("forward . 1.1.1.1 { ... }", forward.ToString());
        Assert.Equal("log", log.ToString());
    }
}
