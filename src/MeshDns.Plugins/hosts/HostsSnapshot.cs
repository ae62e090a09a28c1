using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Hosts;

/// <summary>The records one name has: its A and AAAA answers, built once per load.</summary>
public sealed class HostEntry(ResourceRecord[] a, ResourceRecord[] aaaa)
{
    public ResourceRecord[] A { get; } = a;

    public ResourceRecord[] Aaaa { get; } = aaaa;
}

/// <summary>
/// Host entries as parsed from one text (a file or the Corefile's inline lines): names (lower case, in the
/// plugin's zones) to addresses, in file order, and addresses to names for PTR answers.
/// </summary>
public sealed class HostsMap
{
    public static HostsMap Empty { get; } = new();

    public Dictionary<DnsName, List<IPAddress>> V4 { get; } = new(DnsNameComparer.Instance);

    public Dictionary<DnsName, List<IPAddress>> V6 { get; } = new(DnsNameComparer.Instance);

    /// <summary>Reverse names (<c>1.0.0.10.in-addr.arpa.</c>) to host names; empty with <c>no_reverse</c>.</summary>
    public Dictionary<DnsName, List<DnsName>> Reverse { get; } = new(DnsNameComparer.Instance);

    /// <summary>
    /// Reads hosts(5) lines: <c>ADDRESS NAME [ALIASES...]</c>, <c>#</c> comments. Lines with a bad address are
    /// skipped, as are names outside <paramref name="zones"/>. An IPv6 zone (<c>%eth0</c>) is ignored and an
    /// IPv4-mapped IPv6 address counts as IPv4, as in CoreDNS.
    /// </summary>
    public static HostsMap Parse(TextReader reader, IReadOnlyList<DnsName> zones, bool autoReverse)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(zones);
        var map = new HostsMap();
        Span<Range> fields = stackalloc Range[64];
        while (reader.ReadLine() is { } line)
        {
            var text = line.AsSpan();
            var comment = text.IndexOf('#');
            if (comment >= 0)
            {
                text = text[..comment];
            }

            var count = SplitFields(text, fields);
            if (count < 2 || !TryParseAddress(text[fields[0]], out var address))
            {
                continue;
            }

            for (var i = 1; i < count; i++)
            {
                if (!DnsName.TryParse(text[fields[i]], out var parsed))
                {
                    continue;
                }

                var name = parsed.ToLowerInvariant();
                if (!InZones(name, zones))
                {
                    continue;
                }

                var byName = address.AddressFamily == AddressFamily.InterNetwork ? map.V4 : map.V6;
                Append(byName, name, address);
                if (autoReverse)
                {
                    Append(map.Reverse, ReverseName(address), name);
                }
            }
        }

        return map;
    }

    /// <summary>The in-addr.arpa or ip6.arpa name of <paramref name="address"/>.</summary>
    public static DnsName ReverseName(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bytes = address.GetAddressBytes();
        var text = new StringBuilder(72);
        if (bytes.Length == 4)
        {
            for (var i = 3; i >= 0; i--)
            {
                text.Append(bytes[i]).Append('.');
            }

            return DnsName.Parse(text.Append("in-addr.arpa.").ToString());
        }

        const string Hex = "0123456789abcdef";
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            text.Append(Hex[bytes[i] & 0xF]).Append('.').Append(Hex[bytes[i] >> 4]).Append('.');
        }

        return DnsName.Parse(text.Append("ip6.arpa.").ToString());
    }

    private static int SplitFields(ReadOnlySpan<char> text, Span<Range> fields)
    {
        var count = 0;
        var i = 0;
        while (i < text.Length && count < fields.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i > start)
            {
                fields[count++] = new Range(start, i);
            }
        }

        return count;
    }

    private static bool TryParseAddress(ReadOnlySpan<char> text, out IPAddress address)
    {
        address = IPAddress.None;
        var zone = text.IndexOf('%');
        if (zone >= 0)
        {
            text = text[..zone];
        }

        if (!IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetwork && text.Count('.') != 3)
        {
            return false; // Go's ParseIP takes only dotted quads
        }

        address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
        return true;
    }

    private static bool InZones(DnsName name, IReadOnlyList<DnsName> zones)
    {
        foreach (var zone in zones)
        {
            if (name.IsSubdomainOf(zone))
            {
                return true;
            }
        }

        return false;
    }

    private static void Append<T>(Dictionary<DnsName, List<T>> map, DnsName key, T value)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        if (!list.Contains(value))
        {
            list.Add(value);
        }
    }
}

/// <summary>
/// What the hosts plugin answers from, immutable and swapped whole on reload. Every answer is a prebuilt
/// record array; lookups take the question's lower-case wire name and allocate nothing.
/// </summary>
public sealed class HostsSnapshot
{
    private readonly FrozenDictionary<DnsName, HostEntry>.AlternateLookup<ReadOnlySpan<byte>> _hosts;
    private readonly FrozenDictionary<DnsName, ResourceRecord[]>.AlternateLookup<ReadOnlySpan<byte>> _reverse;

