using MeshDns.Kubernetes;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using MeshDns.Server.Plugins;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Clusterset;

/// <summary>
/// One <c>clusterset</c> stanza at run time: holds the members' cluster sources (shared with their kubernetes/kubernetai
/// stanzas through <see cref="ClusterSourceRegistry"/>), rebuilds the merged tables on every member change, announces
/// changed names on <see cref="MeshDnsServices.NameChanges"/>, and drops members whose API server has been unreachable
/// longer than <c>max_stale</c> (and takes them back), with a log line and the
/// <c>meshdns_clusterset_member_stale</c> gauge.
/// </summary>
public sealed partial class ClustersetAnswers : IReadinessReporter
{
    /// <summary>The informers whose health says whether a member's answers are current.</summary>
    private static readonly ResourceKind[] CoreKinds = [ResourceKind.Namespace, ResourceKind.Service, ResourceKind.EndpointSlice];

    private readonly MeshDnsServices _services;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly ClustersetTableBuilder _builder;
    private readonly Gauge _staleGauge;
    private readonly string _zoneLabel;
    private volatile AnswerTable[] _tables;
    private Member[] _members = [];
    private ITimer? _monitor;
    private bool _running;

    public ClustersetAnswers(ClustersetOptions options, MeshDnsServices services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        Options = options;
        _services = services;
        _logger = services.LoggerFactory.CreateLogger("plugin/clusterset");
        _builder = new ClustersetTableBuilder(options, services.Time);
        _tables = _builder.Tables;
        _zoneLabel = options.PrimaryZone.ToString();
        _staleGauge = services.Metrics.Gauge(
            "meshdns_clusterset_member_stale",
            "1 while a clusterset member's data is older than max_stale (its API server unreachable) and it is left out of merged answers.",
            "zone", "member");
        foreach (var member in options.Members)
        {
            _staleGauge.WithLabels(_zoneLabel, member.Name).Set(0);
        }
    }

    public ClustersetOptions Options { get; }

    /// <summary>The merged answers now, one table per client-local member: one volatile read, take it once per query.</summary>
    public AnswerTable[] Tables => _tables;

    public string ReadinessName => "clusterset/" + _zoneLabel.TrimEnd('.');

    /// <summary>Members that are past <c>max_stale</c> now (tests, diagnostics).</summary>
    public IReadOnlyList<string> StaleMembers
    {
        get
        {
            lock (_gate)
            {
                return [.. _members.Where(m => m.Stale).Select(m => m.Definition.Name)];
            }
        }
    }

