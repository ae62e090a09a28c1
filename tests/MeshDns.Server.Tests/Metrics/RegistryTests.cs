using MeshDns.Server.Metrics;

namespace MeshDns.Server.Tests.Metrics;

public sealed class RegistryTests
{
    [Fact]
    public void Counter_SameDefinitionTwice_ReturnsSameInstance()
    {
        var registry = new MetricsRegistry();

        Counter first = registry.Counter("coredns_dns_requests_total", "Requests.", "server", "zone");
        Counter second = registry.Counter("coredns_dns_requests_total", "Requests.", "server", "zone");

        Assert.Same(first, second);
    }

    [Fact]
    public void Gauge_SameDefinitionTwice_ReturnsSameInstance()
    {
        var registry = new MetricsRegistry();

        Assert.Same(registry.Gauge("g", "Help."), registry.Gauge("g", "Help."));
    }

    [Fact]
    public void Histogram_SameBucketsWithOrWithoutTrailingInf_ReturnsSameInstance()
    {
        var registry = new MetricsRegistry();

        Histogram first = registry.Histogram("h", "Help.", [1, 2], "k");
        Histogram second = registry.Histogram("h", "Help.", [1, 2, double.PositiveInfinity], "k");

        Assert.Same(first, second);
        Assert.Equal<double>([1d, 2d], second.Buckets);
    }

    [Fact]
    public void RegisterCollector_SameDefinitionTwice_SharesOneFamily()
    {
        var registry = new MetricsRegistry();

        using IDisposable a = registry.RegisterCollector("c", "Help.", MetricType.Gauge, ["k"], sink => sink.Add(1, "a"));
        using IDisposable b = registry.RegisterCollector("c", "Help.", MetricType.Gauge, ["k"], sink => sink.Add(2, "b"));

        Assert.Equal(["c"], registry.Names);
        Assert.Equal(2, ExpositionParser.Parse(registry.Serialize()).Count);
    }

    public static TheoryData<string, Action<MetricsRegistry>> Conflicts => new()
    {
        { "other type", r => r.Gauge("m_total", "Help.", "a") },
        { "other help", r => r.Counter("m_total", "Other help.", "a") },
        { "other labels", r => r.Counter("m_total", "Help.", "b") },
        { "labels in another order", r => r.Counter("m_total", "Help.", "a", "b") },
        { "collector of the same type", r => r.RegisterCollector("m_total", "Help.", MetricType.Counter, ["a"], _ => { }) },
    };

