using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MeshDns.Server.Corefile;

/// <summary>
/// CIDR to reverse zones, as CoreDNS's plugin/pkg/cidr does it: a prefix that is not on a label boundary
/// (8 bits for in-addr.arpa, 4 bits for ip6.arpa) is split into the next-longer boundary prefixes, and each
/// becomes the zone named by its significant labels, e.g. <c>10.0.0.0/15</c> gives
/// <c>0.10.in-addr.arpa.</c> and <c>1.10.in-addr.arpa.</c>.
/// </summary>
internal static class ReverseZones
{
    /// <summary>Parses <c>address/prefix</c> like Go's <c>net.ParseCIDR</c>; host bits are cleared.</summary>
    public static bool TryParseCidr(string text, out byte[] network, out int prefix)
    {
        network = [];
        prefix = 0;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }

        var addressText = text[..slash];
        var maskText = text[(slash + 1)..];
        byte[] address;
        if (addressText.Contains(':', StringComparison.Ordinal))
        {
            if (!TryParseIPv6(addressText, out address))
            {
                return false;
            }
        }
        else if (!TryParseIPv4(addressText, out address))
        {
            return false;
        }

        // Go's dtoi: decimal digits only (leading zeros allowed), within the address's bit length.
        if (maskText.Length == 0 || maskText.Length > 6 || !maskText.All(char.IsAsciiDigit))
        {
            return false;
        }

        prefix = int.Parse(maskText, CultureInfo.InvariantCulture);
        if (prefix > address.Length * 8)
        {
            return false;
        }

        for (var bit = prefix; bit < address.Length * 8; bit++)
        {
            address[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        network = address;
        return true;
    }

    /// <summary>The reverse zones covering <paramref name="network"/>/<paramref name="prefix"/> in ascending order.</summary>
    public static IReadOnlyList<string> Expand(byte[] network, int prefix)
    {
        var digitBits = network.Length == 4 ? 8 : 4;
        var digits = network.Length == 4 ? network.Select(static b => (int)b).ToArray() : Nibbles(network);
        var boundary = (prefix + digitBits - 1) / digitBits * digitBits;
        var significant = boundary / digitBits;
        var count = 1 << (boundary - prefix);
        var zones = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var subnet = (int[])digits.Clone();

            // Host bits are clear, so the subnets differ only in the last significant digit.
            if (significant > 0)
            {
                subnet[significant - 1] += i;
            }

            zones.Add(Name(subnet, significant, network.Length == 4));
        }

        return zones;
    }

    private static string Name(int[] digits, int significant, bool ipv4)
    {
        var name = new StringBuilder();
        for (var i = significant - 1; i >= 0; i--)
        {
            name.Append(ipv4 ? digits[i].ToString(CultureInfo.InvariantCulture) : digits[i].ToString("x", CultureInfo.InvariantCulture));
            name.Append('.');
        }

        name.Append(ipv4 ? "in-addr.arpa." : "ip6.arpa.");
        return name.ToString();
    }

    private static int[] Nibbles(byte[] address)
    {
        var nibbles = new int[address.Length * 2];
        for (var i = 0; i < address.Length; i++)
        {
            nibbles[2 * i] = address[i] >> 4;
            nibbles[(2 * i) + 1] = address[i] & 0xF;
        }

        return nibbles;
    }

    /// <summary>Four decimal octets without leading zeros, as Go accepts them (no "10.1", no octal, no hex).</summary>
    private static bool TryParseIPv4(string text, out byte[] address)
    {
        address = new byte[4];
        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            var value = int.Parse(part, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return false;
            }

            address[i] = (byte)value;
        }

        return true;
    }

    private static bool TryParseIPv6(string text, out byte[] address)
    {
        address = [];

        // IPAddress also takes zones ("%eth0") and brackets, which a CIDR may not have.
        foreach (var ch in text)
        {
            if (!char.IsAsciiHexDigit(ch) && ch is not ':' and not '.')
            {
                return false;
            }
        }

        if (!IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed.GetAddressBytes();
        return true;
    }
}
