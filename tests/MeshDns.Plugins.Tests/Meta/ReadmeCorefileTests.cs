using System.Runtime.CompilerServices;
using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Plugins.Tests.Meta;

/// <summary>
/// Every Corefile example in every plugin README must parse and set up with the full plugin catalog, so the
/// documentation cannot drift from the code. The rule (see docs/writing-plugins.md): a block fenced as
/// <c>~~~ corefile</c> or <c>```corefile</c> is a whole Corefile, unless its first word is a directive MeshDns
/// knows, in which case it is a fragment of a server block and is tested inside <c>. { ... }</c>.
/// Blocks fenced otherwise (<c>~~~ txt</c>: syntax summaries, log lines) are not tested.
/// </summary>
public sealed class ReadmeCorefileTests
{
    private static readonly string[] RequiredSections = ["## Name", "## Description", "## Syntax", "## Examples", "## Metrics"];

    public static TheoryData<string, int, string> Blocks()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var readme in Readmes())
        {
            foreach (var (line, text) in CorefileBlocks(File.ReadAllLines(readme)))
            {
                data.Add(Path.GetRelativePath(RepositoryRoot(), readme), line, text);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void CorefileBlock_ParsesAndSetsUp(string readme, int line, string block)
    {
        var registry = PluginCatalog.CreateRegistry();
        var firstWord = block.Split((char[])[' ', '\t', '\n', '{'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(w => !w.StartsWith('#')) ?? string.Empty;
        var corefile = registry.TryGet(firstWord, out _) ? $". {{\n{block}\n}}\n" : block;
        var services = new MeshDnsServices(NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new ServerOptions());

        try
        {
            var document = CorefileParser.Parse(corefile, $"{readme}:{line}", new CorefileParseOptions { Environment = _ => null });
            new ServerInstanceBuilder(services, registry).Build(document, corefile);
        }
        catch (CorefileException exception)
        {
            Assert.Fail($"{readme}, block at line {line}:\n{corefile}\n{exception.Message}");
        }
    }

    [Fact]
    public void Readmes_EveryPluginHasOneInCoreDnsShape()
    {
        var folders = Readmes().Select(r => Path.GetFileName(Path.GetDirectoryName(r)!)).ToHashSet(StringComparer.Ordinal);
        foreach (var plugin in PluginCatalog.All())
        {
            Assert.True(folders.Contains(plugin.Name), $"src/MeshDns.Plugins/{plugin.Name}/README.md is missing");
        }

        foreach (var readme in Readmes())
        {
            var lines = File.ReadAllLines(readme);
            Assert.True(lines[0] == "# " + Path.GetFileName(Path.GetDirectoryName(readme)), $"{readme} must start with '# <directive>'");
            var positions = RequiredSections.Select(s => Array.IndexOf(lines, s)).ToArray();
            Assert.True(positions.All(p => p > 0), $"{readme} needs the sections {string.Join(", ", RequiredSections)}");
        }
    }

    [Fact]
    public void Blocks_FoundInReadmes()
    {
        // Guards the extractor itself: a change that silently found nothing would make the theory vacuous.
        Assert.True(Blocks().Count >= 25);
        Assert.Contains(Blocks(), row => ((string)row[0]).EndsWith(Path.Combine("hosts", "README.md"), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("text\n~~~ corefile\n. {\n    whoami\n}\n~~~\n", 3, ". {\n    whoami\n}")]
    [InlineData("```corefile\nexample.org {\n}\n```\n", 2, "example.org {\n}")]
    [InlineData("~~~ txt\nlog\n~~~\n", 0, "")]
    [InlineData("~~~ Corefile\nhealth :0\n~~~\n", 2, "health :0")]
    public void CorefileBlocks_FencesAndInfoStrings(string markdown, int line, string text)
    {
        var blocks = CorefileBlocks(markdown.Split('\n'));

        if (line == 0)
        {
            Assert.Empty(blocks);
            return;
        }

        var block = Assert.Single(blocks);
        Assert.Equal(line, block.Line);
        Assert.Equal(text, block.Text);
    }

    /// <summary>Fenced blocks whose info string is <c>corefile</c>, with the line of their first content line.</summary>
    private static List<(int Line, string Text)> CorefileBlocks(string[] lines)
    {
        var blocks = new List<(int, string)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            if (!(trimmed.StartsWith("~~~", StringComparison.Ordinal) || trimmed.StartsWith("```", StringComparison.Ordinal)))
            {
                continue;
            }

            var fence = trimmed[..3];
            var info = trimmed.TrimStart(fence[0]).Trim();
            var end = Array.FindIndex(lines, i + 1, l => l.Trim().StartsWith(fence, StringComparison.Ordinal));
            if (end < 0)
            {
                break;
            }

            if (info.Equals("corefile", StringComparison.OrdinalIgnoreCase))
            {
                blocks.Add((i + 2, string.Join('\n', lines[(i + 1)..end])));
            }

            i = end;
        }

        return blocks;
    }

    private static IEnumerable<string> Readmes() =>
        Directory.GetDirectories(Path.Combine(RepositoryRoot(), "src", "MeshDns.Plugins"))
            .Select(d => Path.Combine(d, "README.md"))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal);

    internal static string RepositoryRoot([CallerFilePath] string source = "")
    {
        for (var directory = Path.GetDirectoryName(source); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "MeshDns.sln")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException("repository root (MeshDns.sln) not found above " + source);
    }
}
