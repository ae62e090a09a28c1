namespace MeshDns.Protocol;

/// <summary>A record whose RDATA is one domain name that may be compressed (CNAME, NS, PTR: RFC 1035 3.3).</summary>
public abstract class SingleNameRecord : ResourceRecord
{
    protected SingleNameRecord(DnsName name, DnsRecordType type, DnsClass @class, uint ttl, DnsName target)
        : base(name, type, @class, ttl)
    {
        ArgumentNullException.ThrowIfNull(target);
        Target = target;
    }

    /// <summary>The name in RDATA.</summary>
    public DnsName Target { get; }

    /// <summary>A copy pointing elsewhere.</summary>
    public abstract SingleNameRecord WithTarget(DnsName target);

    public override bool TryWriteRData(ref DnsMessageWriter writer) => writer.TryWriteName(Target.Wire);

    public override string RDataToString() => Target.ToString();

    public override bool RDataEquals(ResourceRecord other) => other is SingleNameRecord s && s.Type == Type && s.Target.Equals(Target);

    protected override int RDataHashCode() => Target.GetHashCode();
}

/// <summary>
/// CNAME (RFC 1035 3.3.1).
/// <code>
/// /                     CNAME                     /
/// </code>
/// </summary>
public sealed class CnameRecord(DnsName name, uint ttl, DnsName target, DnsClass @class = DnsClass.IN)
    : SingleNameRecord(name, DnsRecordType.CNAME, @class, ttl, target)
{
    public override ResourceRecord With(DnsName name, uint ttl) => new CnameRecord(name, ttl, Target, Class);

    public override SingleNameRecord WithTarget(DnsName target) => new CnameRecord(Name, Ttl, target, Class);
}

/// <summary>
/// NS (RFC 1035 3.3.11).
/// <code>
/// /                   NSDNAME                     /
/// </code>
/// </summary>
public sealed class NsRecord(DnsName name, uint ttl, DnsName target, DnsClass @class = DnsClass.IN)
    : SingleNameRecord(name, DnsRecordType.NS, @class, ttl, target)
{
    public override ResourceRecord With(DnsName name, uint ttl) => new NsRecord(name, ttl, Target, Class);

    public override SingleNameRecord WithTarget(DnsName target) => new NsRecord(Name, Ttl, target, Class);
}

/// <summary>
/// PTR (RFC 1035 3.3.12).
/// <code>
/// /                   PTRDNAME                    /
/// </code>
/// </summary>
public sealed class PtrRecord(DnsName name, uint ttl, DnsName target, DnsClass @class = DnsClass.IN)
    : SingleNameRecord(name, DnsRecordType.PTR, @class, ttl, target)
{
    public override ResourceRecord With(DnsName name, uint ttl) => new PtrRecord(name, ttl, Target, Class);

    public override SingleNameRecord WithTarget(DnsName target) => new PtrRecord(Name, Ttl, target, Class);
}

/// <summary>
/// MX (RFC 1035 3.3.9).
/// <code>
/// |                  PREFERENCE                   |
/// /                   EXCHANGE                    /
/// </code>
/// </summary>
public sealed class MxRecord : ResourceRecord
{
    public MxRecord(DnsName name, uint ttl, ushort preference, DnsName exchange, DnsClass @class = DnsClass.IN)
        : base(name, DnsRecordType.MX, @class, ttl)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        Preference = preference;
        Exchange = exchange;
    }

    public ushort Preference { get; }

    public DnsName Exchange { get; }

    public override bool TryWriteRData(ref DnsMessageWriter writer) => writer.TryWriteUInt16(Preference) && writer.TryWriteName(Exchange.Wire);

    public override string RDataToString() => $"{Preference} {Exchange}";

    public override ResourceRecord With(DnsName name, uint ttl) => new MxRecord(name, ttl, Preference, Exchange, Class);

    public override bool RDataEquals(ResourceRecord other) => other is MxRecord m && m.Preference == Preference && m.Exchange.Equals(Exchange);

    protected override int RDataHashCode() => HashCode.Combine(Preference, Exchange);
}

