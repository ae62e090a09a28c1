using System.Collections.Concurrent;
using MeshDns.Protocol;
using MeshDns.Server;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Cache;

/// <summary>
/// CoreDNS's cache in front of the rest of the chain. A hit fills the response with the stored record objects
/// and lets the encoder subtract their age: no allocation. A miss calls the next plugin and stores what it wrote.
/// Prefetch and serve_stale refresh entries in the background through the same chain.
/// </summary>
public sealed partial class CacheHandler : ChainedDnsHandler, IDisposable
{
    private static readonly EdnsOption StaleAnswer = EdnsOption.ExtendedError(ExtendedDnsErrorCode.StaleAnswer);

    private readonly ResponseCache _cache;
    private readonly ILogger _logger;
    private readonly long _prefetchWindow;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _refreshes = new();

    internal CacheHandler(DnsHandler next, ResponseCache cache, ILogger logger)
        : base(next)
    {
        _cache = cache;
        _logger = logger;
        _prefetchWindow = (long)(cache.Options.PrefetchDuration.TotalSeconds * cache.Frequency);
    }

    public override string Name => CacheSetup.Directive;

    /// <summary>Background refreshes not finished yet.</summary>
    internal int PendingRefreshes => _refreshes.Count;

    internal ResponseCache Cache => _cache;

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.QuestionNameLower;
        if (!_cache.AppliesTo(name))
        {
            return NextAsync(context);
        }

        var series = _cache.Metrics.For(context.ServerAddress);
        series.Requests.Inc();
        var type = context.QuestionType;
        var dnssecOk = context.DnssecOk;
        var checkingDisabled = (context.RequestFlags & DnsHeaderFlags.CD) != 0;
        var hash = _cache.Hash(name, type, dnssecOk, checkingDisabled);
        var now = _cache.Time.GetTimestamp();
        switch (_cache.Lookup(hash, name, type, dnssecOk, checkingDisabled, now, out var entry))
        {
            case CacheLookup.Fresh:
                series.Hits(entry!.Kind).Inc();
                if (_cache.Options.PrefetchAmount > 0 && ShouldPrefetch(entry, now))
                {
                    TryRefresh(context, entry, series);
                }

                ResponseCache.Answer(context, entry, _cache.Options.KeepTtl ? 0 : (uint)entry.AgeSeconds(now, _cache.Frequency));
                return ValueTask.FromResult(PluginResult.Success);

            case CacheLookup.Stale:
                series.Hits(entry!.Kind).Inc();
                if (_cache.Options.VerifyStale)
                {
                    return VerifyStaleAsync(context, entry, new CacheKey(hash, name.ToArray(), type, dnssecOk, checkingDisabled), series);
                }

                series.ServedStale.Inc();
                TryRefresh(context, entry, series);
                AnswerStale(context, entry);
                return ValueTask.FromResult(PluginResult.Success);

            default:
                series.Misses.Inc();
                return MissAsync(context, new CacheKey(hash, name.ToArray(), type, dnssecOk, checkingDisabled), series);
        }
    }

    /// <summary>Stops background refreshes: cancels them and waits (bounded by <paramref name="cancellationToken"/>) for them to end.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_refreshes.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutdown is bounded; a refresh still running ends on its own and stores nothing useful.
        }
    }

    /// <summary>Releases the cancellation source; call after <see cref="StopAsync"/>, once no request can reach the handler.</summary>
    public void Dispose() => _stopping.Dispose();

    /// <summary>Waits until no background refresh is running (tests).</summary>
    internal async Task WaitForRefreshesAsync(CancellationToken cancellationToken)
    {
        while (!_refreshes.IsEmpty)
        {
            await Task.WhenAll(_refreshes.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask<PluginResult> MissAsync(DnsRequestContext context, CacheKey key, CacheMetrics.CacheSeries series)
    {
        var generation = _cache.Generation;
        var pending = NextAsync(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitMissAsync(context, pending, key, generation, series);
        }

        var result = pending.Result;
        _cache.Store(context, key, generation, series);
        return ValueTask.FromResult(result);
    }

    private async ValueTask<PluginResult> AwaitMissAsync(DnsRequestContext context, ValueTask<PluginResult> pending, CacheKey key, long generation, CacheMetrics.CacheSeries series)
    {
        var result = await pending.ConfigureAwait(false);
        _cache.Store(context, key, generation, series);
        return result;
    }

    // CoreDNS's shouldPrefetch: enough hits without long gaps, and little of the TTL left.
    private bool ShouldPrefetch(CacheEntry entry, long now)
    {
        var hits = entry.RecordHit(now, _prefetchWindow);
        var threshold = (long)Math.Ceiling(_cache.Options.PrefetchPercentage / 100.0 * entry.Ttl);
        return hits >= _cache.Options.PrefetchAmount && entry.RemainingSeconds(now, _cache.Frequency) <= threshold;
    }

    // RFC 8767 4: a stale answer carries TTL 0 here (as CoreDNS's); MeshDns adds Extended DNS Error 3, Stale Answer.
    private static void AnswerStale(DnsRequestContext context, CacheEntry entry)
    {
        if (context.HasEdns)
        {
            context.Response.EnableEdns().Options.Add(StaleAnswer);
        }

        ResponseCache.Answer(context, entry, uint.MaxValue);
    }

    /// <summary>
    /// serve_stale verify: ask the rest of the chain first; a NOERROR or NXDOMAIN answer is stored and sent, anything
    /// else (a failure, an exception, nothing written) is replaced by the stale entry (RFC 8767 4).
    /// </summary>
    private async ValueTask<PluginResult> VerifyStaleAsync(DnsRequestContext context, CacheEntry stale, CacheKey key, CacheMetrics.CacheSeries series)
    {
        var generation = _cache.Generation;
        try
        {
            var result = await NextAsync(context).ConfigureAwait(false);
            if (context.IsDropped ||
                (context.IsResponseWritten && context.Response.ResponseCode is DnsResponseCode.NoError or DnsResponseCode.NXDomain))
            {
                _cache.Store(context, key, generation, series);
                return result;
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogVerifyFailed(_logger, exception, stale.Name.ToString(), DnsTypeNames.TypeToString(stale.Type));
        }

        ClearResponse(context);
        series.ServedStale.Inc();
        AnswerStale(context, stale);
        return PluginResult.Success;
    }

    // Forgets what a failed attempt wrote, so the stale answer goes out on a clean response.
    private static void ClearResponse(DnsRequestContext context)
    {
        var response = context.Response;
        response.Answers.Clear();
        response.Authorities.Clear();
        response.Additionals.Clear();
        response.Edns = null;
        response.ResponseCode = DnsResponseCode.NoError;
        response.Flags = DnsHeaderFlags.QR | (context.RequestFlags & (DnsHeaderFlags.RD | DnsHeaderFlags.CD));
        context.TtlDecrease = 0;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Refreshing {Name} {Type} failed; the cached entry stays")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string name, string type);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Verifying stale {Name} {Type} failed; serving the stale entry")]
    private static partial void LogVerifyFailed(ILogger logger, Exception exception, string name, string type);
}
