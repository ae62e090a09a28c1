using MeshDns.Server.Corefile;
using static MeshDns.Server.Tests.Corefile.CorefileTestSupport;

namespace MeshDns.Server.Tests.Corefile;

/// <summary>Server keys to addresses; expectations follow CoreDNS's core/dnsserver and plugin/normalize tests.</summary>
public sealed class ServerKeyTests
{
    private static string[] Addresses(string key, CorefileParseOptions? options = null)
    {
        var document = CorefileParser.Parse($"{key} {{\n}}", "Corefile", options ?? Options());
        return Assert.Single(document.ServerBlocks).Addresses.Select(static a => a.ToString()).ToArray();
    }

    [Theory]
    [InlineData(".", "dns://.:53")]
    [InlineData(".:54", "dns://.:54")]
    [InlineData(".:053", "dns://.:53")]
    [InlineData(".:0", "dns://.:0")]
    [InlineData("dns://.", "dns://.:53")]
    [InlineData("dns://.:5353", "dns://.:5353")]
    [InlineData("tls://.", "tls://.:853")]
    [InlineData("tls://.:8953", "tls://.:8953")]
    [InlineData("quic://.", "quic://.:853")]
    [InlineData("grpc://.", "grpc://.:443")]
    [InlineData("grpc://.:8443", "grpc://.:8443")]
    [InlineData("https://.", "https://.:443")]
    [InlineData("https://.:8443", "https://.:8443")]
    [InlineData("example.org", "dns://example.org.:53")]
    [InlineData("example.org.", "dns://example.org.:53")]
    [InlineData("Example.ORG:1053", "dns://example.org.:1053")]
    [InlineData("dns://example.org:1053", "dns://example.org.:1053")]
    [InlineData("127.0.0.1", "dns://127.0.0.1.:53")]
    [InlineData("a\\.b.example", "dns://a\\.b.example.:53")]
    [InlineData("with\\.", "dns://with\\..:53")]
    public void Parse_Key_GivesTransportZoneAndPort(string key, string expected) =>
        Assert.Equal([expected], Addresses(key));

    public static TheoryData<string, string[]> ReverseKeys => new()
    {
        { "10.0.0.0/24", ["dns://0.0.10.in-addr.arpa.:53"] },
        { "10.0.0.0/24:53", ["dns://0.0.10.in-addr.arpa.:53"] },
        { "10.0.0.0/8:1053", ["dns://10.in-addr.arpa.:1053"] },
        { "10.1.2.3/32", ["dns://3.2.1.10.in-addr.arpa.:53"] },
        { "0.0.0.0/0", ["dns://in-addr.arpa.:53"] },
        { "10.0.0.0/15", ["dns://0.10.in-addr.arpa.:53", "dns://1.10.in-addr.arpa.:53"] },
        { "10.6.84.129/31", ["dns://128.84.6.10.in-addr.arpa.:53", "dns://129.84.6.10.in-addr.arpa.:53"] },
        {
            "10.129.60.0/22",
            [
                "dns://60.129.10.in-addr.arpa.:53", "dns://61.129.10.in-addr.arpa.:53",
                "dns://62.129.10.in-addr.arpa.:53", "dns://63.129.10.in-addr.arpa.:53",
            ]
        },
        { "172.17.17.17/12", Enumerable.Range(16, 16).Select(static i => $"dns://{i}.172.in-addr.arpa.:53").ToArray() },
        { "10.9.3.0/18", Enumerable.Range(0, 64).Select(static i => $"dns://{i}.9.10.in-addr.arpa.:53").ToArray() },
        { "128.0.0.0/1", Enumerable.Range(128, 128).Select(static i => $"dns://{i}.in-addr.arpa.:53").ToArray() },

        // A trailing dot opts out of CIDR parsing: the key is a literal name (CoreDNS's own test).
        { "10.0.0.0/24.", ["dns://10.0.0.0/24.:53"] },
        { "10.0.0.0/24.:53", ["dns://10.0.0.0/24.:53"] },
        { "2003::1/64.", ["dns://2003::1/64.:53"] },

        { "2003::1/64", ["dns://0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.2.ip6.arpa.:53"] },
        { "2003::1/64:53", ["dns://0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.2.ip6.arpa.:53"] },
        { "2001:DB8::/32", ["dns://8.b.d.0.1.0.0.2.ip6.arpa.:53"] },
        {
            "2003::53/67",
            ["dns://0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.2.ip6.arpa.:53", "dns://1.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.2.ip6.arpa.:53"]
        },
        {
            "fd00:77:30::0/110",
            [
                "dns://0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.:53",
                "dns://1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.:53",
                "dns://2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.:53",
                "dns://3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.:53",
            ]
        },
        { "tls://10.0.0.0/24", ["tls://0.0.10.in-addr.arpa.:853"] },
    };

    [Theory]
    [MemberData(nameof(ReverseKeys))]
    public void Parse_CidrKey_ExpandsToReverseZonesOnLabelBoundaries(string key, string[] expected) =>
        Assert.Equal(expected, Addresses(key));

    [Fact]
    public void Parse_CidrKey_EveryAddressRemembersTheKey()
    {
        var block = Parse("example.org 10.0.0.0/15 {\n}").ServerBlocks[0];

        Assert.Equal(
            [
                new ZoneAddress("dns", "example.org.", 53, "example.org"),
                new ZoneAddress("dns", "0.10.in-addr.arpa.", 53, "10.0.0.0/15"),
                new ZoneAddress("dns", "1.10.in-addr.arpa.", 53, "10.0.0.0/15"),
            ],
            block.Addresses);
        Assert.Equal(["example.org", "10.0.0.0/15"], block.Keys);
    }

    [Fact]
    public void Parse_DefaultPort_AppliesOnlyToDnsKeysWithoutPort()
    {
        var options = Options() with { DefaultPort = 1053 };

        Assert.Equal(["dns://.:1053"], Addresses(".", options));
        Assert.Equal(["dns://.:53"], Addresses(".:53", options));
        Assert.Equal(["tls://.:853"], Addresses("tls://.", options));
    }

    [Fact]
    public void Parse_DefaultPortOutOfRange_IsAnArgumentError() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CorefileParser.Parse(".", "Corefile", Options() with { DefaultPort = 70000 }));

    [Fact]
    public void ZoneAddress_ToString_MatchesCoreDnsZoneAddr() =>
        Assert.Equal("grpc://example.org.:443", new ZoneAddress("grpc", "example.org.", 443, "grpc://example.org").ToString());
}
