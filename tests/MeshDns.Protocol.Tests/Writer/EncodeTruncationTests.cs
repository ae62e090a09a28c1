using System.Net;
using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Writer;

/// <summary>
/// RFC 2181 9 as <see cref="DnsMessage.Encode"/> applies it: RRsets that do not fit are left out whole; a cut in the
/// answer or authority section sets TC, a cut in the additional section does not; the OPT record always stays.
/// The question "example.org. A" takes 12 + 17 octets; an A record owned by a compressed name takes 16.
/// </summary>
public sealed class EncodeTruncationTests
{
    private const int HeaderAndQuestion = 12 + 13 + 4;
    private const int CompressedA = 2 + 10 + 4;
    private static readonly DnsName Zone = DnsName.Parse("example.org.");

    [Fact]
    public void Encode_RRsetOneOctetTooBig_DropsWholeRRsetAndSetsTc()
    {
        var message = Response(answers: [A(Zone, 1), A(Zone, 2), A(Zone, 3)]);

        var (length, parsed) = EncodeAndParse(message, HeaderAndQuestion + (3 * CompressedA) - 1);

        Assert.Equal(HeaderAndQuestion, length);
        Assert.Empty(parsed.Answers);
        Assert.True(parsed.Truncated);
    }

    [Fact]
    public void Encode_RRsetExactlyFits_KeepsItWithoutTc()
    {
        var message = Response(answers: [A(Zone, 1), A(Zone, 2), A(Zone, 3)]);

        var (length, parsed) = EncodeAndParse(message, HeaderAndQuestion + (3 * CompressedA));

        Assert.Equal(HeaderAndQuestion + (3 * CompressedA), length);
        Assert.Equal(3, parsed.Answers.Count);
        Assert.False(parsed.Truncated);
    }

    [Fact]
    public void Encode_SecondRRsetDoesNotFit_KeepsFirstAndSetsTc()
    {
        var other = DnsName.Parse("other.example.org.");
        var message = Response(answers: [A(Zone, 1), A(Zone, 2), A(other, 3), A(other, 4)]);
        var withFirst = HeaderAndQuestion + (2 * CompressedA);

        var secondRRset = (1 + 5 + 2 + 10 + 4) + CompressedA; // "other" + pointer to example.org., then a compressed copy

        var (length, parsed) = EncodeAndParse(message, withFirst + secondRRset - 1);

        Assert.Equal(withFirst, length);
        Assert.Equal(2, parsed.Answers.Count);
        Assert.True(parsed.Truncated);
        Assert.Equal(4, EncodeAndParse(message, withFirst + secondRRset).Parsed.Answers.Count);
    }

    [Fact]
    public void Encode_AdditionalDoesNotFit_DroppedSilently()
    {
        var ns = DnsName.Parse("ns.example.org.");
        var message = Response(
            answers: [A(Zone, 1)],
            additionals: [A(ns, 53), A(ns, 54), A(DnsName.Parse("ns2.example.org."), 55)]);
        var withAnswer = HeaderAndQuestion + CompressedA;

        var nsRRset = (1 + 2 + 2 + 10 + 4) + CompressedA;

        var (length, parsed) = EncodeAndParse(message, withAnswer + nsRRset - 1);

        Assert.Equal(withAnswer, length); // the "ns" RRset does not fit whole, and nothing after it is tried
        Assert.Single(parsed.Answers);
        Assert.Empty(parsed.Additionals);
        Assert.False(parsed.Truncated);
    }

    [Fact]
    public void Encode_AuthorityDoesNotFit_SetsTcAndSkipsAdditional()
    {
        var message = Response(
            answers: [A(Zone, 1)],
            authorities: [new NsRecord(Zone, 60, DnsName.Parse("a-long-name-server-name.example.net."))],
            additionals: [A(Zone, 9)]);

        var (_, parsed) = EncodeAndParse(message, HeaderAndQuestion + CompressedA + 30);

        Assert.Single(parsed.Answers);
        Assert.Empty(parsed.Authorities);
        Assert.Empty(parsed.Additionals); // it would fit, but a truncated response carries nothing after the cut
        Assert.True(parsed.Truncated);
    }

    [Fact]
    public void Encode_WithEdns_ReservesRoomForOpt()
    {
        var message = Response(answers: [A(Zone, 1), A(Zone, 2)]);
        var edns = message.EnableEdns();
        edns.Options.Add(EdnsOption.ExtendedError(ExtendedDnsErrorCode.Other, "x"));
        var opt = Edns.FixedSize + 4 + 3;

        var (length, parsed) = EncodeAndParse(message, HeaderAndQuestion + (2 * CompressedA) + opt - 1);

        Assert.Equal(HeaderAndQuestion + opt, length);
        Assert.Empty(parsed.Answers);
        Assert.True(parsed.Truncated);
        var option = Assert.Single(parsed.Edns!.Options);
        Assert.True(option.TryGetExtendedError(out _, out var text));
        Assert.Equal("x", text);
    }

    [Fact]
    public void Encode_TruncatedToUdp512_LargestWholeRRsetPrefix()
    {
        var message = Response(answers: [.. Enumerable.Range(0, 60).Select(i => A(DnsName.Parse($"host{i}.example.org."), i))]);
        message.EnableEdns().UdpPayloadSize = 512;

        var (length, parsed) = EncodeAndParse(message, 512);

        Assert.True(length <= 512);
        Assert.True(parsed.Truncated);
        var kept = parsed.Answers.Count;
        Assert.InRange(kept, 1, 59);
        Assert.True(Response(answers: [.. message.Answers.Take(kept + 1)]).ToArray().Length + Edns.FixedSize > 512, "one more RRset would have fit");
        Assert.Equal(message.Answers.Take(kept), parsed.Answers);
        Assert.NotNull(parsed.Edns);
    }

