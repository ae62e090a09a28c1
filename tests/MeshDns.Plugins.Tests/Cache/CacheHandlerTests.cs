using MeshDns.Plugins.Cache;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;

namespace MeshDns.Plugins.Tests.Cache;

/// <summary>What the cache stores, for how long, and what a hit looks like.</summary>
public sealed class CacheHandlerTests
{
    private const string Soa = "example.org. 3600 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 60";

    [Fact]
    public async Task ServeAsync_SecondQuery_AnsweredFromCacheWithoutCallingNext()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 300 IN A 10.0.0.1"));

        var first = await fixture.QueryAsync("a.example.org.");
        var second = await fixture.QueryAsync("a.example.org.");

        RecordAssert.Response(first, DnsResponseCode.NoError, ["a.example.org. 300 IN A 10.0.0.1"]);
        RecordAssert.Response(second, DnsResponseCode.NoError, ["a.example.org. 300 IN A 10.0.0.1"]);
        Assert.Equal(1, fixture.Upstream.Calls("a.example.org.", DnsRecordType.A));
        Assert.Equal(1, fixture.Sample("coredns_cache_hits_total", ("type", "success")));
        Assert.Equal(1, fixture.Sample("coredns_cache_misses_total"));
        Assert.Equal(2, fixture.Sample("coredns_cache_requests_total"));
    }

    public static TheoryData<string, string[], string[], string[], string[]> TtlCases => new()
    {
        // name, options, upstream answer, upstream authority, expected (answer + authority) after caching
        { "capped at the success maximum", [], ["a.example.org. 3601 IN A 10.0.0.1"], [], ["a.example.org. 3600 IN A 10.0.0.1"] },
        { "raised to the minimum", [], ["a.example.org. 2 IN A 10.0.0.1"], [], ["a.example.org. 5 IN A 10.0.0.1"] },
        { "lowest TTL for every record", [], ["a.example.org. 300 IN CNAME b.example.org.", "b.example.org. 30 IN A 10.0.0.2"], [], ["a.example.org. 30 IN CNAME b.example.org.", "b.example.org. 30 IN A 10.0.0.2"] },
        { "cache 30 caps answers", ["ttl=30"], ["a.example.org. 300 IN A 10.0.0.1"], [], ["a.example.org. 30 IN A 10.0.0.1"] },
        { "success minimum", ["successmin=60"], ["a.example.org. 10 IN A 10.0.0.1"], [], ["a.example.org. 60 IN A 10.0.0.1"] },
        { "maximum wins over minimum", ["successmin=60", "ttl=30"], ["a.example.org. 10 IN A 10.0.0.1"], [], ["a.example.org. 30 IN A 10.0.0.1"] },
        { "denial uses the SOA minimum", [], [], [Soa], ["example.org. 60 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 60"] },
        { "denial capped at 1800", [], [], ["example.org. 3600 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 3600"], ["example.org. 1800 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 3600"] },
        { "delegation gets the minimum", [], [], ["sub.example.org. 3600 IN NS ns.sub.example.org."], ["sub.example.org. 5 IN NS ns.sub.example.org."] },
    };

    [Theory]
    [MemberData(nameof(TtlCases))]
    public async Task ServeAsync_CacheableAnswer_StoredWithCappedUniformTtl(string because, string[] options, string[] answer, string[] authority, string[] expected)
    {
        var cacheOptions = new CacheOptions();
        foreach (var option in options)
        {
            var value = uint.Parse(option[(option.IndexOf('=') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            cacheOptions = option.StartsWith("ttl", StringComparison.Ordinal)
                ? cacheOptions with { SuccessMaxTtl = value, DenialMaxTtl = value }
                : cacheOptions with { SuccessMinTtl = value };
        }

        using var fixture = new CacheFixture(cacheOptions);
        var rcode = answer.Length == 0 && authority.Any(a => a.Contains("SOA", StringComparison.Ordinal)) ? DnsResponseCode.NXDomain : DnsResponseCode.NoError;
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, new Canned(rcode, answer, authority));

        var first = await fixture.QueryAsync("a.example.org.");
        var second = await fixture.QueryAsync("a.example.org.");

        Assert.True(1 == fixture.Upstream.Calls("a.example.org.", DnsRecordType.A), because);
        RecordAssert.Section(first.Answers.Concat(first.Authorities), expected);
        RecordAssert.Section(second.Answers.Concat(second.Authorities), expected);
    }

    public static TheoryData<string, Canned, DnsRecordType> NotCachedCases => new()
    {
        { "truncated", new Canned(DnsResponseCode.NoError, ["a.example.org. 300 IN A 10.0.0.1"], Flags: DnsHeaderFlags.TC), DnsRecordType.A },
        { "REFUSED", new Canned(DnsResponseCode.Refused, []), DnsRecordType.A },
        { "NXDOMAIN without SOA", new Canned(DnsResponseCode.NXDomain, []), DnsRecordType.A },
        { "zone transfer", Canned.NoError("a.example.org. 300 IN A 10.0.0.1"), DnsRecordType.AXFR },
        { "FORMERR written", new Canned(DnsResponseCode.FormErr, []), DnsRecordType.A },
    };

    [Theory]
    [MemberData(nameof(NotCachedCases))]
    public async Task ServeAsync_UncacheableResponse_NextCalledEveryTime(string because, Canned canned, DnsRecordType type)
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Set("a.example.org.", type, canned);

        await fixture.QueryAsync("a.example.org.", type);
        await fixture.QueryAsync("a.example.org.", type);

        Assert.True(2 == fixture.Upstream.Calls("a.example.org.", type), because);
        Assert.Equal(0, fixture.Cache.Success.Count + fixture.Cache.Denial.Count);
    }

    [Fact]
    public async Task ServeAsync_ZeroTtlWithZeroMinimum_NotCached()
    {
        using var fixture = new CacheFixture(new CacheOptions { SuccessMinTtl = 0 });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 0 IN A 10.0.0.1"));

        await fixture.QueryAsync("a.example.org.");
        await fixture.QueryAsync("a.example.org.");

        Assert.Equal(2, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ServeAsync_ReplyForAnotherQuestion_DroppedAndCounted()
    {
        var wrong = new WrongQuestionUpstream();
        using var fixture = new CacheFixture(next: wrong);

        await fixture.QueryAsync("a.example.org.");
        await fixture.QueryAsync("a.example.org.");

        Assert.Equal(2, wrong.Calls);
        Assert.Equal(2, fixture.Sample("coredns_cache_drops_total"));
    }

    [Theory]
    [InlineData("A.EXAMPLE.org.", false, false, DnsRecordType.A, 1)]
    [InlineData("a.example.org.", true, false, DnsRecordType.A, 2)]
    [InlineData("a.example.org.", false, true, DnsRecordType.A, 2)]
    [InlineData("a.example.org.", false, false, DnsRecordType.AAAA, 2)]
    public async Task ServeAsync_SecondQueryVariant_KeyedByNameCaseInsensitiveTypeDoAndCd(string second, bool dnssecOk, bool checkingDisabled, DnsRecordType type, int expectedCalls)
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 300 IN A 10.0.0.1"));
        fixture.Upstream.Set("a.example.org.", DnsRecordType.AAAA, Canned.NoError("a.example.org. 300 IN AAAA ::1"));

        await fixture.QueryAsync("a.example.org.");
        var reply = await fixture.QueryAsync(second, type, dnssecOk, checkingDisabled);

        Assert.Equal(expectedCalls, fixture.Upstream.TotalCalls);
        Assert.Equal(second, reply.Questions[0].Name.ToString());
    }

    [Fact]
    public async Task ServeAsync_TimePasses_TtlDecreasesThenEntryExpires()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 30 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");

        fixture.Clock.Advance(TimeSpan.FromSeconds(12.5));
        var aged = await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromSeconds(17.5));
        var expired = await fixture.QueryAsync("a.example.org.");

        RecordAssert.Response(aged, DnsResponseCode.NoError, ["a.example.org. 18 IN A 10.0.0.1"]);
        RecordAssert.Response(expired, DnsResponseCode.NoError, ["a.example.org. 30 IN A 10.0.0.1"]);
        Assert.Equal(2, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ServeAsync_KeepTtl_HitsCarryTheStoredTtl()
    {
        using var fixture = new CacheFixture(new CacheOptions { KeepTtl = true });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 30 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");

        fixture.Clock.Advance(TimeSpan.FromSeconds(20));
        var reply = await fixture.QueryAsync("a.example.org.");

        RecordAssert.Response(reply, DnsResponseCode.NoError, ["a.example.org. 30 IN A 10.0.0.1"]);
        Assert.Equal(1, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ServeAsync_NameOutsideZones_PassesThroughUncached()
    {
        using var fixture = new CacheFixture(new CacheOptions { Zones = [DnsName.Parse("example.org.")] });
        fixture.Upstream.Set("a.example.net.", DnsRecordType.A, Canned.NoError("a.example.net. 300 IN A 10.0.0.1"));
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 300 IN A 10.0.0.1"));

        for (var i = 0; i < 2; i++)
        {
            await fixture.QueryAsync("a.example.net.");
            await fixture.QueryAsync("a.example.org.");
        }

        Assert.Equal(2, fixture.Upstream.Calls("a.example.net.", DnsRecordType.A));
        Assert.Equal(1, fixture.Upstream.Calls("a.example.org.", DnsRecordType.A));
        Assert.Equal(2, fixture.Sample("coredns_cache_requests_total", ("zones", "example.org.")));
    }

    [Theory]
    [InlineData("success", "a.example.org.", 2)]
    [InlineData("success", "b.example.org.", 1)]
    [InlineData("denial", "a.example.org.", 1)]
    [InlineData("denial", "b.example.org.", 2)]
    public async Task ServeAsync_DisabledForZone_ThatKindNotCached(string kind, string name, int expectedCalls)
    {
        var zones = new[] { DnsName.Parse("example.org.") };
        var options = kind == "success" ? new CacheOptions { DisabledSuccess = zones } : new CacheOptions { DisabledDenial = zones };
        using var fixture = new CacheFixture(options);
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 300 IN A 10.0.0.1"));

        await fixture.QueryAsync(name);
        await fixture.QueryAsync(name);

        Assert.Equal(expectedCalls, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ServeAsync_UpstreamWritesServfail_CachedForServfailDuration()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, new Canned(DnsResponseCode.ServFail, []));

        await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromSeconds(4));
        var cached = await fixture.QueryAsync("a.example.org.");
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        await fixture.QueryAsync("a.example.org.");

        Assert.Equal(DnsResponseCode.ServFail, cached.ResponseCode);
        Assert.Equal(2, fixture.Upstream.TotalCalls);
        Assert.Equal(1, fixture.Sample("coredns_cache_hits_total", ("type", "denial")));
    }

    [Fact]
    public async Task ServeAsync_ServfailCachingOff_EveryFailureReachesNext()
    {
        using var fixture = new CacheFixture(new CacheOptions { ServfailTtl = TimeSpan.Zero });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, new Canned(DnsResponseCode.ServFail, []));

        await fixture.QueryAsync("a.example.org.");
        await fixture.QueryAsync("a.example.org.");

        Assert.Equal(2, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ServeAsync_NextFailsWithoutWriting_ServerAnswersServfailAndNothingIsCached()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Fail = true;

        var first = await fixture.QueryAsync("a.example.org.");
        var second = await fixture.QueryAsync("a.example.org.");

        Assert.Equal(DnsResponseCode.ServFail, first.ResponseCode);
        Assert.Equal(DnsResponseCode.ServFail, second.ResponseCode);
        Assert.Equal(2, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ServeAsync_NextThrows_ServerAnswersServfailAndNothingIsCached()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Throw = true;

        var reply = await fixture.QueryAsync("a.example.org.");

        Assert.Equal(DnsResponseCode.ServFail, reply.ResponseCode);
        Assert.Equal(0, fixture.Cache.Success.Count + fixture.Cache.Denial.Count);
    }

    [Fact]
    public async Task ServeAsync_NextCompletesAsynchronously_AnswerStillCached()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 300 IN A 10.0.0.1"));
        fixture.Upstream.Gate = Task.Delay(10);

        await fixture.QueryAsync("a.example.org.");
        fixture.Upstream.Gate = null;
        var reply = await fixture.QueryAsync("a.example.org.");

        RecordAssert.Response(reply, DnsResponseCode.NoError, ["a.example.org. 300 IN A 10.0.0.1"]);
        Assert.Equal(1, fixture.Upstream.TotalCalls);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    public async Task ServeAsync_CachedAuthenticData_AdOnlyForClientsThatCanUseIt(bool dnssecOk, bool authenticData, bool expectAd)
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, new Canned(DnsResponseCode.NoError, ["a.example.org. 300 IN A 10.0.0.1"], Flags: DnsHeaderFlags.AD | DnsHeaderFlags.RA));

        var miss = await fixture.QueryAsync("a.example.org.", dnssecOk: dnssecOk, authenticData: authenticData);
        var hit = await fixture.QueryAsync("a.example.org.", dnssecOk: dnssecOk, authenticData: authenticData);

        Assert.Equal(expectAd, (miss.Flags & DnsHeaderFlags.AD) != 0);
        Assert.Equal(expectAd, (hit.Flags & DnsHeaderFlags.AD) != 0);
        Assert.True(hit.RecursionAvailable);
        Assert.False(hit.Authoritative);
    }

    [Fact]
    public async Task ServeAsync_NxDomainThenPositive_OneEntryPerKey()
    {
        using var fixture = new CacheFixture(new CacheOptions { DenialMaxTtl = 10 });
        await fixture.QueryAsync("a.example.org.");
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 300 IN A 10.0.0.1"));
        fixture.Clock.Advance(TimeSpan.FromSeconds(11));

        var reply = await fixture.QueryAsync("a.example.org.");

        RecordAssert.Response(reply, DnsResponseCode.NoError, ["a.example.org. 300 IN A 10.0.0.1"]);
        Assert.Equal(1, fixture.Cache.Success.Count);
        Assert.Equal(0, fixture.Cache.Denial.Count);
    }

    private sealed class WrongQuestionUpstream : Server.DnsHandler
    {
        public int Calls { get; private set; }

        public override string Name => "wrong";

        public override ValueTask<Server.PluginResult> ServeAsync(Server.DnsRequestContext context)
        {
            Calls++;
            context.Response.Questions.Add(new DnsQuestion(DnsName.Parse("b.example.org."), DnsRecordType.A));
            context.Response.Answers.Add(ResourceRecord.Parse("b.example.org. 300 IN A 10.0.0.2"));
            context.WriteResponse(Name);
            return ValueTask.FromResult(Server.PluginResult.Success);
        }
    }
}