/// <summary>
/// SRV (RFC 2782). The target is never compressed: RFC 2782 forbids it.
/// <code>
/// |                   PRIORITY                    |
/// |                    WEIGHT                     |
/// |                     PORT                      |
/// /                    TARGET                     /
/// </code>
/// </summary>
public sealed class SrvRecord : ResourceRecord
{
    public SrvRecord(DnsName name, uint ttl, ushort priority, ushort weight, ushort port, DnsName target, DnsClass @class = DnsClass.IN)
        : base(name, DnsRecordType.SRV, @class, ttl)
    {
        ArgumentNullException.ThrowIfNull(target);
        Priority = priority;
        Weight = weight;
        Port = port;
        Target = target;
    }

    public ushort Priority { get; }

    public ushort Weight { get; }

    public ushort Port { get; }

    public DnsName Target { get; }

    public override bool TryWriteRData(ref DnsMessageWriter writer) =>
        writer.TryWriteUInt16(Priority) && writer.TryWriteUInt16(Weight) && writer.TryWriteUInt16(Port) && writer.TryWriteName(Target.Wire, compress: false);

    public override string RDataToString() => $"{Priority} {Weight} {Port} {Target}";

    public override ResourceRecord With(DnsName name, uint ttl) => new SrvRecord(name, ttl, Priority, Weight, Port, Target, Class);

    public SrvRecord WithTarget(DnsName target) => new(Name, Ttl, Priority, Weight, Port, target, Class);

    public override bool RDataEquals(ResourceRecord other) =>
        other is SrvRecord s && s.Priority == Priority && s.Weight == Weight && s.Port == Port && s.Target.Equals(Target);

    protected override int RDataHashCode() => HashCode.Combine(Priority, Weight, Port, Target);
}

/// <summary>
/// SOA (RFC 1035 3.3.13).
/// <code>
/// /                     MNAME                     /
/// /                     RNAME                     /
/// |                    SERIAL                     |
/// |                    REFRESH                    |
/// |                     RETRY                     |
/// |                    EXPIRE                     |
/// |                    MINIMUM                    |
/// </code>
/// </summary>
public sealed class SoaRecord : ResourceRecord
{
    public SoaRecord(DnsName name, uint ttl, DnsName primaryServer, DnsName responsibleMailbox, uint serial, uint refresh, uint retry, uint expire, uint minimum, DnsClass @class = DnsClass.IN)
        : base(name, DnsRecordType.SOA, @class, ttl)
    {
        ArgumentNullException.ThrowIfNull(primaryServer);
        ArgumentNullException.ThrowIfNull(responsibleMailbox);
        PrimaryServer = primaryServer;
        ResponsibleMailbox = responsibleMailbox;
        Serial = serial;
        Refresh = refresh;
        Retry = retry;
        Expire = expire;
        Minimum = minimum;
    }

    /// <summary>MNAME.</summary>
    public DnsName PrimaryServer { get; }

    /// <summary>RNAME.</summary>
    public DnsName ResponsibleMailbox { get; }

    public uint Serial { get; }

    public uint Refresh { get; }

    public uint Retry { get; }

    public uint Expire { get; }

    /// <summary>The negative-caching TTL (RFC 2308).</summary>
    public uint Minimum { get; }

    public override bool TryWriteRData(ref DnsMessageWriter writer) =>
        writer.TryWriteName(PrimaryServer.Wire) && writer.TryWriteName(ResponsibleMailbox.Wire) &&
        writer.TryWriteUInt32(Serial) && writer.TryWriteUInt32(Refresh) && writer.TryWriteUInt32(Retry) &&
        writer.TryWriteUInt32(Expire) && writer.TryWriteUInt32(Minimum);

    public override string RDataToString() => $"{PrimaryServer} {ResponsibleMailbox} {Serial} {Refresh} {Retry} {Expire} {Minimum}";

    public override ResourceRecord With(DnsName name, uint ttl) =>
        new SoaRecord(name, ttl, PrimaryServer, ResponsibleMailbox, Serial, Refresh, Retry, Expire, Minimum, Class);

    public override bool RDataEquals(ResourceRecord other) =>
        other is SoaRecord s && s.PrimaryServer.Equals(PrimaryServer) && s.ResponsibleMailbox.Equals(ResponsibleMailbox) &&
        s.Serial == Serial && s.Refresh == Refresh && s.Retry == Retry && s.Expire == Expire && s.Minimum == Minimum;

    protected override int RDataHashCode() => HashCode.Combine(PrimaryServer, ResponsibleMailbox, Serial, Refresh, Retry, Expire, Minimum);
}
