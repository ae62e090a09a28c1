using System.Text.Json;
using MeshDns.Kubernetes.Auth;
using MeshDns.Kubernetes.Http;
using Microsoft.Extensions.Logging;

namespace MeshDns.Kubernetes.Informers;

/// <summary>Receives what an informer learns. Calls come from one informer task at a time per kind.</summary>
internal interface IInformerSink
{
    /// <summary>A complete list: the new full set of this kind (objects missing from it were deleted).</summary>
    void Replace(ResourceKind kind, IReadOnlyList<IKubernetesObject> items);

    void Upsert(ResourceKind kind, IKubernetesObject item);

    void Delete(ResourceKind kind, ObjectKey key);
}

/// <summary>
/// A reflector in the manner of client-go: paginated LIST, then WATCH from the list's resourceVersion, forever.
/// <list type="bullet">
/// <item>410 Gone, or an ERROR event with reason Expired (which arrives as HTTP 200): list again; the sink diffs the new list
/// against what it had, so vanished objects are deleted.</item>
/// <item>A dropped connection or a normal end at timeoutSeconds: watch again from the last resourceVersion seen.</item>
/// <item>No line for <see cref="InformerOptions.DeadWatchBound"/>: the watch is dead; reconnect.</item>
/// <item>Several empty watches in a row: list again (a resourceVersion from the future gets 200 and silence).</item>
/// <item>Errors: capped exponential backoff with jitter, honouring Retry-After; 401 refreshes credentials; 403 is
/// logged once with the verb and resource RBAC must allow; 404 on an optional resource means "absent".</item>
/// </list>
/// The cache is only changed by complete lists and decoded events, so a failure mid-list keeps what was there.
/// </summary>
internal sealed class Informer
{
    private readonly string _cluster;
    private readonly ResourceType _type;
    private readonly KubernetesApiClient _client;
    private readonly IInformerSink _sink;
    private readonly InformerOptions _options;
    private readonly string? _namespace;
    private readonly string? _labelSelector;
    private readonly IKubernetesMetricsSink _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Backoff _backoff;
    private readonly HashSet<string> _forbiddenLogged = new(StringComparer.Ordinal);
    private volatile InformerStatus _status;

    public Informer(
        string cluster,
        ResourceType type,
        KubernetesApiClient client,
        IInformerSink sink,
        InformerOptions options,
        string? singleNamespace,
        string? labelSelector,
        IKubernetesMetricsSink metrics,
        ILogger logger,
        TimeProvider time)
    {
        _cluster = cluster;
        _type = type;
        _client = client;
        _sink = sink;
        _options = options;
        _namespace = type.Namespaced ? singleNamespace : null;
        _labelSelector = labelSelector;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _backoff = new Backoff(options.BackoffBase, options.BackoffCap);
        _status = new InformerStatus { Kind = type.Kind, Resource = type.RbacName };
    }

    public ResourceKind Kind => _type.Kind;

