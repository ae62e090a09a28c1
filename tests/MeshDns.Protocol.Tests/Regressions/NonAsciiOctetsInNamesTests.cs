using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Regressions;

/// <summary>
/// Bug: case-insensitive name comparison and lower-casing used <see cref="System.Text.Ascii"/>, which treats any octet
/// above 0x7F as "not ASCII": EqualsIgnoreCase returned false and ToLower stopped there. Labels are arbitrary octets
/// (RFC 2181 11) and only A-Z fold (RFC 4343), so a name holding such an octet was not equal to itself (dictionary
/// lookups and IsSubdomainOf missed it, the writer never compressed it) and ToLowerInvariant returned a corrupt name.
/// </summary>
public sealed class NonAsciiOctetsInNamesTests
{
    [Fact]
    public void Equals_SameNameWithOctetsAbove7F_IsEqual()
    {
        var first = DnsName.Parse(@"b\195\188cher.example.");
        var second = DnsName.Parse(@"B\195\188CHER.Example.");

        Assert.True(first.Equals(DnsName.Parse(@"b\195\188cher.example.")));
        Assert.True(first.Equals(second));
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.True(first.Equals(second.Wire));
    }

    [Theory]
    [InlineData(@"\195.", @"\227.")] // 0xC3 / 0xE3 differ only in bit 0x20, but only ASCII letters fold
    [InlineData(@"\200.", @"\232.")]
    [InlineData(@"\218.", @"\250.")]
    public void Equals_NonAsciiOctetsDifferingIn0x20_AreDifferent(string left, string right)
    {
        Assert.False(DnsName.Parse(left).Equals(DnsName.Parse(right)));
    }

    [Fact]
    public void DictionaryLookup_NameWithOctetsAbove7F_IsFound()
    {
        var names = new Dictionary<DnsName, int>(DnsNameComparer.Instance) { [DnsName.Parse(@"\255.example.")] = 1 };

        Assert.True(names.ContainsKey(DnsName.Parse(@"\255.EXAMPLE.")));
        Assert.True(names.GetAlternateLookup<ReadOnlySpan<byte>>().ContainsKey(Hex.Bytes("01 ff 07'example' 00")));
    }

    [Fact]
    public void IsSubdomainOf_ZoneWithOctetsAbove7F_Matches()
    {
        Assert.True(DnsName.Parse(@"www.\200zone.").IsSubdomainOf(DnsName.Parse(@"\200ZONE.")));
    }

    [Fact]
    public void ToLowerInvariant_OctetsAbove7F_AreKeptAndLettersLowered()
    {
        var lower = DnsName.Parse(@"ABC\195\128DEF.Example.").ToLowerInvariant();

        Assert.Equal(@"abc\195\128def.example.", lower.ToString());
        Assert.True(WireName.IsValid(lower.Wire));
    }

    [Fact]
    public void WireNameToLower_OctetsAbove7F_WritesWholeName()
    {
        var wire = Hex.Bytes("03 41 c3 42 00");
        var destination = new byte[wire.Length];

        Assert.Equal(wire.Length, WireName.ToLower(wire, destination));

        MessageAssert.BytesEqual(Hex.Bytes("03 61 c3 62 00"), destination);
    }

    [Fact]
    public void Writer_RepeatedNameWithOctetsAbove7F_IsCompressed()
    {
        var message = new DnsMessage { Id = 1, IsResponse = true };
        message.Questions.Add(new DnsQuestion(DnsName.Parse(@"\240\159\146\169.example."), DnsRecordType.TXT));
        message.Answers.Add(new TxtRecord(DnsName.Parse(@"\240\159\146\169.EXAMPLE."), 60, "x"));

        var wire = message.ToArray();

        // header 12 + question (5 + 9 name octets + 4) + answer owner as the pointer C00C ...
        MessageAssert.BytesEqual(Hex.Bytes("c00c 0010 0001"), wire.AsSpan(12 + 14 + 4, 6));
        MessageAssert.Equal(message, MessageAssert.Parses(wire));
    }
}
