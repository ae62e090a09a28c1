using System.Net;
using MeshDns.Plugins.Forward;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Upstream;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace MeshDns.Plugins.Tests.Forward;

/// <summary>MeshDns extension: an upstream named by host name (an NLB's DNS name), re-resolved as its TTL says.</summary>
public sealed class ForwardHostNameTests(ITestOutputHelper output)
{
    private const string Nlb = "nlb-peer.elb.example.com";

    [Fact]
    public async Task ServeAsync_HostNameChangesAddress_QueriesFollow()
    {
        await using var first = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.2");
        await using var second = await FakeUpstreamServer.StartAsync(FakeUpstreamServer.ZoneHandler("www.example.org. 300 IN A 192.0.2.3"), address: IPAddress.Parse("127.0.0.3"), port: first.Endpoint.Port);
        var resolver = new FakeHostResolver { Current = new HostAddresses([IPAddress.Loopback], TimeSpan.Zero) };
        await using var host = await ForwardTestHost.StartAsync($"forward . {Nlb}:{first.Endpoint.Port}", output, resolver: resolver);

        RecordAssert.Response((await host.QueryAsync("www.example.org.", DnsRecordType.A)).Response, DnsResponseCode.NoError, ["www.example.org. 300 IN A 192.0.2.2"]);
        resolver.Current = new HostAddresses([IPAddress.Parse("127.0.0.3")], TimeSpan.Zero);
        await ForwardFaultTests.WaitUntilAsync(() => host.Engine.Upstreams[0].Endpoints.Single().Address.Equals(IPAddress.Parse("127.0.0.3")));

        RecordAssert.Response((await host.QueryAsync("www.example.org.", DnsRecordType.A)).Response, DnsResponseCode.NoError, ["www.example.org. 300 IN A 192.0.2.3"]);
        Assert.Equal($"{Nlb}:{first.Endpoint.Port}", host.Engine.Upstreams[0].Label);
        Assert.Contains(host.Logs.At(LogLevel.Information), m => m.Contains("now resolves to [127.0.0.3]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServeAsync_HostNameStopsResolving_KeepsLastAddressesAndWarnsOnce()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.2");
        var resolver = new FakeHostResolver { Current = new HostAddresses([IPAddress.Loopback], TimeSpan.Zero) };
        await using var host = await ForwardTestHost.StartAsync($"forward . {Nlb}:{upstream.Endpoint.Port}", output, resolver: resolver);

        resolver.Failure = new UpstreamException(UpstreamFailure.NoAddress, "NXDOMAIN");
        var calls = resolver.Calls;
        await ForwardFaultTests.WaitUntilAsync(() => resolver.Calls >= calls + 3);

        RecordAssert.Response((await host.QueryAsync("www.example.org.", DnsRecordType.A)).Response, DnsResponseCode.NoError, ["www.example.org. 300 IN A 192.0.2.2"]);
        Assert.Single(host.Logs.At(LogLevel.Warning), m => m.Contains("does not resolve (NXDOMAIN); keeping its 1 last known addresses", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServeAsync_HostNameNeverResolved_ServFailNoAddress()
    {
        var resolver = new FakeHostResolver { Failure = new UpstreamException(UpstreamFailure.NoAddress, "NXDOMAIN") };
        await using var host = await ForwardTestHost.StartAsync($"forward . {Nlb}", output, resolver: resolver, timeouts: ForwardTestHost.Fast with { InitialResolve = TimeSpan.FromMilliseconds(100) });

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.Equal($"plugin/forward: no address for {Nlb}", result.Result.Error!.ToString());
    }

    [Fact]
    public async Task Resolve_HonoursTtl_NotAskedAgainBeforeItExpires()
    {
        var resolver = new FakeHostResolver { Current = new HostAddresses([IPAddress.Loopback], TimeSpan.FromSeconds(30)) };
        await using var host = await ForwardTestHost.StartAsync($"forward . {Nlb}", output, resolver: resolver);

        await Task.Delay(400);

        Assert.Equal(1, resolver.Calls);
    }

    [Fact]
    public async Task DnsUpstreamHostResolver_FollowsCnameAndTakesSmallestTtl()
    {
        await using var dns = await FakeUpstreamServer.StartAsync(q => q.Name switch
        {
            "nlb.example.com." when q.Type == DnsRecordType.A => FakeReply.For(q, DnsResponseCode.NoError,
                "nlb.example.com. 300 IN CNAME nlb-1.elb.example.com.", "nlb-1.elb.example.com. 60 IN A 192.0.2.10", "nlb-1.elb.example.com. 60 IN A 192.0.2.11"),
            "nlb.example.com." => FakeReply.For(q, DnsResponseCode.NoError,
                "nlb.example.com. 300 IN CNAME nlb-1.elb.example.com.", "nlb-1.elb.example.com. 30 IN AAAA 2001:db8::10"),
            _ => FakeReply.For(q, DnsResponseCode.NXDomain),
        });
        var resolver = new DnsUpstreamHostResolver([dns.Endpoint], TimeSpan.FromSeconds(1));

        var result = await resolver.ResolveAsync("nlb.example.com", CancellationToken.None);

        Assert.Equal(["192.0.2.10", "192.0.2.11", "2001:db8::10"], result.Addresses.Select(a => a.ToString()));
        Assert.Equal(TimeSpan.FromSeconds(30), result.Ttl);
        var missing = await Assert.ThrowsAsync<UpstreamException>(async () => await resolver.ResolveAsync("gone.example.com", CancellationToken.None));
        Assert.Contains("has no address (NXDOMAIN)", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeAsync_HostNameThroughResolverOption_ForwardsToResolvedAddress()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.2");
        await using var dns = await FakeUpstreamServer.StartAsync(q => q.Type == DnsRecordType.A
            ? FakeReply.For(q, DnsResponseCode.NoError, $"{Nlb}. 5 IN A 127.0.0.1")
            : FakeReply.For(q));
        await using var host = await ForwardTestHost.StartAsync($"forward . {Nlb}:{upstream.Endpoint.Port} {{\n resolver {dns.Address}\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, ["www.example.org. 300 IN A 192.0.2.2"]);
    }

    private sealed class FakeHostResolver : IUpstreamHostResolver
    {
        private int _calls;

        public volatile HostAddresses? Current;

        public volatile Exception? Failure;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<HostAddresses> ResolveAsync(string hostName, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Failure is { } failure)
            {
                throw failure;
            }

            return ValueTask.FromResult(Current ?? throw new UpstreamException(UpstreamFailure.NoAddress, "no answer"));
        }
    }
}
