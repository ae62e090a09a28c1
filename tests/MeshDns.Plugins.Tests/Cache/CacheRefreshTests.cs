using MeshDns.Plugins.Cache;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;

namespace MeshDns.Plugins.Tests.Cache;

/// <summary>prefetch and serve_stale: refreshing entries through the rest of the chain, outside client requests.</summary>
public sealed class CacheRefreshTests
{
    private static readonly CacheOptions Prefetching = new() { PrefetchAmount = 2, PrefetchDuration = TimeSpan.FromMinutes(1), PrefetchPercentage = 50 };

    [Fact]
    public async Task ServeAsync_PopularEntryNearExpiry_PrefetchedInBackground()
    {
        using var fixture = new CacheFixture(Prefetching);
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 20 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");
        await fixture.QueryAsync("a.example.org.");

        // Two hits within a minute, 10 of 20 seconds left: at the threshold.
        fixture.Clock.Advance(TimeSpan.FromSeconds(10));
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 20 IN A 10.0.0.2"));
        var duringPrefetch = await fixture.QueryAsync("a.example.org.");
        await fixture.SettleAsync();
        var afterPrefetch = await fixture.QueryAsync("a.example.org.");

        RecordAssert.Response(duringPrefetch, DnsResponseCode.NoError, ["a.example.org. 10 IN A 10.0.0.1"]);
        RecordAssert.Response(afterPrefetch, DnsResponseCode.NoError, ["a.example.org. 20 IN A 10.0.0.2"]);
        Assert.Equal(2, fixture.Upstream.TotalCalls);
        Assert.Equal(1, fixture.Sample("coredns_cache_prefetch_total"));
    }

    [Fact]
    public async Task ServeAsync_HitsTooFewOrTooSparse_NoPrefetch()
    {
        using var fixture = new CacheFixture(Prefetching);
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 300 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");

        // One hit, then a gap of more than a minute resets the count; TTL is low enough each time.
        fixture.Clock.Advance(TimeSpan.FromSeconds(160));
        await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromSeconds(61));
        await fixture.QueryAsync("a.example.org.");
        await fixture.SettleAsync();

