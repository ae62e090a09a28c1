using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Reader;

/// <summary>
/// RFC 1035 4.1.4 name decoding rules as the reader enforces them: pointers point strictly backwards (so loops cannot
/// happen), labels are at most 63 octets, names at most 255, and the label types 0x40 and 0x80 are refused.
/// Every message here is a 12-octet header of zeros followed by the bytes under test at offset 12.
/// </summary>
public sealed class NameReaderTests
{
    private const string Header = "0000 0000 0000 0000 0000 0000";

    [Fact]
    public void TryReadName_PointerToSelf_Fails()
    {
        AssertFails(Hex.Bytes(Header, "c00c"), at: 12, DnsParseError.BadPointer);
    }

    [Fact]
    public void TryReadName_PointerForward_Fails()
    {
        AssertFails(Hex.Bytes(Header, "c00e", "00"), at: 12, DnsParseError.BadPointer);
    }

    [Fact]
    public void TryReadName_PointerIntoOwnLabels_Fails()
    {
        // "a" then a pointer to the "a" label itself: backwards from the pointer, but not before the name's start.
        AssertFails(Hex.Bytes(Header, "01'a' c00c"), at: 12, DnsParseError.BadPointer);
    }

    [Fact]
    public void TryReadName_PointerLoopAToBToA_Fails()
    {
        var message = Hex.Bytes(
            Header,
            "01'a' c012",   // 12: A = "a" + pointer to B (18)
            "01'b' c00c",   // 16: ... (not read)
            "c00c");        // 18: B = pointer to A
        AssertFails(message, at: 18, DnsParseError.BadPointer); // B -> A is backwards, A -> B is not
        AssertFails(message, at: 12, DnsParseError.BadPointer); // A -> B forward
    }

    [Fact]
    public void TryReadName_LoopEnteredFromLaterName_Fails()
    {
        // 12 and 14 point at each other; a name at 16 enters the loop with a legal backward jump to 14, then 14 -> 12
        // is backwards too, but 12 -> 14 is not before 12: the chain of targets must keep decreasing.
        var message = Hex.Bytes(Header, "c00e", "c00c", "c00e");
        AssertFails(message, at: 16, DnsParseError.BadPointer);
    }

    [Fact]
    public void TryReadName_BackwardPointerChain_Succeeds()
    {
        var message = Hex.Bytes(
            Header,
            "03'org' 00",            // 12: org.
            "07'example' c00c",      // 17: example. -> org.
            "03'www' c011",          // 27: www. -> example.org.
            "c01b",                  // 33: -> www.example.org.
            "ff");                   // 35: next field
        var reader = new DnsMessageReader(message) { Position = 33 };
        Span<byte> name = stackalloc byte[WireName.MaxLength];

        Assert.True(reader.TryReadName(name, out var written));

        Assert.Equal("www.example.org.", WireName.ToPresentation(name[..written]));
        Assert.Equal(35, reader.Position); // continues after the first pointer, not after the target
        Assert.Equal(DnsParseError.None, reader.Error);
    }

    [Fact]
    public void TryReadName_PointerToSuffixInsideEarlierName_Succeeds()
    {
        var message = Hex.Bytes(Header, "03'www' 07'example' 03'org' 00", "04'mail' c010");
        var reader = new DnsMessageReader(message) { Position = 29 };
        Span<byte> name = stackalloc byte[WireName.MaxLength];

        Assert.True(reader.TryReadName(name, out var written));

        Assert.Equal("mail.example.org.", WireName.ToPresentation(name[..written]));
        Assert.Equal(message.Length, reader.Position);
    }

    [Fact]
    public void TryReadName_KeepsSpellingOfMessage()
    {
        var message = Hex.Bytes(Header, "03'WwW' 07'ExAmple' 03'ORG' 00");
        var reader = new DnsMessageReader(message) { Position = 12 };
        Span<byte> name = stackalloc byte[WireName.MaxLength];

        Assert.True(reader.TryReadName(name, out var written));

        MessageAssert.BytesEqual(message.AsSpan(12), name[..written]);
    }

    [Fact]
    public void TryReadName_Label63_Succeeds()
    {
        var message = Hex.Bytes(Header, "3f", new string('a', 126), "00");
        AssertReads(message, at: 12, expectedLength: 65);
    }

    [Fact]
    public void TryReadName_Label64_Fails()
    {
        // 0x40 is both "length 64" and the start of the reserved 01 label type: either way, refused.
        var message = Hex.Bytes(Header, "40", new string('a', 128), "00");
        AssertFails(message, at: 12, DnsParseError.BadLabel);
    }

    [Theory]
    [InlineData("40")]
    [InlineData("41")]
    [InlineData("7f")]
    [InlineData("80")]
    [InlineData("bf")]
    public void TryReadName_ReservedLabelType_Fails(string labelOctet)
    {
        AssertFails(Hex.Bytes(Header, labelOctet, "00 00 00 00"), at: 12, DnsParseError.BadLabel);
    }

