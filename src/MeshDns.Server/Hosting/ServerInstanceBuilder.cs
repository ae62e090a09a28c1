using System.Net;
using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;

namespace MeshDns.Server.Hosting;

/// <summary>
/// Turns a parsed Corefile into a <see cref="ServerInstance"/>: sets up every directive of every block in
/// CoreDNS's plugin order, builds each block's chain and groups blocks into listeners. Collects every error
/// before failing, so a user sees all of them at once.
/// </summary>
public sealed class ServerInstanceBuilder
{
    private readonly PluginRegistry _registry;

    public ServerInstanceBuilder(MeshDnsServices services, PluginRegistry registry)
    {
        Services = services;
        _registry = registry;
    }

    public MeshDnsServices Services { get; }

    internal CorefileErrorCollector Errors { get; private set; } = new();

    internal ServerInstance Instance { get; private set; } = null!;

    internal List<(Action Hook, Directive Directive)> AfterSetup { get; private set; } = [];

    /// <summary>Builds the instance; throws <see cref="CorefileException"/> listing every problem.</summary>
    public ServerInstance Build(CorefileDocument document, string corefileText)
    {
        ArgumentNullException.ThrowIfNull(document);
        Errors = new CorefileErrorCollector();
        AfterSetup = [];
        Instance = new ServerInstance(corefileText, document.SourceName);
        var blocks = new List<(ServerBlockSetup Setup, ServerBlockRuntime Runtime)>();
        var enabled = new List<(string, string, string)>();
        for (var index = 0; index < document.ServerBlocks.Count; index++)
        {
            var block = document.ServerBlocks[index];
            var setup = new ServerBlockSetup(block, index);
            foreach (var address in block.Addresses)
            {
                if (address.Transport != "dns")
                {
                    Errors.Add(block.Location, null, $"transport '{address.Transport}://' is not supported by MeshDns; use dns://");
                }
            }

            var handlers = new List<Func<DnsHandler, DnsHandler>>();
            var ordered = new List<(int Order, int Position, Directive Directive)>();
            for (var position = 0; position < block.Directives.Count; position++)
            {
                var directive = block.Directives[position];
                var order = PluginOrder.IndexOf(directive.Name);
                if (order < 0)
                {
                    Errors.Add(directive.NameToken, null, $"Unknown directive '{directive.Name}'");
                    continue;
                }

                if (!_registry.TryGet(directive.Name, out _))
                {
                    Errors.Add(directive.NameToken, directive.Name, "this CoreDNS plugin is not part of MeshDns; remove it or use MeshDns's equivalent (see README)");
                    continue;
                }

                ordered.Add((order, position, directive));
            }

            foreach (var (_, _, directive) in ordered.OrderBy(d => d.Order).ThenBy(d => d.Position))
            {
                _registry.TryGet(directive.Name, out var plugin);
                var context = new PluginSetupContext(this, setup, directive, handlers);
                try
                {
                    plugin.Setup(context);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    Errors.Add(directive.NameToken, directive.Name, exception.Message);
                }

                setup.SeenDirectives.Add(directive.Name);
            }

            DnsHandler chain = new ChainTerminator();
            for (var i = handlers.Count - 1; i >= 0; i--)
            {
                chain = handlers[i](chain);
            }

            var key = block.Addresses.Count > 0
                ? $"{block.Addresses[0].Transport}://{block.Addresses[0].Zone}:{block.Addresses[0].Port}"
                : "dns://.:" + Services.Options.DefaultPort;
            var plugins = ordered.OrderBy(d => d.Order).Select(d => d.Directive.Name).Distinct().ToArray();
            blocks.Add((setup, new ServerBlockRuntime(key, setup.Zones, chain, plugins)));
        }

        foreach (var (hook, directive) in AfterSetup)
        {
            try
            {
                hook();
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                Errors.Add(directive.NameToken, directive.Name, exception.Message);
            }
        }

        Instance.Listeners = PlanListeners(blocks, enabled);
        Instance.Blocks = blocks.Select(b => b.Runtime).ToArray();
        Instance.EnabledPlugins = enabled;
        Errors.ThrowIfAny();
        return Instance;
    }

    private List<ListenerPlan> PlanListeners(List<(ServerBlockSetup Setup, ServerBlockRuntime Runtime)> blocks, List<(string, string, string)> enabled)
    {
        // One listener per (transport, address, port); each routes to the blocks that asked for it.
        var groups = new Dictionary<(string Transport, IPAddress? Bind, int Port), List<(ServerBlockSetup Setup, ServerBlockRuntime Runtime, DnsName[] Zones)>>();
        foreach (var (setup, runtime) in blocks)
        {
            var binds = setup.BindAddresses.Count == 0 ? [null] : setup.BindAddresses.Distinct().Cast<IPAddress?>().ToArray();
            foreach (var byPort in setup.Block.Addresses.GroupBy(a => (a.Transport, a.Port)))
            {
                var zones = byPort.Select(a => DnsName.Parse(a.Zone).ToLowerInvariant()).Distinct().ToArray();
                foreach (var bind in binds)
                {
                    var key = (byPort.Key.Transport, bind, byPort.Key.Port);
                    if (!groups.TryGetValue(key, out var members))
                    {
                        groups[key] = members = [];
                    }

                    foreach (var zone in zones)
                    {
                        if (members.Any(m => m.Zones.Contains(zone)))
                        {
                            Errors.Add(setup.Block.Location, null, $"cannot serve {byPort.Key.Transport}://{zone}:{byPort.Key.Port} - it is already defined");
                        }
                    }

                    members.Add((setup, runtime, zones));
                    foreach (var plugin in runtime.Plugins)
                    {
                        foreach (var zone in zones)
                        {
                            enabled.Add((ListenerPlan.FormatServerAddress(byPort.Key.Transport, bind, byPort.Key.Port), zone.ToString(), plugin));
                        }
                    }
                }
            }
        }

        // A wildcard listener and a specific address on the same port cannot both bind.
        foreach (var wildcard in groups.Keys.Where(k => k.Bind is null))
        {
            foreach (var specific in groups.Keys.Where(k => k.Bind is not null && k.Port == wildcard.Port && k.Transport == wildcard.Transport))
            {
                var block = groups[specific][0].Setup.Block;
                Errors.Add(block.Location, "bind", $"port {specific.Port} is served on every address by another server block, so {specific.Bind} cannot be bound separately; add the same bind to both blocks");
            }
        }

        return groups.Select(g => new ListenerPlan(g.Key.Transport, g.Key.Bind, g.Key.Port,
                new ZoneRouter(g.Value.Select(m => new ServerBlockRuntime(m.Runtime.Key, m.Zones, m.Runtime.Chain, m.Runtime.Plugins)))))
            .ToList();
    }
}
