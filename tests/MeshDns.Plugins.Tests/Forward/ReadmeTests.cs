using System.Text.RegularExpressions;
using MeshDns.Plugins.Forward;
using MeshDns.Plugins.Loop;
using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using MeshDns.Server.Plugins;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Plugins.Tests.Forward;

/// <summary>Every <c>~~~ corefile</c> block of the forward and loop READMEs is a configuration MeshDns accepts.</summary>
public sealed partial class ReadmeTests
{
    [Theory]
    [InlineData("forward")]
    [InlineData("loop")]
    public void Readme_CorefileBlocks_Build(string plugin)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "MeshDns.Plugins", plugin, "README.md"));
        var blocks = CorefileBlock().Matches(readme).Select(m => m.Groups[1].Value).ToArray();

        Assert.NotEmpty(blocks);
        foreach (var block in blocks)
        {
            var services = new MeshDnsServices(NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new ServerOptions());
            var builder = new ServerInstanceBuilder(services, new PluginRegistry([new ForwardSetup(), new LoopSetup()]));
            var exception = Record.Exception(() => builder.Build(CorefileParser.Parse(block, "README"), block));
            Assert.True(exception is null, $"{plugin}/README.md block does not build:\n{block}\n{exception?.Message}");
        }
    }

    [GeneratedRegex(@"~~~ corefile\n(.*?)~~~", RegexOptions.Singleline)]
    private static partial Regex CorefileBlock();

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MeshDns.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
