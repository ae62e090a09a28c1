using System.Collections.Immutable;
using System.Net;
using MeshDns.Kubernetes;
using MeshDns.Plugins.Hosts;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>CoreDNS's <c>pods</c> option.</summary>
public enum PodMode
{
    /// <summary>No pod records (the default): <c>*.ns.pod.zone</c> is NXDOMAIN.</summary>
    Disabled,

    /// <summary>Any <c>a-b-c-d.ns.pod.zone</c> in an existing namespace answers with that address, pod or not.</summary>
    Insecure,

    /// <summary>Only addresses of pods that exist in that namespace (pods are watched).</summary>
    Verified,
}

/// <summary>Where a cluster's objects come from.</summary>
public abstract record ClusterConnection
{
    private ClusterConnection()
    {
    }

    /// <summary>The service account of the pod MeshDns runs in (neither <c>endpoint</c> nor <c>kubeconfig</c> given).</summary>
    public sealed record InCluster : ClusterConnection
    {
        public override string Describe() => "in-cluster";
    }

    /// <summary><c>endpoint URL</c> with optional <c>tls CERT KEY CACERT</c>.</summary>
    public sealed record Endpoint(string Url, string? CertFile, string? KeyFile, string? CaFile) : ClusterConnection
    {
        public override string Describe() => "endpoint " + Url;
    }

    /// <summary><c>kubeconfig FILE [CONTEXT]</c> (FILE may be a <c>a:b</c> list).</summary>
    public sealed record KubeConfig(string Paths, string? Context) : ClusterConnection
    {
        public override string Describe() => Context is null ? "kubeconfig " + Paths : $"kubeconfig {Paths} context {Context}";
    }

    /// <summary>MeshDns extension <c>manifests DIR</c>: YAML files instead of an API server.</summary>
    public sealed record Manifests(string Directory) : ClusterConnection
    {
        public override string Describe() => "manifests " + Directory;
    }

    /// <summary>A test or embedding source handed over ready-made (never from a Corefile).</summary>
    public sealed record Provided(IClusterSource Source) : ClusterConnection
    {
        public override string Describe() => "provided " + Source.Name;
    }

    /// <summary>Short text for logs and errors.</summary>
    public abstract string Describe();
}

/// <summary>
/// One <c>kubernetes</c> or <c>kubernetai</c> stanza: the zones it answers, how records look, and which cluster
/// (connection and filters) they come from.
/// </summary>
public sealed record KubernetesOptions
{
    public const uint DefaultTtl = 5;

    /// <summary>The TXT record of <c>dns-version.zone</c> (Kubernetes DNS schema version).</summary>
    public const string SchemaVersion = "1.1.0";

    public static readonly TimeSpan DefaultStartupTimeout = TimeSpan.FromSeconds(5);

    /// <summary><c>kubernetes</c> or <c>kubernetai</c>.</summary>
    public string Directive { get; init; } = "kubernetes";

    /// <summary>Zones answered, lower case (reverse zones included), in the order given.</summary>
    public required ImmutableArray<DnsName> Zones { get; init; }

    /// <summary>
    /// The cluster's name in metrics, logs, readiness and <c>clusterset</c> members: MeshDns's <c>cluster NAME</c>
    /// option, else the first forward zone without its dot.
    /// </summary>
    public required string ClusterName { get; init; }

    /// <summary>True when the stanza set <c>cluster NAME</c>; a default name may be shared by different clusters.</summary>
    public bool ClusterNameSet { get; init; }

    /// <summary>
    /// Also watch MCS ServiceExports and FSM GlobalTrafficPolicies (set when a <c>clusterset</c> lists this cluster as a
    /// member; each is absent, not an error, where its CRD is not installed).
    /// </summary>
    public bool WatchMulticlusterObjects { get; init; }

    public ClusterConnection Connection { get; init; } = new ClusterConnection.InCluster();

    public ClusterFilterOptions Filter { get; init; } = ClusterFilterOptions.None;

    public ApiServerLimits Limits { get; init; } = ApiServerLimits.Default;

    public PodMode Pods { get; init; } = PodMode.Disabled;

    /// <summary><c>endpoint_pod_names</c>: an endpoint without hostname is named after its pod.</summary>
    public bool EndpointPodNames { get; init; }

    /// <summary><c>noendpoints</c>: endpoint slices are not used (headless services and endpoint names are NXDOMAIN).</summary>
    public bool NoEndpoints { get; init; }

    /// <summary><c>ignore empty_service</c>: a ClusterIP service without ready endpoints is NXDOMAIN.</summary>
    public bool IgnoreEmptyService { get; init; }

    public uint Ttl { get; init; } = DefaultTtl;

    public Fallthrough Fallthrough { get; init; } = Fallthrough.None;

    public TimeSpan StartupTimeout { get; init; } = DefaultStartupTimeout;

    /// <summary>
    /// The server's own non-loopback addresses (CoreDNS's bound IPs) for the apex NS record and <c>ns.dns.zone</c>;
    /// empty means NS answers NODATA, as CoreDNS does when bound to loopback only.
    /// </summary>
    public ImmutableArray<IPAddress> LocalAddresses { get; init; } = [];

    /// <summary>The first zone that is not a reverse zone: PTR targets live there.</summary>
    public DnsName PrimaryZone => Zones.First(z => !RecordNames.IsReverseZone(z));

    /// <summary>The readiness name: <c>kubernetes</c>, or <c>kubernetai/CLUSTER</c>.</summary>
    public string ReadinessName => Directive == "kubernetai" ? "kubernetai/" + ClusterName : Directive;
}
