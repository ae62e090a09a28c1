using System.Buffers;
using System.Text;
using MeshDns.Server.Metrics;

namespace MeshDns.Server.Tests.Metrics;

public sealed class ExpositionTests
{
    [Fact]
    public void Serialize_UnlabelledCounter_WritesHelpTypeAndValue()
    {
        var registry = new MetricsRegistry();
        Counter panics = registry.Counter("coredns_panics_total", "Panics recovered by the server.");
        panics.Inc();
        panics.Inc(2);

        Assert.Equal(
            """
            # HELP coredns_panics_total Panics recovered by the server.
            # TYPE coredns_panics_total counter
            coredns_panics_total 3

            """,
            registry.Serialize());
    }

    [Fact]
    public void Serialize_UnlabelledFamilyNeverTouched_WritesZero()
    {
        var registry = new MetricsRegistry();
        registry.Gauge("coredns_hosts_entries", "Entries in hosts files and the Corefile.");

        Assert.Equal(
            """
            # HELP coredns_hosts_entries Entries in hosts files and the Corefile.
            # TYPE coredns_hosts_entries gauge
            coredns_hosts_entries 0

            """,
            registry.Serialize());
    }

    [Fact]
    public void Serialize_LabelledFamilyWithoutChildren_IsLeftOut()
    {
        var registry = new MetricsRegistry();
        registry.Counter("coredns_dns_requests_total", "Requests.", "server", "zone");
        registry.Histogram("coredns_dns_request_duration_seconds", "Durations.", Buckets.CoreDnsTime(), "server");
        Counter removed = registry.Counter("coredns_cache_hits_total", "Hits.", "server");
        removed.WithLabels("dns://:53").Inc();
        removed.Remove("dns://:53");

        Assert.Equal(string.Empty, registry.Serialize());
    }

    [Fact]
    public void Serialize_LabelledCounter_LabelsSortedByNameAndChildrenByValues()
    {
        var registry = new MetricsRegistry();
        Counter requests = registry.Counter("coredns_dns_requests_total", "Requests by zone and transport.", "zone", "proto", "server");
        requests.WithLabels("example.org.", "udp", "dns://:53").Inc(5);
        requests.WithLabels(".", "udp", "dns://:53").Inc();
        requests.WithLabels("example.org.", "tcp", "dns://:53").Inc(2);
        requests.WithLabels(".", "tcp", "dns://:1053").Inc();

        // Labels by name (proto, server, zone), children by those values in that order: as client_golang writes them.
        Assert.Equal(
            """
            # HELP coredns_dns_requests_total Requests by zone and transport.
            # TYPE coredns_dns_requests_total counter
            coredns_dns_requests_total{proto="tcp",server="dns://:1053",zone="."} 1
            coredns_dns_requests_total{proto="tcp",server="dns://:53",zone="example.org."} 2
            coredns_dns_requests_total{proto="udp",server="dns://:53",zone="."} 1
            coredns_dns_requests_total{proto="udp",server="dns://:53",zone="example.org."} 5

            """,
            registry.Serialize());
    }

    [Fact]
    public void Serialize_Gauge_WritesNegativeAndFractionalValues()
    {
        var registry = new MetricsRegistry();
        Gauge gauge = registry.Gauge("meshdns_test_gauge", "A gauge.", "k");
        gauge.WithLabels("a").Set(-2.5);
        gauge.WithLabels("b").Set(0.125);
        gauge.WithLabels("c").Inc(3);
        gauge.WithLabels("c").Dec();

        Assert.Equal(
            """
            # HELP meshdns_test_gauge A gauge.
            # TYPE meshdns_test_gauge gauge
            meshdns_test_gauge{k="a"} -2.5
            meshdns_test_gauge{k="b"} 0.125
            meshdns_test_gauge{k="c"} 2

            """,
            registry.Serialize());
    }

