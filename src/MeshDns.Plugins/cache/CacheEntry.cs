using MeshDns.Protocol;

namespace MeshDns.Plugins.Cache;

/// <summary>Which table an entry lives in; also the <c>type</c> label of the cache metrics.</summary>
public enum CacheKind
{
    /// <summary>Answers, delegations, empty NOERROR replies.</summary>
    Success,

    /// <summary>NXDOMAIN and NODATA with an SOA, and cached server failures.</summary>
    Denial,
}

/// <summary>
/// One cached response: the question it answers, its header bits and its records, which are immutable and were
/// stored with their TTLs already set to the entry's TTL. A hit hands out these very record objects and lets the
/// encoder subtract the entry's age. Only the prefetch bookkeeping changes after creation.
/// </summary>
internal sealed class CacheEntry
{
    private long _lastHit;
    private int _hits;
    private int _refreshing;

    public CacheEntry(
        ulong hash,
        DnsName name,
        DnsRecordType type,
        bool dnssecOk,
        bool checkingDisabled,
        CacheKind kind,
        DnsResponseCode rcode,
        DnsHeaderFlags flags,
        ResourceRecord[] answers,
        ResourceRecord[] authorities,
        ResourceRecord[] additionals,
        uint ttl,
        long storedTimestamp,
        long timestampFrequency)
    {
        Hash = hash;
        Name = name;
        Type = type;
        DnssecOk = dnssecOk;
        CheckingDisabled = checkingDisabled;
        Kind = kind;
        Rcode = rcode;
        Flags = flags & (DnsHeaderFlags.AA | DnsHeaderFlags.RA | DnsHeaderFlags.AD);
        Answers = answers;
        Authorities = authorities;
        Additionals = additionals;
        Ttl = ttl;
        StoredTimestamp = storedTimestamp;
        ExpiresTimestamp = storedTimestamp + (ttl * timestampFrequency);
        _lastHit = long.MinValue;
    }

    /// <summary>The key's hash: chooses the shard and the slot.</summary>
    public ulong Hash { get; }

    /// <summary>The question name, lower case; its wire form is compared with a query's lower-case name on every hit.</summary>
    public DnsName Name { get; }

    public DnsRecordType Type { get; }

    /// <summary>The DO bit of the query that filled the entry (part of the key, as in CoreDNS).</summary>
    public bool DnssecOk { get; }

    /// <summary>The CD bit of the query that filled the entry (part of the key).</summary>
    public bool CheckingDisabled { get; }

    public CacheKind Kind { get; }

    public DnsResponseCode Rcode { get; }

    /// <summary>AA, RA and AD as the answer carried them.</summary>
    public DnsHeaderFlags Flags { get; }

    public ResourceRecord[] Answers { get; }

    public ResourceRecord[] Authorities { get; }

    public ResourceRecord[] Additionals { get; }

    /// <summary>Seconds the entry is fresh for; every stored record carries this TTL.</summary>
    public uint Ttl { get; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when the entry was stored.</summary>
    public long StoredTimestamp { get; }

    /// <summary>When the TTL reaches zero, in the same units.</summary>
    public long ExpiresTimestamp { get; }

    /// <summary>True for a cached SERVFAIL or NOTIMP (kept in the denial table, never served stale).</summary>
    public bool IsServerFailure => Rcode is DnsResponseCode.ServFail or DnsResponseCode.NotImp;

    /// <summary>Hits seen without a gap of the prefetch duration.</summary>
    public int Hits => Volatile.Read(ref _hits);

    /// <summary>True when this entry answers exactly this key (a guard against hash collisions).</summary>
    public bool Matches(ReadOnlySpan<byte> nameLower, DnsRecordType type, bool dnssecOk, bool checkingDisabled) =>
        Type == type && DnssecOk == dnssecOk && CheckingDisabled == checkingDisabled && nameLower.SequenceEqual(Name.Wire);

    /// <summary>Whole seconds since the entry was stored.</summary>
    public long AgeSeconds(long now, long timestampFrequency) => Math.Max(0, now - StoredTimestamp) / timestampFrequency;

    /// <summary>Seconds of TTL left; zero or less means expired (CoreDNS's <c>item.ttl</c>).</summary>
    public long RemainingSeconds(long now, long timestampFrequency) => Ttl - AgeSeconds(now, timestampFrequency);

    /// <summary>
    /// Counts a hit for prefetching, as CoreDNS's <c>freq.Update</c>: hits restart at one after a gap of
    /// <paramref name="window"/> timestamp units or more. Races between threads may lose a count; that is harmless.
    /// </summary>
    public int RecordHit(long now, long window)
    {
        var last = Volatile.Read(ref _lastHit);
        Volatile.Write(ref _lastHit, now);
        if (last == long.MinValue || last < now - window)
        {
            Volatile.Write(ref _hits, 1);
            return 1;
        }

        return Interlocked.Increment(ref _hits);
    }

    /// <summary>Carries the hit history over from the entry this one replaced by prefetching.</summary>
    public void InheritHits(long now, int hits)
    {
        Volatile.Write(ref _lastHit, now);
        Volatile.Write(ref _hits, hits);
    }

    /// <summary>Claims the one refresh allowed in flight for this entry.</summary>
    public bool TryBeginRefresh() => Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0;

    public void EndRefresh() => Volatile.Write(ref _refreshing, 0);
}
