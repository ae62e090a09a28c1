using System.Buffers.Binary;
using System.Text;

namespace MeshDns.Protocol;

/// <summary>EDNS option codes (IANA "DNS EDNS0 Option Codes").</summary>
public enum EdnsOptionCode : ushort
{
    Nsid = 3,
    ClientSubnet = 8,
    Expire = 9,
    Cookie = 10,
    TcpKeepalive = 11,
    Padding = 12,
    ExtendedDnsError = 15,
}

/// <summary>Extended DNS Error INFO-CODEs (RFC 8914 4).</summary>
public enum ExtendedDnsErrorCode : ushort
{
    Other = 0,
    UnsupportedDnskeyAlgorithm = 1,
    UnsupportedDsDigestType = 2,
    StaleAnswer = 3,
    ForgedAnswer = 4,
    DnssecIndeterminate = 5,
    DnssecBogus = 6,
    SignatureExpired = 7,
    SignatureNotYetValid = 8,
    DnskeyMissing = 9,
    RrsigsMissing = 10,
    NoZoneKeyBitSet = 11,
    NsecMissing = 12,
    CachedError = 13,
    NotReady = 14,
    Blocked = 15,
    Censored = 16,
    Filtered = 17,
    Prohibited = 18,
    StaleNxDomainAnswer = 19,
    NotAuthoritative = 20,
    NotSupported = 21,
    NoReachableAuthority = 22,
    NetworkError = 23,
    InvalidData = 24,
}

/// <summary>One EDNS option, kept as opaque bytes (RFC 6891 6.1.2).</summary>
public readonly record struct EdnsOption(ushort Code, ReadOnlyMemory<byte> Data)
{
    /// <summary>An Extended DNS Error option (RFC 8914 2): INFO-CODE then optional UTF-8 EXTRA-TEXT.</summary>
    public static EdnsOption ExtendedError(ExtendedDnsErrorCode code, string? extraText = null)
    {
        var text = extraText is null ? [] : Encoding.UTF8.GetBytes(extraText);
        var data = new byte[2 + text.Length];
        BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)code);
        text.CopyTo(data, 2);
        return new EdnsOption((ushort)EdnsOptionCode.ExtendedDnsError, data);
    }

    /// <summary>Reads an Extended DNS Error option back, when this is one.</summary>
    public bool TryGetExtendedError(out ExtendedDnsErrorCode code, out string extraText)
    {
        code = default;
        extraText = string.Empty;
        if (Code != (ushort)EdnsOptionCode.ExtendedDnsError || Data.Length < 2)
        {
            return false;
        }

        code = (ExtendedDnsErrorCode)BinaryPrimitives.ReadUInt16BigEndian(Data.Span);
        extraText = Encoding.UTF8.GetString(Data.Span[2..]);
        return true;
    }
}

/// <summary>
/// The OPT pseudo-record (RFC 6891 6.1.2): CLASS is the UDP payload size, TTL carries the extended rcode,
/// version and the DO bit, RDATA a list of options.
/// <code>
///          +0 (MSB)                            +1 (LSB)
/// +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// |         EXTENDED-RCODE        |            VERSION            |
/// | DO|                           Z                               |
/// +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// </code>
/// </summary>
public sealed class Edns
{
    /// <summary>The payload size RFC 6891 treats anything smaller as.</summary>
    public const ushort MinimumPayloadSize = 512;

    /// <summary>Bytes of an OPT record without options: root name, type, class, TTL, RDLENGTH.</summary>
    public const int FixedSize = 11;

    /// <summary>Largest UDP payload this side can reassemble (CLASS field).</summary>
    public ushort UdpPayloadSize { get; set; } = 1232;

    public byte Version { get; set; }

    /// <summary>DNSSEC OK (RFC 3225).</summary>
    public bool DnssecOk { get; set; }

    /// <summary>The upper eight bits of the rcode, as read. Writers compute it from the message's rcode.</summary>
    public byte ExtendedRcode { get; set; }

    /// <summary>The 15 Z bits after DO, kept as read.</summary>
    public ushort Z { get; set; }

    /// <summary>Options in order.</summary>
    public List<EdnsOption> Options { get; } = [];

    /// <summary>Wire size of this OPT record.</summary>
    public int WireSize
    {
        get
        {
            var size = FixedSize;
            foreach (var option in Options)
            {
                size += 4 + option.Data.Length;
            }

            return size;
        }
    }

    /// <summary>Resets to defaults so a pooled message can reuse the instance.</summary>
    public void Clear()
    {
        UdpPayloadSize = 1232;
        Version = 0;
        DnssecOk = false;
        ExtendedRcode = 0;
        Z = 0;
        Options.Clear();
    }

    /// <summary>Writes the OPT record; <paramref name="rcode"/> supplies EXTENDED-RCODE.</summary>
    public bool TryWrite(ref DnsMessageWriter writer, DnsResponseCode rcode)
    {
        var start = writer.Save();
        var ttl = ((uint)((ushort)rcode >> 4) << 24) | ((uint)Version << 16) | (DnssecOk ? 0x8000u : 0u) | (Z & 0x7FFFu);
        if (!writer.TryWriteUInt8(0) ||
            !writer.TryWriteUInt16((ushort)DnsRecordType.OPT) ||
            !writer.TryWriteUInt16(UdpPayloadSize) ||
            !writer.TryWriteUInt32(ttl) ||
            !writer.TryWriteUInt16((ushort)(WireSize - FixedSize)))
        {
            writer.Restore(start);
            return false;
        }

        foreach (var option in Options)
        {
            if (!writer.TryWriteUInt16(option.Code) || !writer.TryWriteUInt16((ushort)option.Data.Length) || !writer.TryWriteBytes(option.Data.Span))
            {
                writer.Restore(start);
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads an OPT record's fields (after its root owner name) from a record header and its RDATA.</summary>
    public static bool TryRead(in DnsRecordHeader header, ReadOnlySpan<byte> rdata, Edns into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        into.UdpPayloadSize = (ushort)header.Class;
        into.ExtendedRcode = (byte)(header.Ttl >> 24);
        into.Version = (byte)(header.Ttl >> 16);
        into.DnssecOk = (header.Ttl & 0x8000) != 0;
        into.Z = (ushort)(header.Ttl & 0x7FFF);
        while (rdata.Length > 0)
        {
            if (rdata.Length < 4)
            {
                return false;
            }

            var code = BinaryPrimitives.ReadUInt16BigEndian(rdata);
            var length = BinaryPrimitives.ReadUInt16BigEndian(rdata[2..]);
            if (rdata.Length < 4 + length)
            {
                return false;
            }

            into.Options.Add(new EdnsOption(code, rdata.Slice(4, length).ToArray()));
            rdata = rdata[(4 + length)..];
        }

        return true;
    }
}
