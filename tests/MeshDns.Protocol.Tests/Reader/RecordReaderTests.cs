using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Reader;

/// <summary>
/// Record-level rules: RDATA consumes exactly RDLENGTH (RFC 1035 3.2.1), RDLENGTH stays inside the message, one OPT
/// at most, owned by the root and in the additional section (RFC 6891 6.1.1), and nothing after the last record.
/// Each message is a response to "www.example.org. A" (question at offset 12, "example.org." at 16) plus one record.
/// </summary>
public sealed class RecordReaderTests
{
    private const string QuestionSection = "03'www' 07'example' 03'org' 00 0001 0001";

    public static TheoryData<string, string, string> WrongSizedRData() => new()
    {
        // type, RDLENGTH, RDATA
        { "A, 3 octets", "0001 0003", "c00002" },
        { "A, 5 octets", "0001 0005", "c000020100" },
        { "A, empty", "0001 0000", "" },
        { "AAAA, 15 octets", "001c 000f", "20010db8 00000000 00000000 000000" },
        { "AAAA, 17 octets", "001c 0011", "20010db8000000000000000000000001 00" },
        { "CNAME, RDLENGTH one longer than the name", "0005 0005", "01'a' c010 00" },
        { "CNAME, RDLENGTH one shorter than the name", "0005 0003", "02'ab' 00" },
        { "NS, RDLENGTH one longer", "0002 0003", "c010 00" },
        { "PTR, RDLENGTH one shorter", "000c 0001", "c010" },
        { "MX, RDLENGTH one longer", "000f 0005", "000a c010 00" },
        { "SRV, RDLENGTH one longer", "0021 0009", "0001 0002 0003 c010 00" },
        { "SRV, RDLENGTH one shorter", "0021 0007", "0001 0002 0003 c010" },
        { "SOA, RDLENGTH one longer", "0006 0019", "c010 c010 00000001 00000002 00000003 00000004 00000005 00" },
        { "SOA, RDLENGTH one shorter", "0006 0017", "c010 c010 00000001 00000002 00000003 00000004 00000005" },
        { "TXT, string longer than RDATA", "0010 0003", "05'ab' 'cde'" },
    };

    [Theory]
    [MemberData(nameof(WrongSizedRData))]
    public void TryParse_RDataNotExactlyRDLength_FailsBadRData(string description, string typeAndLength, string rdata)
    {
        var message = Hex.Bytes(
            "0000 8000 0001 0001 0000 0000", QuestionSection,
            "c00c", typeAndLength[..4], "0001 0000003c", typeAndLength[4..], rdata);

        var parsed = DnsMessage.TryParse(message, out _, out var error);

        Assert.False(parsed, description);
        Assert.True(error == DnsParseError.BadRData, $"{description}: {error}");
    }

    public static TheoryData<string, string, string> RightSizedRData() => new()
    {
        { "A", "0001 0004", "c0000201" },
        { "AAAA", "001c 0010", "20010db8000000000000000000000001" },
        { "CNAME", "0005 0004", "01'a' c010" },
        { "SRV", "0021 0008", "0001 0002 0003 c010" },
        { "SOA", "0006 0018", "c010 c010 00000001 00000002 00000003 00000004 00000005" },
        { "TXT", "0010 0004", "03'abc'" },
        { "unknown", "fff0 0003", "010203" },
        { "unknown, empty", "fff0 0000", "" },
    };