    public InformerStatus Status => _status;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var listReason = "initial";
        var quietWatches = 0;
        var path = _type.Path(_namespace);
        Update(s => s with { State = SyncState.Syncing });
        try
        {
            await LoopAsync();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        Update(s => s with { State = SyncState.Stopped });

        async Task LoopAsync()
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    if (listReason is not null)
                    {
                        _metrics.Relisted(_cluster, _type.RbacName, listReason);
                        Update(s => s with { Relists = s.Relists + 1 });
                        resourceVersion = await ListAsync(path, cancellationToken);
                        listReason = null;
                        quietWatches = 0;
                        _backoff.Reset();
                    }

                    var outcome = await WatchAsync(path, resourceVersion!, cancellationToken);
                    resourceVersion = outcome.ResourceVersion;
                    Update(s => s with { ResourceVersion = resourceVersion });
                    if (outcome.End == WatchEnd.Expired)
                    {
                        Log.WatchExpired(_logger, _cluster, _type.RbacName, resourceVersion);
                        listReason = "expired";
                        continue;
                    }

                    _metrics.WatchRestarted(_cluster, _type.RbacName, outcome.End.ToString().ToLowerInvariant());
                    Update(s => s with { WatchRestarts = s.WatchRestarts + 1 });
                    quietWatches = outcome.SawLines ? 0 : quietWatches + 1;
                    if (_options.QuietWatchesBeforeRelist > 0 && quietWatches >= _options.QuietWatchesBeforeRelist)
                    {
                        Log.QuietRelist(_logger, _cluster, _type.RbacName, quietWatches);
                        listReason = "quiet";
                        continue;
                    }

                    switch (outcome.End)
                    {
                        case WatchEnd.Timeout:
                            Log.WatchEnded(_logger, _cluster, _type.RbacName, "timeout", resourceVersion);
                            break;
                        case WatchEnd.Dead:
                            Log.WatchDead(_logger, _cluster, _type.RbacName, _options.DeadWatchBound);
                            break;
                        default:
                            // Dropped, garbage or an ERROR event: reconnect, but not in a tight loop.
                            if (outcome.SawLines)
                            {
                                _backoff.Reset();
                            }

                            if (outcome.Error is not null)
                            {
                                Update(s => s with { LastError = outcome.Error, LastErrorTime = _time.GetUtcNow() });
                            }

                            await Task.Delay(_backoff.Next(), _time, cancellationToken);
                            break;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex) when (IsTransient(ex))
                {
                    var delay = _backoff.Next();
                    if (ex is KubernetesApiException api)
                    {
                        if (api.StatusCode == 404 && _type.Optional)
                        {
                            Log.ResourceAbsent(_logger, _cluster, _type.RbacName);
                            _sink.Replace(_type.Kind, []);
                            Update(s => s with { State = SyncState.Absent, HasSynced = true, LastError = null, LastEventTime = _time.GetUtcNow() });
                            listReason = "absent";
                            await Task.Delay(_options.AbsentRecheckInterval, _time, cancellationToken);
                            continue;
                        }

                        if (api.IsExpired)
                        {
                            // An expired continue token or resourceVersion: start the list over, at once.
                            listReason = "expired";
                            delay = TimeSpan.Zero;
                        }

                        if (api.StatusCode == 401)
                        {
                            _client.Credentials.Invalidate();
                        }

                        if (api.StatusCode == 403 && _forbiddenLogged.Add(api.Verb))
                        {
                            var scope = _namespace is null ? "at the cluster scope" : $"in namespace \"{_namespace}\"";
                            Log.Forbidden(_logger, _cluster, api.Verb.ToLowerInvariant(), _type.Plural, _type.Group, scope, api.ServerMessage ?? string.Empty);
                        }

                        if (api.RetryAfter is { } retryAfter && retryAfter > delay)
                        {
                            delay = retryAfter;
                        }
                    }

                    if (listReason is null && resourceVersion is null)
                    {
                        listReason = "error";
                    }

                    var message = ex.Message;
                    Log.RequestFailed(_logger, _cluster, listReason is null ? "WATCH" : "LIST", _type.RbacName, delay, message);
                    Update(s => s with { State = SyncState.Retrying, LastError = message, LastErrorTime = _time.GetUtcNow() });
                    await Task.Delay(delay, _time, cancellationToken);
                }
            }
        }
    }

    private static bool IsTransient(Exception ex) =>
        ex is KubernetesApiException or KubernetesProtocolException or KubernetesAuthException or HttpRequestException
            or IOException or JsonException or TimeoutException or InvalidDataException
        || (ex is OperationCanceledException);

    private async Task<string> ListAsync(string path, CancellationToken cancellationToken)
    {
        var items = new List<IKubernetesObject>();
        string? continueToken = null;
        string resourceVersion;
        do
        {
            var page = await _type.ListPageAsync(_client, path, _labelSelector, _options.PageSize, continueToken, cancellationToken);
            items.AddRange(page.Items);
            resourceVersion = page.ResourceVersion;
            continueToken = page.Continue;
        }
        while (continueToken is not null);

        _sink.Replace(_type.Kind, items);
        var first = !_status.HasSynced;
        Update(s => s with
        {
            State = SyncState.Synced,
            HasSynced = true,
            LastError = null,
            ResourceVersion = resourceVersion,
            LastEventTime = _time.GetUtcNow(),
        });
        if (first)
        {
            Log.Synced(_logger, _cluster, _type.RbacName, items.Count, resourceVersion);
        }

        return resourceVersion;
    }

    private async Task<WatchOutcome> WatchAsync(string path, string resourceVersion, CancellationToken cancellationToken)
    {
        var timeoutSeconds = (int)Math.Max(1, _options.WatchTimeout.TotalSeconds * (1 + Random.Shared.NextDouble()));
        using var dead = new CancellationTokenSource(_options.DeadWatchBound, _time);
        // The server ends the watch at timeoutSeconds; if it does not, stop a little later ourselves.
        using var overall = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds) + TimeSpan.FromSeconds(30), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, dead.Token, overall.Token);
        var sawLines = false;
        var current = resourceVersion;
        try
        {
            using var watch = await _client.WatchAsync(path, _type.RbacName, _labelSelector, resourceVersion, timeoutSeconds, linked.Token);
            if (_status.State != SyncState.Synced)
            {
                Update(s => s with { State = SyncState.Synced, LastError = null });
            }

            using var reader = new LineReader(watch.Stream, _options.MaxEventBytes);
            while (true)
            {
                var line = await reader.ReadLineAsync(linked.Token);
                if (line is null)
                {
                    return new WatchOutcome(WatchEnd.Timeout, current, sawLines, null);
                }

                dead.CancelAfter(_options.DeadWatchBound);
                var span = line.Value.Span;
                if (!WatchEventDecoder.TryDecode(span, out var type, out var start, out var length, out var error))
                {
                    Log.WatchGarbage(_logger, _cluster, _type.RbacName, error!, current);
                    return new WatchOutcome(WatchEnd.Garbage, current, sawLines, $"WATCH {_type.RbacName}: undecodable event: {error}");
                }

                var objectJson = span.Slice(start, length);
                _metrics.EventReceived(_cluster, _type.RbacName, type.ToString().ToUpperInvariant());
                if (type == WatchEventType.Error)
                {
                    var status = KubernetesApiClient.TryParseStatus(objectJson);
                    var code = status?.Code ?? 0;
                    if (code == 410 || status?.Reason is "Expired" or "Gone")
                    {
                        return new WatchOutcome(WatchEnd.Expired, current, true, null);
                    }

                    Log.WatchErrorEvent(_logger, _cluster, _type.RbacName, code, status?.Reason ?? "?", status?.Message ?? string.Empty);
                    return new WatchOutcome(WatchEnd.Error, current, sawLines, $"WATCH {_type.RbacName}: ERROR event {code} {status?.Reason}: {status?.Message}");
                }

                IKubernetesObject? item;
                string? itemVersion;
                try
                {
                    (item, itemVersion) = _type.Decode(objectJson);
                }
                catch (JsonException ex)
                {
                    Log.WatchGarbage(_logger, _cluster, _type.RbacName, ex.Message, current);
                    return new WatchOutcome(WatchEnd.Garbage, current, sawLines, $"WATCH {_type.RbacName}: undecodable object");
                }

                switch (type)
                {
                    case WatchEventType.Added:
                    case WatchEventType.Modified:
                        if (item is not null)
                        {
                            _sink.Upsert(_type.Kind, item);
                        }

                        break;
                    case WatchEventType.Deleted:
                        if (item is not null)
                        {
                            _sink.Delete(_type.Kind, item.Key);
                        }

                        break;
                }

                if (!string.IsNullOrEmpty(itemVersion))
                {
                    current = itemVersion;
                }

                sawLines = true;
                _status = _status with { LastEventTime = _time.GetUtcNow(), ResourceVersion = current };
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return dead.IsCancellationRequested
                ? new WatchOutcome(WatchEnd.Dead, current, sawLines, null)
                : new WatchOutcome(WatchEnd.Timeout, current, sawLines, null);
        }
        catch (Exception ex) when (sawLines && ex is IOException or HttpRequestException or InvalidDataException)
        {
            // The stream broke after it worked: not a failure to back off from for long.
            return new WatchOutcome(WatchEnd.Dropped, current, sawLines, $"WATCH {_type.RbacName}: connection dropped: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return new WatchOutcome(WatchEnd.Dropped, current, sawLines, $"WATCH {_type.RbacName}: connection dropped: {ex.Message}");
        }
    }

    private void Update(Func<InformerStatus, InformerStatus> change) => _status = change(_status);

    private enum WatchEnd
    {
        Timeout,
        Dead,
        Dropped,
        Garbage,
        Error,
        Expired,
    }

    private sealed record WatchOutcome(WatchEnd End, string ResourceVersion, bool SawLines, string? Error);
}
