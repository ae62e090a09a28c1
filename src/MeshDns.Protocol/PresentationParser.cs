using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MeshDns.Protocol;

/// <summary>
/// Reads records written in zone-file form (RFC 1035 5.1), the format test tables and logs use:
/// <c>svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1</c>. One record per line; no $ORIGIN, no parentheses.
/// </summary>
internal static class PresentationParser
{
    public static ResourceRecord ParseRecord(string text)
    {
        var tokens = Tokenize(text);
        if (tokens.Count < 3)
        {
            throw Error(text, "expected 'name [ttl] [class] type rdata'");
        }

        var name = ParseName(tokens[0].Text, text);
        var index = 1;
        uint ttl = 0;
        var @class = DnsClass.IN;
        for (var field = 0; field < 2 && index < tokens.Count; field++)
        {
            if (uint.TryParse(tokens[index].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedTtl))
            {
                ttl = parsedTtl;
                index++;
            }
            else if (!tokens[index].Quoted && DnsTypeNames.TryParseClass(tokens[index].Text, out var parsedClass))
            {
                @class = parsedClass;
                index++;
            }
        }

        if (index >= tokens.Count || !DnsTypeNames.TryParseType(tokens[index].Text, out var type))
        {
            throw Error(text, "missing or unknown record type");
        }

        var rdata = tokens.Skip(index + 1).ToList();
        if (rdata.Count > 0 && rdata[0].Text == "\\#" && !rdata[0].Quoted)
        {
            return ParseGeneric(name, type, ttl, @class, rdata, text);
        }

        return type switch
        {
            DnsRecordType.A => new ARecord(name, ttl, ParseAddress(rdata, AddressFamily.InterNetwork, text), @class),
            DnsRecordType.AAAA => new AaaaRecord(name, ttl, ParseAddress(rdata, AddressFamily.InterNetworkV6, text), @class),
            DnsRecordType.CNAME => new CnameRecord(name, ttl, ParseName(Single(rdata, text), text), @class),
            DnsRecordType.NS => new NsRecord(name, ttl, ParseName(Single(rdata, text), text), @class),
            DnsRecordType.PTR => new PtrRecord(name, ttl, ParseName(Single(rdata, text), text), @class),
            DnsRecordType.MX => rdata.Count == 2
                ? new MxRecord(name, ttl, ParseUInt16(rdata[0].Text, text), ParseName(rdata[1].Text, text), @class)
                : throw Error(text, "MX needs preference and exchange"),
            DnsRecordType.SRV => rdata.Count == 4
                ? new SrvRecord(name, ttl, ParseUInt16(rdata[0].Text, text), ParseUInt16(rdata[1].Text, text), ParseUInt16(rdata[2].Text, text), ParseName(rdata[3].Text, text), @class)
                : throw Error(text, "SRV needs priority, weight, port and target"),
            DnsRecordType.SOA => rdata.Count == 7
                ? new SoaRecord(name, ttl, ParseName(rdata[0].Text, text), ParseName(rdata[1].Text, text),
                    ParseUInt32(rdata[2].Text, text), ParseUInt32(rdata[3].Text, text), ParseUInt32(rdata[4].Text, text),
                    ParseUInt32(rdata[5].Text, text), ParseUInt32(rdata[6].Text, text), @class)
                : throw Error(text, "SOA needs mname, rname, serial, refresh, retry, expire and minimum"),
            DnsRecordType.TXT => rdata.Count > 0
                ? new TxtRecord(name, ttl, rdata.Select(t => t.Bytes), @class)
                : throw Error(text, "TXT needs at least one string"),
            _ => throw Error(text, $"type {DnsTypeNames.TypeToString(type)} needs the generic form \\# LENGTH HEX"),
        };
    }

    private static UnknownRecord ParseGeneric(DnsName name, DnsRecordType type, uint ttl, DnsClass @class, List<Token> rdata, string text)
    {
        if (rdata.Count < 2 || !int.TryParse(rdata[1].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            throw Error(text, "generic RDATA needs \\# LENGTH HEX");
        }

        var hex = string.Concat(rdata.Skip(2).Select(t => t.Text));
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw Error(text, "generic RDATA is not hexadecimal");
        }

        return bytes.Length == length ? new UnknownRecord(name, type, ttl, bytes, @class) : throw Error(text, "generic RDATA length does not match");
    }

