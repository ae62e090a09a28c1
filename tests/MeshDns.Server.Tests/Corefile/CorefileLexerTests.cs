using MeshDns.Server.Corefile;

namespace MeshDns.Server.Tests.Corefile;

public sealed class CorefileLexerTests
{
    /// <summary>Tokens as <c>text@line</c>, quoted ones in quotes; <c>|</c> separates tokens.</summary>
    private static string Lex(string text, CorefileErrorCollector? errors = null)
    {
        var segment = new Segment("Corefile", "/", new ImportChain("file:/Corefile", "Corefile", null));
        var tokens = CorefileLexer.Tokenize(text, segment, errors ?? new CorefileErrorCollector());
        return string.Join('|', tokens.Select(static t => (t.Token.Quoted ? $"\"{t.Text}\"" : t.Text) + "@" + t.Line));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("\n", "")]
    [InlineData(" \t\n", "")]
    [InlineData("a b c\nd e", "a@1|b@1|c@1|d@2|e@2")]
    [InlineData("\n\n  a\n\n\nb", "a@3|b@6")]
    [InlineData(".:53 {\n    whoami\n}", ".:53@1|{@1|whoami@2|}@3")]
    [InlineData("a{ b}", "a{@1|b}@1")]
    [InlineData("health {}", "health@1|{@1|}@1")]
    [InlineData("\"{}\" {}}", "\"{}\"@1|{}}@1")]
    [InlineData("a\r\nb\r\n", "a@1|b@2")]
    [InlineData("a\rb", "ab@1")]
    [InlineData("\uFEFFa", "a@1")]
    [InlineData("a\u00a0b\u2003c", "a@1|b@1|c@1")]
    public void Tokenize_Words_SplitOnWhitespaceWithLines(string text, string expected) =>
        Assert.Equal(expected, Lex(text));

    [Theory]
    [InlineData("# only a comment", "")]
    [InlineData("a # comment b\nc", "a@1|c@2")]
    [InlineData("a#comment\nb", "a@1|b@2")]
    [InlineData("\"a # not a comment\"", "\"a # not a comment\"@1")]
    [InlineData("#\"quote in comment\nb", "b@2")]
    [InlineData("a\n# x\n# y\nb", "a@1|b@4")]
    public void Tokenize_Comments_RunToEndOfLine(string text, string expected) =>
        Assert.Equal(expected, Lex(text));

    [Theory]
    [InlineData("\"a b\"", "\"a b\"@1")]
    [InlineData("\"\"", "\"\"@1")]
    [InlineData("x \"\" y", "x@1|\"\"@1|y@1")]
    [InlineData("\"say \\\"hi\\\"\"", "\"say \"hi\"\"@1")]
    [InlineData("\"a\\nb\"", "\"a\\nb\"@1")]
    [InlineData("\"a\\\\b\"", "\"a\\\\b\"@1")]
    [InlineData("\"a\"b", "\"a\"@1|b@1")]
    [InlineData("a\"b c\"", "a\"b@1|c\"@1")]
    [InlineData("\"{\" \"}\"", "\"{\"@1|\"}\"@1")]
    public void Tokenize_QuotedStrings_FollowCaddyEscapes(string text, string expected) =>
        Assert.Equal(expected, Lex(text));

    [Fact]
    public void Tokenize_MultiLineQuotedString_StartsAtOpeningLineAndCountsItsNewlines()
    {
        var segment = new Segment("Corefile", "/", new ImportChain("file:/Corefile", "Corefile", null));
        var tokens = CorefileLexer.Tokenize("a \"one\ntwo\r\nthree\" b\nc", segment, new CorefileErrorCollector());

        Assert.Equal(["a", "one\ntwo\r\nthree", "b", "c"], tokens.Select(static t => t.Text));
        Assert.Equal([1, 1, 3, 4], tokens.Select(static t => t.Line));
        Assert.Equal(3, tokens[1].EndLine);
    }

    [Fact]
    public void Tokenize_UnterminatedQuote_ReportsWhereItOpened()
    {
        var errors = new CorefileErrorCollector();

        Assert.Equal("a@1|\"b\nc\"@2", Lex("a\n\"b\nc", errors));
        Assert.Equal(
            ["Corefile:2 - Error during parsing: Unexpected EOF: quoted string is never closed"],
            errors.Errors.Select(static e => e.ToString()));
    }
}
