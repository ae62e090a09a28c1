using System.Collections.Immutable;
using MeshDns.Kubernetes.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Kubernetes;

/// <summary>
/// A cluster whose objects the caller sets directly: tests, benchmarks and embedders that already hold the objects.
/// The same store, filters, snapshots and <see cref="ClusterChange"/> notifications as the other sources; every
/// call publishes at once, on the caller's thread (subscribers run before the call returns).
/// </summary>
public sealed class InMemoryClusterSource : IClusterSource
{
    private static readonly ResourceKind[] Kinds = Enum.GetValues<ResourceKind>();

    private readonly ClusterStateStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset? _lastChange;

    public InMemoryClusterSource(string name, ClusterFilterOptions? filter = null, TimeProvider? timeProvider = null)
    {
        Name = name;
        _time = timeProvider ?? TimeProvider.System;
        _store = new ClusterStateStore(name, filter ?? ClusterFilterOptions.None, Kinds, TimeSpan.Zero, _time, NullLogger.Instance);
    }

    public string Name { get; }

    public ClusterSnapshot Snapshot => _store.Snapshot;

    public bool HasSynced => _store.HasSynced;

    public ClusterSourceStatus Status
    {
        get
        {
            var snapshot = _store.Snapshot;
            var state = snapshot.HasSynced ? SyncState.Synced : SyncState.NotStarted;
            var informers = Kinds.Select(k => new InformerStatus
            {
                Kind = k,
                Resource = "memory:" + k.ToString().ToLowerInvariant(),
                State = state,
                HasSynced = snapshot.HasSynced,
                LastEventTime = _lastChange,
                ObjectCount = snapshot.ObjectCount(k),
            }).ToImmutableArray();
            return ClusterSourceStatus.Aggregate(Name, informers, snapshot.HasSynced);
        }
    }

    /// <summary>Replaces every object of every kind (the first call makes the source synced).</summary>
    public void ReplaceAll(IEnumerable<IKubernetesObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var sets = Kinds.ToDictionary(k => k, _ => new List<IKubernetesObject>());
        foreach (var item in objects)
        {
            sets[KindOf(item)].Add(item);
        }

        lock (_gate)
        {
            _store.ReplaceMany(sets.ToDictionary(p => p.Key, p => (IReadOnlyList<IKubernetesObject>)p.Value));
            Publish();
        }
    }

    /// <summary>Adds or replaces objects (one snapshot for all of them).</summary>
    public void Upsert(params IKubernetesObject[] objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        lock (_gate)
        {
            foreach (var item in objects)
            {
                _store.Upsert(KindOf(item), item);
            }

            Publish();
        }
    }

    /// <summary>Removes an object.</summary>
    public void Delete(ResourceKind kind, ObjectKey key)
    {
        lock (_gate)
        {
            _store.Delete(kind, key);
            Publish();
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<bool> WaitForSyncAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _store.SyncedTask.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public IDisposable Subscribe(Action<ClusterChange> handler) => _store.Subscribe(handler);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The kind of a trimmed object by its type.</summary>
    public static ResourceKind KindOf(IKubernetesObject item) => item switch
    {
        NamespaceInfo => ResourceKind.Namespace,
        ServiceInfo => ResourceKind.Service,
        EndpointSliceInfo => ResourceKind.EndpointSlice,
        PodInfo => ResourceKind.Pod,
        ServiceExportInfo => ResourceKind.ServiceExport,
        GlobalTrafficPolicyInfo => ResourceKind.GlobalTrafficPolicy,
        _ => throw new ArgumentException($"unknown object type {item?.GetType().Name}", nameof(item)),
    };

    private void Publish()
    {
        _lastChange = _time.GetUtcNow();
        while (_store.DrainAndPublish())
        {
        }
    }
}
