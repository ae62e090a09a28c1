using MeshDns.Server.Corefile;
using static MeshDns.Server.Tests.Corefile.CorefileTestSupport;

namespace MeshDns.Server.Tests.Corefile;

public sealed class CorefileParserErrorTests
{
    private const string P = "Error during parsing: ";

    public static TheoryData<string, string[]> SyntaxErrors => new()
    {
        // Braces.
        { ".:53 {\n  whoami\n", [$"Corefile:2 - {P}Unexpected EOF, expecting '}}' to close the server block opened at Corefile:1"] },
        { ".:53 {", [$"Corefile:1 - {P}Unexpected EOF, expecting '}}' to close the server block opened at Corefile:1"] },
        {
            ".:53 {\n  forward . 1.1.1.1 {\n    max_fails 3\n}",
            [$"Corefile:4 - {P}Unexpected EOF, expecting '}}' to close the server block opened at Corefile:1"]
        },
        {
            ".:53 {\n  forward . {\n    max_fails 3",
            [
                $"Corefile:3 - {P}Unexpected EOF, expecting '}}' to close the block of 'forward' opened at Corefile:2",
                $"Corefile:3 - {P}Unexpected EOF, expecting '}}' to close the server block opened at Corefile:1",
            ]
        },
        { ".:53 {\n}\n}", [$"Corefile:3 - {P}Unexpected '}}' because no matching opening brace"] },
        { "}", [$"Corefile:1 - {P}Unexpected '}}' because no matching opening brace"] },
        { "example.org\nwhoami\n}", [$"Corefile:3 - {P}Unexpected '}}' because no matching opening brace"] },
        {
            ".:53 {\n  forward . 1.1.1.1\n  {\n    max_fails 3\n  }\n}",
            [$"Corefile:3 - {P}Unexpected '{{' - a block must open on the same line as its directive"]
        },
        {
            ".:53 {\n  a { b } c d\n  e\n}",
            [$"Corefile:2 - {P}Unexpected token 'c' after the block of 'a' - a block must end its line"]
        },

        // Keys.
        { "a, {\n}", [$"Corefile:1 - {P}Expected another address but had '{{' - check for extra comma"] },
        { "a, b,", [$"Corefile:1 - {P}Unexpected EOF"] },
        { "a,b {\n}", [$"Corefile:1 - {P}server key 'a,b' contains a comma; separate keys with spaces or ', '"] },
        { "{\n  whoami\n}", [$"Corefile:1 - {P}server block has no keys"] },
        { "{$UNSET} {\n  whoami\n}", [$"Corefile:1 - {P}server block has no keys"] },

        // Directives and strings.
        { ".:53 {\n  \"\" x\n}", [$"Corefile:2 - {P}directive name is empty"] },
        {
            ".:53 {\n  a \"b\n}\n",
            [
                $"Corefile:2 - {P}Unexpected EOF: quoted string is never closed",
                $"Corefile:2 - {P}Unexpected EOF, expecting '}}' to close the server block opened at Corefile:1",
            ]
        },

        // Import syntax (Caddy's texts).
        { ".:53 {\n  import\n}", [$"Corefile:2 - {P}Wrong argument count or unexpected line ending after 'import'"] },
        { ".:53 {\n  import a b\n}", [$"Corefile:2 - {P}Import takes only one argument (glob pattern or file)"] },
        { ".:53 {\n  import \"\"\n}", [$"Corefile:2 - {P}Import requires a non-empty filepath"] },
        { ".:53 {\n  import {$UNSET}\n}", [$"Corefile:2 - {P}Import requires a non-empty filepath"] },
        { "import", [$"Corefile:1 - {P}Wrong argument count or unexpected line ending after 'import'"] },

        // Snippets.
        { "(s)", [$"Corefile:1 - {P}Unexpected EOF, expecting '{{' after snippet (s)"] },
        { "(s)\nwhoami\n", [$"Corefile:2 - {P}Unexpected token 'whoami', expecting '{{' after snippet (s)"] },
        { "(s) {\n  a\n", [$"Corefile:2 - {P}Unexpected EOF, expecting '}}' to close snippet (s) opened at Corefile:1"] },
        { "(s) {\n}\n(s) {\n}", [$"Corefile:3 - {P}redeclaration of previously declared snippet s"] },
        {
            "(loop) {\n  import loop\n}\n.:53 {\n  import loop\n}",
            [$"Corefile:2 - {P}import cycle detected: Corefile -> (loop) -> (loop)"]
        },
        {
            "(a) {\n  import b\n}\n(b) {\n  x\n  import a\n}\n.:53 {\n  import a\n}",
            [$"Corefile:6 - {P}import cycle detected: Corefile -> (a) -> (b) -> (a)"]
        },
        {
            "(loop) {\n  { }\n  import loop\n}\nimport loop",
            [
                $"Corefile:2 - {P}server block has no keys",
                $"Corefile:3 - {P}import cycle detected: Corefile -> (loop) -> (loop)",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(SyntaxErrors))]
    public void Parse_BadSyntax_ReportsEachErrorWithFileAndLine(string corefile, string[] expected) =>
        Assert.Equal(expected, Errors(corefile));

    public static TheoryData<string, string> KeyErrors => new()
    {
        { "example.org:abc", "invalid port 'abc' in 'example.org:abc'" },
        { "example.org:1053{", "invalid port '1053{' in 'example.org:1053{'" },
        { "example.org:70000", "invalid port '70000' in 'example.org:70000': must be between 0 and 65535" },
        { "example.org:9999999999", "invalid port '9999999999' in 'example.org:9999999999': must be between 0 and 65535" },
        { "example.org:", "expecting data after last colon: \"example.org:\"" },
        { ".:", "expecting data after last colon: \".:\"" },
        { "dns://.:", "expecting data after last colon: \".:\"" },
        { "foo://example.org", "unsupported transport 'foo' in 'foo://example.org' (expecting dns, tls, https, grpc or quic)" },
        { "https3://example.org", "unsupported transport 'https3' in 'https3://example.org' (expecting dns, tls, https, grpc or quic)" },
        { "DNS://example.org", "unsupported transport 'DNS' in 'DNS://example.org' (expecting dns, tls, https, grpc or quic)" },
        { "..", "zone is not a valid domain name: .." },
        { "dns://..", "zone is not a valid domain name: .." },
        { "a..b", "zone is not a valid domain name: a..b" },
        { ":53", "zone is not a valid domain name: " },
        { "dns://", "zone is not a valid domain name: " },
        { ".example.org", "zone is not a valid domain name: .example.org" },
        { new string('a', 64) + ".org", "zone is not a valid domain name: " + new string('a', 64) + ".org" },
        { new string('a', 256), "specified zone is too long: 256 > 255" },
        { "10.0.0.0/33", "invalid CIDR 10.0.0.0/33" },
        { "10.0.0/24", "invalid CIDR 10.0.0/24" },
        { "10.0.0.256/24", "invalid CIDR 10.0.0.256/24" },
        { "010.0.0.0/8", "invalid CIDR 010.0.0.0/8" },
        { "10.0.0.0/", "invalid CIDR 10.0.0.0/" },
        { "10.0.0.0/x", "invalid CIDR 10.0.0.0/x" },
        { "example.org/24", "invalid CIDR example.org/24" },
        { "2001:db8::/129", "invalid CIDR 2001:db8::/129" },
        { "::fFFF:B:F/115", "invalid CIDR ::fFFF:B:F/115" },
        { "::/0", "invalid CIDR ::/0" },
        { "0::1/64", "invalid CIDR 0::1/64" },
        { "fe80::1%eth0/64", "invalid CIDR fe80::1%eth0/64" },
        { "[::1]:53", "zone is not a valid domain name: [::1] (a server key is a zone, not a listen address; see the bind plugin)" },
        { "::1", "zone is not a valid domain name: : (a server key is a zone, not a listen address; see the bind plugin)" },
    };

    [Theory]
    [MemberData(nameof(KeyErrors))]
    public void Parse_BadServerKey_ReportsCoreDnsStyleError(string key, string message) =>
        Assert.Equal([$"Corefile:2 - {P}{message}"], Errors($"# key below\n{key} {{\n  whoami\n}}"));

    [Theory]
    [InlineData("example.org {\n}\nexample.org:53 {\n}", 3, "dns://example.org.:53")]
    [InlineData(". {\n}\ndns://.:53 {\n}", 3, "dns://.:53")]
    [InlineData("Example.ORG {\n}\nexample.org. {\n}", 3, "dns://example.org.:53")]
    [InlineData("example.org example.org {\n}", 1, "dns://example.org.:53")]
    [InlineData("10.0.0.0/24 {\n}\n0.0.10.in-addr.arpa {\n}", 3, "dns://0.0.10.in-addr.arpa.:53")]
    [InlineData("10.0.0.0/23 {\n}\n10.0.1.0/24 {\n}", 3, "dns://1.0.10.in-addr.arpa.:53")]
    [InlineData("tls://example.org {\n}\ntls://example.org:853 {\n}", 3, "tls://example.org.:853")]
    public void Parse_SameZonePortAndTransportTwice_IsAlreadyDefined(string corefile, int line, string address) =>
        Assert.Equal([$"Corefile:{line} - {P}cannot serve {address} - it is already defined"], Errors(corefile));

    [Theory]
    [InlineData("example.org {\n}\nexample.org:1053 {\n}")]
    [InlineData("example.org {\n}\ntls://example.org {\n}")]
    [InlineData("example.org {\n}\nsub.example.org {\n}")]
    [InlineData(". {\n}\ngrpc://. {\n}\nhttps://. {\n}\nquic://. {\n}\ntls://. {\n}")]
    public void Parse_DistinctZonePortOrTransport_IsAccepted(string corefile) =>
        Assert.NotEmpty(Parse(corefile).ServerBlocks);

    [Fact]
    public void Parse_ManyProblems_ReportsThemAllInOrder()
    {
        const string corefile = """
            example.org:abc {
                whoami
            }
            foo://. {
                forward . 1.1.1.1 {
                    max_fails 3
                } extra
            }
            example.net {
            }
            example.net {
                log
            }
            }
            10.0.0.0/33 {
                import
            }
            """;

        Assert.Equal(
            [
                $"Corefile:1 - {P}invalid port 'abc' in 'example.org:abc'",
                $"Corefile:4 - {P}unsupported transport 'foo' in 'foo://.' (expecting dns, tls, https, grpc or quic)",
                $"Corefile:7 - {P}Unexpected token 'extra' after the block of 'forward' - a block must end its line",
                $"Corefile:11 - {P}cannot serve dns://example.net.:53 - it is already defined",
                $"Corefile:14 - {P}Unexpected '}}' because no matching opening brace",
                $"Corefile:15 - {P}invalid CIDR 10.0.0.0/33",
                $"Corefile:16 - {P}Wrong argument count or unexpected line ending after 'import'",
            ],
            Errors(corefile));
    }

    [Fact]
    public void CorefileException_Message_HasOneErrorPerLine()
    {
        var e = Assert.Throws<CorefileException>(() => Parse("a:x {\n}\nb:y {\n}"));

        Assert.Equal(
            $"Corefile:1 - {P}invalid port 'x' in 'a:x'\nCorefile:3 - {P}invalid port 'y' in 'b:y'",
            e.Message);
        Assert.Equal(2, e.Errors.Count);
        Assert.All(e.Errors, static x => Assert.Null(x.Directive));
    }
}
