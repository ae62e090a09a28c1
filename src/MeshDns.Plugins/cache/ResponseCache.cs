using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Hosting;

namespace MeshDns.Plugins.Cache;

/// <summary>What a lookup found.</summary>
internal enum CacheLookup
{
    Miss,
    Fresh,
    /// <summary>Expired, but within the serve_stale window.</summary>
    Stale,
}

/// <summary>The key of a miss, copied out of the request so it survives an await and a rewrite further down.</summary>
internal readonly record struct CacheKey(ulong Hash, byte[] NameLower, DnsRecordType Type, bool DnssecOk, bool CheckingDisabled);

/// <summary>
/// The success and denial tables of one <c>cache</c> directive, and the rules for what goes in and comes out:
/// CoreDNS's classification and TTL computation, MeshDns's drop of entries whose names a data source changed.
/// </summary>
internal sealed class ResponseCache
{
    private const ulong FnvPrime = 0x100000001b3UL;

    private readonly byte[][] _zones;
    private readonly bool _allZones;
    private readonly byte[][] _disabledSuccess;
    private readonly byte[][] _disabledDenial;
    private readonly ulong _seed;
    private readonly long _staleSeconds;
    private readonly uint _servfailTtl;
    private IDisposable? _subscription;
    private IDisposable? _entriesCollector;
    private NameChange? _lastChange;
    private long _generation;

    public ResponseCache(CacheOptions options, TimeProvider time, CacheMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        Options = options;
        Time = time;
        Metrics = metrics;
        Frequency = time.TimestampFrequency;
        Success = new CacheTable(options.SuccessCapacity);
        Denial = new CacheTable(options.DenialCapacity);
        _allZones = options.Zones.Any(z => z.IsRoot);
        _zones = options.Zones.Select(z => z.ToLowerInvariant().Wire.ToArray()).ToArray();
        _disabledSuccess = options.DisabledSuccess.Select(z => z.ToLowerInvariant().Wire.ToArray()).ToArray();
        _disabledDenial = options.DisabledDenial.Select(z => z.ToLowerInvariant().Wire.ToArray()).ToArray();
        _seed = 0xcbf29ce484222325UL ^ (ulong)Random.Shared.NextInt64();
        _staleSeconds = (long)options.ServeStale.TotalSeconds;
        _servfailTtl = (uint)options.ServfailTtl.TotalSeconds;
    }

    public CacheOptions Options { get; }

    public TimeProvider Time { get; }

    /// <summary><see cref="TimeProvider.TimestampFrequency"/>: timestamp units per second.</summary>
    public long Frequency { get; }

    public CacheMetrics Metrics { get; }

    public CacheTable Success { get; }

    public CacheTable Denial { get; }

    /// <summary>Counts name changes seen; a miss that straddles one does not store what it got.</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Starts listening for changed names and reporting the entry gauge.</summary>
    public void Start(NameChangeFeed feed)
    {
        ArgumentNullException.ThrowIfNull(feed);
        _subscription = feed.Subscribe(OnNameChange);
        _entriesCollector = Metrics.RegisterEntries(Success, Denial);
    }

    public void Stop()
    {
        _subscription?.Dispose();
        _entriesCollector?.Dispose();
    }

    /// <summary>True when <paramref name="nameLower"/> lies in one of the cache's zones.</summary>
    public bool AppliesTo(ReadOnlySpan<byte> nameLower) => _allZones || InAny(nameLower, _zones);

    /// <summary>
    /// The key hash: FNV-1a over the DO and CD bits, the type and the lower-case name (CoreDNS hashes the same
    /// fields), from a per-cache random seed so crafted names cannot aim at one shard, then mixed so the low byte
    /// that picks the shard depends on every input octet.
    /// </summary>
    public ulong Hash(ReadOnlySpan<byte> nameLower, DnsRecordType type, bool dnssecOk, bool checkingDisabled)
    {
        var hash = _seed;
        hash = (hash ^ (byte)((dnssecOk ? 1 : 0) | (checkingDisabled ? 2 : 0))) * FnvPrime;
        hash = (hash ^ (byte)((ushort)type >> 8)) * FnvPrime;
        hash = (hash ^ (byte)type) * FnvPrime;
        foreach (var octet in nameLower)
        {
            hash = (hash ^ octet) * FnvPrime;
        }

        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        return hash;
    }

