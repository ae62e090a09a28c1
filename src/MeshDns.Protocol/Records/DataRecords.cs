using System.Globalization;
using System.Text;

namespace MeshDns.Protocol;

/// <summary>
/// TXT: one or more character-strings (RFC 1035 3.3.14).
/// <code>
/// /                   TXT-DATA                    /
/// </code>
/// </summary>
public sealed class TxtRecord : ResourceRecord
{
    private readonly byte[][] _strings;

    public TxtRecord(DnsName name, uint ttl, IEnumerable<byte[]> strings, DnsClass @class = DnsClass.IN)
        : base(name, DnsRecordType.TXT, @class, ttl)
    {
        ArgumentNullException.ThrowIfNull(strings);
        _strings = strings.Select(s => s.Length <= 255 ? (byte[])s.Clone() : throw new ArgumentException("a TXT character-string holds at most 255 octets")).ToArray();
        if (_strings.Length == 0)
        {
            // RFC 1035 needs at least one string; no strings (RDLENGTH 0 on the wire) is the conventional empty TXT,
            // one empty string, so that it writes, reads back and prints the same way.
            _strings = [[]];
        }
    }

    public TxtRecord(DnsName name, uint ttl, params string[] strings)
        : this(name, ttl, strings.Select(Encoding.ASCII.GetBytes))
    {
    }

    public IReadOnlyList<ReadOnlyMemory<byte>> Strings => _strings.Select(s => (ReadOnlyMemory<byte>)s).ToArray();

    /// <summary>The strings as ASCII text (for tests and logs).</summary>
    public IReadOnlyList<string> Texts => _strings.Select(s => Encoding.ASCII.GetString(s)).ToArray();

    public override bool TryWriteRData(ref DnsMessageWriter writer)
    {
        foreach (var s in _strings)
        {
            if (!writer.TryWriteCharacterString(s))
            {
                return false;
            }
        }

        return true;
    }

    public override string RDataToString() => string.Join(' ', _strings.Select(s => Quote(s)));

    public override ResourceRecord With(DnsName name, uint ttl) => new TxtRecord(name, ttl, _strings, Class);

    public override bool RDataEquals(ResourceRecord other) =>
        other is TxtRecord t && t._strings.Length == _strings.Length && t._strings.Zip(_strings).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    protected override int RDataHashCode()
    {
        var hash = new HashCode();
        foreach (var s in _strings)
        {
            hash.AddBytes(s);
        }

        return hash.ToHashCode();
    }
}

/// <summary>Any other type, kept as opaque RDATA and shown in the RFC 3597 generic form <c>\# LENGTH HEX</c>.</summary>
public sealed class UnknownRecord : ResourceRecord
{
    private readonly byte[] _rdata;

    public UnknownRecord(DnsName name, DnsRecordType type, uint ttl, ReadOnlySpan<byte> rdata, DnsClass @class = DnsClass.IN)
        : base(name, type, @class, ttl)
    {
        _rdata = rdata.ToArray();
    }

    public ReadOnlyMemory<byte> RData => _rdata;

    public override bool TryWriteRData(ref DnsMessageWriter writer) => writer.TryWriteBytes(_rdata);

    public override string RDataToString() =>
        _rdata.Length == 0 ? @"\# 0" : string.Create(CultureInfo.InvariantCulture, $@"\# {_rdata.Length} {Convert.ToHexString(_rdata)}");

    public override ResourceRecord With(DnsName name, uint ttl) => new UnknownRecord(name, Type, ttl, _rdata, Class);

    public override bool RDataEquals(ResourceRecord other) => other is UnknownRecord u && u.Type == Type && u._rdata.AsSpan().SequenceEqual(_rdata);

    protected override int RDataHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_rdata);
        return hash.ToHashCode();
    }
}