    [Fact]
    public void Encode_MoreThan65535Octets_TruncatesAtLargestMessage()
    {
        var big = new byte[255];
        var message = Response(answers: [.. Enumerable.Range(0, 300).Select(i => (ResourceRecord)new TxtRecord(DnsName.Parse($"t{i}.example.org."), 60, [big, big]))]);

        var wire = message.ToArray();

        Assert.True(wire.Length <= ushort.MaxValue);
        Assert.True(wire.Length > ushort.MaxValue - 600, $"{wire.Length}: room for another record was left");
        var parsed = MessageAssert.Parses(wire);
        Assert.True(parsed.Truncated);
        Assert.InRange(parsed.Answers.Count, 100, 299);
        Assert.Equal(message.Answers.Take(parsed.Answers.Count), parsed.Answers);
    }

    [Fact]
    public void Encode_ExactlyFillsLimit_NoTc()
    {
        var message = Response(answers: [A(Zone, 1)]);

        var (length, parsed) = EncodeAndParse(message, HeaderAndQuestion + CompressedA);

        Assert.Equal(HeaderAndQuestion + CompressedA, length);
        Assert.False(parsed.Truncated);
    }

    [Fact]
    public void Encode_TruncatedFlagAlreadySet_IsKept()
    {
        var message = Response(answers: [A(Zone, 1)]);
        message.Truncated = true;

        Assert.True(MessageAssert.Parses(message.ToArray()).Truncated);
    }

    [Fact]
    public void Encode_QuestionDoesNotFit_ReturnsMinusOne()
    {
        var message = Response();

        Assert.Equal(-1, message.Encode(new byte[512], HeaderAndQuestion - 1));
        Assert.Equal(-1, message.Encode(new byte[HeaderAndQuestion - 1]));
        Assert.Throws<InvalidOperationException>(() => message.ToArray(HeaderAndQuestion - 1));
    }

    [Fact]
    public void Encode_TtlDecrease_SubtractsAndStopsAtZero()
    {
        var message = Response(answers: [A(Zone, 1, ttl: 300)], authorities: [A(DnsName.Parse("b.example.org."), 2, ttl: 50)]);
        var buffer = new byte[512];

        var length = message.Encode(buffer, ttlDecrease: 100);

        var parsed = MessageAssert.Parses(buffer.AsSpan(0, length));
        Assert.Equal(200u, parsed.Answers[0].Ttl);
        Assert.Equal(0u, parsed.Authorities[0].Ttl);
        Assert.Equal(300u, message.Answers[0].Ttl); // the records themselves are unchanged
    }

    [Fact]
    public void WriteSections_ReportsCountsAndTruncation()
    {
        var buffer = new byte[HeaderAndQuestion + CompressedA + 5];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]);
        Assert.True(writer.TryWriteHeader(default));
        Assert.True(writer.TryWriteName(Zone.Wire));
        Assert.True(writer.TryWriteUInt32(0x00010001));

        var counts = DnsMessageEncoder.WriteSections(ref writer, [A(Zone, 1)], [A(Zone, 2)], [], ttlDecrease: 0);

        Assert.Equal(new SectionCounts(1, 0, 0, Truncated: true), counts);
        Assert.Equal(HeaderAndQuestion + CompressedA, writer.Position);
    }

    [Fact]
    public void CreateResponse_CopiesIdOpcodeQuestionRdAndCd()
    {
        var query = DnsMessage.CreateQuery(Zone, DnsRecordType.SOA, id: 77);
        query.Flags |= DnsHeaderFlags.CD | DnsHeaderFlags.AD;
        query.OpCode = DnsOpCode.Notify;

        var response = DnsMessage.CreateResponse(query);

        Assert.Equal((77, DnsOpCode.Notify), (response.Id, response.OpCode));
        Assert.Equal(DnsHeaderFlags.QR | DnsHeaderFlags.RD | DnsHeaderFlags.CD, response.Flags);
        Assert.Equal(query.Questions, response.Questions);
        Assert.Null(response.Edns);
    }

    [Fact]
    public void Clear_ReusesEdnsInstanceReset()
    {
        var message = Response(answers: [A(Zone, 1)]);
        var edns = message.EnableEdns();
        edns.DnssecOk = true;
        edns.Options.Add(new EdnsOption(10, new byte[8]));

        message.Clear();

        Assert.Null(message.Edns);
        Assert.Empty(message.Questions);
        Assert.Empty(message.Answers);
        var again = message.EnableEdns();
        Assert.Same(edns, again);
        Assert.False(again.DnssecOk);
        Assert.Empty(again.Options);
        Assert.Equal(1232, again.UdpPayloadSize);
    }

    private static (int Length, DnsMessage Parsed) EncodeAndParse(DnsMessage message, int maxSize)
    {
        var buffer = new byte[ushort.MaxValue];
        var length = message.Encode(buffer, maxSize);
        Assert.InRange(length, DnsHeader.Size, maxSize);
        return (length, MessageAssert.Parses(buffer.AsSpan(0, length)));
    }

    private static ARecord A(DnsName owner, int lastOctet, uint ttl = 60) => new(owner, ttl, new IPAddress([192, 0, 2, (byte)lastOctet]));

    private static DnsMessage Response(ResourceRecord[]? answers = null, ResourceRecord[]? authorities = null, ResourceRecord[]? additionals = null)
    {
        var message = new DnsMessage { Id = 9, IsResponse = true };
        message.Questions.Add(new DnsQuestion(Zone, DnsRecordType.A));
        message.Answers.AddRange(answers ?? []);
        message.Authorities.AddRange(authorities ?? []);
        message.Additionals.AddRange(additionals ?? []);
        return message;
    }
}
