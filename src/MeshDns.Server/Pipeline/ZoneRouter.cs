using MeshDns.Protocol;

namespace MeshDns.Server;

/// <summary>A server block as it runs: its zones and its plugin chain.</summary>
public sealed class ServerBlockRuntime
{
    public ServerBlockRuntime(string key, IReadOnlyList<DnsName> zones, DnsHandler chain, IReadOnlyList<string> plugins)
    {
        Key = key;
        Zones = zones;
        Chain = chain;
        Plugins = plugins;
    }

    /// <summary>The block's first key as CoreDNS prints it (<c>dns://example.org.:53</c>).</summary>
    public string Key { get; }

    /// <summary>Zones this block serves (lower case).</summary>
    public IReadOnlyList<DnsName> Zones { get; }

    /// <summary>The first handler of the chain.</summary>
    public DnsHandler Chain { get; }

    /// <summary>Plugin names in chain order (for logs and <c>coredns_plugin_enabled</c>).</summary>
    public IReadOnlyList<string> Plugins { get; }
}

/// <summary>
/// Chooses the server block for a question as CoreDNS does: the longest zone that is a suffix of the name wins,
/// <c>.</c> is the last resort, no match means REFUSED. DS queries go to the parent side of a zone cut when this
/// server also serves the parent.
/// </summary>
public sealed class ZoneRouter
{
    private readonly Dictionary<DnsName, (ServerBlockRuntime Block, string ZoneText)> _zones;
    private readonly Dictionary<DnsName, (ServerBlockRuntime Block, string ZoneText)>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly ServerBlockRuntime? _root;

    public ZoneRouter(IEnumerable<ServerBlockRuntime> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        _zones = new Dictionary<DnsName, (ServerBlockRuntime, string)>(DnsNameComparer.Instance);
        foreach (var block in blocks)
        {
            foreach (var zone in block.Zones)
            {
                if (zone.IsRoot)
                {
                    _root ??= block;
                }
                else
                {
                    _zones.TryAdd(zone, (block, zone.ToString()));
                }
            }
        }

        _lookup = _zones.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Finds the block for <paramref name="name"/>; null means REFUSED.</summary>
    public ServerBlockRuntime? Route(ReadOnlySpan<byte> name, DnsRecordType type, out string zone)
    {
        (ServerBlockRuntime Block, string ZoneText)? dsCandidate = null;
        var offset = 0;
        while (name[offset] != 0)
        {
            if (_lookup.TryGetValue(name[offset..], out var match))
            {
                if (type != DnsRecordType.DS)
                {
                    zone = match.ZoneText;
                    return match.Block;
                }

                // A DS record lives in the parent zone: remember this match and keep looking for a parent we serve.
                dsCandidate = match;
            }

            offset += name[offset] + 1;
        }

        if (dsCandidate is { } ds)
        {
            zone = ds.ZoneText;
            return ds.Block;
        }

        zone = ".";
        return _root;
    }
}