    [Theory]
    [MemberData(nameof(RightSizedRData))]
    public void TryParse_RDataExactlyRDLength_Succeeds(string description, string typeAndLength, string rdata)
    {
        var message = Hex.Bytes(
            "0000 8000 0001 0001 0000 0000", QuestionSection,
            "c00c", typeAndLength[..4], "0001 0000003c", typeAndLength[4..], rdata);

        var parsed = MessageAssert.Parses(message);

        var type = ushort.Parse(typeAndLength[..4], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True((ushort)Assert.Single(parsed.Answers).Type == type, description);
    }

    [Fact]
    public void TryParse_RDLengthPastEnd_FailsTruncated()
    {
        MessageAssert.Rejects(
            Hex.Bytes("0000 8000 0001 0001 0000 0000", QuestionSection, "c00c 0001 0001 0000003c", "0005", "c0000201"),
            DnsParseError.Truncated);
    }

    [Fact]
    public void TryParse_RecordFixedFieldsCutShort_FailsTruncated()
    {
        MessageAssert.Rejects(
            Hex.Bytes("0000 8000 0001 0001 0000 0000", QuestionSection, "c00c 0001 0001 0000003c 00"),
            DnsParseError.Truncated);
    }

    [Fact]
    public void TryParse_NameInRDataPointsForward_FailsBadPointer()
    {
        MessageAssert.Rejects(
            Hex.Bytes("0000 8000 0001 0001 0000 0000", QuestionSection, "c00c 0005 0001 0000003c 0002", "c02f"),
            DnsParseError.BadPointer);
    }

    [Fact]
    public void TryParse_OwnerPointsToItself_FailsBadPointer()
    {
        // The record starts at 33 (0x21).
        MessageAssert.Rejects(
            Hex.Bytes("0000 8000 0001 0001 0000 0000", QuestionSection, "c021 0001 0001 0000003c 0004 c0000201"),
            DnsParseError.BadPointer);
    }

    [Fact]
    public void TryParse_TrailingOctets_FailsTrailingData()
    {
        MessageAssert.Rejects(
            Hex.Bytes("0000 8000 0001 0001 0000 0000", QuestionSection, "c00c 0001 0001 0000003c 0004 c0000201", "00"),
            DnsParseError.TrailingData);
    }

    [Fact]
    public void TryParse_TwoOptRecords_FailsBadOpt()
    {
        MessageAssert.Rejects(
            Hex.Bytes("0000 0000 0001 0000 0000 0002", QuestionSection, "00 0029 04d0 00000000 0000", "00 0029 04d0 00000000 0000"),
            DnsParseError.BadOpt);
    }

    [Fact]
    public void TryParse_OptOwnedByNonRoot_FailsBadOpt()
    {
        MessageAssert.Rejects(
            Hex.Bytes("0000 0000 0001 0000 0000 0001", QuestionSection, "c00c 0029 04d0 00000000 0000"),
            DnsParseError.BadOpt);
    }

    [Fact]
    public void TryParse_OptInAnswerSection_FailsBadOpt()
    {
        MessageAssert.Rejects(
            Hex.Bytes("0000 8000 0001 0001 0000 0000", QuestionSection, "00 0029 04d0 00000000 0000"),
            DnsParseError.BadOpt);
    }

    [Fact]
    public void TryParse_OptInAuthoritySection_FailsBadOpt()
    {
        MessageAssert.Rejects(
            Hex.Bytes("0000 8000 0001 0000 0001 0000", QuestionSection, "00 0029 04d0 00000000 0000"),
            DnsParseError.BadOpt);
    }

    [Theory]
    [InlineData("0003", "000a 00")]           // option header cut short
    [InlineData("0006", "000a 0008 0102")]    // option data past RDLENGTH
    public void TryParse_OptOptionOverrunsRData_FailsBadOpt(string rdLength, string rdata)
    {
        MessageAssert.Rejects(
            Hex.Bytes("0000 0000 0001 0000 0000 0001", QuestionSection, "00 0029 04d0 00000000", rdLength, rdata),
            DnsParseError.BadOpt);
    }

    [Fact]
    public void TryParse_OptAfterOtherAdditionals_IsFound()
    {
        var parsed = MessageAssert.Parses(Hex.Bytes(
            "0000 8000 0001 0000 0000 0002", QuestionSection,
            "c00c 0001 0001 0000003c 0004 c0000201",
            "00 0029 0400 00 00 8000 0000"));

        Assert.Single(parsed.Additionals);
        Assert.Equal(1024, parsed.Edns!.UdpPayloadSize);
        Assert.True(parsed.Edns.DnssecOk);
    }

    [Fact]
    public void TryParse_OptZBitsAndVersion_AreKept()
    {
        var parsed = MessageAssert.Parses(Hex.Bytes("0000 0000 0001 0000 0000 0001", QuestionSection, "00 0029 0000 00 07 ffff 0000"));

        Assert.Equal((7, true, 0x7fff, 0), (parsed.Edns!.Version, parsed.Edns.DnssecOk, parsed.Edns.Z, parsed.Edns.UdpPayloadSize));
    }

    [Fact]
    public void TryReadRecordHeader_RDLengthPastEnd_FailsTruncated()
    {
        var reader = new DnsMessageReader(Hex.Bytes("00 0001 0001 00000000 0004 c00002"));
        Span<byte> name = stackalloc byte[WireName.MaxLength];

        Assert.False(reader.TryReadRecordHeader(name, out _, out _));

        Assert.Equal(DnsParseError.Truncated, reader.Error);
    }

    [Fact]
    public void TrySkipRecord_WholeRecord_LandsAfterRData()
    {
        var reader = new DnsMessageReader(Hex.Bytes("00 0001 0001 00000000 0004 c0000201 ff"));

        Assert.True(reader.TrySkipRecord());

        Assert.Equal(1, reader.Remaining);
    }
}
