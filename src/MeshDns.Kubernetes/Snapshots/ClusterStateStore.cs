using System.Collections.Immutable;
using System.Net;
using System.Threading.Channels;
using MeshDns.Kubernetes.Informers;
using Microsoft.Extensions.Logging;

namespace MeshDns.Kubernetes.Snapshots;

/// <summary>
/// Owns one cluster's objects. Informers (or the manifest reader) post changes; a single applier task applies them
/// to immutable-collection builders, and publishes a new <see cref="ClusterSnapshot"/> plus a <see cref="ClusterChange"/>.
/// Publishing is coalesced: the first change after a quiet spell is published at once, later ones at most once per
/// <c>coalesceInterval</c>, so a burst of 100 events makes a few snapshots, not 100.
/// </summary>
internal sealed class ClusterStateStore : IInformerSink
{
    private const int MaxBatch = 50_000;
    private const int ImmediatePublishes = 3;

    private readonly string _cluster;
    private readonly ClusterFilterOptions _filter;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _coalesceInterval;
    private readonly Channel<Delta> _channel = Channel.CreateUnbounded<Delta>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<ResourceKind> _expected;
    private readonly HashSet<ResourceKind> _replaced = [];
    private static readonly ResourceKind[] Kinds = [ResourceKind.Service, ResourceKind.EndpointSlice, ResourceKind.Pod, ResourceKind.ServiceExport, ResourceKind.GlobalTrafficPolicy];

    // Objects live once: visible ones only in the snapshot builders, the ones the namespace filters hide here.
    private readonly Dictionary<ResourceKind, Dictionary<ObjectKey, IKubernetesObject>> _hidden = [];
    private readonly Dictionary<string, NamespaceInfo> _allNamespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<(ResourceKind Kind, ObjectKey Key), ChangeType> _pending = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _subscribersLock = new();
    private ImmutableArray<Action<ClusterChange>> _subscribers = [];

    private readonly SnapshotDictionary<string, NamespaceInfo>.Builder _namespaces;
    private readonly SnapshotDictionary<ObjectKey, ServiceInfo>.Builder _services;
    private readonly SnapshotDictionary<ObjectKey, EndpointSliceInfo>.Builder _slices;
    private readonly SnapshotDictionary<ObjectKey, PodInfo>.Builder _pods;
    private readonly SnapshotDictionary<ObjectKey, ServiceExportInfo>.Builder _exports;
    private readonly SnapshotDictionary<ObjectKey, GlobalTrafficPolicyInfo>.Builder _trafficPolicies;
    private readonly SnapshotDictionary<ObjectKey, ImmutableArray<EndpointSliceInfo>>.Builder _slicesByService;
    private readonly SnapshotDictionary<IPAddress, ImmutableArray<ServiceInfo>>.Builder _servicesByIP;
    private readonly SnapshotDictionary<IPAddress, ImmutableArray<EndpointAddressRef>>.Builder _endpointsByIP;
    private readonly SnapshotDictionary<IPAddress, ImmutableArray<PodInfo>>.Builder _podsByIP;

    private volatile ClusterSnapshot _snapshot;
    private bool _hasSynced;

    public ClusterStateStore(string cluster, ClusterFilterOptions filter, IEnumerable<ResourceKind> expectedKinds, TimeSpan coalesceInterval, TimeProvider time, ILogger logger)
    {
        _cluster = cluster;
        _filter = filter;
        _time = time;
        _logger = logger;
        _coalesceInterval = coalesceInterval;
        _expected = [.. expectedKinds];
        foreach (var kind in Enum.GetValues<ResourceKind>())
        {
            _hidden[kind] = [];
        }

        _snapshot = ClusterSnapshot.Empty(cluster);
        _namespaces = _snapshot.Namespaces.ToBuilder();
        _services = _snapshot.Services.ToBuilder();
        _slices = _snapshot.EndpointSlices.ToBuilder();
        _pods = _snapshot.Pods.ToBuilder();
        _exports = _snapshot.ServiceExports.ToBuilder();
        _trafficPolicies = _snapshot.GlobalTrafficPolicies.ToBuilder();
        _slicesByService = _snapshot.EndpointSlicesByService.ToBuilder();
        _servicesByIP = _snapshot.ServicesByClusterIP.ToBuilder();
        _endpointsByIP = _snapshot.EndpointsByIP.ToBuilder();
        _podsByIP = _snapshot.PodsByIP.ToBuilder();
    }

