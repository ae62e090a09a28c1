using MeshDns.Server.Metrics;
using MeshDns.Testing.Metrics;

namespace MeshDns.Server.Tests.Metrics;

public sealed class CoreDnsMetricCatalogTests
{
    [Fact]
    public void Load_DataFile_ParsesWithCoreDnsNamesAndValidLabels()
    {
        CoreDnsMetricCatalog catalog = CoreDnsMetricCatalog.Load();

        Assert.True(catalog.Metrics.Count >= 30);
        Assert.All(catalog.Metrics.Values, metric =>
        {
            Assert.StartsWith("coredns_", metric.Name, StringComparison.Ordinal);
            Assert.Matches("^[a-z_:][a-z0-9_:]*$", metric.Name);
            Assert.All(metric.Labels, label => Assert.Matches("^[a-z_][a-z0-9_]*$", label));
            Assert.Equal(metric.Labels.Length, metric.Labels.Distinct().Count());
            Assert.Equal(metric.Type == MetricType.Counter, metric.Name.EndsWith("_total", StringComparison.Ordinal));
        });
        Assert.Equal<string>(["server", "zone", "view", "proto", "family", "type"], catalog.Metrics["coredns_dns_requests_total"].Labels);
        Assert.Equal(MetricType.Histogram, catalog.Metrics["coredns_dns_request_duration_seconds"].Type);
        Assert.Empty(catalog.Metrics["coredns_panics_total"].Labels);
    }

    [Fact]
    public void FindMismatches_RegistryLikeCoreDns_FindsNothing()
    {
        CoreDnsMetricCatalog catalog = CoreDnsMetricCatalog.Load();
        var registry = new MetricsRegistry();
        registry.Counter("coredns_dns_requests_total", "Help.", "type", "family", "proto", "view", "zone", "server");
        registry.Histogram("coredns_dns_request_duration_seconds", "Help.", Buckets.CoreDnsTime(), "server", "zone", "view");
        registry.Counter("coredns_panics_total", "Help.");
        registry.RegisterCollector("coredns_cache_entries", "Help.", MetricType.Gauge, ["server", "type", "zones", "view"], _ => { });
        registry.Counter("meshdns_clusters_total", "Not a CoreDNS metric, so not checked.", "cluster");
        ProcessMetrics.Register(registry);

        Assert.Empty(catalog.FindMismatches(registry));
    }

    [Fact]
    public void FindMismatches_WrongTypeLabelsOrName_ReportsEach()
    {
        CoreDnsMetricCatalog catalog = CoreDnsMetricCatalog.Load();
        var registry = new MetricsRegistry();
        registry.Gauge("coredns_panics_total", "Help.");
        registry.Counter("coredns_dns_responses_total", "Help.", "server", "zone", "rcode");
        registry.Counter("coredns_forward_request_count_total", "Never a CoreDNS metric.", "to");

        Assert.Equal(
            [
                "coredns_dns_responses_total: labels [rcode,server,zone], CoreDNS has [plugin,rcode,server,view,zone]",
                "coredns_forward_request_count_total: CoreDNS has no such metric",
                "coredns_panics_total: type gauge, CoreDNS has counter",
            ],
            catalog.FindMismatches(registry));
    }

    [Theory]
    [InlineData("coredns_x counter a,b\ncoredns_x gauge\n", "listed twice")]
    [InlineData("coredns_x sometype\n", "unknown type")]
    [InlineData("coredns_x\n", "expected 'name type [labels]'")]
    [InlineData("# comment\n\ncoredns_x Counter\n", "unknown type")]
    public void Parse_BadLine_ThrowsWithLineNumber(string text, string message)
    {
        FormatException error = Assert.Throws<FormatException>(() => CoreDnsMetricCatalog.Parse(text));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("coredns-metrics.txt:", error.Message, StringComparison.Ordinal);
    }
}
