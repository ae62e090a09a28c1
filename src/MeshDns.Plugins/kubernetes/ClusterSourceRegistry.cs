using System.Globalization;
using System.Text;
using MeshDns.Kubernetes;
using MeshDns.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>
/// The cluster sources of the whole process, shared across configurations: a source is keyed by everything that
/// decides what it watches (connection, credentials files, filters, pods, limits), counted by the configurations
/// using it, started by the first and stopped when the last lets go. A reload that keeps a cluster's settings keeps
/// its source: no resync, no gap in answers.
/// </summary>
public sealed partial class ClusterSourceRegistry
{
    private const string SharedKey = "kubernetes/sources";
    private static readonly TimeSpan MonitorInterval = TimeSpan.FromSeconds(1);

    private readonly MeshDnsServices _services;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SharedSource> _sources = new(StringComparer.Ordinal);

    private ClusterSourceRegistry(MeshDnsServices services)
    {
        _services = services;
        Metrics = new KubernetesMetricsBridge(services.Metrics, services.Time, () => Sources);
    }

    /// <summary>Prometheus side of the sources' metrics (and DNS programming latency).</summary>
    public KubernetesMetricsBridge Metrics { get; }

    /// <summary>The sources alive now.</summary>
    public IReadOnlyList<IClusterSource> Sources
    {
        get
        {
            lock (_gate)
            {
                return [.. _sources.Values.Select(s => s.Source)];
            }
        }
    }

    /// <summary>The process's registry (created on first use).</summary>
    public static ClusterSourceRegistry For(MeshDnsServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return (ClusterSourceRegistry)services.ProcessShared.GetOrAdd(SharedKey, _ => new ClusterSourceRegistry(services));
    }

    /// <summary>
    /// The source for <paramref name="options"/>'s cluster, created and started when no configuration holds one with
    /// the same settings. Connection problems found while reading the settings (a missing kubeconfig, a bad
    /// certificate, a broken manifests folder) throw; an API server that does not answer does not.
    /// </summary>
    public async Task<ClusterSourceLease> AcquireAsync(KubernetesOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = Key(options);
        SharedSource shared;
        lock (_gate)
        {
            if (_sources.TryGetValue(key, out var existing))
            {
                existing.References++;
                shared = existing;
            }
            else
            {
                var source = Create(options);
                shared = new SharedSource(key, source, _services.LoggerFactory.CreateLogger("plugin/" + options.Directive));
                var connection = options.Connection.Describe();
                LogWatching(shared.Logger, options.ClusterName, connection);
                _sources[key] = shared;
                shared.Started = StartAsync(shared);
            }
        }

        try
        {
            await shared.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ReleaseAsync(shared).ConfigureAwait(false);
            throw;
        }

        return new ClusterSourceLease(this, shared);
    }

    internal async Task ReleaseAsync(SharedSource shared)
    {
        lock (_gate)
        {
            if (--shared.References > 0)
            {
                return;
            }

            _sources.Remove(shared.Key);
        }

        LogStopping(shared.Logger, shared.Source.Name);
        await shared.Monitor.CancelAsync().ConfigureAwait(false);
        try
        {
            await shared.Source.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await shared.Source.DisposeAsync().ConfigureAwait(false);
            shared.Monitor.Dispose();
        }
    }

