using System.Net;
using FsCheck;
using FsCheck.Fluent;

namespace MeshDns.Protocol.Tests.Properties;

/// <summary>
/// FsCheck generators for names, records and whole messages. Names are built from raw label octets (so they include
/// dots, backslashes, spaces, control and non-ASCII octets, which print as escapes) in mixed case; records cover every
/// type the codec decodes plus opaque RFC 3597 types; messages carry any header bits and, sometimes, EDNS options.
/// </summary>
internal static class DnsGenerators
{
    /// <summary>Types with their own RDATA decoder, and OPT: an opaque record must use none of these.</summary>
    private static readonly HashSet<DnsRecordType> DecodedTypes =
    [
        DnsRecordType.A, DnsRecordType.AAAA, DnsRecordType.CNAME, DnsRecordType.NS, DnsRecordType.PTR,
        DnsRecordType.MX, DnsRecordType.SRV, DnsRecordType.SOA, DnsRecordType.TXT, DnsRecordType.OPT,
    ];

    private static readonly byte[] Hostname = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"u8.ToArray();

    public static Gen<byte> LabelOctet { get; } = Gen.Frequency(
        (12, Gen.Elements(Hostname)),
        (1, Gen.Elements("*.\\\"();@$ "u8.ToArray())),
        (1, Gen.Choose(0, 255).Select(i => (byte)i)));

    public static Gen<byte[]> Label { get; } =
        Gen.Frequency((10, Gen.Choose(1, 12)), (1, Gen.Choose(13, 63)))
            .SelectMany(length => Gen.ArrayOf(LabelOctet, length));

    /// <summary>Names of 0 to 8 labels, or occasionally as many 63-octet labels as fit in 255 octets.</summary>
    public static Gen<DnsName> Name { get; } = Gen.Frequency(
        (20, Gen.Choose(0, 8).SelectMany(count => Gen.ArrayOf(Label, count)).Select(ToName)),
        (1, Gen.Choose(1, 63).SelectMany(length => Gen.ArrayOf(Gen.ArrayOf(LabelOctet, length), 8)).Select(ToName)));

    /// <summary>A few shared names make compression and RRsets likely.</summary>
    public static Gen<DnsName> NameFromPool(DnsName[] pool) => Gen.Frequency((3, Gen.Elements(pool)), (1, Name));

    /// <summary>The same name with the case of ASCII letters flipped at random.</summary>
    public static Gen<DnsName> CaseVariant(DnsName name) =>
        Gen.ArrayOf(Gen.Elements(true, false), name.WireLength).Select(flips =>
        {
            var wire = name.Wire.ToArray();
            var position = 0;
            while (wire[position] != 0)
            {
                for (var i = position + 1; i <= position + wire[position]; i++)
                {
                    if (flips[i] && char.IsAsciiLetter((char)wire[i]))
                    {
                        wire[i] ^= 0x20;
                    }
                }

                position += wire[position] + 1;
            }

            return DnsName.FromWire(wire);
        });

    public static Gen<uint> Ttl { get; } = Gen.Frequency(
        (4, Gen.Choose(0, 86400).Select(i => (uint)i)),
        (1, Gen.Choose(0, ushort.MaxValue).Two().Select(p => ((uint)p.Item1 << 16) | (uint)p.Item2)));

    public static Gen<DnsClass> Class { get; } = Gen.Frequency(
        (10, Gen.Constant(DnsClass.IN)),
        (1, Gen.Elements(DnsClass.CH, DnsClass.HS, DnsClass.NONE, DnsClass.ANY)),
        (1, Gen.Choose(0, ushort.MaxValue).Select(i => (DnsClass)i)));

    private static Gen<ushort> UInt16 { get; } = Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    private static Gen<uint> UInt32 { get; } = UInt16.Two().Select(p => ((uint)p.Item1 << 16) | p.Item2);

