using System.Buffers;
using System.Collections.Immutable;
using System.Text;

namespace MeshDns.Server.Metrics;

/// <summary>
/// The set of metric families one MeshDns process exposes, and their Prometheus text exposition.
/// Registration is idempotent: asking again for a family with the same name, type, help, labels (and buckets)
/// returns the instance already registered, so plugins may register on every (re)load. Registration locks;
/// updates and scrapes do not.
/// </summary>
public sealed class MetricsRegistry
{
    /// <summary>The HTTP Content-Type of <see cref="WriteTo"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, IMetricFamily> _families = new(StringComparer.Ordinal);

    // Every series name a family writes (a histogram writes three) -> the family's name; catches collisions
    // such as a counter "x_count" next to a histogram "x".
    private readonly Dictionary<string, string> _seriesOwners = new(StringComparer.Ordinal);

    // Families sorted by name, replaced as a whole on registration so scrapes read it without a lock.
    private volatile IMetricFamily[] _sorted = [];

    /// <summary>The names of all registered families, sorted.</summary>
    public IReadOnlyCollection<string> Names
    {
        get
        {
            return _sorted.Select(f => f.Descriptor.Name).ToImmutableArray();
        }
    }

    /// <summary>The definitions of all registered families, sorted by name.</summary>
    public IReadOnlyList<MetricDescriptor> Describe() =>
        _sorted.Select(f => f.Descriptor).ToImmutableArray();

    /// <summary>Registers (or returns) a counter family. <paramref name="name"/> should end in <c>_total</c>.</summary>
    public Counter Counter(string name, string help, params string[] labelNames)
    {
        (ImmutableArray<string> labels, MetricDescriptor wanted) = Prepare(name, help, MetricType.Counter, labelNames, []);
        return GetOrAdd(wanted, () => new Counter(name, help, labels));
    }

    /// <summary>Registers (or returns) a gauge family.</summary>
    public Gauge Gauge(string name, string help, params string[] labelNames)
    {
        (ImmutableArray<string> labels, MetricDescriptor wanted) = Prepare(name, help, MetricType.Gauge, labelNames, []);
        return GetOrAdd(wanted, () => new Gauge(name, help, labels));
    }

    /// <summary>
    /// Registers (or returns) a histogram family. <paramref name="buckets"/> are upper bounds, strictly
    /// increasing; a trailing <c>+Inf</c> is optional (it is always exposed). See <see cref="Metrics.Buckets"/>.
    /// </summary>
    public Histogram Histogram(string name, string help, double[] buckets, params string[] labelNames)
    {
        MetricNames.ValidateMetricName(name);
        ImmutableArray<double> bounds = Metrics.Histogram.ValidateBuckets(name, buckets);
        (ImmutableArray<string> labels, MetricDescriptor wanted) = Prepare(name, help, MetricType.Histogram, labelNames, bounds);
        return GetOrAdd(wanted, () => new Histogram(name, help, bounds, labels));
    }

    /// <summary>Registers an unlabelled scrape-time collector. See the overload with label names.</summary>
    public IDisposable RegisterCollector(string name, string help, MetricType type, Action<ICollectorSink> collect) =>
        RegisterCollector(name, help, type, [], collect);

    /// <summary>
    /// Registers a callback that writes the family's samples at scrape time. Several registrations with the
    /// same definition share one family; when two write the same label set, the one registered last wins.
    /// Dispose the result to stop collecting (for example when the configuration that registered it is replaced).
    /// Only counter, gauge and untyped collectors are supported. A callback that throws makes the scrape throw.
    /// </summary>
    public IDisposable RegisterCollector(
        string name, string help, MetricType type, IReadOnlyList<string> labelNames, Action<ICollectorSink> collect)
    {
        ArgumentNullException.ThrowIfNull(collect);
        if (type is MetricType.Histogram || !Enum.IsDefined(type))
        {
            throw new ArgumentException(
                $"Metric '{name}': a collector can be a counter, gauge or untyped, not {type}.", nameof(type));
        }

        (_, MetricDescriptor wanted) = Prepare(name, help, type, labelNames, []);
        CollectorFamily family = GetOrAdd(wanted, () => new CollectorFamily(wanted));
        return family.Add(collect);
    }

    /// <summary>
    /// Writes every family with at least one sample in the Prometheus text format 0.0.4, sorted by name.
    /// Labelled families without children are left out entirely, as client_golang does.
    /// </summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new ExpositionWriter(output);
        foreach (IMetricFamily family in _sorted)
        {
            family.WriteTo(writer);
        }
    }

    /// <summary>The exposition as a string (tests, debugging).</summary>
    public string Serialize()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static (ImmutableArray<string> Labels, MetricDescriptor Wanted) Prepare(
        string name, string help, MetricType type, IReadOnlyList<string>? labelNames, ImmutableArray<double> buckets)
    {
        MetricNames.ValidateMetricName(name);
        MetricNames.ValidateHelp(name, help);
        ImmutableArray<string> labels = MetricNames.ValidateLabelNames(name, labelNames, type == MetricType.Histogram);
        return (labels, new MetricDescriptor(name, help, type, labels, buckets));
    }

    private T GetOrAdd<T>(MetricDescriptor wanted, Func<T> create)
        where T : class, IMetricFamily
    {
        lock (_gate)
        {
            if (_families.TryGetValue(wanted.Name, out IMetricFamily? existing))
            {
                if (existing is T same && SameDefinition(existing.Descriptor, wanted))
                {
                    return same;
                }

                throw new ArgumentException(
                    $"Metric '{wanted.Name}' is already registered as {Describe(existing.Descriptor, existing is CollectorFamily)}; " +
                    $"it cannot be registered again as {Describe(wanted, typeof(T) == typeof(CollectorFamily))}.");
            }

            string[] series = SeriesNames(wanted);
            foreach (string seriesName in series)
            {
                if (_seriesOwners.TryGetValue(seriesName, out string? owner))
                {
                    throw new ArgumentException(
                        $"Metric '{wanted.Name}' would write series '{seriesName}', which metric '{owner}' already writes.");
                }
            }

            T family = create();
            _families.Add(wanted.Name, family);
            foreach (string seriesName in series)
            {
                _seriesOwners.Add(seriesName, wanted.Name);
            }

            _sorted = [.. _families.Values.OrderBy(f => f.Descriptor.Name, StringComparer.Ordinal)];
            return family;
        }
    }

    private static string[] SeriesNames(MetricDescriptor descriptor) =>
        descriptor.Type == MetricType.Histogram
            ? [descriptor.Name + "_bucket", descriptor.Name + "_sum", descriptor.Name + "_count"]
            : [descriptor.Name];

    private static bool SameDefinition(MetricDescriptor a, MetricDescriptor b) =>
        a.Type == b.Type
        && string.Equals(a.Help, b.Help, StringComparison.Ordinal)
        && a.LabelNames.SequenceEqual(b.LabelNames, StringComparer.Ordinal)
        && a.Buckets.SequenceEqual(b.Buckets);

    private static string Describe(MetricDescriptor d, bool collector)
    {
        var text = new StringBuilder();
        text.Append(collector ? "a collector of type " : "a ")
            .Append(d.Type.ToExpositionName())
            .Append(" with labels [")
            .AppendJoin(", ", d.LabelNames)
            .Append(']');
        if (d.Type == MetricType.Histogram)
        {
            text.Append(", buckets [").AppendJoin(", ", d.Buckets).Append(']');
        }

        text.Append(" and help \"").Append(d.Help).Append('"');
        return text.ToString();
    }
}
