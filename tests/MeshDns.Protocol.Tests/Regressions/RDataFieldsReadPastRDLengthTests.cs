using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Regressions;

/// <summary>
/// Bug: the fields of a known record type were read from the whole message instead of from RDATA, so an RDATA shorter
/// than its fields ran on into whatever followed. At the end of the message that was reported as
/// <see cref="DnsParseError.Truncated"/> (a message cut short, which it was not: RDLENGTH was fully present), and
/// before another record the next record's bytes were decoded as RDATA and their error reported instead.
/// </summary>
public sealed class RDataFieldsReadPastRDLengthTests
{
    private const string QuestionSection = "03'www' 07'example' 03'org' 00 0001 0001";

    public static TheoryData<string, string, string> ShortRData() => new()
    {
        { "CNAME, empty", "0005 0000", "" },
        { "NS, a label length only", "0002 0001", "03" },
        { "MX, preference only", "000f 0002", "000a" },
        { "SRV, fixed fields only", "0021 0006", "0001 0002 0003" },
        { "SOA, no MINIMUM", "0006 0014", "c010 c010 00000001 00000002 00000003 00000004" },
        { "SOA, MNAME only", "0006 0002", "c010" },
    };

    [Theory]
    [MemberData(nameof(ShortRData))]
    public void TryParse_ShortRDataAtEndOfMessage_FailsBadRData(string description, string typeAndLength, string rdata)
    {
        var message = Hex.Bytes(
            "0000 8000 0001 0001 0000 0000", QuestionSection,
            "c00c", typeAndLength[..4], "0001 0000003c", typeAndLength[4..], rdata);

        var parsed = DnsMessage.TryParse(message, out _, out var error);

        Assert.False(parsed, description);
        Assert.True(error == DnsParseError.BadRData, $"{description}: {error}");
    }

    [Fact]
    public void TryParse_EmptyCnameBeforeAnotherRecord_FailsBadRDataNotTheNextRecordsError()
    {
        // The second record's owner starts with a reserved label type; reading on from the empty CNAME used to report BadLabel.
        var message = Hex.Bytes(
            "0000 8000 0001 0002 0000 0000", QuestionSection,
            "c00c 0005 0001 0000003c 0000",
            "40 0001 0001 0000003c 0000");

        MessageAssert.Rejects(message, DnsParseError.BadRData);
    }

    [Fact]
    public void TryReadRData_ShortRData_LeavesReaderErrorBadRData()
    {
        var message = Hex.Bytes("0000 8000 0001 0001 0000 0000", QuestionSection, "c00c 0021 0001 0000003c 0006 0001 0002 0003");
        var reader = new DnsMessageReader(message);
        Span<byte> name = stackalloc byte[WireName.MaxLength];
        Assert.True(reader.TryReadHeader(out _));
        Assert.True(reader.TryReadQuestion(name, out _, out _, out _));
        Assert.True(reader.TryReadRecordHeader(name, out var length, out var header));

        Assert.False(ResourceRecord.TryReadRData(ref reader, DnsName.FromWire(name[..length]), header, out var record));

        Assert.Null(record);
        Assert.Equal(DnsParseError.BadRData, reader.Error);
    }

    [Fact]
    public void TryParse_RDataNameMayStillPointBeforeRData()
    {
        // Bounding RDATA must not stop names inside it from pointing back into the message.
        var parsed = MessageAssert.Parses(Hex.Bytes(
            "0000 8000 0001 0001 0000 0000", QuestionSection,
            "c00c 0006 0001 0000003c 0018 c010 c00c 00000001 00000002 00000003 00000004 00000005"));

        var soa = Assert.IsType<SoaRecord>(Assert.Single(parsed.Answers));
        Assert.Equal("example.org.", soa.PrimaryServer.ToString());
        Assert.Equal("www.example.org.", soa.ResponsibleMailbox.ToString());
    }
}
