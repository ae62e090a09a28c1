using System.Collections.Immutable;
using System.Net;

namespace MeshDns.Kubernetes;

/// <summary>spec.type of a Service.</summary>
public enum ServiceType
{
    ClusterIP,
    NodePort,
    LoadBalancer,
    ExternalName,
}

/// <summary>A Service port: what SRV records need.</summary>
public sealed record ServicePortInfo(string? Name, string Protocol, int Port);

/// <summary>
/// The part of a v1 Service that DNS uses. <see cref="ClusterIPs"/> is empty for headless and ExternalName services
/// (the wire's <c>"None"</c> becomes <see cref="IsHeadless"/>).
/// </summary>
public sealed record ServiceInfo(
    string Namespace,
    string Name,
    ServiceType Type,
    ImmutableArray<IPAddress> ClusterIPs,
    bool IsHeadless,
    ImmutableArray<ServicePortInfo> Ports,
    string? ExternalName,
    ImmutableArray<string> ExternalAddresses,
    bool PublishNotReadyAddresses,
    ImmutableDictionary<string, string> Labels,
    ImmutableDictionary<string, string> Annotations,
    string ResourceVersion) : IKubernetesObject
{
    public ObjectKey Key => new(Namespace, Name);
}

/// <summary>addressType of an EndpointSlice.</summary>
public enum EndpointAddressType
{
    IPv4,
    IPv6,
    Fqdn,
}

/// <summary>A pod (or other object) an endpoint points at.</summary>
public sealed record EndpointTarget(string Kind, string Namespace, string Name);

/// <summary>
/// One endpoint of a slice. Conditions follow the API's rules for omitted values: a missing <c>ready</c> means ready,
/// a missing <c>serving</c> means the same as ready, a missing <c>terminating</c> means not terminating.
/// </summary>
public sealed record EndpointInfo(
    ImmutableArray<IPAddress> Addresses,
    string? Hostname,
    string? NodeName,
    string? Zone,
    EndpointTarget? TargetRef,
    bool Ready,
    bool Serving,
    bool Terminating);

/// <summary>A port of an EndpointSlice.</summary>
public sealed record EndpointPortInfo(string? Name, string Protocol, int Port, string? AppProtocol);

/// <summary>The part of a discovery.k8s.io/v1 EndpointSlice that DNS uses.</summary>
public sealed record EndpointSliceInfo(
    string Namespace,
    string Name,
    string? ServiceName,
    EndpointAddressType AddressType,
    ImmutableArray<EndpointInfo> Endpoints,
    ImmutableArray<EndpointPortInfo> Ports,
    string ResourceVersion) : IKubernetesObject
{
    public ObjectKey Key => new(Namespace, Name);

    /// <summary>The owning service's key (label <c>kubernetes.io/service-name</c>), if the slice names one.</summary>
    public ObjectKey? ServiceKey => ServiceName is null ? null : new ObjectKey(Namespace, ServiceName);

    /// <summary>
    /// When the change this slice reflects was triggered (annotation <c>endpoints.kubernetes.io/last-change-trigger-time</c>,
    /// set by the endpoint slice controller), for DNS programming latency; null when absent.
    /// </summary>
    public DateTimeOffset? LastChangeTriggerTime { get; init; }
}

/// <summary>A v1 Namespace: its name and labels (all of them: <c>namespace_labels</c> selects on them).</summary>
public sealed record NamespaceInfo(string Name, ImmutableDictionary<string, string> Labels, string ResourceVersion) : IKubernetesObject
{
    public ObjectKey Key => new(string.Empty, Name);
}

/// <summary>The part of a v1 Pod that DNS uses (pod records and <c>pods verified</c>).</summary>
public sealed record PodInfo(string Namespace, string Name, ImmutableArray<IPAddress> IPs, bool IsDeleting, string ResourceVersion) : IKubernetesObject
{
    public ObjectKey Key => new(Namespace, Name);
}

/// <summary>A multicluster.x-k8s.io/v1alpha1 ServiceExport: only its existence matters.</summary>
public sealed record ServiceExportInfo(string Namespace, string Name, string ResourceVersion) : IKubernetesObject
{
    public ObjectKey Key => new(Namespace, Name);
}

/// <summary>One target of a <see cref="GlobalTrafficPolicyInfo"/>: FSM's cluster key (<c>default/default/default/cluster-1</c>) and weight.</summary>
public sealed record TrafficTargetInfo(string ClusterKey, int? Weight)
{
    /// <summary>The cluster's name: the last segment of the cluster key.</summary>
    public string ClusterName => ClusterKey[(ClusterKey.LastIndexOf('/') + 1)..];
}

/// <summary>
/// A flomesh.io/v1alpha1 GlobalTrafficPolicy (Flomesh FSM): how clients in this cluster reach the service of the same
/// name and namespace across clusters. <see cref="LbType"/> is <c>Locality</c>, <c>FailOver</c> or <c>ActiveActive</c>
/// as written (empty when absent: FSM's default, Locality).
/// </summary>
public sealed record GlobalTrafficPolicyInfo(string Namespace, string Name, string LbType, ImmutableArray<TrafficTargetInfo> Targets, string ResourceVersion) : IKubernetesObject
{
    public ObjectKey Key => new(Namespace, Name);
}
