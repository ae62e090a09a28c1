using FsCheck;
using FsCheck.Fluent;
using MeshDns.Server.Metrics;

namespace MeshDns.Server.Tests.Metrics;

public sealed class InstrumentTests
{
    [Fact]
    public void WithLabels_SameValues_ReturnsSameChild()
    {
        Counter counter = new MetricsRegistry().Counter("c_total", "Help.", "a", "b", "c");

        CounterChild first = counter.WithLabels("x", "y", "z");
        CounterChild again = counter.WithLabels(new string("x"), "y", "z");
        CounterChild other = counter.WithLabels("x", "y", "Z");

        Assert.Same(first, again);
        Assert.NotSame(first, other);
        Assert.Equal<string>(["x", "y", "z"], first.LabelValues);
    }

    [Fact]
    public void WithLabels_ArrayOfSevenValues_Works()
    {
        Gauge gauge = new MetricsRegistry().Gauge("g", "Help.", "a", "b", "c", "d", "e", "f", "g");
        string[] values = ["1", "2", "3", "4", "5", "6", "7"];

        gauge.WithLabels(values).Set(3);

        Assert.Equal(3, gauge.WithLabels("1", "2", "3", "4", "5", "6", "7").Value);
    }

    [Fact]
    public void WithLabels_WrongNumberOfValues_ThrowsNamingTheLabels()
    {
        Counter counter = new MetricsRegistry().Counter("c_total", "Help.", "server", "zone");

        ArgumentException error = Assert.Throws<ArgumentException>(() => counter.WithLabels("only-one"));

        Assert.Contains("'c_total' has 2 label(s) [server, zone] but 1 value(s) were given", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithLabels_NullValue_Throws()
    {
        Counter counter = new MetricsRegistry().Counter("c_total", "Help.", "server");

        Assert.Throws<ArgumentNullException>(() => counter.WithLabels((string)null!));
    }

    [Fact]
    public void UnlabelledOperations_OnLabelledFamily_Throw()
    {
        var registry = new MetricsRegistry();
        Counter counter = registry.Counter("c_total", "Help.", "k");
        Gauge gauge = registry.Gauge("g", "Help.", "k");
        Histogram histogram = registry.Histogram("h", "Help.", [1], "k");

        Assert.Throws<InvalidOperationException>(counter.Inc);
        Assert.Throws<InvalidOperationException>(() => gauge.Set(1));
        Assert.Throws<InvalidOperationException>(() => histogram.Observe(1));
    }

    [Fact]
    public void WithLabels_NoValuesOnUnlabelledFamily_ReturnsTheSingleChild()
    {
        Counter counter = new MetricsRegistry().Counter("c_total", "Help.");

        counter.WithLabels().Inc();
        counter.Inc();

        Assert.Equal(2, counter.Value);
    }

    [Fact]
    public void CounterInc_WholeAndFractionalAmounts_Sum()
    {
        CounterChild child = new MetricsRegistry().Counter("c_total", "Help.", "k").WithLabels("v");

        child.Inc();
        child.Inc(2);
        child.Inc(0.25);
        child.Inc(0);

        Assert.Equal(3.25, child.Value);
    }

    [Theory]
    [InlineData(-1d)]
    [InlineData(-0.001)]
    [InlineData(double.NaN)]
    public void CounterInc_NegativeOrNaN_Throws(double amount)
    {
        Counter counter = new MetricsRegistry().Counter("c_total", "Help.");

        Assert.Throws<ArgumentOutOfRangeException>(() => counter.Inc(amount));
        Assert.Equal(0, counter.Value);
    }

    [Fact]
    public void Gauge_SetIncDec_Track()
    {
        Gauge gauge = new MetricsRegistry().Gauge("g", "Help.");

        gauge.Set(10);
        gauge.Inc();
        gauge.Inc(2.5);
        gauge.Dec();
        gauge.Dec(20);

        Assert.Equal(-7.5, gauge.Value);
    }

    [Fact]
    public void Remove_Child_LeavesExpositionAndLaterLookupStartsFresh()
    {
        var registry = new MetricsRegistry();
        Counter counter = registry.Counter("c_total", "Help.", "cluster");
        CounterChild removed = counter.WithLabels("east");
        removed.Inc(5);
        counter.WithLabels("west").Inc();

        Assert.True(counter.Remove("east"));
        Assert.False(counter.Remove("east"));

        removed.Inc();
        Assert.Equal("# HELP c_total Help.\n# TYPE c_total counter\nc_total{cluster=\"west\"} 1\n", registry.Serialize());
        CounterChild fresh = counter.WithLabels("east");
        Assert.NotSame(removed, fresh);
        Assert.Equal(0, fresh.Value);
    }

    [Fact]
    public void RemoveWhere_MatchingChildren_RemovesThemOnly()
    {
        var registry = new MetricsRegistry();
        Gauge gauge = registry.Gauge("g", "Help.", "cluster", "kind");
        gauge.WithLabels("east", "services").Set(1);
        gauge.WithLabels("east", "endpointslices").Set(2);
        gauge.WithLabels("west", "services").Set(3);

        int removed = gauge.RemoveWhere(labels => labels[0] == "east");

        Assert.Equal(2, removed);
        Assert.Equal("# HELP g Help.\n# TYPE g gauge\ng{cluster=\"west\",kind=\"services\"} 3\n", registry.Serialize());
    }

    [Fact]
    public void Clear_LabelledHistogram_RemovesEveryChild()
    {
        var registry = new MetricsRegistry();
        Histogram histogram = registry.Histogram("h", "Help.", [1], "k");
        histogram.WithLabels("a").Observe(1);
        histogram.WithLabels("b").Observe(1);

        histogram.Clear();

        Assert.Equal(string.Empty, registry.Serialize());
    }

    [Fact]
    public void Remove_OnUnlabelledFamily_Throws()
    {
        Counter counter = new MetricsRegistry().Counter("c_total", "Help.");

        Assert.Throws<InvalidOperationException>(() => counter.Remove());
        Assert.Throws<InvalidOperationException>(counter.Clear);
    }

    [Fact]
    public void Observe_ValueOnABound_CountsInThatBucket()
    {
        HistogramChild child = new MetricsRegistry().Histogram("h", "Help.", [1, 2, 4], "k").WithLabels("v");

        child.Observe(-5);
        child.Observe(1);
        child.Observe(1.5);
        child.Observe(4);
        child.Observe(4.0000001);
        child.Observe(double.NaN);

        Assert.Equal([2L, 3, 4, 6], child.GetCumulativeBucketCounts());
        Assert.Equal(6, child.Count);
        Assert.True(double.IsNaN(child.Sum));
    }

    [Fact]
    public void Observe_SumAndCount_Track()
    {
        Histogram histogram = new MetricsRegistry().Histogram("h", "Help.", Buckets.CoreDnsTime());

        histogram.Observe(0.5);
        histogram.Observe(0.25);

        Assert.Equal(2, histogram.Count);
        Assert.Equal(0.75, histogram.Sum);
    }

    [Fact]
    public void Observe_ManyBuckets_BinarySearchAgreesWithLinearScan()
    {
        double[] bounds = Buckets.Linear(-50, 1.5, 80);
        var registry = new MetricsRegistry();
        Histogram histogram = registry.Histogram("h", "Help.", bounds, "case");
        int caseNumber = 0;

        Prop.ForAll<double>(value =>
        {
            HistogramChild child = histogram.WithLabels((caseNumber++).ToString(System.Globalization.CultureInfo.InvariantCulture));
            child.Observe(value);
            int expected = Array.FindIndex(bounds, b => value <= b);
            long[] cumulative = child.GetCumulativeBucketCounts();
            int actual = Array.FindIndex(cumulative, c => c == 1);
            return actual == (expected < 0 ? bounds.Length : expected);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(new[] { 1d, 1d })]
    [InlineData(new[] { 2d, 1d })]
    [InlineData(new[] { 1d, double.NaN })]
    [InlineData(new[] { 1d, double.PositiveInfinity, 2d })]
    public void Histogram_BadBuckets_Throw(double[] buckets)
    {
        Assert.Throws<ArgumentException>(() => new MetricsRegistry().Histogram("h", "Help.", buckets));
    }

    [Fact]
    public void Histogram_OnlyInf_HasOneBucket()
    {
        var registry = new MetricsRegistry();
        Histogram histogram = registry.Histogram("h", "Help.", [double.PositiveInfinity]);
        histogram.Observe(3);

        Assert.Equal("# HELP h Help.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 3\nh_count 1\n", registry.Serialize());
    }

    [Fact]
    public void Histogram_CallerChangesBucketArrayAfterwards_HistogramUnaffected()
    {
        double[] buckets = [1, 2];
        Histogram histogram = new MetricsRegistry().Histogram("h", "Help.", buckets);

        buckets[0] = 100;

        Assert.Equal<double>([1d, 2d], histogram.Buckets);
    }

    [Fact]
    public void BucketsExponential_MultipliesFromStart()
    {
        Assert.Equal([1d, 2, 4, 8], Buckets.Exponential(1, 2, 4));
        Assert.Equal(16, Buckets.CoreDnsTime().Length);
        Assert.Equal(8.192, Buckets.CoreDnsTime()[^1], 12);
    }

    [Fact]
    public void BucketsLinear_AddsWidth()
    {
        Assert.Equal([0d, 5, 10], Buckets.Linear(0, 5, 3));
    }

    [Fact]
    public void Buckets_EachCallReturnsAFreshArray()
    {
        double[] first = Buckets.Default();
        first[0] = 42;

        Assert.Equal(0.005, Buckets.Default()[0]);
        Assert.NotSame(Buckets.CoreDnsSize(), Buckets.CoreDnsSize());
    }

    [Theory]
    [InlineData(0d, 2d, 3)]
    [InlineData(-1d, 2d, 3)]
    [InlineData(1d, 1d, 3)]
    [InlineData(1d, 2d, 0)]
    [InlineData(double.NaN, 2d, 3)]
    public void BucketsExponential_BadArguments_Throw(double start, double factor, int count)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Buckets.Exponential(start, factor, count));
    }

    [Theory]
    [InlineData(0d, 0d, 3)]
    [InlineData(0d, -1d, 3)]
    [InlineData(0d, 1d, 0)]
    [InlineData(double.PositiveInfinity, 1d, 3)]
    public void BucketsLinear_BadArguments_Throw(double start, double width, int count)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Buckets.Linear(start, width, count));
    }
}
