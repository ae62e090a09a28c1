using MeshDns.Server.Corefile;
using static MeshDns.Server.Tests.Corefile.CorefileTestSupport;

namespace MeshDns.Server.Tests.Corefile;

public sealed class CorefileImportTests : IDisposable
{
    private const string P = "Error during parsing: ";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private CorefileDocument ParseRoot(string text, IReadOnlyDictionary<string, string>? environment = null)
    {
        var root = _dir.Write("Corefile", text);
        return CorefileParser.ParseFile(root, Options(environment, baseDirectory: null) with { BaseDirectory = null });
    }

    private string[] RootErrors(string text)
    {
        var e = Assert.Throws<CorefileException>(() => ParseRoot(text));
        return e.Errors.Select(static x => x.ToString()).ToArray();
    }

    private string Root => Path.Combine(_dir.Path, "Corefile");

    [Fact]
    public void Import_FileInsideBlock_SplicesItsDirectivesWithTheirOwnFileAndLines()
    {
        var common = _dir.Write("common.conf", "# shared\nlog\nerrors {\n  consolidate 5m \".*\"\n}\n");

        var document = ParseRoot(".:53 {\n  whoami\n  import common.conf\n  cache 30\n}");

        Assert.Equal(".:53 @1\n  whoami @2\n  log @2\n  errors @3\n    consolidate 5m \".*\" @4\n  cache 30 @4", Dump(document));
        var directives = document.ServerBlocks[0].Directives;
        Assert.Equal(new SourceLocation(Root, 2), directives[0].Location);
        Assert.Equal(new SourceLocation(common, 2), directives[1].Location);
        Assert.Equal(new SourceLocation(common, 4), directives[2].Block[0].Location);
        Assert.Equal(new SourceLocation(Root, 4), directives[3].Location);
        Assert.Equal([common], document.ImportedFiles);
    }

    [Fact]
    public void Import_AtTopLevel_BringsWholeServerBlocks()
    {
        _dir.Write("zones/a.conf", "a.example {\n  whoami\n}\n");

        var document = ParseRoot("import zones/a.conf\nb.example {\n  log\n}");

        Assert.Equal("a.example @1\n  whoami @2\nb.example @2\n  log @3", Dump(document));
    }

    [Fact]
    public void Import_Glob_ImportsMatchesInSortedOrder()
    {
        _dir.Write("conf.d/20-b.conf", "b.example {\n}");
        _dir.Write("conf.d/10-a.conf", "a.example {\n}");
        _dir.Write("conf.d/30-c.conf", "c.example {\n}");
        _dir.Write("conf.d/readme.txt", "not a corefile {");

        var document = ParseRoot("import conf.d/*.conf");

        Assert.Equal(["a.example", "b.example", "c.example"], document.ServerBlocks.Select(static b => b.Keys[0]));
        Assert.Empty(document.Warnings);
    }

    [Fact]
    public void Import_GlobWithQuestionMarkAndWildcardDirectory_Matches()
    {
        _dir.Write("sites/one/zone.conf", "one.example {\n}");
        _dir.Write("sites/two/zone.conf", "two.example {\n}");
        _dir.Write("x1.conf", "x1.example {\n}");

        Assert.Equal(["one.example", "two.example"], ParseRoot("import sites/*/zone.conf").ServerBlocks.Select(static b => b.Keys[0]));
        Assert.Equal(["x1.example"], ParseRoot("import x?.conf").ServerBlocks.Select(static b => b.Keys[0]));
    }

    [Fact]
    public void Import_GlobMatchingNothing_IsAWarningNotAnError()
    {
        var document = ParseRoot(".:53 {\n  import missing.d/*\n  whoami\n}");

        Assert.Equal(".:53 @1\n  whoami @3", Dump(document));
        var warning = Assert.Single(document.Warnings);
        Assert.Equal($"{Root}:2 - Warning: No files matching import glob pattern: missing.d/*", warning.ToString());
    }

    [Fact]
    public void Import_MissingFile_IsAnErrorAndParsingContinues() =>
        Assert.Equal(
            [
                $"{Root}:2 - {P}File to import not found: missing.conf",
                $"{Root}:4 - {P}invalid port 'x' in 'b:x'",
            ],
            RootErrors(".:53 {\n  import missing.conf\n}\nb:x {\n}"));

    [Fact]
    public void Import_TooManyWildcardsOrClasses_IsRejectedLikeCaddy()
    {
        Assert.Equal(
            [$"{Root}:1 - {P}Glob pattern may only contain one wildcard (*), but has others: {Path.Combine(_dir.Path, "*", "*.conf")}"],
            RootErrors("import */*.conf"));
        Assert.Equal(
            [$"{Root}:1 - {P}Glob pattern may only contain one wildcard (*), but has others: {Path.Combine(_dir.Path, "[a-z].conf")}"],
            RootErrors("import [a-z].conf"));
        Assert.Equal([$"{Root}:1 - {P}Failed to use import pattern [a.conf: syntax error in pattern"], RootErrors("import [a.conf"));
    }

