using System.Globalization;
using MeshDns.Kubernetes;
using MeshDns.Server.Hosting;
using MeshDns.Server.Plugins;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>
/// One <c>kubernetes</c>/<c>kubernetai</c> stanza at run time: its cluster source (shared through
/// <see cref="ClusterSourceRegistry"/>), the answer table built from it and swapped on every change, the names it
/// announces on <see cref="MeshDnsServices.NameChanges"/>, and its readiness.
/// </summary>
public sealed partial class ClusterAnswers : IReadinessReporter
{
    /// <summary>Above this many changed names, a change is announced as whole zones (cheaper for listeners).</summary>
    private const int MaxAnnouncedNames = 256;

    private readonly MeshDnsServices _services;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly AnswerTableBuilder _builder;
    private volatile AnswerTable _table;
    private ClusterSourceLease? _lease;
    private volatile IClusterSource? _source;
    private IDisposable? _subscription;
    private KubernetesMetricsBridge? _metrics;

    public ClusterAnswers(KubernetesOptions options, MeshDnsServices services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        Options = options;
        _services = services;
        _logger = services.LoggerFactory.CreateLogger("plugin/" + options.Directive);
        _builder = new AnswerTableBuilder(options, services.Time);
        _table = _builder.Table;
    }

    public KubernetesOptions Options { get; private set; }

    /// <summary>
    /// Asks for MCS ServiceExports and FSM GlobalTrafficPolicies to be watched too (a <c>clusterset</c> member). Only
    /// before <see cref="StartAsync"/>: the setting is part of what makes the shared source.
    /// </summary>
    public void WatchMulticlusterObjects()
    {
        if (_source is not null)
        {
            throw new InvalidOperationException($"cluster {Options.ClusterName} is already started");
        }

        Options = Options with { WatchMulticlusterObjects = true };
    }

    /// <summary>The answers now: one volatile read, take it once per query.</summary>
    public AnswerTable Table => _table;

    /// <summary>The cluster source, once started.</summary>
    public IClusterSource? Source => _source;

    public string ReadinessName => Options.ReadinessName;

    /// <summary>
    /// Takes (or shares) the cluster source, builds the first table, and waits up to <c>startup_timeout</c> for the
    /// first sync. A cluster that does not sync in time is logged and answered anyway (SERVFAIL for what would be
    /// NXDOMAIN until it syncs); only settings that cannot work (a missing kubeconfig, a bad manifests folder) throw.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        IClusterSource source;
        if (Options.Connection is ClusterConnection.Provided provided)
        {
            source = provided.Source;
            await source.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var registry = ClusterSourceRegistry.For(_services);
            _metrics = registry.Metrics;
            _lease = await registry.AcquireAsync(Options, cancellationToken).ConfigureAwait(false);
            source = _lease.Source;
        }

        lock (_gate)
        {
            _source = source;
            // Subscribe, then read the snapshot: a change is either delivered or already in the snapshot.
            _subscription = source.Subscribe(OnChange);
            Apply(_builder.Rebuild(source.Snapshot));
        }

        if (source.HasSynced)
        {
            return;
        }

        var started = _services.Time.GetTimestamp();
        if (await source.WaitForSyncAsync(Options.StartupTimeout, cancellationToken).ConfigureAwait(false))
        {
            // The sync is signalled before subscribers hear of it: make sure the table the listeners will use has it.
            CatchUp(source);
            var took = _services.Time.GetElapsedTime(started);
            LogSynced(_logger, Options.ClusterName, took.TotalSeconds);
        }
        else if (_logger.IsEnabled(LogLevel.Warning))
        {
            var error = source.Status.LastError ?? "no answer yet";
            LogNotSynced(_logger, Options.ClusterName, Options.StartupTimeout.TotalSeconds, error);
        }
    }

    /// <summary>Stops listening and lets go of the source (the last configuration using it stops it). Idempotent.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        IDisposable? subscription;
        ClusterSourceLease? lease;
        lock (_gate)
        {
            subscription = _subscription;
            lease = _lease;
            _subscription = null;
            _lease = null;
        }

        subscription?.Dispose();
        if (lease is not null)
        {
            await lease.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ReadinessStatus CheckReadiness()
    {
        if (_source is not { } source)
        {
            return new ReadinessStatus(false, "not started");
        }

        if (source.HasSynced)
        {
            return new ReadinessStatus(true);
        }

        var status = source.Status;
        var detail = string.Create(CultureInfo.InvariantCulture, $"cluster {Options.ClusterName}: {status.State}");
        if (status.LastEventTime is { } last)
        {
            detail += string.Create(CultureInfo.InvariantCulture, $", data age {(_services.Time.GetUtcNow() - last).TotalSeconds:0} s");
        }

        if (status.LastError is { } error)
        {
            detail += ", last error: " + error;
        }

        return new ReadinessStatus(false, detail);
    }

    private void CatchUp(IClusterSource source)
    {
        lock (_gate)
        {
            var snapshot = source.Snapshot;
            if (_subscription is not null && _builder.Table.SnapshotVersion < snapshot.Version)
            {
                Apply(_builder.Rebuild(snapshot));
            }
        }
    }

    private void OnChange(ClusterChange change)
    {
        lock (_gate)
        {
            if (_subscription is null)
            {
                return;
            }

            if (_builder.Apply(change) is { } update)
            {
                Apply(update);
            }
        }
    }

    private void Apply(TableUpdate update)
    {
        _table = update.Table;
        if (update.Changes is { } changes)
        {
            if (changes.Names.Count + changes.Subtrees.Count > MaxAnnouncedNames)
            {
                changes = new NameChange([], [.. Options.Zones]);
            }

            _services.NameChanges.Publish(changes);
        }

        if (_metrics is not null)
        {
            foreach (var delay in update.ProgrammingDelays)
            {
                _metrics.ObserveProgramming("headless_with_selector", delay);
            }
        }
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Cluster {Cluster} synced after {Seconds:0.00} s")]
    private static partial void LogSynced(ILogger logger, string cluster, double seconds);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "Cluster {Cluster} has not synced within startup_timeout ({Timeout} s): starting anyway, answering SERVFAIL instead of NXDOMAIN for its names until it does ({Error})")]
    private static partial void LogNotSynced(ILogger logger, string cluster, double timeout, string error);
}

/// <summary>
/// Starts every stanza of one configuration together, so clusters sync concurrently and the start waits for the
/// slowest only up to its <c>startup_timeout</c>; stops them all when the configuration is replaced.
/// </summary>
internal sealed class ClusterLifecycle
{
    private readonly List<ClusterAnswers> _clusters = [];

    public void Add(ClusterAnswers cluster) => _clusters.Add(cluster);

    public Task StartAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_clusters.Select(c => c.StartAsync(cancellationToken)));

    public Task StopAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_clusters.Select(c => c.StopAsync(cancellationToken)));
}
