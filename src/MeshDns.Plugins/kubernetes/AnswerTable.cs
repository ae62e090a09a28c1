using MeshDns.Protocol;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>
/// Everything one name answers, per query type, built when the cluster changes. Arrays are never modified after
/// the entry is published; a query copies references out of them.
/// </summary>
public sealed class NameEntry
{
    /// <summary>A name that exists with no records of its own (a namespace, <c>svc.zone</c>): NODATA for every type.</summary>
    public static NameEntry Exists { get; } = new();

    public ResourceRecord[] A { get; init; } = [];

    public ResourceRecord[] Aaaa { get; init; } = [];

    public ResourceRecord[] Srv { get; init; } = [];

    /// <summary>The targets' A/AAAA records, for the additional section of an SRV answer.</summary>
    public ResourceRecord[] SrvAdditional { get; init; } = [];

    public ResourceRecord[] Ptr { get; init; } = [];

    public ResourceRecord[] Txt { get; init; } = [];

    /// <summary>The apex NS records (empty when the server's own addresses are unknown).</summary>
    public ResourceRecord[] Ns { get; init; } = [];

    public ResourceRecord[] NsAdditional { get; init; } = [];

    /// <summary>An ExternalName service's CNAME.</summary>
    public CnameRecord? Cname
    {
        get;
        init
        {
            field = value;
            CnameAnswer = value is null ? [] : [value];
        }
    }

    /// <summary><see cref="Cname"/> as a ready-made answer section (empty without one).</summary>
    public ResourceRecord[] CnameAnswer { get; private init; } = [];

    /// <summary><see cref="Cname"/>'s target in lower case, for following it through the tables.</summary>
    public DnsName? CnameTargetLower { get; init; }

    /// <summary>The zone apex: SOA questions are answered with the zone's SOA.</summary>
    public bool IsApex { get; init; }

    /// <summary>
    /// A name that exists for one type only (<c>dns-version.zone</c> TXT, a reverse name's PTR): CoreDNS answers other
    /// types NXDOMAIN there (NODATA for TXT and SOA, which it never denies).
    /// </summary>
    public DnsRecordType? OnlyType { get; init; }

    /// <summary>Same answers (records compared by value), so republishing it changes nothing.</summary>
    public bool SameAs(NameEntry other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(this, other) || (IsApex == other.IsApex && OnlyType == other.OnlyType
            && Same(A, other.A) && Same(Aaaa, other.Aaaa) && Same(Srv, other.Srv) && Same(SrvAdditional, other.SrvAdditional)
            && Same(Ptr, other.Ptr) && Same(Txt, other.Txt) && Same(Ns, other.Ns) && Same(NsAdditional, other.NsAdditional)
            && Equals(Cname, other.Cname));
    }

    private static bool Same(ResourceRecord[] a, ResourceRecord[] b) => a.AsSpan().SequenceEqual(b);
}

/// <summary>One zone of a stanza as the table serves it: its name and its SOA (whose serial changes with the data).</summary>
public sealed class ZoneAnswers
{
    public ZoneAnswers(DnsName zone, bool isReverse, SoaRecord soa)
    {
        Zone = zone;
        Wire = zone.Wire.ToArray();
        Labels = zone.LabelCount;
        IsReverse = isReverse;
        Soa = soa;
        SoaAnswer = [soa];
    }

    public DnsName Zone { get; }

    /// <summary>The zone in lower-case wire form.</summary>
    public byte[] Wire { get; }

    public int Labels { get; }

    public bool IsReverse { get; }

    /// <summary><c>zone. min(ttl,300) IN SOA ns.dns.zone. hostmaster.zone. SERIAL 7200 1800 86400 ttl</c>.</summary>
    public SoaRecord Soa { get; }

    /// <summary><see cref="Soa"/> as a ready-made answer section.</summary>
    public ResourceRecord[] SoaAnswer { get; }
}

/// <summary>
/// The immutable answer table of one stanza for one snapshot of its cluster: names (lower case) to
/// <see cref="NameEntry"/>, spread over shards so a change copies only the shards it touches, plus each zone's SOA.
/// Readers take <see cref="ClusterAnswers.Table"/> once per query; lookups take a span and allocate nothing.
/// </summary>
public sealed class AnswerTable
{
    /// <summary>Number of shards; a power of two.</summary>
    public const int ShardCount = 64;

    private readonly NameShard[] _shards;

    internal AnswerTable(NameShard[] shards, ZoneAnswers[] zones, bool hasSynced, uint serial, long snapshotVersion, int nameCount)
    {
        _shards = shards;
        Zones = zones;
        HasSynced = hasSynced;
        Serial = serial;
        SnapshotVersion = snapshotVersion;
        NameCount = nameCount;
    }

    /// <summary>The stanza's zones in the order of the Corefile.</summary>
    public IReadOnlyList<ZoneAnswers> Zones { get; }

    /// <summary>False until the cluster's first complete sync: a would-be NXDOMAIN is SERVFAIL meanwhile.</summary>
    public bool HasSynced { get; }

    /// <summary>The SOA serial: the time (Unix seconds) of the last change of an answer.</summary>
    public uint Serial { get; }

    /// <summary>The version of the cluster snapshot this table was built from.</summary>
    public long SnapshotVersion { get; }

    /// <summary>Names in the table.</summary>
    public int NameCount { get; }

    internal NameShard[] Shards => _shards;

    /// <summary>The entry of a lower-case wire name, or null.</summary>
    public NameEntry? Find(ReadOnlySpan<byte> lowerName) => _shards[ShardOf(lowerName)].Find(lowerName);

    /// <summary>Every name with its entry (tests, diagnostics).</summary>
    public IEnumerable<KeyValuePair<DnsName, NameEntry>> Entries => _shards.SelectMany(s => s.Map);

    /// <summary>
    /// The index in <see cref="Zones"/> of the longest zone holding <paramref name="lowerName"/>, or -1.
    /// </summary>
    public int MatchZone(ReadOnlySpan<byte> lowerName)
    {
        var best = -1;
        var bestLength = -1;
        for (var i = 0; i < Zones.Count; i++)
        {
            var zone = Zones[i].Wire;
            if (zone.Length > bestLength && WireName.IsSubdomainOf(lowerName, zone))
            {
                best = i;
                bestLength = zone.Length;
            }
        }

        return best;
    }

    internal static int ShardOf(ReadOnlySpan<byte> name) => (int)((uint)WireName.GetHashCode(name) % ShardCount);
}

/// <summary>One shard: a dictionary that is never modified once published, with its span lookup.</summary>
internal sealed class NameShard
{
    private readonly Dictionary<DnsName, NameEntry>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public NameShard(Dictionary<DnsName, NameEntry> map)
    {
        Map = map;
        _lookup = map.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public static NameShard Empty { get; } = new(new Dictionary<DnsName, NameEntry>(DnsNameComparer.Instance));

    public Dictionary<DnsName, NameEntry> Map { get; }

    public NameEntry? Find(ReadOnlySpan<byte> name) => _lookup.TryGetValue(name, out var entry) ? entry : null;
}
