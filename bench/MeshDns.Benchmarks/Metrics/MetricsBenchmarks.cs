using System.Net;
using BenchmarkDotNet.Attributes;
using MeshDns.Plugins.Prometheus;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Benchmarks.Metrics;

/// <summary>
/// The per-query metric updates. Each benchmark repeats its operation <see cref="Operations"/> times so the
/// per-operation time is not swamped by call overhead; allocations must read zero.
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private const int Operations = 1000;

    private readonly string _server = "dns://:53";
    private readonly string _zone = "example.org.";
    private readonly string _type = "AAAA";
    private CounterChild _cachedChild = null!;
    private Counter _requests = null!;
    private Counter _unlabelled = null!;
    private HistogramChild _duration = null!;
    private MetricsRegistry _registry = null!;
    private PrometheusHandler _prometheus = null!;
    private DnsRequestContext _answered = null!;

    [GlobalSetup]
    public void Setup()
    {
        _registry = new MetricsRegistry();
        _unlabelled = _registry.Counter("coredns_panics_total", "Panics.");
        _requests = _registry.Counter("coredns_dns_requests_total", "Requests.", "server", "zone", "type");
        _cachedChild = _requests.WithLabels(_server, _zone, _type);
        _duration = _registry
            .Histogram("coredns_dns_request_duration_seconds", "Durations.", Buckets.CoreDnsTime(), "server", "zone", "view")
            .WithLabels(_server, _zone, string.Empty);

        // A request answered through the server's pipeline (so server and zone are set), as the prometheus
        // plugin sees it once the response is encoded; the context is not reset, so it can be recorded again and again.
        _prometheus = new PrometheusHandler(new ChainTerminator(), new CoreDnsMetrics(new MetricsRegistry()));
        var block = new ServerBlockRuntime("dns://example.org.:53", [DnsName.Parse("example.org.")], new OneAnswer(), ["hosts"]);
        var processor = new RequestProcessor("dns://:53", new ZoneRouter([block]), NullLogger.Instance);
        _answered = new DnsRequestContext();
        _answered.SetEndpoints(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 53));
        var query = DnsMessage.CreateQuery(DnsName.Parse("host1.example.org."), DnsRecordType.A, 1).ToArray();
        var pending = processor.ProcessAsync(_answered, query, DnsTransport.Udp, new byte[512]);
        _ = pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("the chain must complete synchronously");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void CounterChildInc()
    {
        for (int i = 0; i < Operations; i++)
        {
            _cachedChild.Inc();
        }
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public void UnlabelledCounterInc()
    {
        for (int i = 0; i < Operations; i++)
        {
            _unlabelled.Inc();
        }
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public void WithLabels3ThenInc()
    {
        for (int i = 0; i < Operations; i++)
        {
            _requests.WithLabels(_server, _zone, _type).Inc();
        }
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public void HistogramObserve()
    {
        for (int i = 0; i < Operations; i++)
        {
            // Spread over the 16 CoreDNS time buckets (0.25 ms .. 8 s).
            _duration.Observe((i & 15) * 0.0005);
        }
    }

    /// <summary>Everything the prometheus plugin records for one answered query (six families).</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public void PrometheusPluginPerRequest()
    {
        for (int i = 0; i < Operations; i++)
        {
            _prometheus.OnCompleted(_answered, 52);
        }
    }

    [Benchmark]
    public string Scrape() => _registry.Serialize();

    private sealed class OneAnswer : DnsHandler
    {
        private readonly ResourceRecord _record = ResourceRecord.Parse("host1.example.org. 3600 IN A 10.0.0.1");

        public override string Name => "hosts";

        public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
        {
            context.Response.Answers.Add(_record);
            context.WriteResponse(Name);
            return ValueTask.FromResult(PluginResult.Success);
        }
    }
}
