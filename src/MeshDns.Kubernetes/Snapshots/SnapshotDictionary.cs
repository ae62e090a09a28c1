using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace MeshDns.Kubernetes;

/// <summary>
/// An immutable dictionary made of 256 shards. A new version copies only the shards that changed (about 1/256 of the
/// entries each) and shares the rest with the previous version, so a snapshot of 20,000 objects is updated in
/// microseconds while every entry costs what a plain <see cref="Dictionary{TKey, TValue}"/> entry costs (about half of
/// an <c>ImmutableDictionary</c> node). Lookups are one hash and one dictionary probe. Never mutated once published.
/// </summary>
public sealed class SnapshotDictionary<TKey, TValue> : IReadOnlyDictionary<TKey, TValue>
    where TKey : notnull
{
    private const int ShardBits = 8;
    private const int ShardCount = 1 << ShardBits;

    private readonly Dictionary<TKey, TValue>?[] _shards;
    private readonly IEqualityComparer<TKey> _comparer;

    private SnapshotDictionary(Dictionary<TKey, TValue>?[] shards, int count, IEqualityComparer<TKey> comparer)
    {
        _shards = shards;
        Count = count;
        _comparer = comparer;
    }

    public static SnapshotDictionary<TKey, TValue> Empty { get; } = new(new Dictionary<TKey, TValue>?[ShardCount], 0, EqualityComparer<TKey>.Default);

    public int Count { get; }

    public bool IsEmpty => Count == 0;

    public IEnumerable<TKey> Keys => this.Select(pair => pair.Key);

    public IEnumerable<TValue> Values => this.Select(pair => pair.Value);

    public TValue this[TKey key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key.ToString());

    public bool ContainsKey(TKey key) => _shards[ShardOf(key, _comparer)]?.ContainsKey(key) == true;

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        var shard = _shards[ShardOf(key, _comparer)];
        if (shard is null)
        {
            value = default;
            return false;
        }

        return shard.TryGetValue(key, out value);
    }

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator()
    {
        foreach (var shard in _shards)
        {
            if (shard is null)
            {
                continue;
            }

            foreach (var pair in shard)
            {
                yield return pair;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal static SnapshotDictionary<TKey, TValue> Create(IEqualityComparer<TKey> comparer) => new(new Dictionary<TKey, TValue>?[ShardCount], 0, comparer);

    internal Builder ToBuilder() => new(this);

    private static int ShardOf(TKey key, IEqualityComparer<TKey> comparer) =>
        (int)(((uint)comparer.GetHashCode(key) * 0x9E3779B9u) >> (32 - ShardBits));

    /// <summary>Accumulates changes; <see cref="ToImmutable"/> publishes a version sharing untouched shards.</summary>
    internal sealed class Builder
    {
        private readonly IEqualityComparer<TKey> _comparer;
        private readonly bool[] _owned = new bool[ShardCount];
        private Dictionary<TKey, TValue>?[] _shards;
        private SnapshotDictionary<TKey, TValue> _published;
        private bool _dirty;
        private int _count;

        internal Builder(SnapshotDictionary<TKey, TValue> source)
        {
            _published = source;
            _comparer = source._comparer;
            _shards = source._shards;
            _count = source.Count;
        }

        public int Count => _count;

        public IEnumerable<TKey> Keys => _shards.Where(s => s is not null).SelectMany(s => s!.Keys);

        public bool ContainsKey(TKey key) => _shards[ShardOf(key, _comparer)]?.ContainsKey(key) == true;

        public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
        {
            var shard = _shards[ShardOf(key, _comparer)];
            if (shard is null)
            {
                value = default;
                return false;
            }

            return shard.TryGetValue(key, out value);
        }

        public TValue? GetValueOrDefault(TKey key) => TryGetValue(key, out var value) ? value : default;

        public TValue this[TKey key]
        {
            set
            {
                var shard = Writable(ShardOf(key, _comparer));
                var before = shard.Count;
                shard[key] = value;
                _count += shard.Count - before;
            }
        }

        public bool Remove(TKey key)
        {
            var index = ShardOf(key, _comparer);
            if (_shards[index]?.ContainsKey(key) != true)
            {
                return false;
            }

            Writable(index).Remove(key);
            _count--;
            return true;
        }

        public SnapshotDictionary<TKey, TValue> ToImmutable()
        {
            if (!_dirty)
            {
                return _published;
            }

            // Shards grown by many inserts (the first sync) carry up to 2x slack: give it back before sharing them.
            for (var i = 0; i < ShardCount; i++)
            {
                if (_owned[i] && _shards[i] is { Count: > 8 } shard)
                {
                    shard.TrimExcess();
                }
            }

            // From now on every shard is shared with the published version: the next write copies it again.
            _published = new SnapshotDictionary<TKey, TValue>(_shards, _count, _comparer);
            Array.Clear(_owned);
            _dirty = false;
            return _published;
        }

        private Dictionary<TKey, TValue> Writable(int index)
        {
            if (!_dirty)
            {
                _shards = (Dictionary<TKey, TValue>?[])_shards.Clone();
                _dirty = true;
            }

            if (!_owned[index])
            {
                var existing = _shards[index];
                _shards[index] = existing is null ? new Dictionary<TKey, TValue>(_comparer) : new Dictionary<TKey, TValue>(existing, _comparer);
                _owned[index] = true;
            }

            return _shards[index]!;
        }
    }
}
