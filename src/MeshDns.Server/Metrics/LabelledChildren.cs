using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace MeshDns.Server.Metrics;

/// <summary>
/// The children of one metric family, one per distinct label-value tuple. Lookups of existing children are
/// lock-free and allocation-free (<see cref="ConcurrentDictionary{TKey,TValue}"/> reads take no lock, and the
/// span-keyed alternate lookup needs no key array). Creating or removing a child takes a lock, so a create
/// racing a remove cannot resurrect a half-removed entry.
/// </summary>
internal sealed class LabelledChildren<TChild>
    where TChild : class, IMetricChild
{
    private readonly string _metricName;
    private readonly ImmutableArray<string> _labelNames;
    private readonly Func<string[], TChild> _create;
    private readonly ConcurrentDictionary<string[], TChild> _children;
    private readonly ConcurrentDictionary<string[], TChild>.AlternateLookup<ReadOnlySpan<string>> _lookup;
    private readonly Lock _gate = new();

    public LabelledChildren(string metricName, ImmutableArray<string> labelNames, Func<string[], TChild> create)
    {
        _metricName = metricName;
        _labelNames = labelNames;
        _create = create;
        _children = new ConcurrentDictionary<string[], TChild>(LabelValuesComparer.Instance);
        _lookup = _children.GetAlternateLookup<ReadOnlySpan<string>>();
        ExpositionOrder = ComputeExpositionOrder(labelNames);
        if (labelNames.IsEmpty)
        {
            Unlabelled = create([]);
            _children.TryAdd([], Unlabelled);
        }
    }

    /// <summary>The only child of a family without labels; null when the family has labels.</summary>
    public TChild? Unlabelled { get; }

    /// <summary>Label indexes sorted by label name: the text format lists labels that way (as client_golang does).</summary>
    public ImmutableArray<int> ExpositionOrder { get; }

    public ImmutableArray<string> LabelNames => _labelNames;

    public TChild Get(ReadOnlySpan<string> labelValues)
    {
        if (labelValues.Length != _labelNames.Length)
        {
            ThrowLabelCountMismatch(labelValues.Length);
        }

        return _lookup.TryGetValue(labelValues, out TChild? child) ? child : GetOrCreateSlow(labelValues);
    }

    public bool Remove(ReadOnlySpan<string> labelValues)
    {
        ThrowIfUnlabelled();
        if (labelValues.Length != _labelNames.Length)
        {
            ThrowLabelCountMismatch(labelValues.Length);
        }

        lock (_gate)
        {
            return _lookup.TryRemove(labelValues, out _, out _);
        }
    }

    public int RemoveWhere(Func<ImmutableArray<string>, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ThrowIfUnlabelled();
        int removed = 0;
        lock (_gate)
        {
            foreach (KeyValuePair<string[], TChild> entry in _children)
            {
                if (predicate(entry.Value.LabelValues) && _children.TryRemove(entry.Key, out _))
                {
                    removed++;
                }
            }
        }

        return removed;
    }

    public void Clear()
    {
        ThrowIfUnlabelled();
        lock (_gate)
        {
            _children.Clear();
        }
    }

    /// <summary>The children sorted by label values in exposition order: a stable order for scrapes and golden tests.</summary>
    public List<TChild> SnapshotSorted()
    {
        var list = new List<TChild>(_children.Count);
        foreach (KeyValuePair<string[], TChild> entry in _children)
        {
            list.Add(entry.Value);
        }

        if (list.Count > 1)
        {
            ImmutableArray<int> order = ExpositionOrder;
            list.Sort((a, b) => CompareLabelValues(a.LabelValues, b.LabelValues, order));
        }

        return list;
    }

    internal static int CompareLabelValues(ImmutableArray<string> a, ImmutableArray<string> b, ImmutableArray<int> order)
    {
        foreach (int i in order)
        {
            int c = string.CompareOrdinal(a[i], b[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    internal static ImmutableArray<int> ComputeExpositionOrder(ImmutableArray<string> labelNames)
    {
        int[] order = new int[labelNames.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (x, y) => string.CompareOrdinal(labelNames[x], labelNames[y]));
        return [.. order];
    }

    private TChild GetOrCreateSlow(ReadOnlySpan<string> labelValues)
    {
        for (int i = 0; i < labelValues.Length; i++)
        {
            if (labelValues[i] is null)
            {
                throw new ArgumentNullException(
                    nameof(labelValues), $"Metric '{_metricName}': the value of label '{_labelNames[i]}' is null.");
            }
        }

        lock (_gate)
        {
            if (_lookup.TryGetValue(labelValues, out TChild? existing))
            {
                return existing;
            }

            string[] key = labelValues.ToArray();
            TChild child = _create(key);
            _children.TryAdd(key, child);
            return child;
        }
    }

    private void ThrowIfUnlabelled()
    {
        if (_labelNames.IsEmpty)
        {
            throw new InvalidOperationException($"Metric '{_metricName}' has no labels, so it has no children to remove.");
        }
    }

    private void ThrowLabelCountMismatch(int given) =>
        throw new ArgumentException(
            $"Metric '{_metricName}' has {_labelNames.Length} label(s) [{string.Join(", ", _labelNames)}] but {given} value(s) were given.");
}

/// <summary>What every child exposes to its family.</summary>
internal interface IMetricChild
{
    ImmutableArray<string> LabelValues { get; }
}