    [Fact]
    public void Serialize_Histogram_WritesCumulativeBucketsInfSumAndCount()
    {
        var registry = new MetricsRegistry();
        Histogram histogram = registry.Histogram("coredns_proxy_request_duration_seconds", "Upstream durations.", [0.125, 0.5, 1], "to", "rcode");
        HistogramChild child = histogram.WithLabels("10.0.0.1:53", "NOERROR");
        child.Observe(0.0625);
        child.Observe(0.125);
        child.Observe(0.25);
        child.Observe(2);
        histogram.WithLabels("10.0.0.1:53", "NXDOMAIN").Observe(0.75);

        Assert.Equal(
            """
            # HELP coredns_proxy_request_duration_seconds Upstream durations.
            # TYPE coredns_proxy_request_duration_seconds histogram
            coredns_proxy_request_duration_seconds_bucket{rcode="NOERROR",to="10.0.0.1:53",le="0.125"} 2
            coredns_proxy_request_duration_seconds_bucket{rcode="NOERROR",to="10.0.0.1:53",le="0.5"} 3
            coredns_proxy_request_duration_seconds_bucket{rcode="NOERROR",to="10.0.0.1:53",le="1"} 3
            coredns_proxy_request_duration_seconds_bucket{rcode="NOERROR",to="10.0.0.1:53",le="+Inf"} 4
            coredns_proxy_request_duration_seconds_sum{rcode="NOERROR",to="10.0.0.1:53"} 2.4375
            coredns_proxy_request_duration_seconds_count{rcode="NOERROR",to="10.0.0.1:53"} 4
            coredns_proxy_request_duration_seconds_bucket{rcode="NXDOMAIN",to="10.0.0.1:53",le="0.125"} 0
            coredns_proxy_request_duration_seconds_bucket{rcode="NXDOMAIN",to="10.0.0.1:53",le="0.5"} 0
            coredns_proxy_request_duration_seconds_bucket{rcode="NXDOMAIN",to="10.0.0.1:53",le="1"} 1
            coredns_proxy_request_duration_seconds_bucket{rcode="NXDOMAIN",to="10.0.0.1:53",le="+Inf"} 1
            coredns_proxy_request_duration_seconds_sum{rcode="NXDOMAIN",to="10.0.0.1:53"} 0.75
            coredns_proxy_request_duration_seconds_count{rcode="NXDOMAIN",to="10.0.0.1:53"} 1

            """,
            registry.Serialize());
    }

    [Fact]
    public void Serialize_UnlabelledHistogram_LeIsTheOnlyLabel()
    {
        var registry = new MetricsRegistry();
        Histogram health = registry.Histogram("coredns_health_request_duration_seconds", "Self-check durations.", Buckets.CoreDnsSlimTime());
        health.Observe(0.001);

        Assert.Equal(
            """
            # HELP coredns_health_request_duration_seconds Self-check durations.
            # TYPE coredns_health_request_duration_seconds histogram
            coredns_health_request_duration_seconds_bucket{le="0.00025"} 0
            coredns_health_request_duration_seconds_bucket{le="0.0025"} 1
            coredns_health_request_duration_seconds_bucket{le="0.025"} 1
            coredns_health_request_duration_seconds_bucket{le="0.25"} 1
            coredns_health_request_duration_seconds_bucket{le="2.5"} 1
            coredns_health_request_duration_seconds_bucket{le="+Inf"} 1
            coredns_health_request_duration_seconds_sum 0.001
            coredns_health_request_duration_seconds_count 1

            """,
            registry.Serialize());
    }

    [Fact]
    public void Serialize_CoreDnsTimeBuckets_PrintAsCoreDnsDoes()
    {
        var registry = new MetricsRegistry();
        registry.Histogram("h", "Help.", Buckets.CoreDnsTime()).Observe(1);

        string[] bounds = [.. ExpositionParser.Parse(registry.Serialize()).Where(s => s.Name == "h_bucket").Select(s => s.Label("le")!)];

        Assert.Equal(
            ["0.00025", "0.0005", "0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256", "0.512", "1.024", "2.048", "4.096", "8.192", "+Inf"],
            bounds);
    }

    [Fact]
    public void Serialize_HelpText_EscapesBackslashAndNewlineButNotQuotes()
    {
        var registry = new MetricsRegistry();
        registry.Counter("x_total", "Path C:\\dns \"quoted\"\nsecond line").Inc();

        Assert.Equal(
            """
            # HELP x_total Path C:\\dns "quoted"\nsecond line
            # TYPE x_total counter
            x_total 1

            """,
            registry.Serialize());
    }

    [Fact]
    public void Serialize_LabelValues_EscapesBackslashQuoteAndNewlineAndKeepsUtf8()
    {
        var registry = new MetricsRegistry();
        Counter counter = registry.Counter("x_total", "Help.", "v");
        counter.WithLabels("a\\b\"c\nd").Inc();
        counter.WithLabels("ünïcødé.例え.").Inc();
        counter.WithLabels(string.Empty).Inc();

        Assert.Equal(
            """
            # HELP x_total Help.
            # TYPE x_total counter
            x_total{v=""} 1
            x_total{v="a\\b\"c\nd"} 1
            x_total{v="ünïcødé.例え."} 1

            """,
            registry.Serialize());
    }