    public ClusterSnapshot Snapshot => _snapshot;

    public bool HasSynced => _snapshot.HasSynced;

    public Task SyncedTask => _synced.Task;

    public IDisposable Subscribe(Action<ClusterChange> handler)
    {
        lock (_subscribersLock)
        {
            _subscribers = _subscribers.Add(handler);
        }

        return new Subscription(this, handler);
    }

    public void Replace(ResourceKind kind, IReadOnlyList<IKubernetesObject> items) => _channel.Writer.TryWrite(new Delta(DeltaType.Replace, kind, null, default, items));

    /// <summary>Replaces several kinds in one step, so no snapshot shows some kinds new and others old.</summary>
    public void ReplaceMany(IReadOnlyDictionary<ResourceKind, IReadOnlyList<IKubernetesObject>> sets) =>
        _channel.Writer.TryWrite(new Delta(DeltaType.ReplaceMany, default, null, default, null, sets));

    public void Upsert(ResourceKind kind, IKubernetesObject item) => _channel.Writer.TryWrite(new Delta(DeltaType.Upsert, kind, item, item.Key, null));

    public void Delete(ResourceKind kind, ObjectKey key) => _channel.Writer.TryWrite(new Delta(DeltaType.Delete, kind, null, key, null));

    /// <summary>
    /// The applier loop: runs until cancelled. Up to <see cref="ImmediatePublishes"/> snapshots may be published within
    /// one coalesce interval without waiting (a trickle of changes is never delayed); past that, the loop waits for the
    /// interval to pass and publishes everything that queued up meanwhile as one snapshot (a burst is coalesced).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _channel.Reader;
        var recent = new long[ImmediatePublishes];
        var next = 0;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                var oldest = recent[next];
                if (oldest != 0)
                {
                    var since = _time.GetElapsedTime(oldest);
                    if (since < _coalesceInterval)
                    {
                        await Task.Delay(_coalesceInterval - since, _time, cancellationToken);
                    }
                }

