using MeshDns.Protocol;

namespace MeshDns.Plugins.Hosts;

/// <summary>
/// CoreDNS's <c>fallthrough [ZONES...]</c>: off when absent; with no zones every name falls through; otherwise
/// only names in the listed zones. Checks a wire name without allocating.
/// </summary>
public sealed class Fallthrough
{
    private readonly byte[][] _zones;

    private Fallthrough(IReadOnlyList<DnsName> zones)
    {
        Zones = zones;
        _zones = zones.Select(z => z.ToLowerInvariant().Wire.ToArray()).ToArray();
    }

    /// <summary>No fallthrough.</summary>
    public static Fallthrough None { get; } = new([]);

    /// <summary>Fallthrough for every name.</summary>
    public static Fallthrough All { get; } = new([DnsName.Root]);

    /// <summary>Zones that fall through (empty when off).</summary>
    public IReadOnlyList<DnsName> Zones { get; }

    public bool IsEnabled => _zones.Length > 0;

    public static Fallthrough For(IReadOnlyList<DnsName> zones)
    {
        ArgumentNullException.ThrowIfNull(zones);
        return zones.Count == 0 ? All : new Fallthrough(zones);
    }

    /// <summary>True when a query for <paramref name="name"/> (wire form) should go to the next plugin.</summary>
    public bool Through(ReadOnlySpan<byte> name)
    {
        foreach (var zone in _zones)
        {
            if (WireName.IsSubdomainOf(name, zone))
            {
                return true;
            }
        }

        return false;
    }
}