    [Theory]
    [InlineData(0d, "0")]
    [InlineData(1d, "1")]
    [InlineData(-1d, "-1")]
    [InlineData(0.5, "0.5")]
    [InlineData(123456789d, "123456789")]
    [InlineData(1e15, "1000000000000000")]
    [InlineData(9007199254740992d, "9007199254740992")]
    [InlineData(1e20, "1e+20")]
    [InlineData(1.5e300, "1.5e+300")]
    [InlineData(-2.5e-7, "-2.5e-07")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(0.00025, "0.00025")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(1.0 / 3, "0.3333333333333333")]
    [InlineData(double.MaxValue, "1.7976931348623157e+308")]
    [InlineData(double.Epsilon, "5e-324")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    public void Serialize_GaugeValue_FormatsNumbersLikePrometheusExpects(double value, string expected)
    {
        var registry = new MetricsRegistry();
        registry.Gauge("g", "Help.").Set(value);

        Assert.Equal($"# HELP g Help.\n# TYPE g gauge\ng {expected}\n", registry.Serialize());
    }

    [Fact]
    public void Serialize_NegativeZero_WritesZero()
    {
        var registry = new MetricsRegistry();
        registry.Gauge("g", "Help.").Set(-0d);

        Assert.Equal("# HELP g Help.\n# TYPE g gauge\ng 0\n", registry.Serialize());
    }

    [Fact]
    public void Serialize_SeveralFamilies_SortedByNameWhateverTheRegistrationOrder()
    {
        var registry = new MetricsRegistry();
        registry.Counter("zzz_total", "Z.").Inc();
        registry.Gauge("aaa", "A.").Set(1);
        registry.Counter("coredns_panics_total", "P.");

        Assert.Equal(
            """
            # HELP aaa A.
            # TYPE aaa gauge
            aaa 1
            # HELP coredns_panics_total P.
            # TYPE coredns_panics_total counter
            coredns_panics_total 0
            # HELP zzz_total Z.
            # TYPE zzz_total counter
            zzz_total 1

            """,
            registry.Serialize());
    }

    [Fact]
    public void Serialize_Collector_WritesSortedSamples()
    {
        var registry = new MetricsRegistry();
        registry.RegisterCollector("coredns_cache_entries", "Cache entries.", MetricType.Gauge, ["server", "type"], sink =>
        {
            sink.Add(7, "dns://:53", "success");
            sink.Add(2, "dns://:53", "denial");
        });

        Assert.Equal(
            """
            # HELP coredns_cache_entries Cache entries.
            # TYPE coredns_cache_entries gauge
            coredns_cache_entries{server="dns://:53",type="denial"} 2
            coredns_cache_entries{server="dns://:53",type="success"} 7

            """,
            registry.Serialize());
    }

    [Fact]
    public void Serialize_TwoCollectorsWriteSameLabels_LastRegisteredWins()
    {
        var registry = new MetricsRegistry();
        using IDisposable old = registry.RegisterCollector("c", "Help.", MetricType.Gauge, ["k"], sink =>
        {
            sink.Add(1, "shared");
            sink.Add(1, "old-only");
        });
        using IDisposable current = registry.RegisterCollector("c", "Help.", MetricType.Gauge, ["k"], sink => sink.Add(2, "shared"));

        Assert.Equal("# HELP c Help.\n# TYPE c gauge\nc{k=\"old-only\"} 1\nc{k=\"shared\"} 2\n", registry.Serialize());
    }

    [Fact]
    public void Serialize_DisposedCollector_StopsWriting()
    {
        var registry = new MetricsRegistry();
        IDisposable registration = registry.RegisterCollector("c", "Help.", MetricType.Untyped, sink => sink.Add(1));
        Assert.Equal("# HELP c Help.\n# TYPE c untyped\nc 1\n", registry.Serialize());

        registration.Dispose();
        registration.Dispose();

        Assert.Equal(string.Empty, registry.Serialize());
    }

    [Fact]
    public void Serialize_CollectorWritingNothing_IsLeftOut()
    {
        var registry = new MetricsRegistry();
        registry.RegisterCollector("c", "Help.", MetricType.Gauge, _ => { });

        Assert.Equal(string.Empty, registry.Serialize());
    }

    [Fact]
    public void Serialize_CollectorThrows_ScrapeThrows()
    {
        var registry = new MetricsRegistry();
        registry.RegisterCollector("c", "Help.", MetricType.Gauge, _ => throw new InvalidOperationException("broken"));

        Assert.Throws<InvalidOperationException>(registry.Serialize);
    }

    [Fact]
    public void Serialize_CollectorGivesWrongLabelCount_Throws()
    {
        var registry = new MetricsRegistry();
        registry.RegisterCollector("c", "Help.", MetricType.Gauge, ["a", "b"], sink => sink.Add(1, "only-one"));

        ArgumentException error = Assert.Throws<ArgumentException>(registry.Serialize);
        Assert.Contains("'c' has 2 label(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTo_SmallSegments_SameBytesAsSerialize()
    {
        var registry = new MetricsRegistry();
        registry.Counter("x_total", "Help with ünïcødé.", "v").WithLabels("välue\n").Inc(1.5);
        registry.Histogram("h", "Help.", Buckets.CoreDnsSize()).Observe(300);
        var output = new TinySegmentWriter();

        registry.WriteTo(output);

        Assert.Equal(registry.Serialize(), Encoding.UTF8.GetString(output.Written.ToArray()));
    }

    /// <summary>Hands out buffers no bigger than asked for, to catch writes past a requested size.</summary>
    private sealed class TinySegmentWriter : IBufferWriter<byte>
    {
        private byte[] _current = [];

        public List<byte> Written { get; } = [];

        public void Advance(int count)
        {
            Assert.InRange(count, 0, _current.Length);
            Written.AddRange(_current.AsSpan(0, count).ToArray());
            _current = [];
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(sizeHint, 1)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
