using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace MeshDns.Server.Metrics;

/// <summary>A gauge family: a value that can go up and down.</summary>
public sealed class Gauge : IMetricFamily
{
    private readonly LabelledChildren<GaugeChild> _children;

    internal Gauge(string name, string help, ImmutableArray<string> labelNames)
    {
        Descriptor = new MetricDescriptor(name, help, MetricType.Gauge, labelNames, []);
        _children = new LabelledChildren<GaugeChild>(name, labelNames, values => new GaugeChild(values));
    }

    public string Name => Descriptor.Name;

    public ImmutableArray<string> LabelNames => Descriptor.LabelNames;

    /// <summary>The value of an unlabelled gauge.</summary>
    public double Value => Unlabelled.Value;

    MetricDescriptor IMetricFamily.Descriptor => Descriptor;

    private MetricDescriptor Descriptor { get; }

    private GaugeChild Unlabelled => _children.Unlabelled ?? throw Counter.NotUnlabelled(Name);

    /// <inheritdoc cref="Counter.WithLabels"/>
    public GaugeChild WithLabels(params ReadOnlySpan<string> labelValues) => _children.Get(labelValues);

    public void Set(double value) => Unlabelled.Set(value);

    public void Inc() => Unlabelled.Inc();

    public void Inc(double by) => Unlabelled.Inc(by);

    public void Dec() => Unlabelled.Dec();

    public void Dec(double by) => Unlabelled.Dec(by);

    /// <inheritdoc cref="Counter.Remove"/>
    public bool Remove(params ReadOnlySpan<string> labelValues) => _children.Remove(labelValues);

    /// <inheritdoc cref="Counter.RemoveWhere"/>
    public int RemoveWhere(Func<ImmutableArray<string>, bool> predicate) => _children.RemoveWhere(predicate);

    /// <inheritdoc cref="Counter.Clear"/>
    public void Clear() => _children.Clear();

    void IMetricFamily.WriteTo(ExpositionWriter writer)
    {
        List<GaugeChild> children = _children.SnapshotSorted();
        if (children.Count == 0)
        {
            return;
        }

        writer.WriteHeader(Name, Descriptor.Help, MetricType.Gauge);
        foreach (GaugeChild child in children)
        {
            writer.WriteSample(Name, default, LabelNames, _children.ExpositionOrder, child.LabelValues, child.Value);
        }
    }
}

/// <summary>One labelled series of a <see cref="Gauge"/>. All members are thread-safe and lock-free.</summary>
public sealed class GaugeChild : IMetricChild
{
    private long _bits;

    internal GaugeChild(string[] labelValues)
    {
        LabelValues = ImmutableCollectionsMarshal.AsImmutableArray(labelValues);
    }

    /// <summary>The label values, in the order the family's label names were registered.</summary>
    public ImmutableArray<string> LabelValues { get; }

    public double Value => AtomicDouble.Read(ref _bits);

    public void Set(double value) => AtomicDouble.Write(ref _bits, value);

    public void Inc() => AtomicDouble.Add(ref _bits, 1);

    public void Inc(double by) => AtomicDouble.Add(ref _bits, by);

    public void Dec() => AtomicDouble.Add(ref _bits, -1);

    public void Dec(double by) => AtomicDouble.Add(ref _bits, -by);
}
