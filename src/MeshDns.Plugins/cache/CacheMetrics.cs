using System.Collections.Concurrent;
using MeshDns.Server.Metrics;

namespace MeshDns.Plugins.Cache;

/// <summary>
/// CoreDNS's <c>coredns_cache_*</c> families for one cache. Children are created once per server address
/// (the <c>server</c> label) and kept, so counting a hit is a reference compare and an interlocked add.
/// </summary>
internal sealed class CacheMetrics
{
    /// <summary>CoreDNS's view label when no view plugin is used.</summary>
    private const string NoView = "";

    private readonly Counter _requests;
    private readonly Counter _hits;
    private readonly Counter _misses;
    private readonly Counter _prefetches;
    private readonly Counter _drops;
    private readonly Counter _servedStale;
    private readonly Counter _evictions;
    private readonly MetricsRegistry _registry;
    private readonly string _zones;
    private readonly ConcurrentDictionary<string, CacheSeries> _byServer = new(StringComparer.Ordinal);
    private volatile CacheSeries? _last;

    public CacheMetrics(MetricsRegistry registry, string zones)
    {
        _registry = registry;
        _zones = zones;
        _requests = registry.Counter("coredns_cache_requests_total", "The count of cache requests.", "server", "zones", "view");
        _hits = registry.Counter("coredns_cache_hits_total", "The count of cache hits.", "server", "type", "zones", "view");
        _misses = registry.Counter("coredns_cache_misses_total", "The count of cache misses. Deprecated, derive misses from cache hits/requests counters.", "server", "zones", "view");
        _prefetches = registry.Counter("coredns_cache_prefetch_total", "The number of times the cache has prefetched a cached item.", "server", "zones", "view");
        _drops = registry.Counter("coredns_cache_drops_total", "The number responses that are not cached, because the reply is malformed.", "server", "zones", "view");
        _servedStale = registry.Counter("coredns_cache_served_stale_total", "The number of requests served from stale cache entries.", "server", "zones", "view");
        _evictions = registry.Counter("coredns_cache_evictions_total", "The count of cache evictions.", "server", "type", "zones", "view");
    }

    /// <summary>The children for requests that came in on <paramref name="server"/> (<c>dns://:53</c>).</summary>
    public CacheSeries For(string server)
    {
        var last = _last;
        if (last is not null && ReferenceEquals(last.Server, server))
        {
            return last;
        }

        if (!_byServer.TryGetValue(server, out var series))
        {
            series = _byServer.GetOrAdd(server, static (key, metrics) => new CacheSeries(metrics, key), this);
        }

        _last = series;
        return series;
    }

    /// <summary>
    /// Reports <c>coredns_cache_entries</c> for every server this cache has seen, read at scrape time. Dispose the
    /// result when the configuration goes away; a newer configuration's cache with the same labels wins meanwhile.
    /// </summary>
    public IDisposable RegisterEntries(CacheTable success, CacheTable denial) =>
        _registry.RegisterCollector(
            "coredns_cache_entries",
            "The number of elements in the cache.",
            MetricType.Gauge,
            ["server", "type", "zones", "view"],
            sink =>
            {
                foreach (var server in _byServer.Keys)
                {
                    sink.Add(success.Count, server, "success", _zones, NoView);
                    sink.Add(denial.Count, server, "denial", _zones, NoView);
                }
            });

    /// <summary>The children of one server address.</summary>
    internal sealed class CacheSeries
    {
        public CacheSeries(CacheMetrics metrics, string server)
        {
            Server = server;
            Requests = metrics._requests.WithLabels(server, metrics._zones, NoView);
            Misses = metrics._misses.WithLabels(server, metrics._zones, NoView);
            Prefetches = metrics._prefetches.WithLabels(server, metrics._zones, NoView);
            Drops = metrics._drops.WithLabels(server, metrics._zones, NoView);
            ServedStale = metrics._servedStale.WithLabels(server, metrics._zones, NoView);
            SuccessHits = metrics._hits.WithLabels(server, "success", metrics._zones, NoView);
            DenialHits = metrics._hits.WithLabels(server, "denial", metrics._zones, NoView);
            SuccessEvictions = metrics._evictions.WithLabels(server, "success", metrics._zones, NoView);
            DenialEvictions = metrics._evictions.WithLabels(server, "denial", metrics._zones, NoView);
        }

        public string Server { get; }

        public CounterChild Requests { get; }

        public CounterChild Misses { get; }

        public CounterChild Prefetches { get; }

        public CounterChild Drops { get; }

        public CounterChild ServedStale { get; }

        public CounterChild SuccessHits { get; }

        public CounterChild DenialHits { get; }

        public CounterChild SuccessEvictions { get; }

        public CounterChild DenialEvictions { get; }

        public CounterChild Hits(CacheKind kind) => kind == CacheKind.Success ? SuccessHits : DenialHits;

        public CounterChild Evictions(CacheKind kind) => kind == CacheKind.Success ? SuccessEvictions : DenialEvictions;
    }
}
