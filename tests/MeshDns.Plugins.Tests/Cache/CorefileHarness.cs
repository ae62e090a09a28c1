using MeshDns.Server;
using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using MeshDns.Server.Plugins;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Plugins.Tests.Cache;

/// <summary>Builds a configuration from Corefile text with the real setups, as the server does at start-up.</summary>
internal static class CorefileHarness
{
    /// <summary>Builds <paramref name="corefile"/>; throws <see cref="CorefileException"/> with every error.</summary>
    public static ServerInstance Build(string corefile, IEnumerable<IPluginSetup>? extra = null)
    {
        var services = new MeshDnsServices(NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new ServerOptions { DefaultPort = 1053 });
        var registry = new PluginRegistry(PluginCatalog.All().Concat(extra ?? []));
        var document = CorefileParser.Parse(corefile, "Corefile", new CorefileParseOptions { DefaultPort = 1053 });
        return new ServerInstanceBuilder(services, registry).Build(document, corefile);
    }

    /// <summary>The error text of a Corefile that must fail to build.</summary>
    public static string Error(string corefile) => Assert.Throws<CorefileException>(() => Build(corefile)).Message;

    /// <summary>The first handler of the first block's chain, as <typeparamref name="T"/>.</summary>
    public static T FirstHandler<T>(string corefile)
        where T : DnsHandler => Assert.IsType<T>(Build(corefile).Blocks[0].Chain);
}

/// <summary>Accepts any arguments for a directive MeshDns does not have in this build (README examples name forward).</summary>
internal sealed class PermissiveSetup(string name) : IPluginSetup
{
    public string Name { get; } = name;

    public void Setup(PluginSetupContext context)
    {
    }
}