    [Fact]
    public void Import_Directory_IsAnError()
    {
        Directory.CreateDirectory(Path.Combine(_dir.Path, "sub"));

        Assert.Equal([$"{Root}:1 - {P}Could not import {Path.Combine(_dir.Path, "sub")}: is a directory"], RootErrors("import sub"));
    }

    [Fact]
    public void Import_Nested_ResolvesRelativeToTheImportingFile()
    {
        _dir.Write("a/first.conf", "import ../b/second.conf\nlog");
        var second = _dir.Write("b/second.conf", "import third.conf");
        var third = _dir.Write("b/third.conf", "whoami");

        var document = ParseRoot(".:53 {\n  import a/first.conf\n}");

        Assert.Equal(".:53 @1\n  whoami @1\n  log @2", Dump(document));
        Assert.Equal(third, document.ServerBlocks[0].Directives[0].Location.File);
        Assert.Equal(3, document.ImportedFiles.Count);
        Assert.Contains(second, document.ImportedFiles);
    }

    [Fact]
    public void Import_AbsolutePath_IsUsedAsIs()
    {
        var other = _dir.Write("elsewhere/x.conf", "whoami");

        Assert.Equal(".:53 @1\n  whoami @1", Dump(ParseRoot($".:53 {{\n  import {other}\n}}")));
    }

    [Fact]
    public void Import_SameFileTwice_IsFineAndKeepsLinesApart()
    {
        _dir.Write("one.conf", "log");

        var document = ParseRoot(".:53 {\n  import one.conf\n  import one.conf\n}");

        Assert.Equal(".:53 @1\n  log @1\n  log @1", Dump(document));
    }

    [Fact]
    public void Import_FileCycle_IsDetectedAndNamesThePath()
    {
        var a = _dir.Write("a.conf", "import b.conf");
        var b = _dir.Write("b.conf", "x\nimport a.conf");

        Assert.Equal(
            [$"{b}:2 - {P}import cycle detected: {Root} -> {a} -> {b} -> {a}"],
            RootErrors(".:53 {\n  import a.conf\n}"));
    }

    [Fact]
    public void Import_SelfThroughGlob_IsACycle()
    {
        var zone = _dir.Write("conf.d/zone.conf", "import *.conf");

        Assert.Equal(
            [$"{zone}:1 - {P}import cycle detected: {Root} -> {zone} -> {zone}"],
            RootErrors("import conf.d/*.conf"));
    }

    [Fact]
    public void Import_RootFromImportedFile_IsACycle()
    {
        var loop = _dir.Write("loop.conf", "import Corefile");

        Assert.Equal([$"{loop}:1 - {P}import cycle detected: {Root} -> {loop} -> {Root}"], RootErrors(".:53 {\n  import loop.conf\n}"));
    }

    [Fact]
    public void Import_ErrorInsideImportedFile_PointsIntoThatFile()
    {
        var bad = _dir.Write("bad.conf", "log\nforward . {\n  max_fails 3\n} trailing\nanswer \"open");

        Assert.Equal(
            [
                $"{bad}:5 - {P}Unexpected EOF: quoted string is never closed",
                $"{bad}:4 - {P}Unexpected token 'trailing' after the block of 'forward' - a block must end its line",
            ],
            RootErrors(".:53 {\n  import bad.conf\n}"));
    }

    [Fact]
    public void Import_PatternFromEnvironment_IsSubstituted()
    {
        _dir.Write("env.conf", "whoami");

        var document = ParseRoot(".:53 {\n  import {$PART}.conf\n}", new Dictionary<string, string> { ["PART"] = "env" });

        Assert.Equal(".:53 @1\n  whoami @1", Dump(document));
    }

    [Fact]
    public void Import_InsideNestedBlock_SplicesSubDirectives()
    {
        _dir.Write("props.conf", "prop1 1\nprop2 2");

        var document = ParseRoot(".:53 {\n  forward . 1.1.1.1 {\n    import props.conf\n    policy random\n  }\n}");

        Assert.Equal(".:53 @1\n  forward . 1.1.1.1 @2\n    prop1 1 @1\n    prop2 2 @2\n    policy random @4", Dump(document));
    }

