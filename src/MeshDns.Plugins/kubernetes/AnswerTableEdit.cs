using MeshDns.Protocol;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>SRV records with CoreDNS's de-duplication (one per target and port) and their additional records.</summary>
internal sealed class SrvRecordSet(ushort weight)
{
    private readonly HashSet<(DnsName, int)> _targets = [];
    private readonly HashSet<ResourceRecord> _seen = new(ReferenceEqualityComparer.Instance);

    public List<ResourceRecord> Records { get; } = [];

    public List<ResourceRecord> Additional { get; } = [];

    public void Add(DnsName owner, DnsName target, int port, ResourceRecord address, uint ttl)
    {
        if (port is < 0 or > ushort.MaxValue)
        {
            return;
        }

        if (_targets.Add((target, port)))
        {
            Records.Add(new SrvRecord(owner, ttl, 0, weight, (ushort)port, target));
        }

        if (_seen.Add(address))
        {
            Additional.Add(address);
        }
    }
}

/// <summary>
/// One update of an <see cref="AnswerTable"/>: shards copied on first write, and the names that changed (shared by the
/// kubernetes and clusterset table builders).
/// </summary>
internal sealed class AnswerTableEdit(NameShard[] current)
{
    private static readonly DnsName Hostmaster = DnsName.Parse("hostmaster.");

    /// <summary>An empty table's shards.</summary>
    public static NameShard[] EmptyShards() => [.. Enumerable.Repeat(NameShard.Empty, AnswerTable.ShardCount)];

    /// <summary><c>zone. min(ttl,300) IN SOA ns.dns.zone. hostmaster.zone. SERIAL 7200 1800 86400 ttl</c>, as CoreDNS.</summary>
    public static SoaRecord Soa(DnsName zone, uint ttl, uint serial)
    {
        RecordNames.TryJoin(zone, out var ns, "ns", "dns");
        var mailbox = zone.IsRoot ? Hostmaster : DnsName.Concat(Hostmaster, zone);
        return new SoaRecord(zone, Math.Min(ttl, 300), ns, mailbox, serial, 7200, 1800, 86400, ttl);
    }

    /// <summary>Replaces an owner's names with <paramref name="entries"/>; returns the new name list.</summary>
    public static List<DnsName> Replace(AnswerTableEdit edit, List<DnsName> old, Dictionary<DnsName, NameEntry> entries, List<DnsName>? subtree)
    {
        var mark = edit.Names.Count;
        var changed = false;
        foreach (var name in old)
        {
            if (!entries.ContainsKey(name))
            {
                changed |= edit.Remove(name);
            }
        }

        foreach (var (name, entry) in entries)
        {
            changed |= edit.Set(name, entry);
        }

        if (changed && subtree is not null)
        {
            // A changed service changes its whole subtree (host, port and SRV names): one entry says it all.
            edit.Subtrees.AddRange(subtree);
            edit.Names.RemoveRange(mark, edit.Names.Count - mark);
        }

        return [.. entries.Keys];
    }

    public static void Store<TKey>(Dictionary<TKey, List<DnsName>> owners, TKey key, List<DnsName> names)
        where TKey : notnull
    {
        if (names.Count == 0)
        {
            owners.Remove(key);
        }
        else
        {
            owners[key] = names;
        }
    }


    private readonly Dictionary<DnsName, NameEntry>?[] _copies = new Dictionary<DnsName, NameEntry>?[AnswerTable.ShardCount];

    public bool Changed { get; set; }

    public List<DnsName> Names { get; } = [];

    public List<DnsName> Subtrees { get; set; } = [];

    public bool Set(DnsName name, NameEntry entry)
    {
        var shard = AnswerTable.ShardOf(name.Wire);
        if ((_copies[shard] ?? current[shard].Map).TryGetValue(name, out var old) && old.SameAs(entry))
        {
            return false;
        }

        Writable(shard)[name] = entry;
        Touch(name);
        return true;
    }

    public bool Remove(DnsName name)
    {
        var shard = AnswerTable.ShardOf(name.Wire);
        if (!(_copies[shard] ?? current[shard].Map).ContainsKey(name))
        {
            return false;
        }

        Writable(shard).Remove(name);
        Touch(name);
        return true;
    }

    public NameShard[] Finish()
    {
        var shards = new NameShard[AnswerTable.ShardCount];
        for (var i = 0; i < shards.Length; i++)
        {
            shards[i] = _copies[i] is { } copy ? new NameShard(copy) : current[i];
        }

        return shards;
    }

    private void Touch(DnsName name)
    {
        Changed = true;
        Names.Add(name);
    }

    private Dictionary<DnsName, NameEntry> Writable(int shard) =>
        _copies[shard] ??= new Dictionary<DnsName, NameEntry>(current[shard].Map, DnsNameComparer.Instance);
}
