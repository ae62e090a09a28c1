using System.Text.RegularExpressions;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Tests.Cache;

/// <summary>Every <c>~~~ corefile</c> block of the cache and rewrite READMEs builds with the real setups.</summary>
public sealed partial class ReadmeCorefileTests
{
    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var plugin in new[] { "cache", "rewrite" })
        {
            var count = CorefileBlocks(plugin).Count;
            Assert.True(count > 0, $"{plugin}/README.md has no corefile block");
            for (var i = 0; i < count; i++)
            {
                data.Add(plugin, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Readme_CorefileBlock_Builds(string plugin, int index)
    {
        var corefile = CorefileBlocks(plugin)[index];

        // Directives of plugins not in this build (forward) are accepted as they are; ours are set up for real.
        var known = PluginCatalog.All().Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var others = DirectiveName().Matches(corefile).Select(m => m.Groups[1].Value)
            .Where(name => PluginOrder.IndexOf(name) >= 0 && !known.Contains(name))
            .Distinct()
            .Select(name => new PermissiveSetup(name));

        var instance = CorefileHarness.Build(corefile, others);

        Assert.NotEmpty(instance.Blocks);
    }

    private static List<string> CorefileBlocks(string plugin)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "MeshDns.Plugins", plugin, "README.md"));
        return CorefileBlock().Matches(text).Select(m => m.Groups[1].Value).ToList();
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "MeshDns.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("MeshDns.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^~~~ corefile\n(.*?)^~~~", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CorefileBlock();

    [GeneratedRegex(@"^\s*([a-z0-9_]+)", RegexOptions.Multiline)]
    private static partial Regex DirectiveName();
}