    [Fact]
    public void Snippet_ImportedInBlocks_ExpandsEachTime()
    {
        var document = ParseRoot("(common) {\n  log\n  errors\n}\na.example {\n  import common\n}\nb.example {\n  import common\n  import common\n  whoami\n}");

        Assert.Equal(
            "a.example @5\n  log @2\n  errors @3\nb.example @8\n  log @2\n  errors @3\n  log @2\n  errors @3\n  whoami @11",
            Dump(document));
    }

    [Fact]
    public void Snippet_WithNestedBlockAndArgs_KeepsStructure()
    {
        var document = ParseRoot("(fwd) {\n  forward . 1.1.1.1 {\n    max_fails 3\n  }\n}\n.:53 { import fwd }");

        Assert.Equal(".:53 @6\n  forward . 1.1.1.1 @2\n    max_fails 3 @3", Dump(document));
    }

    [Fact]
    public void Snippet_DefinedInRootAndUsedFromImportedFile_Works()
    {
        _dir.Write("site.conf", "example.com {\n  import common\n}");

        var document = ParseRoot("(common) {\n  gzip foo\n}\nimport site.conf");

        Assert.Equal("example.com @1\n  gzip foo @2", Dump(document));
    }

    [Fact]
    public void Snippet_ImportingAFile_ResolvesRelativeToTheSnippetsFile()
    {
        _dir.Write("snippets/defs.conf", "(withfile) {\n  import inner.conf\n}");
        _dir.Write("snippets/inner.conf", "whoami");

        var document = ParseRoot("import snippets/defs.conf\n.:53 {\n  import withfile\n}");

        Assert.Equal(".:53 @2\n  whoami @1", Dump(document));
    }

    [Fact]
    public void Snippet_UsedBeforeDefinition_IsLookedUpAsAFile() =>
        Assert.Equal(
            [$"{Root}:2 - {P}File to import not found: later"],
            RootErrors(".:53 {\n  import later\n}\n(later) {\n  log\n}"));

    [Fact]
    public void Import_WordImportInArguments_IsNotAnImport()
    {
        var file = _dir.Write("auth.conf", "example.com {\n  basicauth / import password\n}");

        var document = ParseRoot($"import {file}");

        Assert.Equal(["/", "import", "password"], document.ServerBlocks[0].Directives[0].ArgValues);
    }

    [Fact]
    public void Import_GlobOverManyFiles_IsNotLimitedByDepthCaps()
    {
        for (var i = 0; i < 100; i++)
        {
            _dir.Write($"many/{i:D3}.conf", "");
        }

        Assert.Empty(ParseRoot("import many/*").ServerBlocks);
    }

    [Fact]
    public void Import_SnippetFanOut_StopsAtTheImportLimit()
    {
        // Ten-fold fan-out over six levels would be a million expansions.
        var text = "(l0) {\n  x\n}\n" + string.Join('\n', Enumerable.Range(1, 6).Select(static i =>
            $"(l{i}) {{\n" + string.Concat(Enumerable.Repeat($"  import l{i - 1}\n", 10)) + "}")) + "\n.:53 {\n  import l6\n}";

        var errors = RootErrors(text);

        Assert.Single(errors);
        Assert.EndsWith($"{P}more than 10000 imports; is a snippet imported many times over?", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void ParseFile_Missing_ThrowsCorefileException()
    {
        var missing = Path.Combine(_dir.Path, "nope", "Corefile");

        var e = Assert.Throws<CorefileException>(() => CorefileParser.ParseFile(missing, Options()));

        Assert.StartsWith($"{missing}:0 - {P}Could not read {missing}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_FromSuppliedFileSystem_NeedsNoDisk()
    {
        var files = new InMemoryFileSystem(new Dictionary<string, string>
        {
            ["/etc/coredns/Corefile"] = ".:53 {\n  import conf.d/*.conf\n}",
            ["/etc/coredns/conf.d/b.conf"] = "log",
            ["/etc/coredns/conf.d/a.conf"] = "whoami",
        });

        var document = CorefileParser.ParseFile("/etc/coredns/Corefile", new CorefileParseOptions { FileSystem = files });

        Assert.Equal(".:53 @1\n  whoami @1\n  log @1", Dump(document));
        Assert.Equal(["/etc/coredns/conf.d/a.conf", "/etc/coredns/conf.d/b.conf"], document.ImportedFiles);
        Assert.Equal("/etc/coredns/conf.d/a.conf", document.ServerBlocks[0].Directives[0].Location.File);
    }

    [Fact]
    public void Parse_WithBaseDirectory_ResolvesImportsThere()
    {
        _dir.Write("inc.conf", "whoami");

        var document = CorefileParser.Parse(".:53 {\n  import inc.conf\n}", "Corefile", Options(baseDirectory: _dir.Path));

        Assert.Equal(".:53 @1\n  whoami @1", Dump(document));
    }
}
