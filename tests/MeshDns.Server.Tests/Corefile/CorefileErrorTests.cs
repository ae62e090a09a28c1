using MeshDns.Server.Corefile;
using static MeshDns.Server.Tests.Corefile.CorefileTestSupport;

namespace MeshDns.Server.Tests.Corefile;

/// <summary>Error texts and the collector plugins use during setup.</summary>
public sealed class CorefileErrorTests
{
    private static readonly SourceLocation At12 = new("Corefile", 12);

    [Fact]
    public void CorefileError_WithDirective_PrintsPluginPrefix() =>
        Assert.Equal("Corefile:12 - plugin/health: bad address", new CorefileError(At12, "health", "bad address").ToString());

    [Fact]
    public void CorefileError_WithoutDirective_PrintsCaddyParsingPrefix() =>
        Assert.Equal("Corefile:12 - Error during parsing: Unexpected EOF", new CorefileError(At12, null, "Unexpected EOF").ToString());

    [Fact]
    public void CorefileWarning_PrintsLocation() =>
        Assert.Equal("Corefile:12 - Warning: careful", new CorefileWarning(At12, "careful").ToString());

    [Fact]
    public void SourceLocation_ToString_IsFileColonLine() =>
        Assert.Equal("/etc/coredns/Corefile:3", new SourceLocation("/etc/coredns/Corefile", 3).ToString());

    [Theory]
    [InlineData("forward", "Wrong argument count or unexpected line ending after 'forward'")]
    [InlineData("{", "Unexpected token '{', expecting argument")]
    public void ArgErr_MatchesCaddyText(string after, string expected) =>
        Assert.Equal(expected, CorefileMessages.ArgErr(after));

    [Fact]
    public void Messages_UnknownPropertyAndDirective_MatchCoreDnsTexts()
    {
        Assert.Equal("unknown property 'max_fail'", CorefileMessages.UnknownProperty("max_fail"));
        Assert.Equal("Unknown directive 'lgo'", CorefileMessages.UnknownDirective("lgo"));
    }

    [Fact]
    public void Collector_PluginStyleErrors_AreGatheredAndThrownTogether()
    {
        var block = Parse(".:53 {\n  health a b\n  forward . 1.1.1.1 {\n    max_fail 3\n  }\n  cache\n}").ServerBlocks[0];
        var errors = new CorefileErrorCollector();
        Assert.False(errors.HasErrors);
        errors.ThrowIfAny();

        errors.AddArgErr("health", block.Directives[0].Args[1]);
        errors.AddUnknownProperty("forward", block.Directives[1].Block[0]);
        errors.AddArgErr("cache", block.Directives[2]);
        errors.Add(block.Directives[1].Args[1], "forward", "not an upstream");
        errors.Add(new SourceLocation("Corefile", 1), null, "custom");

        Assert.True(errors.HasErrors);
        var e = Assert.Throws<CorefileException>(errors.ThrowIfAny);
        Assert.Equal(
            [
                "Corefile:2 - plugin/health: Wrong argument count or unexpected line ending after 'b'",
                "Corefile:4 - plugin/forward: unknown property 'max_fail'",
                "Corefile:6 - plugin/cache: Wrong argument count or unexpected line ending after 'cache'",
                "Corefile:3 - plugin/forward: not an upstream",
                "Corefile:1 - Error during parsing: custom",
            ],
            e.Errors.Select(static x => x.ToString()));
        Assert.Equal(string.Join('\n', e.Errors), e.Message);
        Assert.Equal("forward", e.Errors[1].Directive);
    }

    [Fact]
    public void Collector_Errors_AreASnapshotForTheException()
    {
        var errors = new CorefileErrorCollector();
        errors.Add(At12, "log", "first");
        var e = Assert.Throws<CorefileException>(errors.ThrowIfAny);

        errors.Add(At12, "log", "second");

        Assert.Single(e.Errors);
        Assert.Equal(2, errors.Errors.Count);
    }

    [Fact]
    public void Parse_UnbracedBlock_SwallowsWhatLooksLikeASecondBlock()
    {
        // Caddy's rule: without braces the block runs to the end of input, so a later "block" is a directive.
        var document = Parse("example.org\nwhoami\nexample.net {\n  log\n}");
        Assert.Equal("example.org @1\n  whoami @2\n  example.net @3\n    log @4", Dump(document));

        var options = Options() with { KnownDirectives = new HashSet<string> { "whoami", "log" } };
        var e = Assert.Throws<CorefileException>(() =>
            CorefileParser.Parse("example.org\nwhoami\nexample.net {\n  log\n}", "Corefile", options));
        Assert.Equal(["Corefile:3 - Error during parsing: Unknown directive 'example.net'"], e.Errors.Select(static x => x.ToString()));
    }
}
