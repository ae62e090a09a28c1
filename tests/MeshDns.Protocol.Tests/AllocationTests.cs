using System.Buffers.Binary;
using System.Net;
using MeshDns.Protocol.Tests.Golden;
using MeshDns.Protocol.Tests.Support;
using MeshDns.Testing.Allocation;

namespace MeshDns.Protocol.Tests;

/// <summary>
/// The hot path of a server: read a query (header, question, OPT) with <see cref="DnsMessageReader"/> and write the
/// answer with <see cref="DnsMessageWriter"/> from records built beforehand. Neither may allocate per message.
/// </summary>
public sealed class AllocationTests
{
    private const int Iterations = 10_000;

    [Fact]
    public void ReadQueryAndWriteResponse_AllocatesNothingPerMessage()
    {
        var query = GoldenVectors.Get("dig_a_edns_cookie").Wire; // header, www.example.org. A, OPT with a cookie
        var owner = DnsName.Parse("www.example.org.");
        ResourceRecord[] answers =
        [
            new ARecord(owner, 60, IPAddress.Parse("192.0.2.1")),
            new ARecord(owner, 60, IPAddress.Parse("192.0.2.2")),
            new ARecord(owner, 60, IPAddress.Parse("192.0.2.3")),
        ];
        var edns = new Edns { UdpPayloadSize = 1232 };
        var scratch = new Scratch();

        var length = Respond(query, answers, edns, scratch);
        var lengths = 0L;
        var calls = 0L;

        Assert.Equal(0, AllocationMeter.BytesPerRound(() =>
        {
            lengths += Respond(query, answers, edns, scratch);
            calls++;
        }, callsPerRound: Iterations));
        Assert.Equal(length * calls, lengths);

        // And the bytes are the response one would expect.
        var response = MessageAssert.Parses(scratch.Response.AsSpan(0, length));
        Assert.Equal((0xc5b1, 3, true), (response.Id, response.Answers.Count, response.IsResponse));
        Assert.Equal(answers, response.Answers);
        Assert.Equal(1232, response.Edns!.UdpPayloadSize);
        MessageAssert.BytesEqual(Hex.Bytes("c00c 0001 0001 0000003c 0004 c0000201"), scratch.Response.AsSpan(33, 16));
    }

    [Fact]
    public void DnsNameAlternateLookup_WireFromReader_AllocatesNothing()
    {
        var zones = new Dictionary<DnsName, int>(DnsNameComparer.Instance) { [DnsName.Parse("example.org.")] = 1 };
        var lookup = zones.GetAlternateLookup<ReadOnlySpan<byte>>();
        var wire = Hex.Bytes("07'EXAMPLE' 03'org' 00");
        Assert.True(lookup.ContainsKey(wire));

        var found = 0L;
        var calls = 0L;

        Assert.Equal(0, AllocationMeter.BytesPerRound(() =>
        {
            found += lookup.TryGetValue(wire, out var value) ? value : 0;
            calls++;
        }, callsPerRound: Iterations));
        Assert.Equal(calls, found);
    }

    private static int Respond(byte[] query, ResourceRecord[] answers, Edns edns, Scratch scratch)
    {
        // Read the query.
        var reader = new DnsMessageReader(query);
        if (!reader.TryReadHeader(out var header) || header.QuestionCount != 1 ||
            !reader.TryReadQuestion(scratch.Name, out var nameLength, out var type, out var @class))
        {
            return -1;
        }

        var udpPayloadSize = 512;
        for (var i = 0; i < header.AnswerCount + header.AuthorityCount + header.AdditionalCount; i++)
        {
            if (!reader.TryReadRecordHeader(scratch.Owner, out _, out var record))
            {
                return -1;
            }

            if (record.Type == DnsRecordType.OPT)
            {
                udpPayloadSize = Math.Max((ushort)record.Class, Edns.MinimumPayloadSize);
                var options = query.AsSpan(record.RDataOffset, record.RDataLength);
                while (options.Length >= 4)
                {
                    options = options[(4 + BinaryPrimitives.ReadUInt16BigEndian(options[2..]))..]; // walk options, keep none
                }
            }

            reader.Position = record.RDataOffset + record.RDataLength;
        }

        // Write the response: header, the question as asked, answers, OPT (room reserved first).
        var writer = new DnsMessageWriter(scratch.Response.AsSpan(0, udpPayloadSize), scratch.Compression);
        writer.Limit = udpPayloadSize - edns.WireSize;
        if (!writer.TryWriteHeader(new DnsHeader { Id = header.Id, Flags = DnsHeaderFlags.QR | DnsHeaderFlags.AA | (header.Flags & DnsHeaderFlags.RD) }) ||
            !writer.TryWriteName(scratch.Name.AsSpan(0, nameLength)) ||
            !writer.TryWriteUInt16((ushort)type) ||
            !writer.TryWriteUInt16((ushort)@class))
        {
            return -1;
        }

        ushort written = 0;
        foreach (var answer in answers)
        {
            if (writer.TryWriteRecord(answer, answer.Ttl))
            {
                written++;
            }
        }

        writer.Limit = udpPayloadSize;
        var additionals = edns.TryWrite(ref writer, DnsResponseCode.NoError) ? (ushort)1 : (ushort)0;
        writer.PatchCounts(1, written, 0, additionals);
        return writer.Position;
    }

    /// <summary>Buffers a server would keep per worker.</summary>
    private sealed class Scratch
    {
        public byte[] Name { get; } = new byte[WireName.MaxLength];

        public byte[] Owner { get; } = new byte[WireName.MaxLength];

        public byte[] Response { get; } = new byte[ushort.MaxValue];

        public ushort[] Compression { get; } = new ushort[DnsMessageEncoder.DefaultCompressionEntries];
    }
}
