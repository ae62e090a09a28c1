using MeshDns.Protocol;

namespace MeshDns.Plugins.Cache;

/// <summary>The <c>cache</c> directive as configured: CoreDNS's defaults unless the Corefile says otherwise.</summary>
public sealed record CacheOptions
{
    /// <summary>Shards per table (CoreDNS: 256).</summary>
    public const int ShardCount = 256;

    /// <summary>No shard holds fewer entries than this (CoreDNS's floor, so the smallest cache holds 1024).</summary>
    public const int MinimumShardCapacity = 4;

    /// <summary>What CoreDNS asks for by default; rounded down to whole shards it is 9984.</summary>
    public const int DefaultCapacity = 10_000;

    /// <summary>Largest TTL of a positive answer (CoreDNS: 3600 s).</summary>
    public const uint DefaultSuccessMaxTtl = 3600;

    /// <summary>Largest TTL of a denial (CoreDNS: 1800 s).</summary>
    public const uint DefaultDenialMaxTtl = 1800;

    /// <summary>Smallest TTL an answer is cached with (CoreDNS: 5 s).</summary>
    public const uint DefaultMinTtl = 5;

    /// <summary>RFC 2308 7.1: a server failure may be cached for at most five minutes.</summary>
    public static readonly TimeSpan MaxServfailTtl = TimeSpan.FromMinutes(5);

    /// <summary>Names the cache answers for (lower case); the root means every name.</summary>
    public IReadOnlyList<DnsName> Zones { get; init; } = [DnsName.Root];

    /// <summary>Entries asked for in the success table (rounded down to whole shards, at least 1024).</summary>
    public int SuccessCapacity { get; init; } = DefaultCapacity;

    public uint SuccessMaxTtl { get; init; } = DefaultSuccessMaxTtl;

    public uint SuccessMinTtl { get; init; } = DefaultMinTtl;

    /// <summary>Entries asked for in the denial table (NXDOMAIN, NODATA and cached server failures).</summary>
    public int DenialCapacity { get; init; } = DefaultCapacity;

    public uint DenialMaxTtl { get; init; } = DefaultDenialMaxTtl;

    public uint DenialMinTtl { get; init; } = DefaultMinTtl;

    /// <summary>Hits needed before an entry is prefetched; 0 turns prefetching off.</summary>
    public int PrefetchAmount { get; init; }

    /// <summary>Hits count as consecutive while no gap between them is this long or longer.</summary>
    public TimeSpan PrefetchDuration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Prefetch once the remaining TTL is at most this share of the original TTL.</summary>
    public int PrefetchPercentage { get; init; } = 10;

    /// <summary>How long past expiry an entry may still be served; zero turns serve_stale off.</summary>
    public TimeSpan ServeStale { get; init; }

    /// <summary>With serve_stale: ask the rest of the chain first and serve stale only when that fails.</summary>
    public bool VerifyStale { get; init; }

    /// <summary>How long SERVFAIL and NOTIMP answers are cached; zero turns it off.</summary>
    public TimeSpan ServfailTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Zones whose positive answers are never cached (<c>disable success</c>).</summary>
    public IReadOnlyList<DnsName> DisabledSuccess { get; init; } = [];

    /// <summary>Zones whose denials and failures are never cached (<c>disable denial</c>).</summary>
    public IReadOnlyList<DnsName> DisabledDenial { get; init; } = [];

    /// <summary>Answer from cache with the TTL the entry was stored with instead of a decreasing one.</summary>
    public bool KeepTtl { get; init; }

    /// <summary>Entries one shard of a table holds when <paramref name="capacity"/> is asked for.</summary>
    public static int ShardCapacity(int capacity) => Math.Max(MinimumShardCapacity, capacity / ShardCount);

    /// <summary>Entries a table really holds when <paramref name="capacity"/> is asked for (CoreDNS's rounding).</summary>
    public static int EffectiveCapacity(int capacity) => ShardCapacity(capacity) * ShardCount;
}
