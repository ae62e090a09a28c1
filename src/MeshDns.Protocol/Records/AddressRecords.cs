using System.Net;
using System.Net.Sockets;

namespace MeshDns.Protocol;

/// <summary>
/// A: a 32-bit IPv4 address (RFC 1035 3.4.1).
/// <code>
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                    ADDRESS                    |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// </summary>
public sealed class ARecord : ResourceRecord
{
    private readonly byte[] _address;

    public ARecord(DnsName name, uint ttl, IPAddress address, DnsClass @class = DnsClass.IN)
        : base(name, DnsRecordType.A, @class, ttl)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"A records hold IPv4 addresses, not {address}", nameof(address));
        }

        Address = address;
        _address = address.GetAddressBytes();
    }

    internal ARecord(DnsName name, uint ttl, ReadOnlySpan<byte> address, DnsClass @class)
        : this(name, ttl, new IPAddress(address), @class)
    {
    }

    public IPAddress Address { get; }

    public override bool TryWriteRData(ref DnsMessageWriter writer) => writer.TryWriteBytes(_address);

    public override string RDataToString() => Address.ToString();

    public override ResourceRecord With(DnsName name, uint ttl) => new ARecord(name, ttl, Address, Class);

    public override bool RDataEquals(ResourceRecord other) => other is ARecord a && a._address.AsSpan().SequenceEqual(_address);

    protected override int RDataHashCode() => Address.GetHashCode();
}

/// <summary>
/// AAAA: a 128-bit IPv6 address (RFC 3596 2.2).
/// <code>
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |              ADDRESS (16 octets)              |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// </summary>
public sealed class AaaaRecord : ResourceRecord
{
    private readonly byte[] _address;

    public AaaaRecord(DnsName name, uint ttl, IPAddress address, DnsClass @class = DnsClass.IN)
        : base(name, DnsRecordType.AAAA, @class, ttl)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"AAAA records hold IPv6 addresses, not {address}", nameof(address));
        }

        _address = address.GetAddressBytes();
        Address = address.ScopeId == 0 ? address : new IPAddress(_address); // the wire has no scope ID
    }

    internal AaaaRecord(DnsName name, uint ttl, ReadOnlySpan<byte> address, DnsClass @class)
        : this(name, ttl, new IPAddress(address), @class)
    {
    }

    public IPAddress Address { get; }

    public override bool TryWriteRData(ref DnsMessageWriter writer) => writer.TryWriteBytes(_address);

    public override string RDataToString() => Address.ToString();

    public override ResourceRecord With(DnsName name, uint ttl) => new AaaaRecord(name, ttl, Address, Class);

    public override bool RDataEquals(ResourceRecord other) => other is AaaaRecord a && a._address.AsSpan().SequenceEqual(_address);

    protected override int RDataHashCode() => Address.GetHashCode();
}
