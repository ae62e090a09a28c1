using System.Collections.Immutable;
using System.Net;
using MeshDns.Plugins.Hosts;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Clusterset;

/// <summary>Which services of a member join the clusterset (<c>export</c>).</summary>
public enum ExportMode
{
    /// <summary>
    /// Services annotated <c>service.cilium.io/global: "true"</c> (Cilium ClusterMesh) or with an MCS ServiceExport of
    /// the same name and namespace (the default).
    /// </summary>
    Global,

    /// <summary>Every service.</summary>
    All,
}

/// <summary>How the members' endpoints make up one answer (<c>policy</c>, per-service overrides).</summary>
public enum TrafficPolicy
{
    /// <summary>Every member's addresses (MCS's default; FSM ActiveActive; Cilium affinity none).</summary>
    ActiveActive,

    /// <summary>The first member, in order, that has ready endpoints (FSM FailOver; Cilium affinity local/remote).</summary>
    Failover,

    /// <summary>Only the client's local member (FSM Locality); NXDOMAIN when it has no ready endpoints.</summary>
    Locality,
}

/// <summary>What a service name answers with (<c>answer</c>).</summary>
public enum AnswerMode
{
    /// <summary>Ready pod addresses, routable across a ClusterMesh-style flat network (the default).</summary>
    Endpoints,

    /// <summary>Each chosen member's ClusterIPs, for meshes that route ClusterIPs across clusters.</summary>
    ClusterIPs,
}

/// <summary>One <c>member NAME [local]</c> line: a cluster by the name its kubernetes/kubernetai stanza gives it.</summary>
/// <param name="Name">The cluster's name (<c>cluster NAME</c> of its stanza, or its first zone without the dot).</param>
/// <param name="ClusterId">The label naming it in <c>host.CLUSTERID.svc.ns.svc.zone</c>: the name in lower case, dots as dashes.</param>
/// <param name="IsLocal">Marked <c>local</c>: this server's own cluster.</param>
public sealed record ClustersetMember(string Name, string ClusterId, bool IsLocal);

/// <summary>A client source network that belongs to a member (<c>local_cidrs</c>).</summary>
public sealed record LocalNetwork(int Member, IPNetwork Network);

/// <summary>One <c>clusterset</c> stanza.</summary>
public sealed record ClustersetOptions
{
    public static readonly TimeSpan DefaultMaxStale = TimeSpan.FromMinutes(5);

    /// <summary>Zones answered, lower case, reverse zones included, in the order given.</summary>
    public required ImmutableArray<DnsName> Zones { get; init; }

    /// <summary>Members in failover order.</summary>
    public required ImmutableArray<ClustersetMember> Members { get; init; }

    public ExportMode Export { get; init; } = ExportMode.Global;

    public TrafficPolicy Policy { get; init; } = TrafficPolicy.ActiveActive;

    public AnswerMode Answer { get; init; } = AnswerMode.Endpoints;

    /// <summary>Client networks per member; the longest prefix holding the client's address picks its local member.</summary>
    public ImmutableArray<LocalNetwork> LocalNetworks { get; init; } = [];

    /// <summary>A member whose API server has been unreachable this long drops out of merged answers.</summary>
    public TimeSpan MaxStale { get; init; } = DefaultMaxStale;

    public uint Ttl { get; init; } = KubernetesOptions.DefaultTtl;

    public Fallthrough Fallthrough { get; init; } = Fallthrough.None;

    /// <summary>The server's own addresses, for the apex NS records (as the kubernetes plugin).</summary>
    public ImmutableArray<IPAddress> LocalAddresses { get; init; } = [];

    /// <summary>The member clients are local to when no <c>local_cidrs</c> network holds them: the one marked <c>local</c>, else the first.</summary>
    public int DefaultLocal
    {
        get
        {
            for (var i = 0; i < Members.Length; i++)
            {
                if (Members[i].IsLocal)
                {
                    return i;
                }
            }

            return 0;
        }
    }

    /// <summary>The first zone that is not a reverse zone: PTR targets live there.</summary>
    public DnsName PrimaryZone => Zones.First(z => !RecordNames.IsReverseZone(z));
}