    private async Task StartAsync(SharedSource shared)
    {
        await Task.Yield();
        try
        {
            await shared.Source.StartAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (KubeConfigException exception)
        {
            throw new InvalidOperationException($"cluster {shared.Source.Name}: {exception.Message}", exception);
        }

        _ = MonitorAsync(shared, shared.Monitor.Token);
    }

    private IClusterSource Create(KubernetesOptions options)
    {
        var filter = options.Filter;
        try
        {
            KubernetesConnectionOptions connection;
            switch (options.Connection)
            {
                case ClusterConnection.Manifests manifests:
                    if (!Directory.Exists(manifests.Directory))
                    {
                        throw new KubeConfigException($"manifests {manifests.Directory}: no such directory");
                    }

                    return new ManifestClusterSource(
                        new ManifestClusterOptions { Name = options.ClusterName, Directory = manifests.Directory, Filter = filter },
                        _services.LoggerFactory,
                        _services.Time);
                case ClusterConnection.KubeConfig kubeconfig:
                    connection = KubeConfigLoader.Load(kubeconfig.Paths, kubeconfig.Context);
                    break;
                case ClusterConnection.Endpoint endpoint:
                    connection = KubernetesConnectionOptions.FromEndpoint(endpoint.Url, endpoint.CertFile, endpoint.KeyFile, endpoint.CaFile);
                    break;
                case ClusterConnection.InCluster:
                    connection = InClusterConfig.Load();
                    break;
                default:
                    throw new InvalidOperationException($"{options.Connection.Describe()} cannot be shared");
            }

            return new KubernetesClusterSource(
                new KubernetesClusterOptions
                {
                    Name = options.ClusterName,
                    Connection = connection,
                    Filter = filter,
                    Limits = options.Limits,
                    WatchPods = options.Pods == PodMode.Verified,
                    WatchServiceExports = options.WatchMulticlusterObjects,
                    WatchGlobalTrafficPolicies = options.WatchMulticlusterObjects,
                },
                _services.LoggerFactory,
                Metrics,
                _services.Time);
        }
        catch (KubeConfigException exception)
        {
            throw new InvalidOperationException($"plugin/{options.Directive}: {exception.Message}", exception);
        }
    }

    /// <summary>Everything that decides what a source watches; files that hold credentials count with their modification time.</summary>
    internal static string Key(KubernetesOptions options)
    {
        var key = new StringBuilder();
        key.Append(options.Connection switch
        {
            ClusterConnection.Endpoint e => $"endpoint|{e.Url}|{Stamp(e.CertFile)}|{Stamp(e.KeyFile)}|{Stamp(e.CaFile)}",
            ClusterConnection.KubeConfig k => $"kubeconfig|{string.Join(':', KubeConfigLoader.SplitPathList(k.Paths).Select(Stamp))}|{k.Context}",
            ClusterConnection.Manifests m => $"manifests|{Path.GetFullPath(m.Directory)}",
            _ => "in-cluster",
        });
        var filter = options.Filter;
        key.Append("|ns=").AppendJoin(',', filter.Namespaces.Order(StringComparer.Ordinal))
            .Append("|nsl=").Append(filter.NamespaceLabels?.ToString())
            .Append("|l=").Append(filter.Labels?.ToString())
            .Append("|pods=").Append(options.Pods == PodMode.Verified)
            .Append("|mcs=").Append(options.WatchMulticlusterObjects)
            .Append("|limits=").Append(options.Limits.Qps.ToString(CultureInfo.InvariantCulture)).Append(',').Append(options.Limits.Burst).Append(',').Append(options.Limits.MaxInflight);
        return key.ToString();
    }

    private static string Stamp(string? path)
    {
        if (path is null)
        {
            return string.Empty;
        }

        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        return info.Exists ? $"{full}@{info.LastWriteTimeUtc.Ticks}/{info.Length}" : full;
    }

    /// <summary>Logs when a cluster becomes unreachable and when it is back, with the age of the data served meanwhile.</summary>
    private async Task MonitorAsync(SharedSource shared, CancellationToken cancellationToken)
    {
        var source = shared.Source;
        var reported = SyncState.NotStarted;
        var since = _services.Time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(MonitorInterval, _services.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var status = source.Status;
            var now = _services.Time.GetUtcNow();
            if (status.State == SyncState.Retrying && reported != SyncState.Retrying)
            {
                since = now;
                var age = status.LastEventTime is { } last ? (now - last).TotalSeconds : double.NaN;
                LogUnreachable(shared.Logger, source.Name, status.LastError ?? "unknown error", status.HasSynced ? $"serving the data of {age:0} s ago" : "not synced yet");
                reported = SyncState.Retrying;
            }
            else if (status.State == SyncState.Synced && reported == SyncState.Retrying)
            {
                LogRecovered(shared.Logger, source.Name, (now - since).TotalSeconds);
                reported = SyncState.Synced;
            }
            else if (status.State != SyncState.Retrying)
            {
                reported = status.State;
            }
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Cluster {Cluster}: the API server cannot be reached ({Error}); {Data}")]
    private static partial void LogUnreachable(ILogger logger, string cluster, string error, string data);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Cluster {Cluster}: the API server answers again after {Seconds:0.0} s")]
    private static partial void LogRecovered(ILogger logger, string cluster, double seconds);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Cluster {Cluster}: watching {Connection}")]
    private static partial void LogWatching(ILogger logger, string cluster, string connection);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Cluster {Cluster}: no configuration uses it any more; stopping its watches")]
    private static partial void LogStopping(ILogger logger, string cluster);

    internal sealed class SharedSource(string key, IClusterSource source, ILogger logger)
    {
        public string Key { get; } = key;

        /// <summary>Logs under the directive of the stanza that created the source (<c>plugin/kubernetai</c>).</summary>
        public ILogger Logger { get; } = logger;

        public IClusterSource Source { get; } = source;

        public int References { get; set; } = 1;

        public Task Started { get; set; } = Task.CompletedTask;

        public CancellationTokenSource Monitor { get; } = new();
    }
}

/// <summary>One configuration's hold on a shared cluster source; disposing it lets go (the last one stops the source).</summary>
public sealed class ClusterSourceLease : IAsyncDisposable
{
    private readonly ClusterSourceRegistry _registry;
    private readonly ClusterSourceRegistry.SharedSource _shared;
    private int _disposed;

    internal ClusterSourceLease(ClusterSourceRegistry registry, ClusterSourceRegistry.SharedSource shared)
    {
        _registry = registry;
        _shared = shared;
    }

    public IClusterSource Source => _shared.Source;

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? new ValueTask(_registry.ReleaseAsync(_shared)) : ValueTask.CompletedTask;
}
