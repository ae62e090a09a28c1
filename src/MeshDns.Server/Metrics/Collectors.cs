using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace MeshDns.Server.Metrics;

/// <summary>Receives the samples a scrape-time collector computes.</summary>
public interface ICollectorSink
{
    /// <summary>
    /// Adds one sample with label values in the order the collector's label names were registered
    /// (none for an unlabelled family). A label set already written during this scrape is ignored.
    /// </summary>
    void Add(double value, params ReadOnlySpan<string> labelValues);
}

/// <summary>
/// A family whose samples are computed at scrape time by callbacks (process metrics, cache sizes, informer
/// states). Several registrations may share the family, for example one per server block; each contributes its
/// samples, and when two write the same label set the one registered last wins (so a new configuration
/// registered before the old one is disposed takes over at once).
/// </summary>
internal sealed class CollectorFamily : IMetricFamily
{
    private readonly Lock _gate = new();
    private readonly ImmutableArray<int> _order;
    private volatile Registration[] _registrations = [];

    public CollectorFamily(MetricDescriptor descriptor)
    {
        Descriptor = descriptor;
        _order = LabelledChildren<GaugeChild>.ComputeExpositionOrder(descriptor.LabelNames);
    }

    public MetricDescriptor Descriptor { get; }

    public IDisposable Add(Action<ICollectorSink> collect)
    {
        var registration = new Registration(this, collect);
        lock (_gate)
        {
            _registrations = [.. _registrations, registration];
        }

        return registration;
    }

    public void WriteTo(ExpositionWriter writer)
    {
        Registration[] registrations = _registrations;
        if (registrations.Length == 0)
        {
            return;
        }

        var sink = new Sink(Descriptor);
        for (int i = registrations.Length - 1; i >= 0; i--)
        {
            registrations[i].Collect(sink);
        }

        if (sink.Samples.Count == 0)
        {
            return;
        }

        sink.Samples.Sort((a, b) => LabelledChildren<GaugeChild>.CompareLabelValues(a.LabelValues, b.LabelValues, _order));
        writer.WriteHeader(Descriptor.Name, Descriptor.Help, Descriptor.Type);
        foreach ((ImmutableArray<string> labelValues, double value) in sink.Samples)
        {
            writer.WriteSample(Descriptor.Name, default, Descriptor.LabelNames, _order, labelValues, value);
        }
    }

    private void Remove(Registration registration)
    {
        lock (_gate)
        {
            _registrations = Array.FindAll(_registrations, r => !ReferenceEquals(r, registration));
        }
    }

    private sealed class Registration(CollectorFamily family, Action<ICollectorSink> collect) : IDisposable
    {
        private int _disposed;

        public Action<ICollectorSink> Collect { get; } = collect;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                family.Remove(this);
            }
        }
    }

    private sealed class Sink(MetricDescriptor descriptor) : ICollectorSink
    {
        private readonly HashSet<string[]> _seen = new(LabelValuesComparer.Instance);

        public List<(ImmutableArray<string> LabelValues, double Value)> Samples { get; } = [];

        public void Add(double value, params ReadOnlySpan<string> labelValues)
        {
            ImmutableArray<string> names = descriptor.LabelNames;
            if (labelValues.Length != names.Length)
            {
                throw new ArgumentException(
                    $"Metric '{descriptor.Name}' has {names.Length} label(s) [{string.Join(", ", names)}] but {labelValues.Length} value(s) were given.",
                    nameof(labelValues));
            }

            for (int i = 0; i < labelValues.Length; i++)
            {
                if (labelValues[i] is null)
                {
                    throw new ArgumentNullException(
                        nameof(labelValues), $"Metric '{descriptor.Name}': the value of label '{names[i]}' is null.");
                }
            }

            string[] key = labelValues.ToArray();
            if (_seen.Add(key))
            {
                Samples.Add((ImmutableCollectionsMarshal.AsImmutableArray(key), value));
            }
        }
    }
}
