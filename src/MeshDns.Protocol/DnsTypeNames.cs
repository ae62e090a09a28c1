using System.Globalization;

namespace MeshDns.Protocol;

/// <summary>Mnemonics for types, classes and rcodes as zone files, dig and CoreDNS's metrics spell them.</summary>
public static class DnsTypeNames
{
    /// <summary>The mnemonic (<c>A</c>, <c>SRV</c>) or the RFC 3597 form <c>TYPE123</c>. Known types return a constant string.</summary>
    public static string TypeToString(DnsRecordType type) => type switch
    {
        DnsRecordType.None => "None",
        DnsRecordType.A => "A",
        DnsRecordType.NS => "NS",
        DnsRecordType.MD => "MD",
        DnsRecordType.MF => "MF",
        DnsRecordType.CNAME => "CNAME",
        DnsRecordType.SOA => "SOA",
        DnsRecordType.MB => "MB",
        DnsRecordType.MG => "MG",
        DnsRecordType.MR => "MR",
        DnsRecordType.NULL => "NULL",
        DnsRecordType.WKS => "WKS",
        DnsRecordType.PTR => "PTR",
        DnsRecordType.HINFO => "HINFO",
        DnsRecordType.MINFO => "MINFO",
        DnsRecordType.MX => "MX",
        DnsRecordType.TXT => "TXT",
        DnsRecordType.RP => "RP",
        DnsRecordType.AFSDB => "AFSDB",
        DnsRecordType.SIG => "SIG",
        DnsRecordType.KEY => "KEY",
        DnsRecordType.AAAA => "AAAA",
        DnsRecordType.LOC => "LOC",
        DnsRecordType.SRV => "SRV",
        DnsRecordType.NAPTR => "NAPTR",
        DnsRecordType.KX => "KX",
        DnsRecordType.CERT => "CERT",
        DnsRecordType.DNAME => "DNAME",
        DnsRecordType.OPT => "OPT",
        DnsRecordType.APL => "APL",
        DnsRecordType.DS => "DS",
        DnsRecordType.SSHFP => "SSHFP",
        DnsRecordType.IPSECKEY => "IPSECKEY",
        DnsRecordType.RRSIG => "RRSIG",
        DnsRecordType.NSEC => "NSEC",
        DnsRecordType.DNSKEY => "DNSKEY",
        DnsRecordType.DHCID => "DHCID",
        DnsRecordType.NSEC3 => "NSEC3",
        DnsRecordType.NSEC3PARAM => "NSEC3PARAM",
        DnsRecordType.TLSA => "TLSA",
        DnsRecordType.SMIMEA => "SMIMEA",
        DnsRecordType.HIP => "HIP",
        DnsRecordType.CDS => "CDS",
        DnsRecordType.CDNSKEY => "CDNSKEY",
        DnsRecordType.OPENPGPKEY => "OPENPGPKEY",
        DnsRecordType.CSYNC => "CSYNC",
        DnsRecordType.ZONEMD => "ZONEMD",
        DnsRecordType.SVCB => "SVCB",
        DnsRecordType.HTTPS => "HTTPS",
        DnsRecordType.SPF => "SPF",
        DnsRecordType.TKEY => "TKEY",
        DnsRecordType.TSIG => "TSIG",
        DnsRecordType.IXFR => "IXFR",
        DnsRecordType.AXFR => "AXFR",
        DnsRecordType.MAILB => "MAILB",
        DnsRecordType.MAILA => "MAILA",
        DnsRecordType.ANY => "ANY",
        DnsRecordType.URI => "URI",
        DnsRecordType.CAA => "CAA",
        _ => string.Create(CultureInfo.InvariantCulture, $"TYPE{(ushort)type}"),
    };

