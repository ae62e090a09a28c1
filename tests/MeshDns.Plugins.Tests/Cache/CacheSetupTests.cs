using MeshDns.Plugins.Cache;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Tests.Cache;

/// <summary>The <c>cache</c> directive: CoreDNS's syntax, defaults and error texts.</summary>
public sealed class CacheSetupTests
{
    [Fact]
    public void Setup_Bare_CoreDnsDefaults()
    {
        var options = Options("cache");

        Assert.Equal(3600u, options.SuccessMaxTtl);
        Assert.Equal(1800u, options.DenialMaxTtl);
        Assert.Equal(5u, options.SuccessMinTtl);
        Assert.Equal(5u, options.DenialMinTtl);
        Assert.Equal(9984, CacheOptions.EffectiveCapacity(options.SuccessCapacity));
        Assert.Equal(9984, CacheOptions.EffectiveCapacity(options.DenialCapacity));
        Assert.Equal(TimeSpan.FromSeconds(5), options.ServfailTtl);
        Assert.Equal(0, options.PrefetchAmount);
        Assert.Equal(TimeSpan.Zero, options.ServeStale);
        Assert.False(options.KeepTtl);
        Assert.Equal(["example.org."], options.Zones.Select(z => z.ToString()));
    }

    [Fact]
    public void Setup_TtlAndZones_BothTablesCappedAndZonesNormalised()
    {
        var options = Options("cache 30 Sub.Example.ORG example.net");

        Assert.Equal(30u, options.SuccessMaxTtl);
        Assert.Equal(30u, options.DenialMaxTtl);
        Assert.Equal(["sub.example.org.", "example.net."], options.Zones.Select(z => z.ToString()));
    }

    [Fact]
    public void Setup_EveryOption_Parsed()
    {
        var options = Options("""
            cache 300 {
                success 5000 600 30
                denial 2500 60 1
                prefetch 10 2m 25%
                serve_stale 24h verify
                servfail 10s
                disable success internal.example.org
                disable success other.example.org
                disable denial
                keepttl
            }
            """);

        Assert.Equal((5000, 600u, 30u), (options.SuccessCapacity, options.SuccessMaxTtl, options.SuccessMinTtl));
        Assert.Equal((2500, 60u, 1u), (options.DenialCapacity, options.DenialMaxTtl, options.DenialMinTtl));
        Assert.Equal((10, TimeSpan.FromMinutes(2), 25), (options.PrefetchAmount, options.PrefetchDuration, options.PrefetchPercentage));
        Assert.Equal((TimeSpan.FromHours(24), true), (options.ServeStale, options.VerifyStale));
        Assert.Equal(TimeSpan.FromSeconds(10), options.ServfailTtl);
        Assert.Equal(["internal.example.org.", "other.example.org."], options.DisabledSuccess.Select(z => z.ToString()));
        Assert.Equal([DnsName.Root], options.DisabledDenial);
        Assert.True(options.KeepTtl);
    }

    [Theory]
    [InlineData("serve_stale", 3600, false)]
    [InlineData("serve_stale 10m", 600, false)]
    [InlineData("serve_stale 10m immediate", 600, false)]
    [InlineData("serve_stale 0s VERIFY", 0, true)]
    public void Setup_ServeStale_DurationAndMode(string line, int seconds, bool verify)
    {
        var options = Options($"cache {{\n{line}\n}}");

        Assert.Equal(TimeSpan.FromSeconds(seconds), options.ServeStale);
        Assert.Equal(verify, options.VerifyStale);
    }

    [Theory]
    [InlineData("cache 0", "cache TTL can not be zero or negative: 0")]
    [InlineData("cache -5", "cache TTL can not be zero or negative: -5")]
    [InlineData("cache {\nsuccess\n}", "Wrong argument count")]
    [InlineData("cache {\nsuccess many\n}", "invalid integer 'many'")]
    [InlineData("cache {\nsuccess -1\n}", "out of range")]
    [InlineData("cache {\nsuccess 100 0\n}", "cache TTL can not be zero or negative: 0")]
    [InlineData("cache {\ndenial 100 10 -1\n}", "cache min TTL can not be negative: -1")]
    [InlineData("cache {\ndenial 1 2 3 4\n}", "Wrong argument count")]
    [InlineData("cache {\nprefetch\n}", "Wrong argument count")]
    [InlineData("cache {\nprefetch -1\n}", "prefetch amount should be positive: -1")]
    [InlineData("cache {\nprefetch 1 soon\n}", "invalid duration")]
    [InlineData("cache {\nprefetch 1 1m 50\n}", "last character of percentage should be `%`")]
    [InlineData("cache {\nprefetch 1 1m 5%\n}", "percentage should fall in range [10, 90]: 5")]
    [InlineData("cache {\nprefetch 1 1m 91%\n}", "percentage should fall in range [10, 90]: 91")]
    [InlineData("cache {\nserve_stale -1s\n}", "invalid negative duration for serve_stale")]
    [InlineData("cache {\nserve_stale 1h sometimes\n}", "invalid value for serve_stale refresh mode: sometimes")]
    [InlineData("cache {\nserve_stale 1h verify extra\n}", "Wrong argument count")]
    [InlineData("cache {\nservfail\n}", "Wrong argument count")]
    [InlineData("cache {\nservfail -1s\n}", "invalid negative ttl for servfail")]
    [InlineData("cache {\nservfail 6m\n}", "caching SERVFAIL responses over 5 minutes is not permitted")]
    [InlineData("cache {\ndisable\n}", "Wrong argument count")]
    [InlineData("cache {\ndisable everything\n}", "cache type for disable must be \"success\" or \"denial\"")]
    [InlineData("cache {\nkeepttl forever\n}", "Wrong argument count")]
    [InlineData("cache {\nprefetch_all\n}", "unknown property 'prefetch_all'")]
    [InlineData("cache\ncache", "this plugin can only be used once per Server Block")]
    public void Setup_BadInput_ClearErrorAtTheLine(string directive, string expected)
    {
        var message = CorefileHarness.Error($"example.org {{\n{directive}\n}}");

        Assert.Contains("plugin/cache", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Setup_SeveralErrors_AllReported()
    {
        var message = CorefileHarness.Error("example.org {\ncache {\nsuccess x\nprefetch -1\nservfail 1h\n}\n}");

        Assert.Contains("Corefile:3", message, StringComparison.Ordinal);
        Assert.Contains("Corefile:4", message, StringComparison.Ordinal);
        Assert.Contains("Corefile:5", message, StringComparison.Ordinal);
    }

    private static CacheOptions Options(string directive) =>
        CorefileHarness.FirstHandler<CacheHandler>($"example.org {{\n{directive}\n}}").Cache.Options;
}
