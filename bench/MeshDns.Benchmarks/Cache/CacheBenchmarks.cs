using BenchmarkDotNet.Attributes;
using MeshDns.Plugins.Cache;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Benchmarks.Cache;

/// <summary>
/// The cache handler on its own: a hit (the path of nearly every query; must not allocate) and a miss that calls a
/// canned next plugin and inserts (allowed to allocate: the key, the entry, capped record copies).
/// </summary>
[MemoryDiagnoser]
public class CacheBenchmarks
{
    private const int MissNames = 50_000;

    private CacheHandler _hitHandler = null!;
    private CacheHandler _missHandler = null!;
    private byte[] _hitQuery = null!;
    private byte[][] _missQueries = null!;
    private DnsRequestContext _context = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _hitHandler = Create(new CacheOptions());
        _missHandler = Create(new CacheOptions { SuccessCapacity = 1024 });
        _hitQuery = DnsMessage.CreateQuery(DnsName.Parse("web.shop.svc.cluster.local."), DnsRecordType.A, 1).ToArray();
        _missQueries = Enumerable.Range(0, MissNames)
            .Select(i => DnsMessage.CreateQuery(DnsName.Parse($"pod-{i}.web.shop.svc.cluster.local."), DnsRecordType.A, 1).ToArray())
            .ToArray();
        _context = new DnsRequestContext();
        Hit();
    }

    [Benchmark(Baseline = true, Description = "hit")]
    public DnsResponseCode Hit()
    {
        _context.Load(_hitQuery, DnsTransport.Udp);
        return Completed(_hitHandler.ServeAsync(_context));
    }

    /// <summary>Every call asks a name not asked for 50,000 calls, into a 1024-entry table: a miss, an insert, an eviction.</summary>
    [Benchmark(Description = "miss + insert")]
    public DnsResponseCode MissAndInsert()
    {
        _context.Load(_missQueries[_next], DnsTransport.Udp);
        _next = (_next + 1) % MissNames;
        return Completed(_missHandler.ServeAsync(_context));
    }

    // Both paths complete synchronously (the canned next plugin does); anything else is a bug worth failing on.
    private static DnsResponseCode Completed(ValueTask<PluginResult> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result.Rcode : throw new InvalidOperationException("the cache did not complete synchronously");

    private static CacheHandler Create(CacheOptions options)
    {
        var cache = new ResponseCache(options, TimeProvider.System, new CacheMetrics(new MetricsRegistry(), "."));
        return new CacheHandler(new CannedAnswer(), cache, NullLogger.Instance);
    }

    /// <summary>Answers every question with two A records (records built once, as an authoritative plugin keeps them).</summary>
    private sealed class CannedAnswer : DnsHandler
    {
        private static readonly ResourceRecord[] Records =
        [
            ResourceRecord.Parse("web.shop.svc.cluster.local. 30 IN A 10.4.0.1"),
            ResourceRecord.Parse("web.shop.svc.cluster.local. 30 IN A 10.4.0.2"),
        ];

        public override string Name => "canned";

        public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
        {
            context.Response.Answers.AddRange(Records);
            context.WriteResponse(Name);
            return ValueTask.FromResult(PluginResult.Success);
        }
    }
}