    [Fact]
    public void TryReadName_255OctetsOfLabels_Succeeds()
    {
        // 3 x 63-octet labels (192) + a 61-octet label (62) + root (1) = 255
        var message = Hex.Bytes(Header, LabelsOf(63, 63, 63, 61), "00");
        AssertReads(message, at: 12, expectedLength: 255);
    }

    [Fact]
    public void TryReadName_256OctetsOfLabels_Fails()
    {
        var message = Hex.Bytes(Header, LabelsOf(63, 63, 63, 62), "00");
        AssertFails(message, at: 12, DnsParseError.NameTooLong);
    }

    [Fact]
    public void TryReadName_255OctetsThroughPointer_Succeeds()
    {
        // 12: a 193-octet name; at 205 a 61-octet label (62 on the wire) and a pointer to it: 62 + 193 = 255
        var message = Hex.Bytes(Header, LabelsOf(63, 63, 63), "00", LabelsOf(61), "c00c");
        AssertReads(message, at: 12 + 193, expectedLength: 255);
    }

    [Fact]
    public void TryReadName_256OctetsThroughPointer_Fails()
    {
        // As above with a 62-octet label: 63 + 193 = 256
        var message = Hex.Bytes(Header, LabelsOf(63, 63, 63), "00", LabelsOf(62), "c00c");
        AssertFails(message, at: 12 + 193, DnsParseError.NameTooLong);
    }

    [Fact]
    public void TryReadName_NameTooLongThroughPointerChain_Fails()
    {
        // Each name adds a 63-octet label in front of the previous one: the fourth exceeds 255.
        var message = Hex.Bytes(
            Header,
            LabelsOf(63), "00",          // 12 (65 octets)
            LabelsOf(63), "c00c",        // 77 (129)
            LabelsOf(63), "c04d",        // 143 (193)
            LabelsOf(63), "c08f");       // 209 (257)
        AssertReads(message, at: 143, expectedLength: 193);
        AssertFails(message, at: 209, DnsParseError.NameTooLong);
    }

    [Theory]
    [InlineData("")]                    // nothing at all
    [InlineData("03'ww'")]              // label cut short
    [InlineData("03'www'")]             // no root label
    [InlineData("03'www' c0")]          // half a pointer
    public void TryReadName_CutShort_FailsTruncated(string bytes)
    {
        AssertFails(Hex.Bytes(Header, bytes), at: 12, DnsParseError.Truncated);
    }

    [Fact]
    public void TryReadName_PointerToHeaderOctets_IsFollowed()
    {
        // Offsets below 12 are legal targets (they are backwards); the header's zero ID reads as the root name.
        AssertReads(Hex.Bytes(Header, "c000"), at: 12, expectedLength: 1);
    }

    [Fact]
    public void TrySkipName_Loop_FailsWithoutMoving()
    {
        var reader = new DnsMessageReader(Hex.Bytes(Header, "c00c")) { Position = 12 };

        Assert.False(reader.TrySkipName());

        Assert.Equal(DnsParseError.BadPointer, reader.Error);
        Assert.Equal(12, reader.Position);
    }

    [Fact]
    public void TryParse_QuestionNameForwardPointer_FailsBadPointer()
    {
        MessageAssert.Rejects(Hex.Bytes("0000 0000 0001 0000 0000 0000", "c00e 00 0001 0001"), DnsParseError.BadPointer);
    }

    [Fact]
    public void TryParse_QuestionNameLabel64_FailsBadLabel()
    {
        MessageAssert.Rejects(Hex.Bytes("0000 0000 0001 0000 0000 0000", "40", new string('a', 128), "00 0001 0001"), DnsParseError.BadLabel);
    }

    [Fact]
    public void TryParse_QuestionName256Octets_FailsNameTooLong()
    {
        MessageAssert.Rejects(Hex.Bytes("0000 0000 0001 0000 0000 0000", LabelsOf(63, 63, 63, 62), "00 0001 0001"), DnsParseError.NameTooLong);
    }

    /// <summary>Labels of the given lengths, each filled with 'a', as hex.</summary>
    internal static string LabelsOf(params int[] lengths) =>
        string.Concat(lengths.Select(length => length.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + new string('a', 2 * length)));

    private static void AssertReads(byte[] message, int at, int expectedLength)
    {
        var reader = new DnsMessageReader(message) { Position = at };
        Span<byte> name = stackalloc byte[WireName.MaxLength];

        Assert.True(reader.TryReadName(name, out var written), $"failed with {reader.Error}");

        Assert.Equal(expectedLength, written);
        Assert.True(WireName.IsValid(name[..written]));
    }

    private static void AssertFails(byte[] message, int at, DnsParseError expected)
    {
        var reader = new DnsMessageReader(message) { Position = at };
        Span<byte> name = stackalloc byte[WireName.MaxLength];

        Assert.False(reader.TryReadName(name, out _));

        Assert.Equal(expected, reader.Error);
    }
}
