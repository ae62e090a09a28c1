using MeshDns.Plugins.Cache;
using MeshDns.Protocol;
using MeshDns.Server;
using Microsoft.Extensions.Logging.Abstractions;
using MeshDns.Testing.Allocation;

namespace MeshDns.Plugins.Tests.Cache;

/// <summary>A cache hit is on the path of nearly every query: it must allocate nothing.</summary>
public sealed class CacheAllocationTests
{
    private const int Iterations = 20_000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServeAsync_Hit_AllocatesNothing(bool withEdns)
    {
        using var fixture = new CacheFixture(new CacheOptions { PrefetchAmount = 10 });
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 300 IN A 10.0.0.1", "a.example.org. 300 IN A 10.0.0.2"));
        var query = CacheFixture.CreateQuery("A.example.ORG.", DnsRecordType.A, edns: withEdns).ToArray();
        await fixture.QueryAsync(CacheFixture.CreateQuery("a.example.org.", DnsRecordType.A, edns: withEdns));
        var context = new DnsRequestContext();

        void Hit()
        {
            context.Load(query, DnsTransport.Udp);
            var pending = fixture.Handler.ServeAsync(context);
            if (!pending.IsCompletedSuccessfully || !context.IsResponseWritten)
            {
                throw new InvalidOperationException("not a synchronous hit");
            }
        }

        Assert.Equal(0, AllocationMeter.BytesPerRound(Hit, callsPerRound: Iterations));
        Assert.Equal(1, fixture.Upstream.TotalCalls);
        Assert.Equal(2, context.Response.Answers.Count);
    }

    [Fact]
    public async Task ProcessAsync_HitThroughTheServerPipeline_AllocatesNothing()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Set("a.example.org.", DnsRecordType.A, Canned.NoError("a.example.org. 300 IN A 10.0.0.1"));
        await fixture.QueryAsync("a.example.org.");
        var block = new ServerBlockRuntime("dns://.:53", [DnsName.Root], fixture.Handler, ["cache"]);
        var processor = new RequestProcessor(CacheFixture.Server, new ZoneRouter([block]), NullLogger.Instance);
        var query = CacheFixture.CreateQuery("a.example.org.", DnsRecordType.A).ToArray();
        var context = new DnsRequestContext();
        var buffer = new byte[1232];

        int Process()
        {
            var pending = processor.ProcessAsync(context, query, DnsTransport.Udp, buffer);
            return pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("not synchronous");
        }

        var length = 0;

        Assert.Equal(0, AllocationMeter.BytesPerRound(() => length = Process(), callsPerRound: Iterations));
        Assert.True(length > 0);
        Assert.Equal(1, fixture.Upstream.TotalCalls);
    }
}
