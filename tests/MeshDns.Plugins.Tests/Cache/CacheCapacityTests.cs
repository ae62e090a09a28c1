using System.Globalization;
using MeshDns.Plugins.Cache;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Tests.Cache;

/// <summary>The cache stays within its capacity however much is put in, also under concurrent use.</summary>
public sealed class CacheCapacityTests
{
    [Theory]
    [InlineData(0, 1024)]
    [InlineData(10, 1024)]
    [InlineData(1024, 1024)]
    [InlineData(5000, 4864)]
    [InlineData(CacheOptions.DefaultCapacity, 9984)]
    public void CacheTable_Capacity_RoundedToWholeShardsWithCoreDnsFloor(int requested, int expected)
    {
        Assert.Equal(expected, new CacheTable(requested).Capacity);
        Assert.Equal(expected, CacheOptions.EffectiveCapacity(requested));
    }

    [Fact]
    public void CacheTable_TenTimesCapacityInserted_NeverHoldsMoreThanCapacity()
    {
        var table = new CacheTable(1024);
        var evictions = 0;
        for (var i = 0; i < 10 * table.Capacity; i++)
        {
            if (table.Set(Entry(i, (ulong)Random.Shared.NextInt64())))
            {
                evictions++;
            }

            Assert.True(table.Count <= table.Capacity, $"{table.Count} entries after {i + 1} inserts");
        }

        // Shards fill unevenly, so evictions start a little before the table is full (as in CoreDNS).
        Assert.InRange(table.Count, table.Capacity * 9 / 10, table.Capacity);
        Assert.Equal((10 * table.Capacity) - table.Count, evictions);
        Assert.Equal(table.Count, table.Snapshot().Count);
    }

    [Fact]
    public void CacheTable_FullShard_EvictsAnExpiredEntryBeforeLiveOnes()
    {
        // Same low byte: every entry lands in shard 0. One entry expired long ago, the rest are live.
        var perShard = CacheOptions.ShardCapacity(0);
        var evictedExpired = 0;
        for (var round = 0; round < 200; round++)
        {
            var probe = new CacheTable(0);
            for (var i = 0; i < perShard; i++)
            {
                probe.Set(Entry(i, (ulong)(i + 1) << 8, storedSeconds: i == 2 ? 0 : 1000));
            }

            probe.Set(Entry(99, 99UL << 8, storedSeconds: 1000));
            evictedExpired += probe.Get(3UL << 8) is null ? 1 : 0;
        }

        // Four samples out of four slots: the expired entry is chosen whenever it is sampled (about 68% of rounds,
        // against 25% for CoreDNS's uniform pick).
        Assert.InRange(evictedExpired, 100, 200);
    }

    [Fact]
    public async Task ServeAsync_TenTimesCapacityOfNames_EntriesBoundedAndMemoryStaysFlat()
    {
        using var fixture = new CacheFixture(new CacheOptions { SuccessCapacity = 1024, DenialCapacity = 1024 });
        var capacity = fixture.Cache.Success.Capacity;
        for (var i = 0; i < capacity; i++)
        {
            var name = $"n{i}.example.org.";
            fixture.Upstream.Set(name, DnsRecordType.A, Canned.NoError($"{name} 300 IN A 10.0.{i / 256}.{i % 256}"));
        }

        for (var i = 0; i < capacity; i++)
        {
            await fixture.QueryAsync($"n{i}.example.org.");
        }

        var afterOne = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = capacity; i < 10 * capacity; i++)
        {
            await fixture.QueryAsync($"n{i}.example.org.");
            Assert.True(fixture.Cache.Denial.Count <= capacity);
        }

        var afterTen = GC.GetTotalMemory(forceFullCollection: true);

        Assert.True(fixture.Cache.Success.Count <= capacity);
        Assert.True(fixture.Cache.Denial.Count <= capacity);
        Assert.True(fixture.Sample("coredns_cache_evictions_total", ("type", "denial")) > 0);

        // Nine more capacities of names went through; what the cache keeps must not grow with them.
        Assert.True(afterTen - afterOne < 4 * 1024 * 1024, $"heap grew by {afterTen - afterOne} bytes");
    }

    [Fact]
    public async Task ServeAsync_ManyThreadsHitAndMiss_AnswersStayCorrectAndCountBounded()
    {
        using var fixture = new CacheFixture(new CacheOptions { SuccessCapacity = 1024 });
        const int Names = 3000;
        for (var i = 0; i < Names; i++)
        {
            var name = $"c{i}.example.org.";
            fixture.Upstream.Set(name, DnsRecordType.A, Canned.NoError($"{name} 300 IN A 10.1.{i / 256}.{i % 256}"));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var n = 0; n < 2500 && !timeout.IsCancellationRequested; n++)
            {
                // Half the queries go to a small hot set (hits), the rest spread over many names (misses, evictions).
                var i = random.Next(2) == 0 ? random.Next(50) : random.Next(Names);
                var reply = await fixture.QueryAsync($"c{i}.example.org.");
                var answer = Assert.Single(reply.Answers);
                Assert.Equal($"c{i}.example.org.", answer.Name.ToString());
                Assert.Equal($"10.1.{i / 256}.{i % 256}", ((ARecord)answer).Address.ToString());
                Assert.True(fixture.Cache.Success.Count <= fixture.Cache.Success.Capacity);
            }
        })).ToArray();

        await Task.WhenAll(workers).WaitAsync(timeout.Token);

        Assert.True(fixture.Sample("coredns_cache_hits_total", ("type", "success")) > 1000);
        Assert.Equal(10_000, fixture.Sample("coredns_cache_requests_total"));
    }

    private static CacheEntry Entry(int i, ulong hash, long storedSeconds = 0)
    {
        var name = DnsName.Parse("e" + i.ToString(CultureInfo.InvariantCulture) + ".example.org.");
        var record = new ARecord(name, 60, System.Net.IPAddress.Loopback);
        return new CacheEntry(hash, name, DnsRecordType.A, false, false, CacheKind.Success, DnsResponseCode.NoError, DnsHeaderFlags.None,
            [record], [], [], 60, storedSeconds * TimeSpan.TicksPerSecond, TimeSpan.TicksPerSecond);
    }
}
