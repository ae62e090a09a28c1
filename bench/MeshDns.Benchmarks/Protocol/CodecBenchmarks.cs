using System.Net;
using BenchmarkDotNet.Attributes;
using MeshDns.Protocol;

namespace MeshDns.Benchmarks.Protocol;

/// <summary>
/// The codec on a server's hot path: read a query, write a compressed answer, and (for forwarding and tools) parse a
/// whole response into objects. Run: <c>dotnet run -c Release --project bench/MeshDns.Benchmarks -- --filter *CodecBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    // dig's "www.example.org. A" with EDNS(0) and a client cookie, as captured on loopback.
    private static readonly byte[] Query = Convert.FromHexString(
        "c5b10120000100000000000103777777076578616d706c65036f7267000001000100002904d000000000000c000a00085348b6bb6ba96158");

    private readonly byte[] _name = new byte[WireName.MaxLength];
    private readonly byte[] _response = new byte[ushort.MaxValue];
    private readonly ushort[] _compression = new ushort[DnsMessageEncoder.DefaultCompressionEntries];
    private readonly Edns _edns = new() { UdpPayloadSize = 1232 };
    private ResourceRecord[] _answers = [];
    private ResourceRecord[] _authority = [];
    private byte[] _typicalResponse = [];

    [GlobalSetup]
    public void Setup()
    {
        var owner = DnsName.Parse("www.example.org.");
        _answers =
        [
            new CnameRecord(owner, 300, DnsName.Parse("web.cluster.example.org.")),
            new ARecord(DnsName.Parse("web.cluster.example.org."), 30, IPAddress.Parse("10.0.0.1")),
            new ARecord(DnsName.Parse("web.cluster.example.org."), 30, IPAddress.Parse("10.0.0.2")),
            new ARecord(DnsName.Parse("web.cluster.example.org."), 30, IPAddress.Parse("10.0.0.3")),
        ];
        _authority = [new NsRecord(DnsName.Parse("example.org."), 3600, DnsName.Parse("ns1.example.org."))];

        var response = new DnsMessage { Id = 0xc5b1, Flags = DnsHeaderFlags.QR | DnsHeaderFlags.AA | DnsHeaderFlags.RD };
        response.Questions.Add(new DnsQuestion(owner, DnsRecordType.A));
        response.Answers.AddRange(_answers);
        response.Authorities.AddRange(_authority);
        response.Additionals.Add(new ARecord(DnsName.Parse("ns1.example.org."), 3600, IPAddress.Parse("192.0.2.53")));
        response.EnableEdns();
        _typicalResponse = response.ToArray();
    }

    /// <summary>Header, question and OPT fields, names decompressed into a reused buffer.</summary>
    [Benchmark]
    public int ReadQuery()
    {
        var reader = new DnsMessageReader(Query);
        if (!reader.TryReadHeader(out var header) || !reader.TryReadQuestion(_name, out var length, out _, out _))
        {
            return -1;
        }

        var payload = 0;
        for (var i = 0; i < header.AdditionalCount; i++)
        {
            if (!reader.TryReadRecordHeader(_name.AsSpan(length), out _, out var record))
            {
                return -1;
            }

            payload = (ushort)record.Class;
            reader.Position = record.RDataOffset + record.RDataLength;
        }

        return length + payload;
    }

    /// <summary>A CNAME chain with three addresses, an NS in authority and OPT, with name compression.</summary>
    [Benchmark]
    public int WriteResponseWithCompression()
    {
        var writer = new DnsMessageWriter(_response.AsSpan(0, 1232), _compression);
        writer.Limit = 1232 - _edns.WireSize;
        writer.TryWriteHeader(new DnsHeader { Id = 0xc5b1, Flags = DnsHeaderFlags.QR | DnsHeaderFlags.AA | DnsHeaderFlags.RD });
        writer.TryWriteName(_answers[0].Name.Wire);
        writer.TryWriteUInt16((ushort)DnsRecordType.A);
        writer.TryWriteUInt16((ushort)DnsClass.IN);
        var answers = 0;
        foreach (var answer in _answers)
        {
            answers += writer.TryWriteRecord(answer, answer.Ttl) ? 1 : 0;
        }

        var authority = writer.TryWriteRecord(_authority[0], _authority[0].Ttl) ? 1 : 0;
        writer.Limit = 1232;
        var opt = _edns.TryWrite(ref writer, DnsResponseCode.NoError) ? 1 : 0;
        writer.PatchCounts(1, (ushort)answers, (ushort)authority, (ushort)opt);
        return writer.Position;
    }

    /// <summary>The object model: a whole typical response (question, 4 answers, NS, glue, OPT) into a DnsMessage.</summary>
    [Benchmark]
    public int TryParseTypicalResponse() =>
        DnsMessage.TryParse(_typicalResponse, out var message, out _) ? message.Answers.Count : -1;
}