    public static bool TryParseType(ReadOnlySpan<char> text, out DnsRecordType type)
    {
        if (text.StartsWith("TYPE", StringComparison.OrdinalIgnoreCase) &&
            ushort.TryParse(text[4..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            type = (DnsRecordType)number;
            return true;
        }

        // Letters and digits only: Enum.TryParse would also take "A,NS" (OR-ed to MD), " A" and numbers.
        if (IsMnemonic(text) && Enum.TryParse(text, ignoreCase: true, out type) && Enum.IsDefined(type))
        {
            return true;
        }

        type = default;
        return false;
    }

    private static bool IsMnemonic(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || !char.IsAsciiLetter(text[0]))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    public static string ClassToString(DnsClass @class) => @class switch
    {
        DnsClass.IN => "IN",
        DnsClass.CH => "CH",
        DnsClass.HS => "HS",
        DnsClass.NONE => "NONE",
        DnsClass.ANY => "ANY",
        _ => string.Create(CultureInfo.InvariantCulture, $"CLASS{(ushort)@class}"),
    };

    public static bool TryParseClass(ReadOnlySpan<char> text, out DnsClass @class)
    {
        if (text.StartsWith("CLASS", StringComparison.OrdinalIgnoreCase) &&
            ushort.TryParse(text[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            @class = (DnsClass)number;
            return true;
        }

        DnsClass? known = text.ToString().ToUpperInvariant() switch
        {
            "IN" => DnsClass.IN,
            "CH" or "CHAOS" => DnsClass.CH,
            "HS" => DnsClass.HS,
            "NONE" => DnsClass.NONE,
            "ANY" => DnsClass.ANY,
            _ => null,
        };
        @class = known.GetValueOrDefault();
        return known.HasValue;
    }

    /// <summary>The rcode as dig and CoreDNS print it (NOERROR, NXDOMAIN, ...). Known rcodes return a constant string.</summary>
    public static string RcodeToString(DnsResponseCode rcode) => rcode switch
    {
        DnsResponseCode.NoError => "NOERROR",
        DnsResponseCode.FormErr => "FORMERR",
        DnsResponseCode.ServFail => "SERVFAIL",
        DnsResponseCode.NXDomain => "NXDOMAIN",
        DnsResponseCode.NotImp => "NOTIMP",
        DnsResponseCode.Refused => "REFUSED",
        DnsResponseCode.YXDomain => "YXDOMAIN",
        DnsResponseCode.YXRRSet => "YXRRSET",
        DnsResponseCode.NXRRSet => "NXRRSET",
        DnsResponseCode.NotAuth => "NOTAUTH",
        DnsResponseCode.NotZone => "NOTZONE",
        DnsResponseCode.DsoTypeNI => "DSOTYPENI",
        DnsResponseCode.BadVers => "BADVERS",
        DnsResponseCode.BadKey => "BADKEY",
        DnsResponseCode.BadTime => "BADTIME",
        DnsResponseCode.BadMode => "BADMODE",
        DnsResponseCode.BadName => "BADNAME",
        DnsResponseCode.BadAlg => "BADALG",
        DnsResponseCode.BadTrunc => "BADTRUNC",
        DnsResponseCode.BadCookie => "BADCOOKIE",
        _ => string.Create(CultureInfo.InvariantCulture, $"RCODE{(ushort)rcode}"),
    };

    public static bool TryParseRcode(ReadOnlySpan<char> text, out DnsResponseCode rcode)
    {
        foreach (var candidate in Enum.GetValues<DnsResponseCode>())
        {
            if (text.Equals(RcodeToString(candidate), StringComparison.OrdinalIgnoreCase))
            {
                rcode = candidate;
                return true;
            }
        }

        rcode = default;
        return false;
    }

    public static string OpCodeToString(DnsOpCode opCode) => opCode switch
    {
        DnsOpCode.Query => "QUERY",
        DnsOpCode.IQuery => "IQUERY",
        DnsOpCode.Status => "STATUS",
        DnsOpCode.Notify => "NOTIFY",
        DnsOpCode.Update => "UPDATE",
        DnsOpCode.Dso => "DSO",
        _ => string.Create(CultureInfo.InvariantCulture, $"OPCODE{(byte)opCode}"),
    };
}
