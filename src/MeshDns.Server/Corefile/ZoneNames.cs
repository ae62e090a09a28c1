using System.Globalization;
using System.Text;

namespace MeshDns.Server.Corefile;

/// <summary>
/// Server keys and zone arguments, read the way CoreDNS reads them (core/dnsserver and plugin/normalize.go):
/// <c>[transport://]zone[:port]</c>, where a zone written as a CIDR becomes the reverse zones covering it.
/// </summary>
/// <remarks>
/// Stricter than CoreDNS in four places, each a key CoreDNS accepts silently and then never matches or
/// fails later on: an unknown <c>scheme://</c> is an error (CoreDNS makes it part of the zone name); a
/// non-numeric or out-of-range port is an error; a zone containing <c>/</c> that is not a valid CIDR is an
/// error (a trailing dot, <c>10.0.0.0/24.</c>, still asks for the literal name, as in CoreDNS); and a zone
/// that still contains <c>:</c> or brackets without being a CIDR (<c>[::1]:53</c>) is rejected, because a
/// server key is a zone and listen addresses are the <c>bind</c> plugin's job. A dotted IPv4 address without
/// a mask stays a (literal) zone name, as in CoreDNS.
/// </remarks>
internal static class ZoneNames
{
    public const string TransportDns = "dns";
    public const string TransportTls = "tls";
    public const string TransportHttps = "https";
    public const string TransportGrpc = "grpc";
    public const string TransportQuic = "quic";

    private static readonly string[] Transports = [TransportTls, TransportDns, TransportQuic, TransportGrpc, TransportHttps];

    /// <summary>Strips a known <c>scheme://</c>; no scheme means <c>dns</c>.</summary>
    public static bool TrySplitTransport(string key, out string transport, out string rest, out string? error)
    {
        foreach (var candidate in Transports)
        {
            if (key.StartsWith(candidate + "://", StringComparison.Ordinal))
            {
                transport = candidate;
                rest = key[(candidate.Length + 3)..];
                error = null;
                return true;
            }
        }

        transport = TransportDns;
        rest = key;
        var scheme = key.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            error = $"unsupported transport '{key[..scheme]}' in '{key}' (expecting dns, tls, https, grpc or quic)";
            return false;
        }

        error = null;
        return true;
    }

    public static int DefaultPortFor(string transport, int dnsPort) => transport switch
    {
        TransportTls or TransportQuic => 853,
        TransportGrpc or TransportHttps => 443,
        _ => dnsPort,
    };

    /// <summary>
    /// Splits <c>zone[:port]</c> (no transport) into lower-case FQDN zones and the port, expanding a CIDR into
    /// its reverse zones.
    /// </summary>
    public static bool TrySplitHostPort(string s, out IReadOnlyList<string> zones, out int? port, out string? error)
    {
        zones = [];
        port = null;

        // A port is whatever follows the last colon, as in CoreDNS; an IPv6 CIDR keeps its colons because
        // its mask ("/64") comes before any port.
        var colon = s.LastIndexOf(':');
        if (colon >= 0 && colon == s.Length - 1)
        {
            error = $"expecting data after last colon: \"{s}\"";
            return false;
        }

        var host = s;
        if (colon >= 0)
        {
            var suffix = s[(colon + 1)..];
            if (suffix.All(char.IsAsciiDigit))
            {
                var digits = suffix.TrimStart('0');
                if (digits.Length > 5 || (digits.Length > 0 && int.Parse(digits, CultureInfo.InvariantCulture) > 65535))
                {
                    error = $"invalid port '{suffix}' in '{s}': must be between 0 and 65535";
                    return false;
                }

                port = digits.Length == 0 ? 0 : int.Parse(digits, CultureInfo.InvariantCulture);
                host = s[..colon];
            }
            else if (!suffix.Contains('/', StringComparison.Ordinal))
            {
                error = $"invalid port '{suffix}' in '{s}'";
                return false;
            }
        }

        var byteLength = Encoding.UTF8.GetByteCount(host);
        if (byteLength > 255)
        {
            error = $"specified zone is too long: {byteLength} > 255";
            return false;
        }

        if (!IsDomainName(host))
        {
            error = $"zone is not a valid domain name: {host}";
            return false;
        }

        if (host.Contains('/', StringComparison.Ordinal) && !host.EndsWith('.'))
        {
            if (!ReverseZones.TryParseCidr(host, out var address, out var prefix)
                || host[0] == ':'
                || (host[0] == '0' && host.Contains(':', StringComparison.Ordinal)))
            {
                // CoreDNS rejects "::/n"-style and IPv4-mapped prefixes with this text too.
                error = $"invalid CIDR {host}";
                return false;
            }

            zones = ReverseZones.Expand(address, prefix);
            error = null;
            return true;
        }

        // "2003::1/64." is a literal name in CoreDNS (the dot opts out of CIDR parsing), so only colons
        // without a mask are taken for an address.
        if ((host.Contains(':', StringComparison.Ordinal) && !host.Contains('/', StringComparison.Ordinal))
            || host.Contains('[', StringComparison.Ordinal) || host.Contains(']', StringComparison.Ordinal))
        {
            error = $"zone is not a valid domain name: {host} (a server key is a zone, not a listen address; see the bind plugin)";
            return false;
        }

        zones = [Normalize(host)];
        error = null;
        return true;
    }

    /// <summary>Lower-case, fully qualified (CoreDNS's <c>plugin.Name.Normalize</c>).</summary>
    public static string Normalize(string name) => Fqdn(name).ToLowerInvariant();

    /// <summary>Appends the root dot unless the name already ends in an unescaped one.</summary>
    public static string Fqdn(string name) => IsFqdn(name) ? name : name + ".";

    private static bool IsFqdn(string name)
    {
        if (!name.EndsWith('.'))
        {
            return false;
        }

        var backslashes = 0;
        for (var i = name.Length - 2; i >= 0 && name[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 0;
    }

    /// <summary>
    /// miekg/dns <c>IsDomainName</c>: liberal about characters, strict about empty labels (except the root),
    /// label length (63) and wire length (255), with <c>\X</c> and <c>\DDD</c> escapes.
    /// </summary>
    public static bool IsDomainName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        var s = Encoding.UTF8.GetBytes(Fqdn(name));
        const int maxWire = 256;
        var offset = 0;
        var begin = 0;
        var wasDot = false;
        for (var i = 0; i < s.Length; i++)
        {
            switch (s[i])
            {
                case (byte)'\\':
                    if (offset + 1 > maxWire)
                    {
                        return false;
                    }

                    if (i + 3 < s.Length && IsDigit(s[i + 1]) && IsDigit(s[i + 2]) && IsDigit(s[i + 3]))
                    {
                        i += 3;
                        begin += 3;
                    }
                    else
                    {
                        i++;
                        begin++;
                    }

                    wasDot = false;
                    break;
                case (byte)'.':
                    if (wasDot || (i == 0 && s.Length > 1))
                    {
                        return false;
                    }

                    wasDot = true;
                    var labelLength = i - begin;
                    if (labelLength > 63)
                    {
                        return false;
                    }

                    offset += 1 + labelLength;
                    if (offset > maxWire)
                    {
                        return false;
                    }

                    begin = i + 1;
                    break;
                default:
                    wasDot = false;
                    break;
            }
        }

        return true;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
}