    private static Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(length => Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), length));

    public static Gen<DnsRecordType> OpaqueType { get; } = Gen.Frequency(
        (1, Gen.Elements(DnsRecordType.DNAME, DnsRecordType.HINFO, DnsRecordType.NAPTR, DnsRecordType.CAA, DnsRecordType.HTTPS, DnsRecordType.RRSIG, DnsRecordType.None)),
        (2, UInt16.Select(t => (DnsRecordType)t)))
        .Where(t => !DecodedTypes.Contains(t));

    public static Gen<ResourceRecord> Record(Gen<DnsName> names) =>
        from owner in names
        from ttl in Ttl
        from @class in Class
        from record in Gen.OneOf(
            Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), 4).Select(a => (ResourceRecord)new ARecord(owner, ttl, new IPAddress(a), @class)),
            Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), 16).Select(a => (ResourceRecord)new AaaaRecord(owner, ttl, new IPAddress(a), @class)),
            names.Select(t => (ResourceRecord)new CnameRecord(owner, ttl, t, @class)),
            names.Select(t => (ResourceRecord)new NsRecord(owner, ttl, t, @class)),
            names.Select(t => (ResourceRecord)new PtrRecord(owner, ttl, t, @class)),
            UInt16.Zip(names, (preference, exchange) => (ResourceRecord)new MxRecord(owner, ttl, preference, exchange, @class)),
            from priority in UInt16
            from weight in UInt16
            from port in UInt16
            from target in names
            select (ResourceRecord)new SrvRecord(owner, ttl, priority, weight, port, target, @class),
            from mname in names
            from rname in names
            from serial in UInt32
            from times in UInt32.Four()
            select (ResourceRecord)new SoaRecord(owner, ttl, mname, rname, serial, times.Item1, times.Item2, times.Item3, times.Item4, @class),
            Gen.Choose(1, 4).SelectMany(count => Gen.ArrayOf(Gen.Frequency((6, Bytes(20)), (1, Bytes(255))), count))
                .Select(strings => (ResourceRecord)new TxtRecord(owner, ttl, strings, @class)),
            OpaqueType.Zip(Bytes(64), (type, rdata) => (ResourceRecord)new UnknownRecord(owner, type, ttl, rdata, @class)))
        select record;

    public static Gen<ResourceRecord> Record() => Record(Name);

    public static Gen<EdnsOption> Option { get; } = Gen.Frequency(
        (4, UInt16.Zip(Bytes(40), (code, data) => new EdnsOption(code, data))),
        (1, Gen.Elements(Enum.GetValues<ExtendedDnsErrorCode>()).Zip(Gen.Elements<string?>(null, string.Empty, "timeout", "upstream \u00e9"),
            (code, text) => EdnsOption.ExtendedError(code, text))));

    /// <summary>Random messages: any header bits, 0-2 questions, records drawn around a small pool of names, EDNS half the time.</summary>
    public static Gen<DnsMessage> Message { get; } =
        from pool in Gen.ArrayOf(Name, 3)
        let names = NameFromPool(pool)
        from id in UInt16
        from flagBits in Gen.Choose(0, 255)
        from opCode in Gen.Choose(0, 15)
        from hasEdns in Gen.Elements(true, false)
        from rcode in Gen.Choose(0, hasEdns ? 4095 : 15)
        from questions in Gen.Choose(0, 2).SelectMany(count => Gen.ArrayOf(
            from name in names
            from type in Gen.Frequency((4, Gen.Elements(DnsRecordType.A, DnsRecordType.AAAA, DnsRecordType.SRV, DnsRecordType.ANY)), (1, UInt16.Select(t => (DnsRecordType)t)))
            from @class in Class
            select new DnsQuestion(name, type, @class), count))
        from answers in Gen.Choose(0, 6).SelectMany(count => Gen.ArrayOf(Record(names), count))
        from authorities in Gen.Choose(0, 3).SelectMany(count => Gen.ArrayOf(Record(names), count))
        from additionals in Gen.Choose(0, 3).SelectMany(count => Gen.ArrayOf(Record(names), count))
        from udp in UInt16
        from version in Gen.Choose(0, 255)
        from dnssecOk in Gen.Elements(true, false)
        from z in Gen.Choose(0, 0x7fff)
        from options in Gen.Choose(0, 3).SelectMany(count => Gen.ArrayOf(Option, count))
        select Build(id, flagBits, opCode, rcode, questions, answers, authorities, additionals,
            hasEdns ? (udp, (byte)version, dnssecOk, (ushort)z, options) : null);

    private static DnsMessage Build(
        ushort id,
        int flagBits,
        int opCode,
        int rcode,
        DnsQuestion[] questions,
        ResourceRecord[] answers,
        ResourceRecord[] authorities,
        ResourceRecord[] additionals,
        (ushort Udp, byte Version, bool DnssecOk, ushort Z, EdnsOption[] Options)? edns)
    {
        DnsHeaderFlags[] all = [DnsHeaderFlags.QR, DnsHeaderFlags.AA, DnsHeaderFlags.TC, DnsHeaderFlags.RD, DnsHeaderFlags.RA, DnsHeaderFlags.Z, DnsHeaderFlags.AD, DnsHeaderFlags.CD];
        var flags = DnsHeaderFlags.None;
        for (var i = 0; i < all.Length; i++)
        {
            if ((flagBits & (1 << i)) != 0)
            {
                flags |= all[i];
            }
        }

        var message = new DnsMessage { Id = id, Flags = flags, OpCode = (DnsOpCode)opCode, ResponseCode = (DnsResponseCode)rcode };
        message.Questions.AddRange(questions);
        message.Answers.AddRange(answers);
        message.Authorities.AddRange(authorities);
        message.Additionals.AddRange(additionals);
        if (edns is { } e)
        {
            var opt = message.EnableEdns();
            opt.UdpPayloadSize = e.Udp;
            opt.Version = e.Version;
            opt.DnssecOk = e.DnssecOk;
            opt.Z = e.Z;
            opt.Options.AddRange(e.Options);
        }

        return message;
    }

    private static DnsName ToName(byte[][] labels)
    {
        var wire = new List<byte>();
        foreach (var label in labels)
        {
            if (wire.Count + 1 + label.Length + 1 > WireName.MaxLength)
            {
                break;
            }

            wire.Add((byte)label.Length);
            wire.AddRange(label);
        }

        wire.Add(0);
        return DnsName.FromWire(wire.ToArray());
    }
}
