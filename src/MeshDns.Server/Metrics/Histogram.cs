using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace MeshDns.Server.Metrics;

/// <summary>
/// A histogram family: observations counted in buckets by upper bound (<c>le</c>), plus their sum. Exposed as
/// cumulative <c>_bucket</c> samples ending with <c>le="+Inf"</c>, then <c>_sum</c> and <c>_count</c>.
/// </summary>
public sealed class Histogram : IMetricFamily
{
    private readonly LabelledChildren<HistogramChild> _children;

    internal Histogram(string name, string help, ImmutableArray<double> buckets, ImmutableArray<string> labelNames)
    {
        Descriptor = new MetricDescriptor(name, help, MetricType.Histogram, labelNames, buckets);
        double[] bounds = ImmutableCollectionsMarshal.AsArray(buckets)!;
        _children = new LabelledChildren<HistogramChild>(name, labelNames, values => new HistogramChild(values, bounds));
    }

    public string Name => Descriptor.Name;

    public ImmutableArray<string> LabelNames => Descriptor.LabelNames;

    /// <summary>The finite upper bounds, strictly increasing; the <c>+Inf</c> bucket is implicit.</summary>
    public ImmutableArray<double> Buckets => Descriptor.Buckets;

    MetricDescriptor IMetricFamily.Descriptor => Descriptor;

    private MetricDescriptor Descriptor { get; }

    private HistogramChild Unlabelled => _children.Unlabelled ?? throw Counter.NotUnlabelled(Name);

    /// <inheritdoc cref="Counter.WithLabels"/>
    public HistogramChild WithLabels(params ReadOnlySpan<string> labelValues) => _children.Get(labelValues);

    /// <summary>Records one observation in an unlabelled histogram.</summary>
    public void Observe(double value) => Unlabelled.Observe(value);

    /// <summary>The observation count of an unlabelled histogram.</summary>
    public long Count => Unlabelled.Count;

    /// <summary>The sum of observations of an unlabelled histogram.</summary>
    public double Sum => Unlabelled.Sum;

    /// <inheritdoc cref="Counter.Remove"/>
    public bool Remove(params ReadOnlySpan<string> labelValues) => _children.Remove(labelValues);

    /// <inheritdoc cref="Counter.RemoveWhere"/>
    public int RemoveWhere(Func<ImmutableArray<string>, bool> predicate) => _children.RemoveWhere(predicate);

    /// <inheritdoc cref="Counter.Clear"/>
    public void Clear() => _children.Clear();

    void IMetricFamily.WriteTo(ExpositionWriter writer)
    {
        List<HistogramChild> children = _children.SnapshotSorted();
        if (children.Count == 0)
        {
            return;
        }

        writer.WriteHeader(Name, Descriptor.Help, MetricType.Histogram);
        ImmutableArray<double> bounds = Buckets;
        ImmutableArray<int> order = _children.ExpositionOrder;
        foreach (HistogramChild child in children)
        {
            // _count is the sum of the buckets read here, so it always equals the +Inf bucket of the same scrape.
            long cumulative = 0;
            for (int i = 0; i < bounds.Length; i++)
            {
                cumulative += child.ReadBucket(i);
                writer.WriteSample(Name, "_bucket"u8, LabelNames, order, child.LabelValues, cumulative, bounds[i]);
            }

            cumulative += child.ReadBucket(bounds.Length);
            writer.WriteSample(Name, "_bucket"u8, LabelNames, order, child.LabelValues, cumulative, double.PositiveInfinity);
            writer.WriteSample(Name, "_sum"u8, LabelNames, order, child.LabelValues, child.Sum);
            writer.WriteSample(Name, "_count"u8, LabelNames, order, child.LabelValues, cumulative);
        }
    }

    /// <summary>Checks bucket bounds and drops a trailing <c>+Inf</c> (always implied).</summary>
    internal static ImmutableArray<double> ValidateBuckets(string metricName, double[] buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        int length = buckets.Length;
        if (length > 0 && double.IsPositiveInfinity(buckets[^1]))
        {
            length--;
        }

        for (int i = 0; i < length; i++)
        {
            double bound = buckets[i];
            if (double.IsNaN(bound) || double.IsPositiveInfinity(bound))
            {
                throw new ArgumentException(
                    $"Metric '{metricName}': bucket bound {bound} is not allowed (+Inf may only come last).", nameof(buckets));
            }

            if (i > 0 && !(bound > buckets[i - 1]))
            {
                throw new ArgumentException(
                    $"Metric '{metricName}': bucket bounds must be strictly increasing ({buckets[i - 1]} then {bound}).",
                    nameof(buckets));
            }
        }

        return ImmutableArray.Create(buckets, 0, length);
    }
}

/// <summary>One labelled series of a <see cref="Histogram"/>. <see cref="Observe"/> is lock-free and allocation-free.</summary>
public sealed class HistogramChild : IMetricChild
{
    // Below this many bounds a linear scan beats binary search (client_golang makes the same trade).
    private const int LinearSearchLimit = 32;

    private readonly double[] _upperBounds;

    // Per-bucket (not cumulative) counts; the last slot is the +Inf bucket.
    private readonly long[] _counts;
    private long _sumBits;

    internal HistogramChild(string[] labelValues, double[] upperBounds)
    {
        LabelValues = ImmutableCollectionsMarshal.AsImmutableArray(labelValues);
        _upperBounds = upperBounds;
        _counts = new long[upperBounds.Length + 1];
    }

    /// <summary>The label values, in the order the family's label names were registered.</summary>
    public ImmutableArray<string> LabelValues { get; }

    /// <summary>The finite upper bounds, as registered on the family.</summary>
    public ImmutableArray<double> UpperBounds => ImmutableCollectionsMarshal.AsImmutableArray(_upperBounds);

    /// <summary>How many observations were made.</summary>
    public long Count
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _counts.Length; i++)
            {
                total += Interlocked.Read(ref _counts[i]);
            }

            return total;
        }
    }

    /// <summary>The sum of all observations.</summary>
    public double Sum => AtomicDouble.Read(ref _sumBits);

    /// <summary>Counts an observation in the first bucket whose bound is at least <paramref name="value"/> (NaN goes to +Inf).</summary>
    public void Observe(double value)
    {
        Interlocked.Increment(ref _counts[FindBucket(value)]);
        AtomicDouble.Add(ref _sumBits, value);
    }

    /// <summary>Cumulative counts per bucket, as exposed: one per <see cref="UpperBounds"/> entry, then +Inf.</summary>
    public long[] GetCumulativeBucketCounts()
    {
        long[] result = new long[_counts.Length];
        long cumulative = 0;
        for (int i = 0; i < result.Length; i++)
        {
            cumulative += Interlocked.Read(ref _counts[i]);
            result[i] = cumulative;
        }

        return result;
    }

    internal long ReadBucket(int index) => Interlocked.Read(ref _counts[index]);

    private int FindBucket(double value)
    {
        double[] bounds = _upperBounds;
        if (bounds.Length < LinearSearchLimit)
        {
            int i = 0;
            while (i < bounds.Length && !(value <= bounds[i]))
            {
                i++;
            }

            return i;
        }

        int low = 0;
        int high = bounds.Length;
        while (low < high)
        {
            int mid = (int)((uint)(low + high) >> 1);
            if (value <= bounds[mid])
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return low;
    }
}
