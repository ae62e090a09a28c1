using System.Collections.Immutable;
using System.Net;

namespace MeshDns.Kubernetes;

/// <summary>One address of one endpoint, as found by IP: the slice and the endpoint (and so the service, if the slice names one).</summary>
public readonly record struct EndpointAddressRef(EndpointSliceInfo Slice, EndpointInfo Endpoint)
{
    public ObjectKey? Service => Slice.ServiceKey;
}

/// <summary>
/// An immutable view of one cluster: every object that passed the filters, and the indexes DNS looks things up by.
/// A source publishes a new snapshot with a single reference swap; readers take <see cref="IClusterSource.Snapshot"/>
/// once per query and never lock. Built on <see cref="SnapshotDictionary{TKey, TValue}"/>s, so one change among 10,000
/// objects copies one shard of each map it touches, not the cluster.
/// </summary>
public sealed class ClusterSnapshot
{
    internal ClusterSnapshot(
        string cluster,
        long version,
        bool hasSynced,
        DateTimeOffset createdAt,
        SnapshotDictionary<string, NamespaceInfo> namespaces,
        SnapshotDictionary<ObjectKey, ServiceInfo> services,
        SnapshotDictionary<ObjectKey, EndpointSliceInfo> endpointSlices,
        SnapshotDictionary<ObjectKey, PodInfo> pods,
        SnapshotDictionary<ObjectKey, ServiceExportInfo> serviceExports,
        SnapshotDictionary<ObjectKey, GlobalTrafficPolicyInfo> globalTrafficPolicies,
        SnapshotDictionary<ObjectKey, ImmutableArray<EndpointSliceInfo>> endpointSlicesByService,
        SnapshotDictionary<IPAddress, ImmutableArray<ServiceInfo>> servicesByClusterIP,
        SnapshotDictionary<IPAddress, ImmutableArray<EndpointAddressRef>> endpointsByIP,
        SnapshotDictionary<IPAddress, ImmutableArray<PodInfo>> podsByIP)
    {
        Cluster = cluster;
        Version = version;
        HasSynced = hasSynced;
        CreatedAt = createdAt;
        Namespaces = namespaces;
        Services = services;
        EndpointSlices = endpointSlices;
        Pods = pods;
        ServiceExports = serviceExports;
        GlobalTrafficPolicies = globalTrafficPolicies;
        EndpointSlicesByService = endpointSlicesByService;
        ServicesByClusterIP = servicesByClusterIP;
        EndpointsByIP = endpointsByIP;
        PodsByIP = podsByIP;
    }

    public static ClusterSnapshot Empty(string cluster) => new(
        cluster, 0, false, DateTimeOffset.MinValue,
        SnapshotDictionary<string, NamespaceInfo>.Create(StringComparer.Ordinal),
        SnapshotDictionary<ObjectKey, ServiceInfo>.Empty,
        SnapshotDictionary<ObjectKey, EndpointSliceInfo>.Empty,
        SnapshotDictionary<ObjectKey, PodInfo>.Empty,
        SnapshotDictionary<ObjectKey, ServiceExportInfo>.Empty,
        SnapshotDictionary<ObjectKey, GlobalTrafficPolicyInfo>.Empty,
        SnapshotDictionary<ObjectKey, ImmutableArray<EndpointSliceInfo>>.Empty,
        SnapshotDictionary<IPAddress, ImmutableArray<ServiceInfo>>.Empty,
        SnapshotDictionary<IPAddress, ImmutableArray<EndpointAddressRef>>.Empty,
        SnapshotDictionary<IPAddress, ImmutableArray<PodInfo>>.Empty);

    /// <summary>The cluster's name as configured.</summary>
    public string Cluster { get; }

    /// <summary>Increases by one with every published snapshot of this source.</summary>
    public long Version { get; }