    /// <summary>
    /// Finds the answer for a key without allocating. A fresh success entry wins; then a fresh denial, except that a
    /// cached server failure does not hide a positive answer serve_stale may still give (as CoreDNS); then stale
    /// entries within the serve_stale window. Cached failures are never served stale.
    /// </summary>
    public CacheLookup Lookup(ulong hash, ReadOnlySpan<byte> nameLower, DnsRecordType type, bool dnssecOk, bool checkingDisabled, long now, out CacheEntry? entry)
    {
        var success = Success.Get(hash);
        if (success is not null && !success.Matches(nameLower, type, dnssecOk, checkingDisabled))
        {
            success = null;
        }

        if (success is not null && success.RemainingSeconds(now, Frequency) > 0)
        {
            entry = success;
            return CacheLookup.Fresh;
        }

        var denial = Denial.Get(hash);
        if (denial is not null && !denial.Matches(nameLower, type, dnssecOk, checkingDisabled))
        {
            denial = null;
        }

        var successStale = success is not null && IsServableStale(success, now);
        if (denial is not null && denial.RemainingSeconds(now, Frequency) > 0)
        {
            entry = denial.IsServerFailure && successStale ? success : denial;
            return ReferenceEquals(entry, denial) ? CacheLookup.Fresh : CacheLookup.Stale;
        }

        if (successStale)
        {
            entry = success;
            return CacheLookup.Stale;
        }

        if (denial is not null && !denial.IsServerFailure && IsServableStale(denial, now))
        {
            entry = denial;
            return CacheLookup.Stale;
        }

        entry = null;
        return CacheLookup.Miss;
    }

    /// <summary>
    /// Fills the response from <paramref name="entry"/>: its rcode and AA/RA bits, AD only when the client can use it
    /// (DO or AD in the query, RFC 6840 5.7), and references to its records. The encoder subtracts
    /// <paramref name="ttlDecrease"/> from their TTLs. Allocates nothing.
    /// </summary>
    public static void Answer(DnsRequestContext context, CacheEntry entry, uint ttlDecrease)
    {
        var response = context.Response;
        response.ResponseCode = entry.Rcode;
        var flags = (response.Flags & (DnsHeaderFlags.QR | DnsHeaderFlags.RD | DnsHeaderFlags.CD)) | (entry.Flags & (DnsHeaderFlags.AA | DnsHeaderFlags.RA));
        if ((entry.Flags & DnsHeaderFlags.AD) != 0 && (context.DnssecOk || (context.RequestFlags & DnsHeaderFlags.AD) != 0))
        {
            flags |= DnsHeaderFlags.AD;
        }

        response.Flags = flags;
        AddAll(response.Answers, entry.Answers);
        AddAll(response.Authorities, entry.Authorities);
        AddAll(response.Additionals, entry.Additionals);
        context.TtlDecrease = ttlDecrease;
        context.WriteResponse(CacheSetup.Directive);
    }