    private HostsSnapshot(FrozenDictionary<DnsName, HostEntry> hosts, FrozenDictionary<DnsName, ResourceRecord[]> reverse, int entryCount)
    {
        Hosts = hosts;
        ReverseEntries = reverse;
        EntryCount = entryCount;
        _hosts = hosts.GetAlternateLookup<ReadOnlySpan<byte>>();
        _reverse = reverse.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public static HostsSnapshot Empty { get; } = Build(HostsMap.Empty, HostsMap.Empty, 3600);

    /// <summary>Names with their answers.</summary>
    public FrozenDictionary<DnsName, HostEntry> Hosts { get; }

    /// <summary>Reverse names with their PTR answers.</summary>
    public FrozenDictionary<DnsName, ResourceRecord[]> ReverseEntries { get; }

    /// <summary>Addresses plus reverse names, the value of <c>coredns_hosts_entries</c>.</summary>
    public int EntryCount { get; }

    /// <summary>The file's entries first, then the inline ones (duplicates dropped).</summary>
    public static HostsSnapshot Build(HostsMap file, HostsMap inline, uint ttl)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(inline);
        var names = file.V4.Keys.Concat(file.V6.Keys).Concat(inline.V4.Keys).Concat(inline.V6.Keys).Distinct(DnsNameComparer.Instance);
        var hosts = new Dictionary<DnsName, HostEntry>(DnsNameComparer.Instance);
        var count = 0;
        foreach (var name in names)
        {
            var a = Merge(file.V4, inline.V4, name).Select(ip => (ResourceRecord)new ARecord(name, ttl, ip)).ToArray();
            var aaaa = Merge(file.V6, inline.V6, name).Select(ip => (ResourceRecord)new AaaaRecord(name, ttl, ip)).ToArray();
            hosts[name] = new HostEntry(a, aaaa);
            count += a.Length + aaaa.Length;
        }

        var reverse = new Dictionary<DnsName, ResourceRecord[]>(DnsNameComparer.Instance);
        foreach (var name in file.Reverse.Keys.Concat(inline.Reverse.Keys).Distinct(DnsNameComparer.Instance))
        {
            var ptr = Merge(file.Reverse, inline.Reverse, name).Select(target => (ResourceRecord)new PtrRecord(name, ttl, target)).ToArray();
            reverse[name] = ptr;
            count += ptr.Length;
        }

        return new HostsSnapshot(
            hosts.ToFrozenDictionary(DnsNameComparer.Instance),
            reverse.ToFrozenDictionary(DnsNameComparer.Instance),
            count);
    }

    /// <summary>The entry of a lower-case wire name, or null.</summary>
    public HostEntry? FindHost(ReadOnlySpan<byte> name) => _hosts.TryGetValue(name, out var entry) ? entry : null;

    /// <summary>The PTR answers of a lower-case reverse wire name, or null.</summary>
    public ResourceRecord[]? FindReverse(ReadOnlySpan<byte> name) => _reverse.TryGetValue(name, out var records) ? records : null;

    /// <summary>Names whose answers differ between two snapshots (forward and reverse).</summary>
    public static IReadOnlyList<DnsName> ChangedNames(HostsSnapshot before, HostsSnapshot after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var changed = new List<DnsName>();
        foreach (var name in before.Hosts.Keys.Concat(after.Hosts.Keys).Distinct(DnsNameComparer.Instance))
        {
            before.Hosts.TryGetValue(name, out var old);
            after.Hosts.TryGetValue(name, out var now);
            if (old is null || now is null || !SameRecords(old.A, now.A) || !SameRecords(old.Aaaa, now.Aaaa))
            {
                changed.Add(name);
            }
        }

        foreach (var name in before.ReverseEntries.Keys.Concat(after.ReverseEntries.Keys).Distinct(DnsNameComparer.Instance))
        {
            before.ReverseEntries.TryGetValue(name, out var old);
            after.ReverseEntries.TryGetValue(name, out var now);
            if (old is null || now is null || !SameRecords(old, now))
            {
                changed.Add(name);
            }
        }

        return changed;
    }

    private static bool SameRecords(ResourceRecord[] a, ResourceRecord[] b) => a.AsSpan().SequenceEqual(b);

    private static IEnumerable<T> Merge<T>(Dictionary<DnsName, List<T>> first, Dictionary<DnsName, List<T>> second, DnsName key)
    {
        IEnumerable<T> values = first.TryGetValue(key, out var a) ? a : [];
        if (second.TryGetValue(key, out var b))
        {
            values = values.Concat(b);
        }

        return values.Distinct();
    }
}
