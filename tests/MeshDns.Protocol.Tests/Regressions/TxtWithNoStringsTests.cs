using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Regressions;

/// <summary>
/// Bug (found by the fuzz test): a TXT record with RDLENGTH 0 parsed as a TxtRecord holding no strings, which the
/// writer encodes as one empty character-string (RFC 1035 3.3.14 wants at least one), and that read back as a record
/// holding one empty string: the two were unequal, so parse -> encode -> parse changed the message. The same record
/// printed as nothing after "TXT", which ResourceRecord.Parse refuses.
/// </summary>
public sealed class TxtWithNoStringsTests
{
    [Fact]
    public void TryParse_TxtWithEmptyRData_ReencodesToEqualMessage()
    {
        var wire = Hex.Bytes("0000 8000 0000 0001 0000 0000", "00 0010 0001 0000003c 0000");

        var parsed = MessageAssert.Parses(wire);
        var again = MessageAssert.Parses(parsed.ToArray());

        MessageAssert.Equal(parsed, again);
    }

    [Fact]
    public void TxtRecord_NoStrings_EqualsOneEmptyString()
    {
        var none = new TxtRecord(DnsName.Root, 60, Array.Empty<byte[]>());
        var empty = new TxtRecord(DnsName.Root, 60, string.Empty);

        Assert.True(MessageEquality.RecordsEqual(empty, none));
        Assert.Equal([string.Empty], none.Texts);
    }

    [Fact]
    public void TxtRecord_NoStrings_PrintsAsParsableEmptyString()
    {
        var none = new TxtRecord(DnsName.Root, 60, Array.Empty<byte[]>());

        Assert.Equal(". 60 IN TXT \"\"", none.ToString());
        Assert.True(MessageEquality.RecordsEqual(none, ResourceRecord.Parse(none.ToString())));
    }
}
