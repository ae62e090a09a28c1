using FsCheck;
using FsCheck.Fluent;
using MeshDns.Server.Corefile;
using static MeshDns.Server.Tests.Corefile.CorefileTestSupport;

namespace MeshDns.Server.Tests.Corefile;

/// <summary>Bad input of any shape ends in a <see cref="CorefileException"/>, never another exception.</summary>
public sealed class CorefileRobustnessTests
{
    private const string Full = """
        # every construct at least once
        (common) {
            errors
            log . "{common} {proto} {name}"
        }
        .:53, dns://example.org:1053 {
            import common
            health {
                lameduck 5s
            }
            kubernetes cluster.local 10.0.0.0/15 2001:db8::/30 {
                pods insecure
                fallthrough in-addr.arpa ip6.arpa
            }
            template IN A example.org {
                answer "{{ .Name }} 60 IN A 10.0.0.1
                        # not a comment"
            }
            forward . tls://1.1.1.1 { max_fails 3 }
            cache {$CACHE_TTL}
            hosts "/etc/my hosts" {
                fallthrough
            }
        }
        tls://10.0.0.0/24:853 { whoami }
        """;

    /// <summary>Parses, treating a <see cref="CorefileException"/> as an acceptable outcome.</summary>
    private static void ParseOrCorefileException(string text, CorefileParseOptions? options = null)
    {
        try
        {
            CorefileParser.Parse(text, "Corefile", options ?? Options(new Dictionary<string, string> { ["CACHE_TTL"] = "30" }));
        }
        catch (CorefileException e)
        {
            Assert.NotEmpty(e.Errors);
            Assert.All(e.Errors, static error => Assert.True(error.Location.Line >= 0));
        }
    }

    [Fact]
    public void Parse_FullCorefile_Succeeds()
    {
        var document = Parse(Full, new Dictionary<string, string> { ["CACHE_TTL"] = "30" });

        Assert.Equal(2, document.ServerBlocks.Count);
        Assert.Equal(
            ["errors", "log", "health", "kubernetes", "template", "forward", "cache", "hosts"],
            document.ServerBlocks[0].Directives.Select(static d => d.Name));
        var directives = document.ServerBlocks[0].Directives;
        Assert.Equal("{{ .Name }} 60 IN A 10.0.0.1\n                # not a comment", directives[4].Block[0].Args[0].Text);
        Assert.Equal(19, directives[5].Location.Line);
        Assert.Equal(["30"], directives[6].ArgValues);
        Assert.Equal(["dns://.:53", "dns://example.org.:1053"], document.ServerBlocks[0].Addresses.Select(static a => a.ToString()));
        Assert.Equal(["tls://0.0.10.in-addr.arpa.:853"], document.ServerBlocks[1].Addresses.Select(static a => a.ToString()));
    }

    [Fact]
    public void Parse_EveryPrefixOfAValidCorefile_SucceedsOrThrowsCorefileException()
    {
        for (var length = 0; length <= Full.Length; length++)
        {
            ParseOrCorefileException(Full[..length]);
        }
    }

    [Fact]
    public void Parse_EverySuffixOfAValidCorefile_SucceedsOrThrowsCorefileException()
    {
        for (var start = 0; start <= Full.Length; start++)
        {
            ParseOrCorefileException(Full[start..]);
        }
    }

    [Fact]
    public void Parse_EveryPrefixWithFileImports_SucceedsOrThrowsCorefileException()
    {
        using var dir = new TempDirectory();
        dir.Write("common.conf", "errors\nlog\n");
        dir.Write("zones/a.conf", "a.example {\n  whoami\n}\n");
        const string root = "import zones/*.conf\n.:53 {\n  import common.conf\n  forward . 1.1.1.1\n}\n";
        var options = Options(baseDirectory: dir.Path);

        for (var length = 0; length <= root.Length; length++)
        {
            ParseOrCorefileException(root[..length], options);
        }
    }

    private static readonly string[] Vocabulary =
    [
        "{", "}", "{", "}", "\n", "\n", " ", " ", "\t", "\r\n", "#", "\"", "\\", "\\\"", ",", ":", "/",
        "import", "import", "(s)", "(t)", "s", "t", "()", "(", ")", "\"\"",
        ".:53", ".", "..", "example.org", "dns://", "tls://.:853", "foo://x", ":53", "[::1]", "::1",
        "10.0.0.0/24", "10.0.0.0/13", "2001:db8::/29", "::/0", "10.0.0.0/99", "a,", ",b", "a,b",
        "{$X}", "{$", "{%X%}", "{env.X}", "whoami", "forward", "x", "*", "?", "nope/*.conf", "missing.conf",
        "\u00e9", "\uFEFF", "\u00a0", "\0",
    ];

    // Files the soup may import, including ones that import each other and themselves.
    private static readonly InMemoryFileSystem SoupFiles = new(new Dictionary<string, string>
    {
        ["/v/s"] = "whoami {\n}",
        ["/v/x"] = "import s\nimport x",
        ["/v/missing.conf/inner"] = "{",
        ["/v/nope/a.conf"] = "(s) {\n  import nope/*.conf\n}\nimport s",
    });

    [Fact]
    public void Parse_RandomTokenSoup_ThrowsNothingButCorefileException()
    {
        var soup = Gen.Elements(Vocabulary).ListOf().Select(static parts => string.Concat(parts));
        var options = Options(new Dictionary<string, string> { ["X"] = "{ } import s" }, baseDirectory: "/v") with { FileSystem = SoupFiles };

        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(2000).WithEndSize(200),
            Prop.ForAll(soup.ToArbitrary(), text =>
            {
                ParseOrCorefileException(text, options);
                return true;
            }));
    }

    [Fact]
    public void Parse_DeepNesting_IsAnErrorNotAStackOverflow()
    {
        var text = ".:53 {\n" + string.Concat(Enumerable.Repeat("a {\n", 100_000)) + string.Concat(Enumerable.Repeat("}\n", 100_001));

        var e = Assert.Throws<CorefileException>(() => Parse(text));

        Assert.Equal(["Corefile:101 - Error during parsing: blocks are nested more than 100 deep"], e.Errors.Select(static x => x.ToString()));
    }

    [Fact]
    public void Parse_ExpansionBeyondTokenLimit_StopsWithOneError()
    {
        // 9,000 imports of a 300-token snippet: under the import limit, over the 2,000,000-token limit.
        var text = "(big) {\n" + string.Concat(Enumerable.Repeat("  a b c d e f g h i j\n", 30)) + "}\n.:53 {\n"
            + string.Concat(Enumerable.Repeat("  import big\n", 9_000)) + "}\n";

        var e = Assert.Throws<CorefileException>(() => Parse(text));

        var error = Assert.Single(e.Errors);
        Assert.EndsWith("the Corefile expands to more than 2000000 tokens after imports; is a snippet imported many times over?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RandomStrings_ThrowNothingButCorefileException()
    {
        var options = Options(baseDirectory: "/v") with { FileSystem = SoupFiles };

        Prop.ForAll<string>(text =>
        {
            ParseOrCorefileException(text ?? "", options);
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TryParseDuration_RandomStrings_NeverThrow()
    {
        var soup = Gen.Elements("0", "1", "9", ".", "-", "+", "h", "m", "s", "ms", "us", "\u00b5s", "ns", "x", "922337203685")
            .ListOf().Select(static parts => string.Concat(parts));

        Prop.ForAll(soup.ToArbitrary(), text =>
        {
            var ok = CorefileValues.TryParseDuration(text, out _, out var error);
            return ok == (error is null);
        }).QuickCheckThrowOnFailure();
    }
}
