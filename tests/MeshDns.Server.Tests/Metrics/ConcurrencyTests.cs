using System.Globalization;
using MeshDns.Server.Metrics;

namespace MeshDns.Server.Tests.Metrics;

/// <summary>Sized for a 2-core machine: a few threads, totals that must come out exact.</summary>
public sealed class ConcurrencyTests
{
    private const int Threads = 4;
    private const int Iterations = 50_000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task CounterInc_ManyThreads_TotalIsExact()
    {
        CounterChild child = new MetricsRegistry().Counter("c_total", "Help.", "k").WithLabels("v");

        await RunOnThreads(_ =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                child.Inc();
                child.Inc(0.5);
            }
        });

        Assert.Equal(Threads * Iterations * 1.5, child.Value);
    }

    [Fact]
    public async Task WithLabels_ThreadsRaceToCreateChildren_AllShareOneChildPerLabelSet()
    {
        Counter counter = new MetricsRegistry().Counter("c_total", "Help.", "server", "zone", "type");
        string[] zones = [.. Enumerable.Range(0, 16).Select(i => i.ToString(CultureInfo.InvariantCulture) + ".example.")];

        await RunOnThreads(_ =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                counter.WithLabels("dns://:53", zones[i % zones.Length], "A").Inc();
            }
        });

        double total = zones.Sum(z => counter.WithLabels("dns://:53", z, "A").Value);
        Assert.Equal(Threads * Iterations, total);
    }

    [Fact]
    public async Task Observe_ManyThreads_CountsAndSumAreExact()
    {
        HistogramChild child = new MetricsRegistry().Histogram("h", "Help.", [1, 2, 3]).WithLabels();

        await RunOnThreads(thread =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                child.Observe(thread % 4);
            }
        });

        Assert.Equal([Iterations * 2L, Iterations * 3L, Iterations * 4L, Iterations * 4L], child.GetCumulativeBucketCounts());
        Assert.Equal(Iterations * (0 + 1 + 2 + 3), child.Sum);
    }

    [Fact]
    public async Task GaugeIncDec_ManyThreads_ReturnsToZero()
    {
        GaugeChild child = new MetricsRegistry().Gauge("g", "Help.", "k").WithLabels("v");

        await RunOnThreads(thread =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                if (thread % 2 == 0)
                {
                    child.Inc();
                }
                else
                {
                    child.Dec();
                }
            }
        });

        Assert.Equal(0, child.Value);
    }

    [Fact]
    public async Task Serialize_WhileChildrenAreCreatedUpdatedAndRemoved_AlwaysParses()
    {
        var registry = new MetricsRegistry();
        Counter counter = registry.Counter("c_total", "Help.", "k");
        Histogram histogram = registry.Histogram("h", "Help.", [1, 2], "k");
        using var stop = new CancellationTokenSource();
        int scrapes = 0;

        // Writers keep going until the scraper has read the registry several times while they run.
        Task writers = RunOnThreads(thread =>
        {
            for (int i = 0; i < Iterations || Volatile.Read(ref scrapes) < 20; i++)
            {
                string key = (i % 50).ToString(CultureInfo.InvariantCulture);
                counter.WithLabels(key).Inc();
                histogram.WithLabels(key).Observe(i % 3);
                if (thread == 0 && i % 100 == 0)
                {
                    counter.Remove(key);
                    histogram.RemoveWhere(labels => labels[0] == key);
                }
            }
        });
        Task scraper = Task.Run(
            () =>
            {
                do
                {
                    IReadOnlyList<ParsedSample> samples = ExpositionParser.Parse(registry.Serialize());
                    foreach (IGrouping<string?, ParsedSample> child in samples.Where(s => s.Name.StartsWith('h')).GroupBy(s => s.Label("k")))
                    {
                        double infBucket = child.Single(s => s.Label("le") == "+Inf").Value;
                        Assert.Equal(infBucket, child.Single(s => s.Name == "h_count").Value);
                    }

                    Interlocked.Increment(ref scrapes);
                }
                while (!stop.IsCancellationRequested);
            },
            CancellationToken.None);

        await writers;
        await stop.CancelAsync();
        await scraper.WaitAsync(Limit);

        Assert.True(scrapes >= 20);
    }

    private static Task RunOnThreads(Action<int> work) =>
        Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () => work(t), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))).WaitAsync(Limit);
}