        Assert.Equal(1, fixture.Upstream.TotalCalls);
        Assert.Equal(0, fixture.Sample("coredns_cache_prefetch_total"));
    }

    [Fact]
    public async Task ServeAsync_PrefetchAlreadyRunning_OnlyOneRefreshPerEntry()
    {
        using var fixture = new CacheFixture(Prefetching);
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 20 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");
        await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromSeconds(15));
        var release = new TaskCompletionSource();
        fixture.Upstream.Gate = release.Task;

        for (var i = 0; i < 5; i++)
        {
            await fixture.QueryAsync("a.example.org.");
        }

        release.SetResult();
        await fixture.SettleAsync();

        Assert.Equal(2, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ServeAsync_ExpiredWithinStaleWindow_ServedStaleWithTtlZeroAndRefreshed()
    {
        using var fixture = new CacheFixture(new CacheOptions { ServeStale = TimeSpan.FromHours(1) });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 30 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromMinutes(10));
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 30 IN A 10.0.0.2"));

        var stale = await fixture.QueryAsync("a.example.org.", edns: true);
        await fixture.SettleAsync();
        var refreshed = await fixture.QueryAsync("a.example.org.");

        RecordAssert.Response(stale, DnsResponseCode.NoError, ["a.example.org. 0 IN A 10.0.0.1"]);
        Assert.Contains(stale.Edns!.Options, o => o.TryGetExtendedError(out var code, out _) && code == ExtendedDnsErrorCode.StaleAnswer);
        RecordAssert.Response(refreshed, DnsResponseCode.NoError, ["a.example.org. 30 IN A 10.0.0.2"]);
        Assert.Equal(1, fixture.Sample("coredns_cache_served_stale_total"));
        Assert.Equal(1, fixture.Sample("coredns_cache_prefetch_total"));
    }

    [Fact]
    public async Task ServeAsync_StaleAndNextFailing_KeepsServingStaleAndKeepsTheEntry()
    {
        using var fixture = new CacheFixture(new CacheOptions { ServeStale = TimeSpan.FromHours(1) });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 30 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromMinutes(10));
        fixture.Upstream.Fail = true;

        for (var i = 0; i < 3; i++)
        {
            var reply = await fixture.QueryAsync("a.example.org.");
            await fixture.SettleAsync();
            RecordAssert.Response(reply, DnsResponseCode.NoError, ["a.example.org. 0 IN A 10.0.0.1"]);
        }

        Assert.Equal(1, fixture.Cache.Success.Count);
        Assert.Equal(4, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ServeAsync_UpstreamServfailCachedWhileStale_StalePositiveStillWins()
    {
        using var fixture = new CacheFixture(new CacheOptions { ServeStale = TimeSpan.FromHours(1) });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 30 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromMinutes(10));
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, new Canned(DnsResponseCode.ServFail, []));

        await fixture.QueryAsync("a.example.org.");
        await fixture.SettleAsync();
        var reply = await fixture.QueryAsync("a.example.org.");

        Assert.Equal(1, fixture.Cache.Denial.Count);
        RecordAssert.Response(reply, DnsResponseCode.NoError, ["a.example.org. 0 IN A 10.0.0.1"]);
    }

    [Fact]
    public async Task ServeAsync_ExpiredBeyondStaleWindow_Miss()
    {
        using var fixture = new CacheFixture(new CacheOptions { ServeStale = TimeSpan.FromMinutes(5) });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 30 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromSeconds(30 + 300));
        fixture.Upstream.Fail = true;

        var reply = await fixture.QueryAsync("a.example.org.");

        Assert.Equal(DnsResponseCode.ServFail, reply.ResponseCode);
        Assert.Equal(0, fixture.Sample("coredns_cache_served_stale_total"));
    }

    [Theory]
    [InlineData("fail")]
    [InlineData("throw")]
    [InlineData("servfail")]
    public async Task ServeAsync_VerifyAndNextFails_StaleEntryServed(string failure)
    {
        using var fixture = new CacheFixture(new CacheOptions { ServeStale = TimeSpan.FromHours(1), VerifyStale = true });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 30 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromMinutes(10));
        switch (failure)
        {
            case "fail": fixture.Upstream.Fail = true; break;
            case "throw": fixture.Upstream.Throw = true; break;
            default: fixture.Upstream.Set("a.example.org.", DnsRecordType.A, new Canned(DnsResponseCode.ServFail, [], ["x.example.org. 5 IN A 10.9.9.9"])); break;
        }

        var reply = await fixture.QueryAsync("a.example.org.");

        RecordAssert.Response(reply, DnsResponseCode.NoError, ["a.example.org. 0 IN A 10.0.0.1"], authority: []);
        Assert.Equal(2, fixture.Upstream.TotalCalls);
        Assert.Equal(1, fixture.Sample("coredns_cache_served_stale_total"));
        Assert.Equal(0, fixture.Handler.PendingRefreshes);
    }

    [Theory]
    [InlineData(DnsResponseCode.NoError)]
    [InlineData(DnsResponseCode.NXDomain)]
    public async Task ServeAsync_VerifyAndNextAnswers_FreshAnswerServedAndStored(DnsResponseCode rcode)
    {
        using var fixture = new CacheFixture(new CacheOptions { ServeStale = TimeSpan.FromHours(1), VerifyStale = true });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 30 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromMinutes(10));
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, rcode == DnsResponseCode.NoError
            ? Canned.NoError("a.example.org. 30 IN A 10.0.0.2")
            : Canned.NxDomain(StubUpstream.DefaultSoa));

        var reply = await fixture.QueryAsync("a.example.org.");
        var again = await fixture.QueryAsync("a.example.org.");

        Assert.Equal(rcode, reply.ResponseCode);
        Assert.Equal(rcode, again.ResponseCode);
        Assert.DoesNotContain(reply.Answers, a => a.RDataToString() == "10.0.0.1");
        Assert.Equal(2, fixture.Upstream.TotalCalls);
        Assert.Equal(0, fixture.Sample("coredns_cache_served_stale_total"));
    }
}
