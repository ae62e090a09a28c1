using BenchmarkDotNet.Attributes;
using MeshDns.Server.Metrics;

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

    [Benchmark]
    public string Scrape() => _registry.Serialize();
}
