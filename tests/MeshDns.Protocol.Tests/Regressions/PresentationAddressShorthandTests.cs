namespace MeshDns.Protocol.Tests.Regressions;

/// <summary>
/// Bug: A and AAAA RDATA in zone-file text went through <see cref="System.Net.IPAddress.TryParse(string?, out System.Net.IPAddress?)"/>,
/// which also accepts the inet_aton shorthands: "10.0.0" became 10.0.0.0, "10" became 0.0.0.10, and a leading zero
/// made an octet octal ("010.0.0.1" became 8.0.0.1). A typo in a test table or a zone therefore produced another
/// address silently. RFC 1035 3.4.1 / 5.1 presentation is four decimal octets; AAAA text has no scope ID.
/// </summary>
public sealed class PresentationAddressShorthandTests
{
    [Theory]
    [InlineData("10.0.0")]
    [InlineData("10")]
    [InlineData("10.1")]
    [InlineData("0x0a.0.0.1")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1..3.4")]
    [InlineData("1.2.3.0004")]
    [InlineData("+1.2.3.4")]
    public void Parse_ARecordWithShorthandAddress_Throws(string address)
    {
        Assert.Throws<FormatException>(() => ResourceRecord.Parse($"a.example. 5 IN A {address}"));
    }

    [Theory]
    [InlineData("010.0.0.1", "10.0.0.1")] // decimal, never octal
    [InlineData("192.000.002.001", "192.0.2.1")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    public void Parse_ARecordWithDecimalOctets_ReadsDecimal(string address, string expected)
    {
        var record = Assert.IsType<ARecord>(ResourceRecord.Parse($"a.example. 5 IN A {address}"));

        Assert.Equal(expected, record.Address.ToString());
    }

    [Theory]
    [InlineData("fe80::1%eth0")]
    [InlineData("fe80::1%2")]
    public void Parse_AaaaRecordWithScope_Throws(string address)
    {
        Assert.Throws<FormatException>(() => ResourceRecord.Parse($"a.example. 5 IN AAAA {address}"));
    }

    [Fact]
    public void Parse_AaaaRecordWithEmbeddedIPv4_IsAccepted()
    {
        var record = Assert.IsType<AaaaRecord>(ResourceRecord.Parse("a.example. 5 IN AAAA ::ffff:192.0.2.1"));

        Assert.Equal("::ffff:192.0.2.1", record.Address.ToString());
    }
}
