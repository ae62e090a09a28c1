using MeshDns.Server.Metrics;
using MeshDns.Testing.Allocation;

namespace MeshDns.Server.Tests.Metrics;

/// <summary>The hot path (per DNS query) must allocate nothing once the children exist.</summary>
public sealed class AllocationTests
{
    private const int Iterations = 10_000;

    [Fact]
    public void HotPath_AfterWarmUp_AllocatesNothing()
    {
        var registry = new MetricsRegistry();
        Counter unlabelled = registry.Counter("coredns_panics_total", "Help.");
        Counter one = registry.Counter("one_total", "Help.", "a");
        Counter three = registry.Counter("three_total", "Help.", "server", "zone", "type");
        Counter six = registry.Counter("coredns_dns_requests_total", "Help.", "server", "zone", "view", "proto", "family", "type");
        Gauge gauge = registry.Gauge("g", "Help.", "a", "b");
        Histogram histogram = registry.Histogram("coredns_dns_request_duration_seconds", "Help.", Buckets.CoreDnsTime(), "server", "zone", "view");
        Histogram wide = registry.Histogram("wide", "Help.", Buckets.Linear(0, 1, 100), "a", "b", "c", "d");
        Histogram plain = registry.Histogram("plain", "Help.", Buckets.CoreDnsSize());
        CounterChild cached = three.WithLabels("dns://:53", "example.org.", "A");

        // Values built once, as a server keeps its zone and server names; the lookups below must not copy them.
        string server = "dns://:53";
        string zone = "example.org.";
        string empty = string.Empty;

        void HotPath(int i)
        {
            unlabelled.Inc();
            one.WithLabels(zone).Inc();
            three.WithLabels(server, zone, "A").Inc();
            six.WithLabels(server, zone, empty, "udp", "1", "AAAA").Inc();
            gauge.WithLabels(server, zone).Set(i);
            gauge.WithLabels(server, zone).Inc(0.5);
            histogram.WithLabels(server, zone, empty).Observe(i * 0.0001);
            wide.WithLabels("1", "2", "3", "4").Observe(i % 120);
            plain.Observe(i % 600);
            cached.Inc();
            cached.Inc(0.25);
        }

        var calls = 0;
        Assert.Equal(0, AllocationMeter.BytesPerRound(() => HotPath(calls++), callsPerRound: Iterations));
        Assert.Equal(calls, six.WithLabels(server, zone, empty, "udp", "1", "AAAA").Value);
    }

    [Fact]
    public void WithLabels_NewLabelSet_AllocatesOnlyTheFirstTime()
    {
        Counter counter = new MetricsRegistry().Counter("c_total", "Help.", "a", "b");

        long before = GC.GetAllocatedBytesForCurrentThread();
        counter.WithLabels("x", "y").Inc();
        long first = GC.GetAllocatedBytesForCurrentThread() - before;

        before = GC.GetAllocatedBytesForCurrentThread();
        counter.WithLabels("x", "y").Inc();
        long second = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(first > 0);
        Assert.Equal(0, second);
    }
}
