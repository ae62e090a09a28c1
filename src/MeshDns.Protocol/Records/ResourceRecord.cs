using System.Globalization;
using System.Text;

namespace MeshDns.Protocol;

/// <summary>
/// An immutable resource record (RFC 1035 3.2.1). Answers are built from these once per change and
/// written as they are for every query, so writing one copies bytes and allocates nothing.
/// </summary>
public abstract class ResourceRecord : IEquatable<ResourceRecord>
{
    protected ResourceRecord(DnsName name, DnsRecordType type, DnsClass @class, uint ttl)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Type = type;
        Class = @class;
        Ttl = ttl;
    }

    /// <summary>The owner name.</summary>
    public DnsName Name { get; }

    public DnsRecordType Type { get; }

    public DnsClass Class { get; }

    /// <summary>Seconds the record may be cached.</summary>
    public uint Ttl { get; }

    /// <summary>Writes RDATA only; the writer has already written owner, type, class, TTL and a placeholder RDLENGTH.</summary>
    public abstract bool TryWriteRData(ref DnsMessageWriter writer);

    /// <summary>RDATA in presentation format.</summary>
    public abstract string RDataToString();

    /// <summary>A copy with another owner name and TTL (rewrite, cache TTL capping).</summary>
    public abstract ResourceRecord With(DnsName name, uint ttl);

    /// <summary>A copy with another TTL.</summary>
    public ResourceRecord WithTtl(uint ttl) => ttl == Ttl ? this : With(Name, ttl);

    /// <summary>A copy with another owner name.</summary>
    public ResourceRecord WithName(DnsName name) => With(name, Ttl);

    /// <summary>True when the RDATA of both records is the same (owner, TTL and class aside).</summary>
    public abstract bool RDataEquals(ResourceRecord other);

    protected abstract int RDataHashCode();

    public bool Equals(ResourceRecord? other) =>
        other is not null && other.Type == Type && other.Class == Class && other.Ttl == Ttl && other.Name.Equals(Name) && RDataEquals(other);

    public override bool Equals(object? obj) => obj is ResourceRecord other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Name, Type, Class, Ttl, RDataHashCode());

    /// <summary>Zone-file form: <c>name. TTL CLASS TYPE RDATA</c>, fields separated by single spaces.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name} {Ttl} {DnsTypeNames.ClassToString(Class)} {DnsTypeNames.TypeToString(Type)} {RDataToString()}");

    /// <summary>
    /// Reads RDATA of <paramref name="header"/> at the reader's position, which must be the start of RDATA.
    /// Fails unless exactly RDLENGTH octets are consumed.
    /// </summary>
    public static bool TryReadRData(ref DnsMessageReader reader, DnsName owner, in DnsRecordHeader header, out ResourceRecord? record)
    {
        record = null;
        var end = header.RDataOffset + header.RDataLength;
        if (end > reader.Message.Length || reader.Position > end)
        {
            return reader.Fail(DnsParseError.Truncated);
        }

        // Fields are read from a view that ends with RDATA, so a short RDATA cannot run on into the next record;
        // names inside it may still point back into the message before it. Running out of RDATA is malformed
        // RDATA, not a short message: RDLENGTH itself was already checked against the message.
        var rdata = new DnsMessageReader(reader.Message[..end]) { Position = reader.Position };
        if (!TryReadRDataFields(ref rdata, owner, header, end, out record))
        {
            record = null;
            return reader.Fail(rdata.Error is DnsParseError.None or DnsParseError.Truncated ? DnsParseError.BadRData : rdata.Error);
        }

        reader.Position = end;
        return true;
    }

    private static bool TryReadRDataFields(ref DnsMessageReader reader, DnsName owner, in DnsRecordHeader header, int end, out ResourceRecord? record)
    {
        record = null;
        Span<byte> name = stackalloc byte[WireName.MaxLength];
        Span<byte> second = stackalloc byte[WireName.MaxLength];
        switch (header.Type)
        {
            case DnsRecordType.A when header.RDataLength == 4:
                reader.TryReadBytes(4, out var v4);
                record = new ARecord(owner, header.Ttl, v4, header.Class);
                break;
            case DnsRecordType.AAAA when header.RDataLength == 16:
                reader.TryReadBytes(16, out var v6);
                record = new AaaaRecord(owner, header.Ttl, v6, header.Class);
                break;
            case DnsRecordType.A or DnsRecordType.AAAA:
                return false;
            case DnsRecordType.CNAME or DnsRecordType.NS or DnsRecordType.PTR:
                {
                    if (!reader.TryReadName(name, out var length))
                    {
                        return false;
                    }

                    var target = DnsName.FromWire(name[..length]);
                    record = header.Type switch
                    {
                        DnsRecordType.CNAME => new CnameRecord(owner, header.Ttl, target, header.Class),
                        DnsRecordType.NS => new NsRecord(owner, header.Ttl, target, header.Class),
                        _ => new PtrRecord(owner, header.Ttl, target, header.Class),
                    };
                    break;
                }

            case DnsRecordType.MX:
                {
                    if (!reader.TryReadUInt16(out var preference) || !reader.TryReadName(name, out var length))
                    {
                        return false;
                    }

                    record = new MxRecord(owner, header.Ttl, preference, DnsName.FromWire(name[..length]), header.Class);
                    break;
                }

            case DnsRecordType.SRV:
                {
                    if (!reader.TryReadUInt16(out var priority) || !reader.TryReadUInt16(out var weight) ||
                        !reader.TryReadUInt16(out var port) || !reader.TryReadName(name, out var length))
                    {
                        return false;
                    }

                    record = new SrvRecord(owner, header.Ttl, priority, weight, port, DnsName.FromWire(name[..length]), header.Class);
                    break;
                }

            case DnsRecordType.SOA:
                {
                    if (!reader.TryReadName(name, out var mlength) || !reader.TryReadName(second, out var rlength) ||
                        !reader.TryReadUInt32(out var serial) || !reader.TryReadUInt32(out var refresh) ||
                        !reader.TryReadUInt32(out var retry) || !reader.TryReadUInt32(out var expire) ||
                        !reader.TryReadUInt32(out var minimum))
                    {
                        return false;
                    }

                    record = new SoaRecord(owner, header.Ttl, DnsName.FromWire(name[..mlength]), DnsName.FromWire(second[..rlength]),
                        serial, refresh, retry, expire, minimum, header.Class);
                    break;
                }

            case DnsRecordType.TXT:
                {
                    var strings = new List<byte[]>();
                    while (reader.Position < end)
                    {
                        if (!reader.TryReadBytes(1, out var lengthOctet) || !reader.TryReadBytes(lengthOctet[0], out var text))
                        {
                            return false;
                        }

                        strings.Add(text.ToArray());
                    }

                    record = new TxtRecord(owner, header.Ttl, strings, header.Class);
                    break;
                }

            default:
                {
                    if (!reader.TryReadBytes(header.RDataLength, out var raw))
                    {
                        return false;
                    }

                    record = new UnknownRecord(owner, header.Type, header.Ttl, raw, header.Class);
                    break;
                }
        }

        return reader.Position == end;
    }

    /// <summary>Parses one record in zone-file form (<c>name [TTL] [CLASS] TYPE RDATA</c>, TTL and CLASS in either order).</summary>
    public static ResourceRecord Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PresentationParser.ParseRecord(text);
    }

    internal static string Quote(ReadOnlySpan<byte> text)
    {
        var builder = new StringBuilder(text.Length + 2);
        builder.Append('"');
        foreach (var b in text)
        {
            switch (b)
            {
                case (byte)'"' or (byte)'\\':
                    builder.Append('\\').Append((char)b);
                    break;
                case < 0x20 or > 0x7E:
                    builder.Append('\\').Append(((int)b).ToString("D3", CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append((char)b);
                    break;
            }
        }

        return builder.Append('"').ToString();
    }
}
