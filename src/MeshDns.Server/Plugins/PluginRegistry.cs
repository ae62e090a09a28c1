using System.Collections.Frozen;

namespace MeshDns.Server.Plugins;

/// <summary>Sets up one directive: parses its arguments and block, reports errors, registers handlers and hooks.</summary>
public interface IPluginSetup
{
    /// <summary>The directive this setup handles (<c>forward</c>).</summary>
    string Name { get; }

    /// <summary>Called once for each occurrence of the directive in a server block, in chain order.</summary>
    void Setup(PluginSetupContext context);
}

/// <summary>The plugins compiled into this build, by directive name (CoreDNS's <c>-plugins</c> lists them).</summary>
public sealed class PluginRegistry
{
    private readonly FrozenDictionary<string, IPluginSetup> _setups;

    public PluginRegistry(IEnumerable<IPluginSetup> setups)
    {
        ArgumentNullException.ThrowIfNull(setups);
        var byName = new Dictionary<string, IPluginSetup>(StringComparer.Ordinal);
        foreach (var setup in setups)
        {
            if (PluginOrder.IndexOf(setup.Name) < 0)
            {
                throw new ArgumentException($"plugin '{setup.Name}' has no place in the plugin order", nameof(setups));
            }

            if (!byName.TryAdd(setup.Name, setup))
            {
                throw new ArgumentException($"plugin '{setup.Name}' is registered twice", nameof(setups));
            }
        }

        _setups = byName.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Directive names, in chain order.</summary>
    public IReadOnlyList<string> Names => PluginOrder.Directives.Where(_setups.ContainsKey).ToArray();

    public bool TryGet(string directive, out IPluginSetup setup) => _setups.TryGetValue(directive, out setup!);
}
