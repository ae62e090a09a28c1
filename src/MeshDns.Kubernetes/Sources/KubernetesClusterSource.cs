using System.Collections.Immutable;
using MeshDns.Kubernetes.Http;
using MeshDns.Kubernetes.Informers;
using MeshDns.Kubernetes.Snapshots;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Kubernetes;

/// <summary>Everything about one API-server cluster source.</summary>
public sealed record KubernetesClusterOptions
{
    /// <summary>The cluster's name (metrics label, logs).</summary>
    public required string Name { get; init; }

    public required KubernetesConnectionOptions Connection { get; init; }

    public InformerOptions Informers { get; init; } = InformerOptions.Default;

    public ClusterFilterOptions Filter { get; init; } = ClusterFilterOptions.None;

    public ApiServerLimits Limits { get; init; } = ApiServerLimits.Default;

    public ObjectTrimOptions Trim { get; init; } = ObjectTrimOptions.Default;

    /// <summary>Watch v1 Namespaces (needed for namespace_labels and for knowing which namespaces exist).</summary>
    public bool WatchNamespaces { get; init; } = true;

    /// <summary>Watch v1 Pods (CoreDNS <c>pods verified</c>); off by default: pods are many and churn.</summary>
    public bool WatchPods { get; init; }

    /// <summary>Watch multicluster.x-k8s.io/v1alpha1 ServiceExports; a cluster without the CRD reports it Absent.</summary>
    public bool WatchServiceExports { get; init; }

    /// <summary>Watch flomesh.io/v1alpha1 GlobalTrafficPolicies; a cluster without the CRD reports it Absent.</summary>
    public bool WatchGlobalTrafficPolicies { get; init; }

    /// <summary>Minimum time between two published snapshots while changes keep coming.</summary>
    public TimeSpan CoalesceInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// A cluster watched through its API server: one informer per resource kind feeding one snapshot store.
/// </summary>
public sealed class KubernetesClusterSource : IClusterSource
{
    private readonly KubernetesClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly KubernetesApiClient _client;
    private readonly ClusterStateStore _store;
    private readonly ImmutableArray<Informer> _informers;
    private readonly Lock _lifecycle = new();
    private readonly BackgroundLoops _loops = new();
    private bool _disposed;

    public KubernetesClusterSource(
        KubernetesClusterOptions options,
        ILoggerFactory? loggerFactory = null,
        IKubernetesMetricsSink? metrics = null,
        TimeProvider? timeProvider = null)
    {
        if (options.Filter.NamespaceLabels is not null && !options.WatchNamespaces)
        {
            throw new ArgumentException($"cluster {options.Name}: namespace_labels needs the namespace informer (WatchNamespaces)", nameof(options));
        }

        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        metrics ??= NullKubernetesMetricsSink.Instance;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("MeshDns.Kubernetes");
        _client = new KubernetesApiClient(options.Name, options.Connection, options.Limits, metrics, logger, _time);

        var pool = new StringPool();
        var types = new List<(ResourceType Type, string? Selector)>();
        if (options.WatchNamespaces)
        {
            types.Add((ResourceTypes.Namespaces(pool), options.Filter.NamespaceLabels?.ToString()));
        }

        var labels = options.Filter.Labels?.ToString();
        types.Add((ResourceTypes.Services(options.Trim, pool), labels));
        types.Add((ResourceTypes.EndpointSlices(pool), labels));
        if (options.WatchPods)
        {
            types.Add((ResourceTypes.Pods(pool), null));
        }

        if (options.WatchServiceExports)
        {
            types.Add((ResourceTypes.ServiceExports(pool), null));
        }

        if (options.WatchGlobalTrafficPolicies)
        {
            types.Add((ResourceTypes.GlobalTrafficPolicies(pool), null));
        }

        _store = new ClusterStateStore(options.Name, options.Filter, types.Select(t => t.Type.Kind), options.CoalesceInterval, _time, logger);
        _informers = [.. types.Select(t => new Informer(
            options.Name, t.Type, _client, _store, options.Informers, options.Filter.SingleNamespace, t.Selector, metrics, logger, _time))];
    }

    public string Name => _options.Name;

    public ClusterSnapshot Snapshot => _store.Snapshot;

    public bool HasSynced => _store.HasSynced;

    public ClusterSourceStatus Status
    {
        get
        {
            var snapshot = _store.Snapshot;
            var informers = _informers.Select(i => i.Status with { ObjectCount = snapshot.ObjectCount(i.Kind) }).ToImmutableArray();
            return ClusterSourceStatus.Aggregate(Name, informers, snapshot.HasSynced);
        }
    }

    /// <summary>
    /// GET /version: proves address, TLS trust and credentials. Throws with a clear reason (TLS chain, name, 401, ...).
    /// Call at start-up to fail fast; the informers retry forever on their own.
    /// </summary>
    public Task<string> ProbeAsync(CancellationToken cancellationToken) => _client.GetVersionAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _loops.TryStart([_store.RunAsync, .. _informers.Select(informer => (Func<CancellationToken, Task>)informer.RunAsync)]);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _loops.StopAsync(cancellationToken);

    public async Task<bool> WaitForSyncAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _store.SyncedTask.WaitAsync(timeout, _time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public IDisposable Subscribe(Action<ClusterChange> handler) => _store.Subscribe(handler);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _client.Dispose();
    }
}