    /// <summary>True once every informer of the source has completed its first list (and stays true).</summary>
    public bool HasSynced { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>Namespaces by name (only those that pass the namespace filters).</summary>
    public SnapshotDictionary<string, NamespaceInfo> Namespaces { get; }

    /// <summary>Services by (namespace, name).</summary>
    public SnapshotDictionary<ObjectKey, ServiceInfo> Services { get; }

    /// <summary>EndpointSlices by their own (namespace, name).</summary>
    public SnapshotDictionary<ObjectKey, EndpointSliceInfo> EndpointSlices { get; }

    /// <summary>Pods by (namespace, name); empty unless pods are watched.</summary>
    public SnapshotDictionary<ObjectKey, PodInfo> Pods { get; }

    /// <summary>ServiceExports by (namespace, name); empty unless watched.</summary>
    public SnapshotDictionary<ObjectKey, ServiceExportInfo> ServiceExports { get; }

    /// <summary>FSM GlobalTrafficPolicies by (namespace, name); empty unless watched.</summary>
    public SnapshotDictionary<ObjectKey, GlobalTrafficPolicyInfo> GlobalTrafficPolicies { get; }

    /// <summary>EndpointSlices by owning service (label <c>kubernetes.io/service-name</c>).</summary>
    public SnapshotDictionary<ObjectKey, ImmutableArray<EndpointSliceInfo>> EndpointSlicesByService { get; }

    /// <summary>Cluster IP → services (reverse lookups).</summary>
    public SnapshotDictionary<IPAddress, ImmutableArray<ServiceInfo>> ServicesByClusterIP { get; }

    /// <summary>Endpoint IP → (service, slice, endpoint) (reverse lookups).</summary>
    public SnapshotDictionary<IPAddress, ImmutableArray<EndpointAddressRef>> EndpointsByIP { get; }

    /// <summary>Pod IP → pods.</summary>
    public SnapshotDictionary<IPAddress, ImmutableArray<PodInfo>> PodsByIP { get; }

    public int ObjectCount(ResourceKind kind) => kind switch
    {
        ResourceKind.Namespace => Namespaces.Count,
        ResourceKind.Service => Services.Count,
        ResourceKind.EndpointSlice => EndpointSlices.Count,
        ResourceKind.Pod => Pods.Count,
        ResourceKind.ServiceExport => ServiceExports.Count,
        ResourceKind.GlobalTrafficPolicy => GlobalTrafficPolicies.Count,
        _ => 0,
    };

    public ServiceInfo? GetService(string ns, string name) => Services.GetValueOrDefault(new ObjectKey(ns, name));

    public NamespaceInfo? GetNamespace(string name) => Namespaces.GetValueOrDefault(name);

    public ImmutableArray<EndpointSliceInfo> GetEndpointSlices(string ns, string serviceName) =>
        EndpointSlicesByService.GetValueOrDefault(new ObjectKey(ns, serviceName), []);

    public ImmutableArray<ServiceInfo> GetServicesByClusterIP(IPAddress address) => ServicesByClusterIP.GetValueOrDefault(address, []);

    public ImmutableArray<EndpointAddressRef> GetEndpointsByIP(IPAddress address) => EndpointsByIP.GetValueOrDefault(address, []);

    public ImmutableArray<PodInfo> GetPodsByIP(IPAddress address) => PodsByIP.GetValueOrDefault(address, []);

    public override string ToString() =>
        $"ClusterSnapshot({Cluster} v{Version}: {Namespaces.Count} namespaces, {Services.Count} services, {EndpointSlices.Count} endpointslices, {Pods.Count} pods)";
}

/// <summary>How an object changed between two snapshots.</summary>
public enum ChangeType
{
    Added,
    Updated,
    Deleted,
}

/// <summary>One object that changed.</summary>
public readonly record struct ObjectChange(ResourceKind Kind, ObjectKey Key, ChangeType Type);

/// <summary>
/// What a published snapshot changed, relative to the one before it: every object added, updated or deleted (a burst
/// of events is coalesced, so an object appears once). Objects that appear or vanish because a namespace's labels
/// changed are reported as Added/Deleted too.
/// </summary>
public sealed record ClusterChange(ClusterSnapshot Snapshot, ClusterSnapshot Previous, ImmutableArray<ObjectChange> Changes)
{
    public bool Touches(ResourceKind kind) => Changes.Any(c => c.Kind == kind);
}
