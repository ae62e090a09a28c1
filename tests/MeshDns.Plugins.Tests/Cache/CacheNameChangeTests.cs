using MeshDns.Protocol;
using MeshDns.Server.Hosting;
using MeshDns.Testing.Dns;

namespace MeshDns.Plugins.Tests.Cache;

/// <summary>
/// MeshDns beyond CoreDNS: when a data source publishes changed names, cached answers for them are dropped at once,
/// so a new StatefulSet member resolves immediately (kubernetes/kubernetes#92559).
/// </summary>
public sealed class CacheNameChangeTests
{
    private const string Member = "web-3.web.shop.svc.cluster.local.";

    [Fact]
    public async Task NameChange_NegativeEntryForChangedName_DroppedAndNewNameResolves()
    {
        using var fixture = new CacheFixture();
        var missing = await fixture.QueryAsync(Member);
        fixture.Upstream.Set(Member, DnsRecordType.A, Canned.NoError($"{Member} 5 IN A 10.4.0.3"));

        fixture.Feed.Publish(new NameChange([DnsName.Parse(Member)], []));
        var found = await fixture.QueryAsync(Member);

        Assert.Equal(DnsResponseCode.NXDomain, missing.ResponseCode);
        RecordAssert.Response(found, DnsResponseCode.NoError, [$"{Member} 5 IN A 10.4.0.3"]);
        Assert.Equal(2, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task NameChange_PositiveEntryForChangedName_AlsoDropped()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.Set(Member, DnsRecordType.A, Canned.NoError($"{Member} 30 IN A 10.4.0.3"));
        await fixture.QueryAsync(Member);
        fixture.Upstream.Set(Member, DnsRecordType.A, Canned.NxDomain(StubUpstream.DefaultSoa));

        fixture.Feed.Publish(new NameChange([DnsName.Parse(Member.ToUpperInvariant())], []));
        var gone = await fixture.QueryAsync(Member);

        Assert.Equal(DnsResponseCode.NXDomain, gone.ResponseCode);
    }

    [Fact]
    public async Task NameChange_Subtree_DropsEveryNameBelowAndKeepsOthers()
    {
        using var fixture = new CacheFixture();
        string[] below = ["web.shop.svc.cluster.local.", "_http._tcp.web.shop.svc.cluster.local.", Member];
        foreach (var name in below.Append("db.shop.svc.cluster.local."))
        {
            await fixture.QueryAsync(name);
        }

        fixture.Feed.Publish(new NameChange([], [DnsName.Parse("web.shop.svc.cluster.local.")]));
        foreach (var name in below.Append("db.shop.svc.cluster.local."))
        {
            await fixture.QueryAsync(name);
        }

        Assert.All(below, name => Assert.Equal(2, fixture.Upstream.Calls(name, DnsRecordType.A)));
        Assert.Equal(1, fixture.Upstream.Calls("db.shop.svc.cluster.local.", DnsRecordType.A));
    }

    [Fact]
    public async Task NameChange_DuringMissForThatName_AnswerNotStored()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.During = () => fixture.Feed.Publish(new NameChange([DnsName.Parse(Member)], []));

        await fixture.QueryAsync(Member);
        fixture.Upstream.During = null;
        await fixture.QueryAsync(Member);

        Assert.Equal(2, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task NameChange_DuringMissForAnotherName_AnswerStored()
    {
        using var fixture = new CacheFixture();
        fixture.Upstream.During = () => fixture.Feed.Publish(new NameChange([DnsName.Parse("other.example.org.")], []));

        await fixture.QueryAsync(Member);
        fixture.Upstream.During = null;
        await fixture.QueryAsync(Member);

        Assert.Equal(1, fixture.Upstream.TotalCalls);
    }

    [Fact]
    public async Task NameChange_AfterStop_NoLongerObserved()
    {
        var fixture = new CacheFixture();
        await fixture.QueryAsync(Member);
        fixture.Dispose();

        fixture.Feed.Publish(new NameChange([DnsName.Parse(Member)], []));

        Assert.Equal(1, fixture.Cache.Denial.Count);
    }
}