    /// <summary>Attaches the members' stanzas (found once every block is set up), in member order.</summary>
    public void Bind(IReadOnlyList<ClusterAnswers> clusters)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        _members = [.. clusters.Select((c, i) => new Member(i, Options.Members[i], c))];
    }

    /// <summary>Takes (or shares) every member's source, builds the tables, waits for the members' first sync and starts the staleness watch.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var registry = ClusterSourceRegistry.For(_services);
        foreach (var member in _members)
        {
            var options = member.Stanza.Options;
            if (options.Connection is ClusterConnection.Provided provided)
            {
                member.Source = provided.Source;
                await provided.Source.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                member.Lease = await registry.AcquireAsync(options, cancellationToken).ConfigureAwait(false);
                member.Source = member.Lease.Source;
            }
        }

        lock (_gate)
        {
            _running = true;
            foreach (var member in _members)
            {
                // Subscribe, then read the snapshot: a change is either delivered or already in the snapshot.
                var index = member.Index;
                member.Subscription = member.Source!.Subscribe(change => OnChange(index, change));
                member.Snapshot = member.Source.Snapshot;
            }

            Apply(_builder.Rebuild(Data()));
        }

        await Task.WhenAll(_members.Select(m => m.Source!.WaitForSyncAsync(m.Stanza.Options.StartupTimeout, cancellationToken))).ConfigureAwait(false);
        CatchUp();
        var period = TimeSpan.FromTicks(Math.Clamp(Options.MaxStale.Ticks / 5, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _monitor = _services.Time.CreateTimer(_ => CheckStaleness(), null, period, period);
    }

    /// <summary>Stops listening and lets go of the sources. Idempotent.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        ITimer? monitor;
        lock (_gate)
        {
            _running = false;
            monitor = _monitor;
            _monitor = null;
            foreach (var member in _members)
            {
                member.Subscription?.Dispose();
                member.Subscription = null;
            }
        }

        if (monitor is not null)
        {
            await monitor.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var member in _members)
        {
            if (member.Lease is { } lease)
            {
                member.Lease = null;
                await lease.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public ReadinessStatus CheckReadiness()
    {
        lock (_gate)
        {
            if (!_running)
            {
                return new ReadinessStatus(false, "not started");
            }

            var waiting = _members.Where(m => !m.Stale && !m.Snapshot.HasSynced).Select(m => m.Definition.Name).ToList();
            return waiting.Count == 0 ? new ReadinessStatus(true) : new ReadinessStatus(false, "members not synced: " + string.Join(", ", waiting));
        }
    }

    /// <summary>
    /// Checks every member's health now: one that has not been able to watch its API server (services, endpoint
    /// slices, namespaces) for <c>max_stale</c> leaves the merged answers, and comes back once it watches again.
    /// Runs on a timer; public so tests can drive it.
    /// </summary>
    public void CheckStaleness()
    {
        lock (_gate)
        {
            if (!_running)
            {
                return;
            }

            var now = _services.Time.GetUtcNow();
            var flipped = false;
            foreach (var member in _members)
            {
                if (member.Source is not { } source)
                {
                    continue;
                }

                if (IsCurrent(source.Status))
                {
                    member.UnhealthySince = null;
                    if (member.Stale)
                    {
                        member.Stale = false;
                        flipped = true;
                        _staleGauge.WithLabels(_zoneLabel, member.Definition.Name).Set(0);
                        LogMemberBack(_logger, _zoneLabel, member.Definition.Name);
                    }

                    continue;
                }

                member.UnhealthySince ??= now;
                var age = now - member.UnhealthySince.Value;
                if (!member.Stale && age >= Options.MaxStale)
                {
                    member.Stale = true;
                    flipped = true;
                    _staleGauge.WithLabels(_zoneLabel, member.Definition.Name).Set(1);
                    LogMemberStale(_logger, _zoneLabel, member.Definition.Name, age.TotalSeconds, source.Status.LastError ?? "no error reported");
                }
            }

            if (flipped)
            {
                Apply(_builder.Rebuild(Data()));
            }
        }
    }

    private static bool IsCurrent(ClusterSourceStatus status)
    {
        var core = status.Informers.Where(i => CoreKinds.Contains(i.Kind)).ToList();
        return core.Count == 0
            ? status.State == SyncState.Synced
            : core.All(i => i.State is SyncState.Synced or SyncState.Absent);
    }

    private void CatchUp()
    {
        lock (_gate)
        {
            var behind = false;
            foreach (var member in _members)
            {
                var snapshot = member.Source!.Snapshot;
                if (snapshot.Version > member.Snapshot.Version)
                {
                    member.Snapshot = snapshot;
                    behind = true;
                }
            }

            if (_running && behind)
            {
                Apply(_builder.Rebuild(Data()));
            }
        }
    }

    private void OnChange(int index, ClusterChange change)
    {
        lock (_gate)
        {
            var member = _members[index];
            if (!_running || member.Subscription is null || change.Snapshot.Version <= member.Snapshot.Version)
            {
                return;
            }

            var followsOn = change.Previous.Version == member.Snapshot.Version;
            member.Snapshot = change.Snapshot;
            if (!followsOn || change.Touches(ResourceKind.Namespace) || change.Snapshot.HasSynced != change.Previous.HasSynced)
            {
                Apply(_builder.Rebuild(Data()));
                return;
            }

            var services = new HashSet<ObjectKey>();
            foreach (var item in change.Changes)
            {
                switch (item.Kind)
                {
                    case ResourceKind.Service:
                    case ResourceKind.ServiceExport:
                    case ResourceKind.GlobalTrafficPolicy:
                        services.Add(item.Key);
                        break;
                    case ResourceKind.EndpointSlice:
                        foreach (var slice in (ReadOnlySpan<EndpointSliceInfo?>)[change.Previous.EndpointSlices.GetValueOrDefault(item.Key), change.Snapshot.EndpointSlices.GetValueOrDefault(item.Key)])
                        {
                            if (slice?.ServiceKey is { } owner)
                            {
                                services.Add(owner);
                            }
                        }

                        break;
                }
            }

            if (services.Count > 0)
            {
                Apply(_builder.Apply(Data(), services));
            }
        }
    }

    private ClustersetMemberData[] Data() =>
        [.. _members.Select(m => new ClustersetMemberData(m.Definition, m.Snapshot, m.Stale, m.Stanza.Options.EndpointPodNames, m.Stanza.Options.NoEndpoints))];

    private void Apply(ClustersetUpdate update)
    {
        _tables = update.Tables;
        if (update.Changes is { } changes)
        {
            if (changes.Names.Count + changes.Subtrees.Count > 256)
            {
                changes = new NameChange([], [.. Options.Zones]);
            }

            _services.NameChanges.Publish(changes);
        }
    }

    [LoggerMessage(EventId = 4030, Level = LogLevel.Warning, Message = "Clusterset {Zone}: member {Member} left the merged answers: its data is {Seconds:0} s old, past max_stale ({Error})")]
    private static partial void LogMemberStale(ILogger logger, string zone, string member, double seconds, string error);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Information, Message = "Clusterset {Zone}: member {Member} is current again and back in the merged answers")]
    private static partial void LogMemberBack(ILogger logger, string zone, string member);

    private sealed class Member(int index, ClustersetMember definition, ClusterAnswers stanza)
    {
        public int Index { get; } = index;

        public ClustersetMember Definition { get; } = definition;

        public ClusterAnswers Stanza { get; } = stanza;

        public IClusterSource? Source { get; set; }

        public ClusterSourceLease? Lease { get; set; }

        public IDisposable? Subscription { get; set; }

        public ClusterSnapshot Snapshot { get; set; } = ClusterSnapshot.Empty(definition.Name);

        public bool Stale { get; set; }

        public DateTimeOffset? UnhealthySince { get; set; }
    }
}
