namespace MeshDns.Plugins.Cache;

/// <summary>
/// A bounded table of entries keyed by a 64-bit hash, split into 256 shards each guarded by its own lock
/// (striped locking: a lookup holds one shard's lock for one dictionary probe, so threads rarely meet).
/// A full shard evicts before it inserts, so the table never holds more than <see cref="Capacity"/> entries.
/// </summary>
/// <remarks>
/// CoreDNS evicts a random entry of the full shard. This table samples a few random slots and evicts the one
/// that expires first: an entry that has already expired is almost always among them once a shard holds some,
/// so live answers survive where CoreDNS could drop one while dead ones stay. Sampling keeps eviction O(1).
/// </remarks>
internal sealed class CacheTable
{
    private const int EvictionSamples = 4;

    private readonly Shard[] _shards;

    public CacheTable(int requestedCapacity)
    {
        ShardCapacity = CacheOptions.ShardCapacity(requestedCapacity);
        _shards = new Shard[CacheOptions.ShardCount];
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard(ShardCapacity);
        }
    }

    /// <summary>Entries one shard holds at most.</summary>
    public int ShardCapacity { get; }

    /// <summary>Entries the table holds at most.</summary>
    public int Capacity => ShardCapacity * CacheOptions.ShardCount;

    /// <summary>Entries held now (a sum of per-shard counts, each read without a lock).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var shard in _shards)
            {
                count += shard.Count;
            }

            return count;
        }
    }

    /// <summary>The entry stored under <paramref name="hash"/>, if any. Allocates nothing.</summary>
    public CacheEntry? Get(ulong hash) => ShardOf(hash).Get(hash);

    /// <summary>Stores <paramref name="entry"/>, replacing one with the same hash. Returns true when another entry was evicted for room.</summary>
    public bool Set(CacheEntry entry) => ShardOf(entry.Hash).Set(entry);

    /// <summary>Removes the entry under <paramref name="hash"/>; when <paramref name="only"/> is given, only if it is still that entry.</summary>
    public bool Remove(ulong hash, CacheEntry? only = null) => ShardOf(hash).Remove(hash, only);

    /// <summary>Removes every entry <paramref name="predicate"/> selects; returns how many. Takes each shard's lock in turn.</summary>
    public int RemoveWhere(Func<CacheEntry, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var removed = 0;
        foreach (var shard in _shards)
        {
            removed += shard.RemoveWhere(predicate);
        }

        return removed;
    }

    /// <summary>A snapshot of every entry (tests, diagnostics).</summary>
    public List<CacheEntry> Snapshot()
    {
        var entries = new List<CacheEntry>();
        foreach (var shard in _shards)
        {
            shard.CopyTo(entries);
        }

        return entries;
    }

    // The low byte picks the shard, as CoreDNS does; the dictionary inside uses the whole hash.
    private Shard ShardOf(ulong hash) => _shards[(int)(hash & (CacheOptions.ShardCount - 1))];

    private sealed class Shard(int capacity)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<ulong, int> _index = [];
        private CacheEntry[] _slots = new CacheEntry[Math.Min(capacity, 4)];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public CacheEntry? Get(ulong hash)
        {
            lock (_gate)
            {
                return _index.TryGetValue(hash, out var slot) ? _slots[slot] : null;
            }
        }

        public bool Set(CacheEntry entry)
        {
            lock (_gate)
            {
                if (_index.TryGetValue(entry.Hash, out var existing))
                {
                    _slots[existing] = entry;
                    return false;
                }

                var evicted = false;
                int slot;
                if (_count < capacity)
                {
                    if (_count == _slots.Length)
                    {
                        Array.Resize(ref _slots, Math.Min(capacity, _slots.Length * 2));
                    }

                    slot = _count;
                    Volatile.Write(ref _count, _count + 1);
                }
                else
                {
                    slot = ChooseVictim();
                    _index.Remove(_slots[slot].Hash);
                    evicted = true;
                }

                _slots[slot] = entry;
                _index[entry.Hash] = slot;
                return evicted;
            }
        }

        public bool Remove(ulong hash, CacheEntry? only)
        {
            lock (_gate)
            {
                if (!_index.TryGetValue(hash, out var slot) || (only is not null && !ReferenceEquals(_slots[slot], only)))
                {
                    return false;
                }

                RemoveSlot(slot);
                return true;
            }
        }

        public int RemoveWhere(Func<CacheEntry, bool> predicate)
        {
            lock (_gate)
            {
                var removed = 0;
                for (var slot = _count - 1; slot >= 0; slot--)
                {
                    if (predicate(_slots[slot]))
                    {
                        RemoveSlot(slot);
                        removed++;
                    }
                }

                return removed;
            }
        }

        public void CopyTo(List<CacheEntry> into)
        {
            lock (_gate)
            {
                into.AddRange(_slots.AsSpan(0, _count));
            }
        }

        // Keeps the slots dense: the last entry moves into the hole.
        private void RemoveSlot(int slot)
        {
            _index.Remove(_slots[slot].Hash);
            var last = _count - 1;
            if (slot != last)
            {
                _slots[slot] = _slots[last];
                _index[_slots[slot].Hash] = slot;
            }

            _slots[last] = null!;
            Volatile.Write(ref _count, last);
        }

        private int ChooseVictim()
        {
            var victim = Random.Shared.Next(_count);
            for (var i = 1; i < EvictionSamples; i++)
            {
                var candidate = Random.Shared.Next(_count);
                if (_slots[candidate].ExpiresTimestamp < _slots[victim].ExpiresTimestamp)
                {
                    victim = candidate;
                }
            }

            return victim;
        }
    }
}