    // Zone-file forms only: four decimal octets for A (IPAddress.TryParse also takes inet_aton shorthands such as
    // "10.1" and reads "010" as octal), and IPv6 text without a scope ID for AAAA.
    private static IPAddress ParseAddress(List<Token> rdata, AddressFamily family, string text) =>
        rdata.Count == 1 &&
        (family == AddressFamily.InterNetwork
            ? TryParseDottedDecimal(rdata[0].Text, out var address)
            : !rdata[0].Text.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(rdata[0].Text, out address) && address.AddressFamily == family)
            ? address
            : throw Error(text, "not a valid address");

    private static bool TryParseDottedDecimal(string value, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        var parts = value.Split('.');
        var octets = new byte[4];
        if (parts.Length != 4)
        {
            return false;
        }

        for (var i = 0; i < 4; i++)
        {
            if (parts[i].Length is 0 or > 3 || !byte.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out octets[i]))
            {
                return false;
            }
        }

        address = new IPAddress(octets);
        return true;
    }

    private static string Single(List<Token> rdata, string text) => rdata.Count == 1 ? rdata[0].Text : throw Error(text, "expected one name");

    private static DnsName ParseName(string name, string text) =>
        DnsName.TryParse(name, out var parsed) ? parsed : throw Error(text, $"'{name}' is not a valid name");

    private static ushort ParseUInt16(string value, string text) =>
        ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw Error(text, $"'{value}' is not a 16-bit number");

    private static uint ParseUInt32(string value, string text) =>
        uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw Error(text, $"'{value}' is not a 32-bit number");

    private static FormatException Error(string text, string why) => new($"cannot parse record '{text}': {why}");

    // Appends the character at `index` (a surrogate pair counts as one) as UTF-8; returns how many chars it used.
    private static int AppendUtf8(string text, int index, List<byte> bytes)
    {
        if (text[index] <= 0x7F)
        {
            bytes.Add((byte)text[index]);
            return 1;
        }

        var length = char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
        bytes.AddRange(Encoding.UTF8.GetBytes(text, index, length));
        return length;
    }

    private readonly record struct Token(string Text, bool Quoted, byte[] Bytes);

    // Splits on white space; "quoted strings" keep spaces and undo \" \\ \DDD escapes (TXT needs the raw bytes).
    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }

            if (text[i] == ';')
            {
                break; // comment
            }

            var quoted = text[i] == '"';
            if (quoted)
            {
                i++;
            }

            var bytes = new List<byte>();
            var raw = new StringBuilder();
            while (i < text.Length && (quoted ? text[i] != '"' : !char.IsWhiteSpace(text[i])))
            {
                if (text[i] == '\\' && i + 1 < text.Length)
                {
                    if (i + 3 < text.Length && char.IsAsciiDigit(text[i + 1]) && char.IsAsciiDigit(text[i + 2]) && char.IsAsciiDigit(text[i + 3]))
                    {
                        var value = int.Parse(text.AsSpan(i + 1, 3), CultureInfo.InvariantCulture);
                        bytes.Add(value <= byte.MaxValue ? (byte)value : throw Error(text, $"\\{text.AsSpan(i + 1, 3)} is above 255"));
                        raw.Append(text, i, 4);
                        i += 4;
                        continue;
                    }

                    var escaped = AppendUtf8(text, i + 1, bytes);
                    raw.Append(text, i, 1 + escaped);
                    i += 1 + escaped;
                    continue;
                }

                var consumed = AppendUtf8(text, i, bytes);
                raw.Append(text, i, consumed);
                i += consumed;
            }

            if (quoted)
            {
                if (i >= text.Length)
                {
                    throw Error(text, "unterminated quoted string");
                }

                i++;
            }

            tokens.Add(new Token(raw.ToString(), quoted, bytes.ToArray()));
        }

        return tokens;
    }
}
