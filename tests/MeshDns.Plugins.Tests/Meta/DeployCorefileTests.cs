using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Plugins.Tests.Meta;

/// <summary>
/// Every Corefile in a ConfigMap under deploy/ (MeshDns's own and the CoreDNS stub-domain examples) parses and sets
/// up with MeshDns's plugins, so the manifests users copy cannot drift from the code.
/// </summary>
public sealed class DeployCorefileTests
{
    public static TheoryData<string, string> Corefiles()
    {
        var root = ReadmeCorefileTests.RepositoryRoot();
        var data = new TheoryData<string, string>();
        foreach (var file in Directory.GetFiles(Path.Combine(root, "deploy"), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (ExtractCorefile(File.ReadAllLines(file)) is { } corefile)
            {
                data.Add(Path.GetRelativePath(root, file), corefile);
            }
        }

        return data;
    }

    [Fact]
    public void Corefiles_FoundInDeploy()
    {
        // Guards the extractor: finding nothing would make the theory vacuous.
        var files = Corefiles().Select(row => (string)row[0]).ToList();
        Assert.Contains(Path.Combine("deploy", "kubernetes", "configmap.yaml"), files);
        Assert.Contains(Path.Combine("deploy", "coredns", "coredns-stub-domains.yaml"), files);
    }

    [Theory]
    [MemberData(nameof(Corefiles))]
    public void Corefile_ParsesAndSetsUp(string file, string corefile)
    {
        var registry = PluginCatalog.CreateRegistry();
        var services = new MeshDnsServices(NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new ServerOptions());
        try
        {
            var document = CorefileParser.Parse(corefile, file + "#Corefile", new CorefileParseOptions { Environment = _ => null });
            new ServerInstanceBuilder(services, registry).Build(document, corefile);
        }
        catch (CorefileException exception)
        {
            Assert.Fail($"{file}:\n{exception.Message}");
        }
    }

    [Fact]
    public void ExtractCorefile_TakesTheIndentedLiteralBlock()
    {
        string[] lines = ["data:", "  Corefile: |", "    .:53 {", "", "        whoami", "    }", "  other: x"];

        Assert.Equal(".:53 {\n\n    whoami\n}\n", ExtractCorefile(lines));
    }

    /// <summary>The literal block under a <c>Corefile: |</c> key, dedented; null when the file has none.</summary>
    private static string? ExtractCorefile(string[] lines)
    {
        var start = Array.FindIndex(lines, l => l.TrimStart() == "Corefile: |");
        if (start < 0)
        {
            return null;
        }

        var keyIndent = lines[start].Length - lines[start].TrimStart().Length;
        var body = new List<string>();
        int? indent = null;
        for (var i = start + 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Trim().Length == 0)
            {
                body.Add(string.Empty);
                continue;
            }

            var lineIndent = line.Length - line.TrimStart().Length;
            if (lineIndent <= keyIndent)
            {
                break;
            }

            indent ??= lineIndent;
            body.Add(line[Math.Min(indent.Value, lineIndent)..]);
        }

        return string.Join('\n', body).TrimEnd('\n') + "\n";
    }
}
