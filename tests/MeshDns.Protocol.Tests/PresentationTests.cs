using System.Net;
using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests;

/// <summary>Records in zone-file form, as CoreDNS-style test tables write them.</summary>
public sealed class PresentationTests
{
    public static TheoryData<string, string> Records() => new()
    {
        // input, canonical ToString
        { "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1", "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1" },
        { "svc1.testns.svc.cluster.local.\t5\tIN\tAAAA\t1234:abcd::1", "svc1.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1" },
        { "a.example. IN 300 CNAME b.example.", "a.example. 300 IN CNAME b.example." },         // class before TTL
        { "a.example. 300 NS ns1.example.", "a.example. 300 IN NS ns1.example." },              // class defaults to IN
        { "a.example. PTR host.example.", "a.example. 0 IN PTR host.example." },                // TTL defaults to 0
        { "mail.example. 60 IN MX 10 mx.example.", "mail.example. 60 IN MX 10 mx.example." },
        { "_http._tcp.svc. 5 IN SRV 0 100 80 web.svc.", "_http._tcp.svc. 5 IN SRV 0 100 80 web.svc." },
        {
            "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5",
            "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5"
        },
        { "t.example. 5 IN TXT \"two words\" \"q\\\"uote\" \"back\\\\slash\" \"\\010\"", "t.example. 5 IN TXT \"two words\" \"q\\\"uote\" \"back\\\\slash\" \"\\010\"" },
        { "t.example. 5 IN TXT \"semi;colon\" ; a comment", "t.example. 5 IN TXT \"semi;colon\"" },
        { "t.example. 5 IN TXT unquoted", "t.example. 5 IN TXT \"unquoted\"" },
        { "o.example. 5 IN TYPE65280 \\# 4 DEAD BEEF", "o.example. 5 IN TYPE65280 \\# 4 DEADBEEF" },
        { "o.example. 5 CLASS3 TYPE1 \\# 4 0a000001", "o.example. 5 CH A \\# 4 0A000001" },              // generic form kept opaque
        { "o.example. 5 IN DNAME \\# 0", "o.example. 5 IN DNAME \\# 0" },
        { "o.example. 5 in a 10.0.0.2", "o.example. 5 IN A 10.0.0.2" },                                 // mnemonics are case-insensitive
        { "Mixed.Case.Example. 5 IN A 10.0.0.3", "Mixed.Case.Example. 5 IN A 10.0.0.3" },             // spelling kept
        { @"a\.b\032c.example. 5 IN A 10.0.0.4", @"a\.b\032c.example. 5 IN A 10.0.0.4" },
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void Parse_ZoneFileLine_PrintsCanonically(string text, string expected)
    {
        var record = ResourceRecord.Parse(text);

        Assert.Equal(expected, record.ToString());
        Assert.True(MessageEquality.RecordsEqual(record, ResourceRecord.Parse(expected)));
    }

    [Fact]
    public void Parse_Srv_FillsFields()
    {
        var srv = Assert.IsType<SrvRecord>(ResourceRecord.Parse("_dns._udp.svc. 30 IN SRV 10 20 53 Kube-DNS.svc."));

        Assert.Equal((10, 20, 53), (srv.Priority, srv.Weight, srv.Port));
        Assert.Equal("Kube-DNS.svc.", srv.Target.ToString());
        Assert.Equal(30u, srv.Ttl);
        Assert.Equal(DnsClass.IN, srv.Class);
    }

    [Fact]
    public void Parse_Txt_UndoesEscapesIntoOctets()
    {
        var txt = Assert.IsType<TxtRecord>(ResourceRecord.Parse("t. 1 IN TXT \"a\\\"b\" \"\\255\\000\" \"\""));

        Assert.Equal(["a\"b"u8.ToArray(), [0xff, 0x00], []], txt.Strings.Select(s => s.ToArray()));
    }

    [Theory]
    [InlineData("a.example. 5 IN")]                           // no type
    [InlineData("a.example. 5 IN BOGUS 1")]                   // unknown mnemonic
    [InlineData("a.example. 5 IN A")]                         // no address
    [InlineData("a.example. 5 IN A 10.0.0.256")]
    [InlineData("a.example. 5 IN A ::1")]                     // wrong family
    [InlineData("a.example. 5 IN AAAA 10.0.0.1")]
    [InlineData("a.example. 5 IN A 10.0.0.1 10.0.0.2")]
    [InlineData("a.example. 5 IN CNAME a..b.")]               // bad name in RDATA
    [InlineData("a..example. 5 IN A 10.0.0.1")]               // bad owner
    [InlineData("a.example. 5 IN MX mx.example.")]            // missing preference
    [InlineData("a.example. 5 IN MX 70000 mx.example.")]      // preference over 16 bits
    [InlineData("a.example. 5 IN SRV 1 2 mx.example.")]
    [InlineData("a.example. 5 IN SOA ns. host. 1 2 3 4")]
    [InlineData("a.example. 5 IN TXT")]
    [InlineData("a.example. 5 IN TXT \"open")]                // unterminated string
    [InlineData("a.example. 5 IN TYPE65280 \\# 3 DEADBEEF")]  // length does not match
    [InlineData("a.example. 5 IN TYPE65280 \\# 2 XYZW")]      // not hex
    [InlineData("a.example. 5 IN TYPE65280 \\#")]
    [InlineData("a.example. 5 IN TYPE65280 DEADBEEF")]        // unknown types need the generic form
    [InlineData("")]
    public void Parse_Malformed_ThrowsFormatExceptionNamingTheText(string text)
    {
        var exception = Assert.Throws<FormatException>(() => ResourceRecord.Parse(text));

        Assert.Contains($"'{text}'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TypeNames_EveryKnownType_RoundTripsThroughText()
    {
        foreach (var type in Enum.GetValues<DnsRecordType>())
        {
            var text = DnsTypeNames.TypeToString(type);
            Assert.True(DnsTypeNames.TryParseType(text, out var parsed), text);
            Assert.Equal(type, parsed);
            Assert.True(DnsTypeNames.TryParseType(text.ToLowerInvariant(), out parsed), text);
            Assert.Equal(type, parsed);
        }
    }

    [Theory]
    [InlineData((ushort)65280, "TYPE65280")]
    [InlineData((ushort)262, "TYPE262")]
    [InlineData((ushort)1, "A")]
    public void TypeNames_Rfc3597Form_RoundTrips(ushort value, string text)
    {
        Assert.Equal(text, DnsTypeNames.TypeToString((DnsRecordType)value));
        Assert.True(DnsTypeNames.TryParseType($"TYPE{value}", out var parsed));
        Assert.Equal(value, (ushort)parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("TYPE")]
    [InlineData("TYPE65536")]
    [InlineData("TYPE-1")]
    [InlineData("NOTATYPE")]
    public void TypeNames_NotAType_Fails(string text)
    {
        Assert.False(DnsTypeNames.TryParseType(text, out _));
    }

    [Theory]
    [InlineData("IN", DnsClass.IN)]
    [InlineData("ch", DnsClass.CH)]
    [InlineData("CHAOS", DnsClass.CH)]
    [InlineData("HS", DnsClass.HS)]
    [InlineData("NONE", DnsClass.NONE)]
    [InlineData("ANY", DnsClass.ANY)]
    [InlineData("CLASS1", DnsClass.IN)]
    [InlineData("CLASS65535", (DnsClass)65535)]
    public void ClassNames_Parse(string text, DnsClass expected)
    {
        Assert.True(DnsTypeNames.TryParseClass(text, out var parsed));
        Assert.Equal(expected, parsed);
        Assert.True(DnsTypeNames.TryParseClass(DnsTypeNames.ClassToString(parsed), out var again));
        Assert.Equal(expected, again);
    }

    [Fact]
    public void RcodeAndOpcodeNames_MatchDig()
    {
        Assert.Equal("NXDOMAIN", DnsTypeNames.RcodeToString(DnsResponseCode.NXDomain));
        Assert.Equal("BADCOOKIE", DnsTypeNames.RcodeToString(DnsResponseCode.BadCookie));
        Assert.Equal("RCODE4095", DnsTypeNames.RcodeToString((DnsResponseCode)4095));
        Assert.True(DnsTypeNames.TryParseRcode("servfail", out var rcode));
        Assert.Equal(DnsResponseCode.ServFail, rcode);
        Assert.Equal("NOTIFY", DnsTypeNames.OpCodeToString(DnsOpCode.Notify));
        Assert.Equal("OPCODE15", DnsTypeNames.OpCodeToString((DnsOpCode)15));
    }

    [Fact]
    public void Records_WithAndEquality_IgnoreOnlyWhatTheySay()
    {
        var a = new ARecord(DnsName.Parse("a.example."), 5, IPAddress.Parse("10.0.0.1"));

        Assert.Same(a, a.WithTtl(5));
        Assert.Equal(9u, a.WithTtl(9).Ttl);
        Assert.True(a.RDataEquals(a.WithName(DnsName.Parse("b.example."))));
        Assert.False(a.Equals(a.WithTtl(9)));
        Assert.True(a.Equals(new ARecord(DnsName.Parse("A.EXAMPLE."), 5, IPAddress.Parse("10.0.0.1"))));
        Assert.False(a.Equals(new ARecord(DnsName.Parse("a.example."), 5, IPAddress.Parse("10.0.0.1"), DnsClass.CH)));
        Assert.Throws<ArgumentException>(() => new ARecord(DnsName.Root, 1, IPAddress.IPv6Loopback));
        Assert.Throws<ArgumentException>(() => new AaaaRecord(DnsName.Root, 1, IPAddress.Loopback));
        Assert.Throws<ArgumentException>(() => new TxtRecord(DnsName.Root, 1, [new byte[256]]));
    }
}
