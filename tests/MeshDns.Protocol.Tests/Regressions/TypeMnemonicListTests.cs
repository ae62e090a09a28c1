namespace MeshDns.Protocol.Tests.Regressions;

/// <summary>
/// Bug: <see cref="DnsTypeNames.TryParseType"/> used <see cref="Enum.TryParse{TEnum}(ReadOnlySpan{char}, bool, out TEnum)"/>,
/// which accepts comma-separated lists (OR-ing the values) and surrounding white space, so "A,NS" parsed as MD (1 | 2 = 3)
/// and "A, NS" or " A" parsed too. A record type is one mnemonic or TYPEnnn.
/// </summary>
public sealed class TypeMnemonicListTests
{
    [Theory]
    [InlineData("A,NS")]
    [InlineData("A, NS")]
    [InlineData("AAAA,A")]
    [InlineData(" A")]
    [InlineData("A ")]
    [InlineData("+1")]
    [InlineData("A-")]
    public void TryParseType_NotASingleMnemonic_Fails(string text)
    {
        Assert.False(DnsTypeNames.TryParseType(text, out _));
    }

    [Fact]
    public void Parse_RecordWithTypeList_Throws()
    {
        Assert.Throws<FormatException>(() => ResourceRecord.Parse("a.example. 5 IN A,NS \\# 0"));
    }

    [Theory]
    [InlineData("NSEC3PARAM", DnsRecordType.NSEC3PARAM)]
    [InlineData("https", DnsRecordType.HTTPS)]
    public void TryParseType_MnemonicWithDigitsOrLowerCase_Succeeds(string text, DnsRecordType expected)
    {
        Assert.True(DnsTypeNames.TryParseType(text, out var type));
        Assert.Equal(expected, type);
    }
}
