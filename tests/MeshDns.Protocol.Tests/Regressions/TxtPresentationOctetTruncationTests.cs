namespace MeshDns.Protocol.Tests.Regressions;

/// <summary>
/// Bug: the zone-file tokenizer turned every character of a character-string into one octet with a cast, so a
/// <c>\DDD</c> escape above 255 wrapped ("\999" became 0xE7) and a non-ASCII character lost its upper bits ("€"
/// became 0xAC). Escapes are decimal 0-255 (RFC 1035 5.1); other text is taken as UTF-8.
/// </summary>
public sealed class TxtPresentationOctetTruncationTests
{
    [Theory]
    [InlineData("\"\\256\"")]
    [InlineData("\"\\999\"")]
    [InlineData("\\300")]
    public void Parse_DecimalEscapeAbove255_Throws(string rdata)
    {
        Assert.Throws<FormatException>(() => ResourceRecord.Parse($"t.example. 5 IN TXT {rdata}"));
    }

    [Fact]
    public void Parse_NonAsciiText_IsUtf8()
    {
        var txt = Assert.IsType<TxtRecord>(ResourceRecord.Parse("t.example. 5 IN TXT \"caf\u00e9 \u20ac \U0001F600\" plain\u00e9"));

        Assert.Equal(
            ["caf\u00e9 \u20ac \U0001F600"u8.ToArray(), "plain\u00e9"u8.ToArray()],
            txt.Strings.Select(s => s.ToArray()));
    }

    [Fact]
    public void Parse_NonAsciiText_RoundTripsThroughEscapes()
    {
        var txt = ResourceRecord.Parse("t.example. 5 IN TXT \"\u00e9\"");

        Assert.Equal("t.example. 5 IN TXT \"\\195\\169\"", txt.ToString());
        Assert.Equal(txt, ResourceRecord.Parse(txt.ToString()));
    }
}