    [Theory]
    [MemberData(nameof(Conflicts))]
    public void Counter_ConflictingRegistration_ThrowsNamingBothDefinitions(string conflict, Action<MetricsRegistry> register)
    {
        var registry = new MetricsRegistry();
        registry.Counter("m_total", "Help.", conflict.Contains("order", StringComparison.Ordinal) ? ["b", "a"] : ["a"]);

        ArgumentException error = Assert.Throws<ArgumentException>(() => register(registry));

        Assert.Contains("Metric 'm_total' is already registered as a", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be registered again as", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_OtherBuckets_Throws()
    {
        var registry = new MetricsRegistry();
        registry.Histogram("h", "Help.", [1, 2]);

        ArgumentException error = Assert.Throws<ArgumentException>(() => registry.Histogram("h", "Help.", [1, 3]));

        Assert.Contains("buckets [1, 2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Counter_NameOfAHistogramSeries_Throws()
    {
        var registry = new MetricsRegistry();
        registry.Histogram("coredns_x_seconds", "Help.", [1]);

        ArgumentException error = Assert.Throws<ArgumentException>(() => registry.Counter("coredns_x_seconds_count", "Help."));

        Assert.Contains("which metric 'coredns_x_seconds' already writes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_SeriesNameTakenByAGauge_Throws()
    {
        var registry = new MetricsRegistry();
        registry.Gauge("x_sum", "Help.");

        Assert.Throws<ArgumentException>(() => registry.Histogram("x", "Help.", [1]));
        Assert.Equal(["x_sum"], registry.Names);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("a-b")]
    [InlineData("a b")]
    [InlineData("é")]
    [InlineData("a.b")]
    public void Counter_InvalidMetricName_Throws(string name)
    {
        var registry = new MetricsRegistry();

        ArgumentException error = Assert.Throws<ArgumentException>(() => registry.Counter(name, "Help."));

        Assert.Contains("is not a valid metric name", error.Message, StringComparison.Ordinal);
        Assert.Empty(registry.Names);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("_a")]
    [InlineData(":a")]
    [InlineData("coredns:dns_requests:rate5m")]
    [InlineData("A9_z")]
    public void Gauge_ValidMetricName_Registers(string name)
    {
        var registry = new MetricsRegistry();

        registry.Gauge(name, "Help.");

        Assert.Equal([name], registry.Names);
    }

    [Theory]
    [InlineData("")]
    [InlineData("__reserved")]
    [InlineData("1a")]
    [InlineData("a:b")]
    [InlineData("a-b")]
    public void Counter_InvalidLabelName_Throws(string label)
    {
        var registry = new MetricsRegistry();

        ArgumentException error = Assert.Throws<ArgumentException>(() => registry.Counter("m_total", "Help.", label));

        Assert.Contains("is not a valid label name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Counter_DuplicateLabelName_Throws()
    {
        var registry = new MetricsRegistry();

        ArgumentException error = Assert.Throws<ArgumentException>(() => registry.Counter("m_total", "Help.", "zone", "zone"));

        Assert.Contains("label 'zone' is given twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_LeLabel_ThrowsButCounterMayUseIt()
    {
        var registry = new MetricsRegistry();

        Assert.Throws<ArgumentException>(() => registry.Histogram("h", "Help.", [1], "le"));
        registry.Counter("c_total", "Help.", "le");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Counter_EmptyHelp_Throws(string help)
    {
        var registry = new MetricsRegistry();

        Assert.Throws<ArgumentException>(() => registry.Counter("m_total", help));
    }

    [Fact]
    public void Counter_NullArguments_Throw()
    {
        var registry = new MetricsRegistry();

        Assert.Throws<ArgumentNullException>(() => registry.Counter(null!, "Help."));
        Assert.Throws<ArgumentNullException>(() => registry.Counter("m_total", null!));
        Assert.Throws<ArgumentNullException>(() => registry.Histogram("h", "Help.", null!));
    }

    [Fact]
    public void RegisterCollector_HistogramType_Throws()
    {
        var registry = new MetricsRegistry();

        Assert.Throws<ArgumentException>(() => registry.RegisterCollector("h", "Help.", MetricType.Histogram, _ => { }));
    }

    [Fact]
    public void Names_AfterRegistrations_SortedOrdinal()
    {
        var registry = new MetricsRegistry();
        registry.Gauge("b", "Help.");
        registry.Counter("a_total", "Help.");
        registry.Gauge("B", "Help.");
        registry.RegisterCollector("c", "Help.", MetricType.Gauge, _ => { });

        Assert.Equal(["B", "a_total", "b", "c"], registry.Names);
    }

    [Fact]
    public void Describe_ReturnsTypesLabelsAndBuckets()
    {
        var registry = new MetricsRegistry();
        registry.Histogram("h", "Histogram help.", [0.5, 1], "server", "zone");
        registry.RegisterCollector("c", "Collector help.", MetricType.Counter, ["generation"], _ => { });

        IReadOnlyList<MetricDescriptor> descriptors = registry.Describe();

        Assert.Collection(
            descriptors,
            c =>
            {
                Assert.Equal(("c", MetricType.Counter, "Collector help."), (c.Name, c.Type, c.Help));
                Assert.Equal<string>(["generation"], c.LabelNames);
                Assert.Empty(c.Buckets);
            },
            h =>
            {
                Assert.Equal(("h", MetricType.Histogram), (h.Name, h.Type));
                Assert.Equal<string>(["server", "zone"], h.LabelNames);
                Assert.Equal<double>([0.5, 1d], h.Buckets);
            });
    }
}
