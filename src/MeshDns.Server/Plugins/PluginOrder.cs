using System.Collections.Frozen;

namespace MeshDns.Server.Plugins;

/// <summary>
/// The fixed order in which plugins run, whatever their order in the Corefile: CoreDNS's plugin.cfg (1.12),
/// with kubernetai placed right after kubernetes (as kubernetai's README asks) and MeshDns's clusterset after it.
/// </summary>
public static class PluginOrder
{
    /// <summary>Every directive CoreDNS knows, in execution order. MeshDns implements a subset; the rest are reported as unsupported.</summary>
    public static IReadOnlyList<string> Directives { get; } =
    [
        "root", "metadata", "geoip", "cancel", "tls", "timeouts", "multisocket", "reload", "nsid", "bufsize", "bind",
        "debug", "trace", "ready", "health", "pprof", "prometheus", "errors", "log", "dnstap", "local", "dns64", "acl",
        "any", "chaos", "loadbalance", "tsig", "cache", "rewrite", "header", "dnssec", "autopath", "minimal", "template",
        "transfer", "hosts", "route53", "azure", "clouddns", "k8s_external", "kubernetes", "kubernetai", "clusterset",
        "file", "auto", "secondary", "etcd", "loop", "forward", "grpc", "erratic", "whoami", "on", "sign", "view", "nomad",
    ];

    private static readonly FrozenDictionary<string, int> Positions =
        Directives.Select((name, index) => (name, index)).ToFrozenDictionary(p => p.name, p => p.index, StringComparer.Ordinal);

    /// <summary>The position of <paramref name="directive"/> in the chain, or -1 when CoreDNS does not know it.</summary>
    public static int IndexOf(string directive) => Positions.TryGetValue(directive, out var index) ? index : -1;
}
