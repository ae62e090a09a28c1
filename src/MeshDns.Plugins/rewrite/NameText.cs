using MeshDns.Protocol;

namespace MeshDns.Plugins.Rewrite;

/// <summary>
/// Names as CoreDNS's rewrite rules see them: presentation text with a trailing dot and RFC 1035 escapes, written
/// into a caller's span so matching a query against string rules allocates nothing.
/// </summary>
internal static class NameText
{
    /// <summary>Room for the longest name: 255 octets, each at most four characters (<c>\DDD</c>).</summary>
    public const int MaxChars = 1024;

    /// <summary>Writes <paramref name="wire"/> as text (<c>www.example.org.</c>, the root as <c>.</c>); returns the length.</summary>
    public static int Format(ReadOnlySpan<byte> wire, Span<char> destination)
    {
        if (wire.Length == 0 || wire[0] == 0)
        {
            destination[0] = '.';
            return 1;
        }

        var written = 0;
        var position = 0;
        while (position < wire.Length && wire[position] != 0)
        {
            var length = wire[position];
            foreach (var octet in wire.Slice(position + 1, length))
            {
                switch (octet)
                {
                    case (byte)'.' or (byte)'\\' or (byte)'"' or (byte)'(' or (byte)')' or (byte)';' or (byte)'@' or (byte)'$':
                        destination[written++] = '\\';
                        destination[written++] = (char)octet;
                        break;
                    case < 0x21 or > 0x7E:
                        destination[written++] = '\\';
                        destination[written++] = (char)('0' + (octet / 100));
                        destination[written++] = (char)('0' + (octet / 10 % 10));
                        destination[written++] = (char)('0' + (octet % 10));
                        break;
                    default:
                        destination[written++] = (char)octet;
                        break;
                }
            }

            destination[written++] = '.';
            position += length + 1;
        }

        return written;
    }

    /// <summary>The text of a name as a string (response rewriting, where allocation is fine).</summary>
    public static string ToText(DnsName name)
    {
        Span<char> buffer = stackalloc char[MaxChars];
        return new string(buffer[..Format(name.Wire, buffer)]);
    }

    /// <summary>CoreDNS's <c>plugin.Name(s).Normalize()</c>: lower case, with a trailing dot.</summary>
    public static string Normalize(string text) => (text.EndsWith('.') ? text : text + ".").ToLowerInvariant();
}
