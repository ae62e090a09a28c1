using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests;

public sealed class HeaderTests
{
    public static TheoryData<DnsHeaderFlags, string> SingleFlags() => new()
    {
        { DnsHeaderFlags.QR, "8000" },
        { DnsHeaderFlags.AA, "0400" },
        { DnsHeaderFlags.TC, "0200" },
        { DnsHeaderFlags.RD, "0100" },
        { DnsHeaderFlags.RA, "0080" },
        { DnsHeaderFlags.Z, "0040" },
        { DnsHeaderFlags.AD, "0020" },
        { DnsHeaderFlags.CD, "0010" },
    };

    [Theory]
    [MemberData(nameof(SingleFlags))]
    public void TryWrite_SingleFlag_SetsItsBitOnly(DnsHeaderFlags flag, string word)
    {
        var bytes = new byte[DnsHeader.Size];

        Assert.True(new DnsHeader { Id = 0x0102, Flags = flag }.TryWrite(bytes));

        MessageAssert.BytesEqual(Hex.Bytes("0102", word, "0000 0000 0000 0000"), bytes);
        Assert.True(DnsHeader.TryRead(bytes, out var read));
        Assert.Equal(flag, read.Flags);
        Assert.True(read.HasFlag(flag));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(15)]
    public void TryWrite_EachOpCode_UsesBitsElevenToFourteen(byte opCode)
    {
        var bytes = new byte[DnsHeader.Size];

        Assert.True(new DnsHeader { OpCode = (DnsOpCode)opCode, Flags = DnsHeaderFlags.QR }.TryWrite(bytes));

        Assert.Equal(0x8000 | (opCode << 11), (bytes[2] << 8) | bytes[3]);
        Assert.True(DnsHeader.TryRead(bytes, out var read));
        Assert.Equal((DnsOpCode)opCode, read.OpCode);
        Assert.Equal(DnsHeaderFlags.QR, read.Flags);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    public void TryRead_EachHeaderRcode_KeepsLowFourBits(byte rcode)
    {
        var bytes = Hex.Bytes("0000", $"80{rcode:x2}", "0000 0000 0000 0000");

        Assert.True(DnsHeader.TryRead(bytes, out var header));

        Assert.Equal(rcode, header.Rcode);
        Assert.Equal(DnsHeaderFlags.QR, header.Flags);
        var message = MessageAssert.Parses(bytes);
        Assert.Equal((DnsResponseCode)rcode, message.ResponseCode);
    }

    [Theory]
    [InlineData(DnsResponseCode.BadVers, "80 00", "01")]
    [InlineData(DnsResponseCode.BadKey, "80 01", "01")]
    [InlineData(DnsResponseCode.BadTime, "80 02", "01")]
    [InlineData(DnsResponseCode.BadMode, "80 03", "01")]
    [InlineData(DnsResponseCode.BadName, "80 04", "01")]
    [InlineData(DnsResponseCode.BadAlg, "80 05", "01")]
    [InlineData(DnsResponseCode.BadTrunc, "80 06", "01")]
    [InlineData(DnsResponseCode.BadCookie, "80 07", "01")]
    [InlineData((DnsResponseCode)4095, "80 0f", "ff")]
    public void Encode_ExtendedRcode_SplitsBetweenHeaderAndOpt(DnsResponseCode rcode, string flagsWord, string extendedRcode)
    {
        var message = new DnsMessage { Id = 7, IsResponse = true, ResponseCode = rcode };
        message.EnableEdns();
        var expected = Hex.Bytes(
            "0007", flagsWord, "0000 0000 0000 0001", // header: the low four bits
            "00 0029 04d0", extendedRcode, "00 0000", // OPT TTL: the upper eight bits
            "0000");

        var encoded = message.ToArray();

        MessageAssert.BytesEqual(expected, encoded);
        Assert.Equal(rcode, MessageAssert.Parses(encoded).ResponseCode);
    }

    [Fact]
    public void TryRead_ElevenOctets_Fails()
    {
        Assert.False(DnsHeader.TryRead(new byte[11], out _));
        Assert.False(new DnsHeader().TryWrite(new byte[11]));
    }

    [Fact]
    public void TryRead_AllCounts_ReadBigEndian()
    {
        Assert.True(DnsHeader.TryRead(Hex.Bytes("abcd 0000 0102 0304 0506 0708"), out var header));

        Assert.Equal((0xabcd, 0x0102, 0x0304, 0x0506, 0x0708), (header.Id, header.QuestionCount, header.AnswerCount, header.AuthorityCount, header.AdditionalCount));
    }
}
