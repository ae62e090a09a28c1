using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Cache;

/// <summary>Background refreshes: prefetch of popular entries and the refresh after serving a stale one.</summary>
public sealed partial class CacheHandler
{
    /// <summary>
    /// Starts a refresh of <paramref name="entry"/> unless one is already running for it (so refresh load grows with
    /// distinct keys, not with the query rate). The request is built and routed now, while the client's context is
    /// still valid; the chain runs on the thread pool and the client is answered from the cache meanwhile.
    /// </summary>
    private void TryRefresh(DnsRequestContext context, CacheEntry entry, CacheMetrics.CacheSeries series)
    {
        if (_stopping.IsCancellationRequested || !entry.TryBeginRefresh())
        {
            return;
        }

        DnsRequestContext? refresh;
        try
        {
            refresh = CreateRefreshContext(context, entry);
        }
        catch
        {
            entry.EndRefresh();
            throw;
        }

        if (refresh is null)
        {
            entry.EndRefresh();
            return;
        }

        var key = new CacheKey(entry.Hash, entry.Name.Wire.ToArray(), entry.Type, entry.DnssecOk, entry.CheckingDisabled);
        var task = Task.Run(() => RefreshAsync(refresh, entry, key, series));
        _refreshes.TryAdd(task, 0);
        task.ContinueWith(static (done, state) => ((CacheHandler)state!)._refreshes.TryRemove(done, out _), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // The query CoreDNS would send: the client's request (flags, EDNS options) asking exactly the entry's key.
    private DnsRequestContext? CreateRefreshContext(DnsRequestContext context, CacheEntry entry)
    {
        var query = context.CreateRequestMessage();
        query.Id = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
        query.Questions[0] = new DnsQuestion(entry.Name, entry.Type, context.QuestionClass);
        query.SetFlag(DnsHeaderFlags.CD, entry.CheckingDisabled);
        if (entry.DnssecOk)
        {
            query.EnableEdns().DnssecOk = true;
        }

        var refresh = new DnsRequestContext();
        if (refresh.Load(query.ToArray(), DnsTransport.Internal) != RequestDisposition.Accept)
        {
            return null;
        }

        refresh.InheritRouting(context, _stopping.Token);
        return refresh;
    }

    private async Task RefreshAsync(DnsRequestContext refresh, CacheEntry old, CacheKey key, CacheMetrics.CacheSeries series)
    {
        try
        {
            series.Prefetches.Inc();
            var generation = _cache.Generation;
            await Next.ServeAsync(refresh).ConfigureAwait(false);
            var stored = _cache.Store(refresh, key, generation, series);

            // The new entry keeps the popularity the old one earned, so a hot name keeps being prefetched.
            stored?.InheritHits(_cache.Time.GetTimestamp(), old.Hits);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            if (!_stopping.IsCancellationRequested)
            {
                LogRefreshFailed(_logger, exception, old.Name.ToString(), DnsTypeNames.TypeToString(old.Type));
            }
        }
        finally
        {
            old.EndRefresh();
        }
    }
}
