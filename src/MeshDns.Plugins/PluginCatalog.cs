using MeshDns.Server.Plugins;

namespace MeshDns.Plugins;

/// <summary>Every plugin compiled into MeshDns (what <c>meshdns -plugins</c> lists).</summary>
public static class PluginCatalog
{
    /// <summary>A fresh setup object for each plugin.</summary>
    public static IReadOnlyList<IPluginSetup> All() =>
    [
        new Cache.CacheSetup(),
        new Rewrite.RewriteSetup(),
        new Whoami.WhoamiSetup(),
        new Errors.ErrorsSetup(),
        new Log.LogSetup(),
        new Health.HealthSetup(),
        new Ready.ReadySetup(),
        new Prometheus.PrometheusSetup(),
        new Reload.ReloadSetup(),
        new Bind.BindSetup(),
        new Hosts.HostsSetup(),
        new LoadBalance.LoadBalanceSetup(),
        new Forward.ForwardSetup(),
        new Loop.LoopSetup(),
        new Kubernetes.KubernetesSetup(),
        new Kubernetes.KubernetaiSetup(),
        new Clusterset.ClustersetSetup(),
    ];

    public static PluginRegistry CreateRegistry() => new(All());
}