                if (DrainAndPublish())
                {
                    recent[next] = _time.GetTimestamp();
                    next = (next + 1) % recent.Length;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Applies what is queued (up to a batch) and publishes if anything changed. Only the applier (or a benchmark) calls this.</summary>
    internal bool DrainAndPublish()
    {
        var applied = 0;
        while (applied < MaxBatch && _channel.Reader.TryRead(out var delta))
        {
            Apply(delta);
            applied++;
        }

        return Publish();
    }

    private void Apply(Delta delta)
    {
        switch (delta.Type)
        {
            case DeltaType.Replace:
                ApplyReplace(delta.Kind, delta.Items!);
                break;
            case DeltaType.ReplaceMany:
                // Namespaces first, so namespace filters see the new namespaces when the other kinds arrive.
                foreach (var (kind, items) in delta.Sets!.OrderBy(p => p.Key == ResourceKind.Namespace ? 0 : 1))
                {
                    ApplyReplace(kind, items);
                }

                break;
            case DeltaType.Upsert:
                ApplyUpsert(delta.Kind, delta.Item!);
                break;
            case DeltaType.Delete:
                ApplyDelete(delta.Kind, delta.Key);
                break;
        }
    }

    private void ApplyReplace(ResourceKind kind, IReadOnlyList<IKubernetesObject> items)
    {
        var incoming = new Dictionary<ObjectKey, IKubernetesObject>(items.Count);
        foreach (var item in items)
        {
            incoming[item.Key] = item;
        }

        foreach (var key in CurrentKeys(kind).Where(k => !incoming.ContainsKey(k)).ToList())
        {
            ApplyDelete(kind, key);
        }

        foreach (var item in incoming.Values)
        {
            if (Current(kind, item.Key) is { } existing
                && existing.ResourceVersion.Length > 0
                && string.Equals(existing.ResourceVersion, item.ResourceVersion, StringComparison.Ordinal))
            {
                continue;
            }

            ApplyUpsert(kind, item);
        }

        _replaced.Add(kind);
    }

    /// <summary>The object as the store has it, visible or hidden by the namespace filters.</summary>
    private IKubernetesObject? Current(ResourceKind kind, ObjectKey key)
    {
        if (_hidden[kind].TryGetValue(key, out var hidden))
        {
            return hidden;
        }

        return kind switch
        {
            ResourceKind.Namespace => _allNamespaces.GetValueOrDefault(key.Name),
            ResourceKind.Service => _services.GetValueOrDefault(key),
            ResourceKind.EndpointSlice => _slices.GetValueOrDefault(key),
            ResourceKind.Pod => _pods.GetValueOrDefault(key),
            ResourceKind.ServiceExport => _exports.GetValueOrDefault(key),
            ResourceKind.GlobalTrafficPolicy => _trafficPolicies.GetValueOrDefault(key),
            _ => null,
        };
    }

    private IEnumerable<ObjectKey> CurrentKeys(ResourceKind kind)
    {
        IEnumerable<ObjectKey> visible = kind switch
        {
            ResourceKind.Namespace => _allNamespaces.Keys.Select(n => new ObjectKey(string.Empty, n)),
            ResourceKind.Service => _services.Keys,
            ResourceKind.EndpointSlice => _slices.Keys,
            ResourceKind.Pod => _pods.Keys,
            ResourceKind.ServiceExport => _exports.Keys,
            ResourceKind.GlobalTrafficPolicy => _trafficPolicies.Keys,
            _ => [],
        };
        return visible.Concat(_hidden[kind].Keys);
    }

    private void ApplyUpsert(ResourceKind kind, IKubernetesObject item)
    {
        if (kind == ResourceKind.Namespace)
        {
            var before = NamespaceVisible(item.Key.Name);
            _allNamespaces[item.Key.Name] = (NamespaceInfo)item;
            NamespaceChanged(item.Key.Name, before);
            return;
        }

        if (NamespaceVisible(item.Key.Namespace))
        {
            _hidden[kind].Remove(item.Key);
            SetVisible(kind, item);
        }
        else
        {
            // Kept out of the snapshot, but kept: the namespace may become visible later.
            _hidden[kind][item.Key] = item;
        }
    }

    private void ApplyDelete(ResourceKind kind, ObjectKey key)
    {
        if (kind == ResourceKind.Namespace)
        {
            var before = NamespaceVisible(key.Name);
            if (_allNamespaces.Remove(key.Name))
            {
                NamespaceChanged(key.Name, before);
            }

            return;
        }

        if (!_hidden[kind].Remove(key))
        {
            RemoveVisible(kind, key);
        }
    }

    private bool NamespaceVisible(string name)
    {
        if (_filter.Namespaces.Count > 0 && !_filter.Namespaces.Contains(name))
        {
            return false;
        }

        if (_filter.NamespaceLabels is { } selector)
        {
            return _allNamespaces.TryGetValue(name, out var ns) && selector.Matches(ns.Labels);
        }

        return true;
    }

    private void NamespaceChanged(string name, bool before)
    {
        var after = NamespaceVisible(name);
        var key = new ObjectKey(string.Empty, name);
        if (after && _allNamespaces.TryGetValue(name, out var ns))
        {
            Record(ResourceKind.Namespace, key, _namespaces.ContainsKey(name) ? ChangeType.Updated : ChangeType.Added);
            _namespaces[name] = ns;
        }
        else if (_namespaces.Remove(name))
        {
            Record(ResourceKind.Namespace, key, ChangeType.Deleted);
        }

        if (before == after)
        {
            return;
        }

        // The namespace's objects appear or vanish with it (namespace_labels). Rare, so a scan is fine.
        foreach (var kind in Kinds)
        {
            if (after)
            {
                var moving = _hidden[kind].Values.Where(o => o.Key.Namespace == name).ToList();
                foreach (var item in moving)
                {
                    _hidden[kind].Remove(item.Key);
                    SetVisible(kind, item);
                }
            }
            else
            {
                var moving = CurrentKeys(kind).Where(k => k.Namespace == name).Select(k => Current(kind, k)!).ToList();
                foreach (var item in moving)
                {
                    RemoveVisible(kind, item.Key);
                    _hidden[kind][item.Key] = item;
                }
            }
        }
    }

    private void SetVisible(ResourceKind kind, IKubernetesObject item)
    {
        var key = item.Key;
        bool existed;
        switch (item)
        {
            case ServiceInfo service:
                existed = _services.TryGetValue(key, out var oldService);
                if (existed)
                {
                    UnindexService(oldService!);
                }

                _services[key] = service;
                foreach (var ip in service.ClusterIPs)
                {
                    AddTo(_servicesByIP, ip, service);
                }

                break;
            case EndpointSliceInfo slice:
                existed = _slices.TryGetValue(key, out var oldSlice);
                if (existed)
                {
                    UnindexSlice(oldSlice!);
                }

                _slices[key] = slice;
                IndexSlice(slice);
                break;
            case PodInfo pod:
                existed = _pods.TryGetValue(key, out var oldPod);
                if (existed)
                {
                    UnindexPod(oldPod!);
                }

                _pods[key] = pod;
                foreach (var ip in pod.IPs)
                {
                    AddTo(_podsByIP, ip, pod);
                }

                break;
            case ServiceExportInfo export:
                existed = _exports.ContainsKey(key);
                _exports[key] = export;
                break;
            case GlobalTrafficPolicyInfo policy:
                existed = _trafficPolicies.ContainsKey(key);
                _trafficPolicies[key] = policy;
                break;
            default:
                return;
        }

        Record(kind, key, existed ? ChangeType.Updated : ChangeType.Added);
    }

    private void RemoveVisible(ResourceKind kind, ObjectKey key)
    {
        var removed = false;
        switch (kind)
        {
            case ResourceKind.Service when _services.TryGetValue(key, out var service):
                UnindexService(service);
                removed = _services.Remove(key);
                break;
            case ResourceKind.EndpointSlice when _slices.TryGetValue(key, out var slice):
                UnindexSlice(slice);
                removed = _slices.Remove(key);
                break;
            case ResourceKind.Pod when _pods.TryGetValue(key, out var pod):
                UnindexPod(pod);
                removed = _pods.Remove(key);
                break;
            case ResourceKind.ServiceExport:
                removed = _exports.Remove(key);
                break;
            case ResourceKind.GlobalTrafficPolicy:
                removed = _trafficPolicies.Remove(key);
                break;
        }

        if (removed)
        {
            Record(kind, key, ChangeType.Deleted);
        }
    }

    private void UnindexService(ServiceInfo service)
    {
        var key = service.Key;
        foreach (var ip in service.ClusterIPs)
        {
            RemoveFrom(_servicesByIP, ip, s => s.Key == key);
        }
    }

    private void IndexSlice(EndpointSliceInfo slice)
    {
        if (slice.ServiceKey is { } serviceKey)
        {
            AddTo(_slicesByService, serviceKey, slice);
        }

        foreach (var endpoint in slice.Endpoints)
        {
            foreach (var address in endpoint.Addresses)
            {
                AddTo(_endpointsByIP, address, new EndpointAddressRef(slice, endpoint));
            }
        }
    }

    private void UnindexSlice(EndpointSliceInfo slice)
    {
        var key = slice.Key;
        if (slice.ServiceKey is { } serviceKey)
        {
            RemoveFrom(_slicesByService, serviceKey, s => s.Key == key);
        }

        foreach (var endpoint in slice.Endpoints)
        {
            foreach (var address in endpoint.Addresses)
            {
                RemoveFrom(_endpointsByIP, address, r => r.Slice.Key == key);
            }
        }
    }

    private void UnindexPod(PodInfo pod)
    {
        var key = pod.Key;
        foreach (var ip in pod.IPs)
        {
            RemoveFrom(_podsByIP, ip, p => p.Key == key);
        }
    }

    private static void AddTo<TKey, T>(SnapshotDictionary<TKey, ImmutableArray<T>>.Builder index, TKey key, T value)
        where TKey : notnull =>
        index[key] = index.TryGetValue(key, out var existing) ? existing.Add(value) : [value];

    private static void RemoveFrom<TKey, T>(SnapshotDictionary<TKey, ImmutableArray<T>>.Builder index, TKey key, Predicate<T> match)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var existing))
        {
            return;
        }

        var remaining = existing.RemoveAll(match);
        if (remaining.IsEmpty)
        {
            index.Remove(key);
        }
        else if (remaining.Length != existing.Length)
        {
            index[key] = remaining;
        }
    }

    private void Record(ResourceKind kind, ObjectKey key, ChangeType type)
    {
        var id = (kind, key);
        if (!_pending.TryGetValue(id, out var earlier))
        {
            _pending[id] = type;
            return;
        }

        // Merge with what this batch already says about the object, as seen from the last published snapshot.
        ChangeType? merged = (earlier, type) switch
        {
            (ChangeType.Added, ChangeType.Deleted) => null,
            (ChangeType.Added, _) => ChangeType.Added,
            (ChangeType.Deleted, ChangeType.Added) => ChangeType.Updated,
            (_, ChangeType.Deleted) => ChangeType.Deleted,
            _ => ChangeType.Updated,
        };
        if (merged is { } value)
        {
            _pending[id] = value;
        }
        else
        {
            _pending.Remove(id);
        }
    }

    private bool Publish()
    {
        var nowSynced = _hasSynced || _expected.IsSubsetOf(_replaced);
        if (_pending.Count == 0 && nowSynced == _hasSynced)
        {
            return false;
        }

        var previous = _snapshot;
        var snapshot = new ClusterSnapshot(
            _cluster,
            previous.Version + 1,
            nowSynced,
            _time.GetUtcNow(),
            _namespaces.ToImmutable(),
            _services.ToImmutable(),
            _slices.ToImmutable(),
            _pods.ToImmutable(),
            _exports.ToImmutable(),
            _trafficPolicies.ToImmutable(),
            _slicesByService.ToImmutable(),
            _servicesByIP.ToImmutable(),
            _endpointsByIP.ToImmutable(),
            _podsByIP.ToImmutable());
        var changes = _pending.Select(p => new ObjectChange(p.Key.Kind, p.Key.Key, p.Value)).ToImmutableArray();
        _pending.Clear();
        ImmutableArray<Action<ClusterChange>> subscribers;
        lock (_subscribersLock)
        {
            // Swap and capture together: whoever subscribes, then reads Snapshot, either gets this change or sees its snapshot.
            _snapshot = snapshot;
            subscribers = _subscribers;
        }

        if (nowSynced && !_hasSynced)
        {
            _hasSynced = true;
            _synced.TrySetResult();
        }

        var change = new ClusterChange(snapshot, previous, changes);
        foreach (var subscriber in subscribers)
        {
            try
            {
                subscriber(change);
            }
            catch (Exception ex)
            {
                Log.SubscriberFailed(_logger, ex, _cluster);
            }
        }

        return true;
    }

    private void Unsubscribe(Action<ClusterChange> handler)
    {
        lock (_subscribersLock)
        {
            _subscribers = _subscribers.Remove(handler);
        }
    }

    private enum DeltaType
    {
        Replace,
        ReplaceMany,
        Upsert,
        Delete,
    }

    private sealed record Delta(
        DeltaType Type,
        ResourceKind Kind,
        IKubernetesObject? Item,
        ObjectKey Key,
        IReadOnlyList<IKubernetesObject>? Items,
        IReadOnlyDictionary<ResourceKind, IReadOnlyList<IKubernetesObject>>? Sets = null);

    private sealed class Subscription(ClusterStateStore store, Action<ClusterChange> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                store.Unsubscribe(handler);
            }
        }
    }
}
