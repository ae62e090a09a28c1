using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace MeshDns.Server.Metrics;

/// <summary>
/// A counter family: a value that only goes up. Callers pass the full name, ending in <c>_total</c>
/// (as CoreDNS's counters do); it is written exactly as given.
/// </summary>
public sealed class Counter : IMetricFamily
{
    private readonly LabelledChildren<CounterChild> _children;

    internal Counter(string name, string help, ImmutableArray<string> labelNames)
    {
        Descriptor = new MetricDescriptor(name, help, MetricType.Counter, labelNames, []);
        _children = new LabelledChildren<CounterChild>(name, labelNames, values => new CounterChild(values));
    }

    public string Name => Descriptor.Name;

    public ImmutableArray<string> LabelNames => Descriptor.LabelNames;

    /// <summary>The value of an unlabelled counter.</summary>
    public double Value => Unlabelled.Value;

    MetricDescriptor IMetricFamily.Descriptor => Descriptor;

    private MetricDescriptor Descriptor { get; }

    private CounterChild Unlabelled => _children.Unlabelled ?? throw NotUnlabelled(Name);

    /// <summary>
    /// The child for these label values, in the order the label names were registered. The first call for a
    /// tuple creates the child; later calls take no lock and allocate nothing. Callers on a hot path may keep
    /// the child. A child removed with <see cref="Remove"/> keeps counting but is no longer exposed.
    /// </summary>
    public CounterChild WithLabels(params ReadOnlySpan<string> labelValues) => _children.Get(labelValues);

    /// <summary>Adds one to an unlabelled counter.</summary>
    public void Inc() => Unlabelled.Inc();

    /// <summary>Adds <paramref name="by"/> (not negative) to an unlabelled counter.</summary>
    public void Inc(double by) => Unlabelled.Inc(by);

    /// <summary>Forgets the child for these label values (for example, a cluster removed on reload).</summary>
    public bool Remove(params ReadOnlySpan<string> labelValues) => _children.Remove(labelValues);

    /// <summary>Forgets every child whose label values (in registration order) match; returns how many.</summary>
    public int RemoveWhere(Func<ImmutableArray<string>, bool> predicate) => _children.RemoveWhere(predicate);

    /// <summary>Forgets every child.</summary>
    public void Clear() => _children.Clear();

    void IMetricFamily.WriteTo(ExpositionWriter writer)
    {
        List<CounterChild> children = _children.SnapshotSorted();
        if (children.Count == 0)
        {
            return;
        }

        writer.WriteHeader(Name, Descriptor.Help, MetricType.Counter);
        foreach (CounterChild child in children)
        {
            writer.WriteSample(Name, default, LabelNames, _children.ExpositionOrder, child.LabelValues, child.Value);
        }
    }

    internal static InvalidOperationException NotUnlabelled(string name) =>
        new($"Metric '{name}' has labels: use WithLabels(...) to reach a child.");
}

/// <summary>One labelled series of a <see cref="Counter"/>. All members are thread-safe and lock-free.</summary>
public sealed class CounterChild : IMetricChild
{
    // Whole increments go to a long (one interlocked add); fractional ones to a double updated by CAS.
    private long _whole;
    private long _fractionBits;

    internal CounterChild(string[] labelValues)
    {
        LabelValues = ImmutableCollectionsMarshal.AsImmutableArray(labelValues);
    }

    /// <summary>The label values, in the order the family's label names were registered.</summary>
    public ImmutableArray<string> LabelValues { get; }

    public double Value => Interlocked.Read(ref _whole) + AtomicDouble.Read(ref _fractionBits);

    public void Inc() => Interlocked.Increment(ref _whole);

    /// <summary>Adds <paramref name="by"/>; a counter cannot go down, so a negative or NaN amount throws.</summary>
    public void Inc(double by)
    {
        if (!(by >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(by), by, "A counter can only be increased.");
        }

        if (by < long.MaxValue && by == Math.Floor(by))
        {
            Interlocked.Add(ref _whole, (long)by);
        }
        else
        {
            AtomicDouble.Add(ref _fractionBits, by);
        }
    }
}