    /// <summary>
    /// Looks at what the rest of the chain wrote for <paramref name="key"/> and stores it when CoreDNS would: a
    /// cacheable kind, not truncated, a TTL above zero, a question that matches, a zone not disabled for that kind.
    /// The reply itself gets the TTL it is cached with, so a client sees no jump between the first answer and hits.
    /// Returns the stored entry, or null.
    /// </summary>
    public CacheEntry? Store(DnsRequestContext context, CacheKey key, long generationBefore, CacheMetrics.CacheSeries series)
    {
        if (!context.IsResponseWritten || context.IsDropped)
        {
            return null;
        }

        var response = context.Response;
        var kind = ResponseClassifier.Classify(response, key.Type);
        uint ttl;
        CacheKind table;
        switch (kind)
        {
            case ResponseKind.NameError or ResponseKind.NoData:
                ttl = ResponseClassifier.Clamp(ResponseClassifier.MinimalTtl(response, kind, context.TtlDecrease), Options.DenialMinTtl, Options.DenialMaxTtl);
                table = CacheKind.Denial;
                break;
            case ResponseKind.ServerError:
                ttl = _servfailTtl;
                table = CacheKind.Denial;
                break;
            case ResponseKind.NoError or ResponseKind.Delegation:
                ttl = ResponseClassifier.Clamp(ResponseClassifier.MinimalTtl(response, kind, context.TtlDecrease), Options.SuccessMinTtl, Options.SuccessMaxTtl);
                table = CacheKind.Success;
                break;
            default:
                return null;
        }

        var answers = WithTtl(response.Answers, ttl);
        var authorities = WithTtl(response.Authorities, ttl);
        var additionals = WithTtl(response.Additionals, ttl);
        context.TtlDecrease = 0;
        var authenticData = (response.Flags & DnsHeaderFlags.AD) != 0;
        if (!key.DnssecOk && (context.RequestFlags & DnsHeaderFlags.AD) == 0)
        {
            response.SetFlag(DnsHeaderFlags.AD, false);
        }

        if (ttl == 0 || response.Truncated)
        {
            return null;
        }

        if (!QuestionMatches(response, key))
        {
            series.Drops.Inc();
            return null;
        }

        if (InAny(key.NameLower, table == CacheKind.Success ? _disabledSuccess : _disabledDenial))
        {
            return null;
        }

        var name = DnsName.FromWire(key.NameLower);
        if (!UnchangedSince(generationBefore, name))
        {
            return null;
        }

        var flags = response.Flags & (DnsHeaderFlags.AA | DnsHeaderFlags.RA);
        if (authenticData)
        {
            flags |= DnsHeaderFlags.AD;
        }

        var entry = new CacheEntry(key.Hash, name, key.Type, key.DnssecOk, key.CheckingDisabled, table, response.ResponseCode, flags,
            answers, authorities, additionals, ttl, Time.GetTimestamp(), Frequency);
        var generation = Generation;
        var target = table == CacheKind.Success ? Success : Denial;
        if (target.Set(entry))
        {
            series.Evictions(table).Inc();
        }

        // One answer per key: a positive answer replaces a denial and a denial a positive answer, but a cached
        // failure leaves the positive entry in place so serve_stale can still give it.
        if (table == CacheKind.Success)
        {
            Denial.Remove(key.Hash);
        }
        else if (!entry.IsServerFailure)
        {
            Success.Remove(key.Hash);
        }

        // A change published while this entry went in may have swept the table before it arrived.
        if (!UnchangedSince(generation, name))
        {
            target.Remove(key.Hash, entry);
            return null;
        }

        return entry;
    }

    /// <summary>
    /// A data source changed these names: drop every entry for them, denials (so a new name resolves at once,
    /// kubernetes/kubernetes#92559) and positive answers alike (so a removed or moved endpoint is not served for
    /// the rest of its TTL). One pass over both tables.
    /// </summary>
    public void OnNameChange(NameChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        Volatile.Write(ref _lastChange, change);
        Interlocked.Increment(ref _generation);
        Success.RemoveWhere(entry => change.Affects(entry.Name));
        Denial.RemoveWhere(entry => change.Affects(entry.Name));
    }

    private bool IsServableStale(CacheEntry entry, long now) =>
        _staleSeconds > 0 && -entry.RemainingSeconds(now, Frequency) < _staleSeconds;

    // Answers computed before a change to this name must not outlive it; with one change in between, only the
    // names it touches are refused, with more the answer is simply not stored.
    private bool UnchangedSince(long generationBefore, DnsName name)
    {
        var generation = Generation;
        if (generation == generationBefore)
        {
            return true;
        }

        var last = Volatile.Read(ref _lastChange);
        return generation == generationBefore + 1 && last is not null && Generation == generation && !last.Affects(name);
    }

    private static bool QuestionMatches(DnsMessage response, CacheKey key)
    {
        // Plugins normally leave the question to the encoder, which echoes the client's; one that copies an
        // upstream reply brings its question along, and CoreDNS refuses to cache a reply to another question.
        if (response.Questions.Count == 0)
        {
            return true;
        }

        var question = response.Questions[0];
        return response.Questions.Count == 1 && question.Type == key.Type && question.Name.Equals(key.NameLower);
    }

    private static ResourceRecord[] WithTtl(List<ResourceRecord> records, uint ttl)
    {
        if (records.Count == 0)
        {
            return [];
        }

        var result = new ResourceRecord[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            result[i] = records[i] = records[i].WithTtl(ttl);
        }

        return result;
    }

    private static void AddAll(List<ResourceRecord> into, ResourceRecord[] records)
    {
        foreach (var record in records)
        {
            into.Add(record);
        }
    }

    private static bool InAny(ReadOnlySpan<byte> nameLower, byte[][] zones)
    {
        foreach (var zone in zones)
        {
            if (WireName.IsSubdomainOf(nameLower, zone))
            {
                return true;
            }
        }

        return false;
    }
}
