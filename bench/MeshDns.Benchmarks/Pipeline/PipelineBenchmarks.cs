using System.Net;
using BenchmarkDotNet.Attributes;
using MeshDns.Plugins.Prometheus;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Benchmarks.Pipeline;

/// <summary>
/// One UDP query through the whole server pipeline without sockets: parse and accept, route by zone, a plugin
/// answering from a precomputed table (as hosts and kubernetes do), encode with compression. Must allocate 0 bytes.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private RequestProcessor _bare = null!;
    private RequestProcessor _withMetrics = null!;
    private DnsRequestContext _context = null!;
    private byte[] _query = null!;
    private byte[] _queryEdns = null!;
    private byte[] _nxQuery = null!;
    private readonly byte[] _response = new byte[ushort.MaxValue];

    [GlobalSetup]
    public void Setup()
    {
        var table = new PrecomputedAnswers(10_000);
        var metrics = new CoreDnsMetrics(new MetricsRegistry());
        _bare = Processor(table);
        _withMetrics = Processor(new PrometheusHandler(table, metrics));
        _context = new DnsRequestContext();
        _context.SetEndpoints(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 53));
        _query = DnsMessage.CreateQuery(DnsName.Parse("Host4242.Example.ORG."), DnsRecordType.A, 0x4242).ToArray();
        var edns = DnsMessage.CreateQuery(DnsName.Parse("host77.example.org."), DnsRecordType.A, 0x77);
        edns.EnableEdns().UdpPayloadSize = 1232;
        _queryEdns = edns.ToArray();
        _nxQuery = DnsMessage.CreateQuery(DnsName.Parse("nothere.example.org."), DnsRecordType.A, 0x99).ToArray();
    }

    private static RequestProcessor Processor(DnsHandler chain) =>
        new("dns://:53", new ZoneRouter([new ServerBlockRuntime("dns://example.org.:53", [DnsName.Parse("example.org.")], chain, ["hosts"])]), NullLogger.Instance);

    [Benchmark(Baseline = true, Description = "A, hit")]
    public int Hit() => Run(_bare, _query);

    [Benchmark(Description = "A, hit, EDNS")]
    public int HitEdns() => Run(_bare, _queryEdns);

    [Benchmark(Description = "A, NXDOMAIN + SOA")]
    public int NxDomain() => Run(_bare, _nxQuery);

    [Benchmark(Description = "A, hit, prometheus plugin")]
    public int HitWithMetrics() => Run(_withMetrics, _query);

    private int Run(RequestProcessor processor, byte[] query)
    {
        var pending = processor.ProcessAsync(_context, query, DnsTransport.Udp, _response);
        var length = pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("the chain must complete synchronously");
        _context.Reset();
        return length;
    }

    /// <summary>Answers from a table built once, the way the authoritative plugins do: a span lookup, no allocation.</summary>
    private sealed class PrecomputedAnswers : DnsHandler
    {
        private readonly Dictionary<DnsName, ResourceRecord[]>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
        private readonly ResourceRecord _soa;

        public PrecomputedAnswers(int names)
        {
            var table = new Dictionary<DnsName, ResourceRecord[]>(DnsNameComparer.Instance);
            for (var i = 0; i < names; i++)
            {
                var name = DnsName.Parse($"host{i}.example.org.");
                table[name] = [new ARecord(name, 3600, new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]))];
            }

            _lookup = table.GetAlternateLookup<ReadOnlySpan<byte>>();
            _soa = new SoaRecord(DnsName.Parse("example.org."), 5, DnsName.Parse("ns.dns.example.org."), DnsName.Parse("hostmaster.example.org."), 1, 7200, 1800, 86400, 5);
        }

        public override string Name => "hosts";

        public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
        {
            var response = context.Response;
            response.Authoritative = true;
            if (_lookup.TryGetValue(context.QuestionNameLower, out var records))
            {
                response.Answers.AddRange(records);
            }
            else
            {
                response.ResponseCode = DnsResponseCode.NXDomain;
                response.Authorities.Add(_soa);
            }

            context.WriteResponse(Name);
            return ValueTask.FromResult(PluginResult.Success);
        }
    }
}
