using System.Collections.Immutable;

namespace MeshDns.Kubernetes;

/// <summary>Where an informer (or a whole cluster) is.</summary>
public enum SyncState
{
    NotStarted,

    /// <summary>Listing for the first time.</summary>
    Syncing,

    /// <summary>Listed and watching.</summary>
    Synced,

    /// <summary>The last request failed; retrying with backoff. The cache keeps what it had.</summary>
    Retrying,

    /// <summary>The API server does not serve this (optional) resource: the CRD is not installed.</summary>
    Absent,

    Stopped,
}

/// <summary>State of one informer. <see cref="HasSynced"/> stays true once the first list is in, whatever happens later.</summary>
public sealed record InformerStatus
{
    public required ResourceKind Kind { get; init; }

    /// <summary>The resource as RBAC names it: <c>services</c>, <c>endpointslices.discovery.k8s.io</c>, ...</summary>
    public required string Resource { get; init; }

    public SyncState State { get; init; } = SyncState.NotStarted;

    public bool HasSynced { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorTime { get; init; }

    /// <summary>When the last list completed or the last watch event (including bookmarks) arrived.</summary>
    public DateTimeOffset? LastEventTime { get; init; }

    public string? ResourceVersion { get; init; }

    public long WatchRestarts { get; init; }

    public long Relists { get; init; }

    /// <summary>Objects of this kind in the cluster's current snapshot (after filters).</summary>
    public int ObjectCount { get; init; }
}

/// <summary>State of a whole cluster source: the worst of its informers, and each of them.</summary>
public sealed record ClusterSourceStatus(
    string Cluster,
    SyncState State,
    bool HasSynced,
    string? LastError,
    DateTimeOffset? LastEventTime,
    ImmutableArray<InformerStatus> Informers)
{
    internal static ClusterSourceStatus Aggregate(string cluster, ImmutableArray<InformerStatus> informers, bool hasSynced)
    {
        var state = informers.IsEmpty || informers.All(i => i.State == SyncState.NotStarted) ? SyncState.NotStarted
            : informers.All(i => i.State == SyncState.Stopped) ? SyncState.Stopped
            : informers.Any(i => i.State == SyncState.Retrying) ? SyncState.Retrying
            : informers.All(i => i.State is SyncState.Synced or SyncState.Absent) ? SyncState.Synced
            : SyncState.Syncing;
        var lastError = informers.Where(i => i.State == SyncState.Retrying).Select(i => i.LastError).FirstOrDefault(e => e is not null);
        var lastEvent = informers.Max(i => i.LastEventTime);
        return new ClusterSourceStatus(cluster, state, hasSynced, lastError, lastEvent, informers);
    }
}
