using MeshDns.Server.Plugins;

namespace MeshDns.Plugins;

/// <summary>Every plugin compiled into MeshDns (what <c>meshdns -plugins</c> lists).</summary>
public static class PluginCatalog
{
    /// <summary>A fresh setup object for each plugin.</summary>
    public static IReadOnlyList<IPluginSetup> All() =>
    [
        new Whoami.WhoamiSetup(),
        new Forward.ForwardSetup(),
        new Loop.LoopSetup(),
    ];

    public static PluginRegistry CreateRegistry() => new(All());
}
