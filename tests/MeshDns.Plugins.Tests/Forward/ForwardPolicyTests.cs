using MeshDns.Plugins.Forward;
using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using MeshDns.Server.Plugins;
using MeshDns.Testing.Upstream;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace MeshDns.Plugins.Tests.Forward;

/// <summary>Which upstream goes first, and the names forward refuses to send anywhere.</summary>
public sealed class ForwardPolicyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sequential_AlwaysFirstUpstream()
    {
        await using var a = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        await using var b = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        await using var host = await ForwardTestHost.StartAsync($"forward . {a.Address} {b.Address} {{\n policy sequential\n}}", output);

        for (var i = 0; i < 6; i++)
        {
            await host.QueryAsync("www.example.org.", DnsRecordType.A);
        }

        Assert.Equal(6, a.ClientQueries.Count);
        Assert.Empty(b.ClientQueries);
    }

    [Fact]
    public async Task RoundRobin_Alternates()
    {
        await using var a = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        await using var b = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        await using var host = await ForwardTestHost.StartAsync($"forward . {a.Address} {b.Address} {{\n policy round_robin\n}}", output);

        for (var i = 0; i < 6; i++)
        {
            await host.QueryAsync("www.example.org.", DnsRecordType.A);
        }

        Assert.Equal(3, a.ClientQueries.Count);
        Assert.Equal(3, b.ClientQueries.Count);
    }

    [Fact]
    public async Task Random_UsesEveryUpstream()
    {
        await using var a = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        await using var b = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        await using var host = await ForwardTestHost.StartAsync($"forward . {a.Address} {b.Address}", output);

        for (var i = 0; i < 40; i++)
        {
            await host.QueryAsync("www.example.org.", DnsRecordType.A);
        }

        Assert.NotEmpty(a.ClientQueries);
        Assert.NotEmpty(b.ClientQueries);
    }

    [Fact]
    public async Task Fastest_PrefersLowerRoundTripTime()
    {
        await using var slow = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.NoError, "www.example.org. 300 IN A 192.0.2.1") with { Delay = TimeSpan.FromMilliseconds(60) });
        await using var fast = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        await using var host = await ForwardTestHost.StartAsync($"forward . {slow.Address} {fast.Address} {{\n policy fastest\n}}", output);

        for (var i = 0; i < 40; i++)
        {
            await host.QueryAsync("www.example.org.", DnsRecordType.A);
        }

        Assert.True(fast.ClientQueries.Count >= 32, $"fast got {fast.ClientQueries.Count} of 40");
        Assert.NotEmpty(slow.ClientQueries);
        // Every sample of the slow upstream is at least its delay, so its estimate is too. The fast one's estimate is not
        // compared with it: one scheduling stall on a loaded machine can lift it for a while, and the share above
        // already shows which one the policy prefers.
        Assert.True(host.Engine.Upstreams[0].SmoothedRtt >= TimeSpan.FromMilliseconds(60), $"slow estimate {host.Engine.Upstreams[0].SmoothedRtt}");
        Assert.NotNull(host.Engine.Upstreams[1].SmoothedRtt);
    }

    [Fact]
    public async Task ServeAsync_NameInAuthoritativeZone_RefusedWithExtendedErrorAndNotForwarded()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        var services = new MeshDnsServices(NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new ServerOptions());
        var registry = new PluginRegistry([new AuthoritativeTestSetup(), new ForwardSetup(null, ForwardTestHost.Fast)]);
        var text = $"cluster.local {{\n file\n}}\n.:5300 {{\n forward . {upstream.Address}\n}}\n";
        var instance = new ServerInstanceBuilder(services, registry).Build(CorefileParser.Parse(text, "Corefile"), text);
        await instance.StartAsync(CancellationToken.None);
        try
        {
            var forward = instance.Blocks.Single(b => b.Zones.Single().IsRoot).Chain;

            var own = await ForwardTestHost.ServeAsync(forward, DnsMessage.CreateQuery(DnsName.Parse("svc.Cluster.Local."), DnsRecordType.A, 7).WithEdns());
            var other = await ForwardTestHost.ServeAsync(forward, DnsMessage.CreateQuery(DnsName.Parse("www.example.org."), DnsRecordType.A, 8));

            Assert.Equal(DnsResponseCode.Refused, own.Response.ResponseCode);
            Assert.Equal("not forwarded: served here by file", own.ExtendedErrorText);
            Assert.Equal(DnsResponseCode.NoError, other.Response.ResponseCode);
            Assert.DoesNotContain(upstream.ClientQueries, q => q.Name.EndsWith("cluster.local.", StringComparison.Ordinal));
        }
        finally
        {
            await instance.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task ServeAsync_DisabledByLoop_ServFailWithExtendedError()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        var guard = new ForwardLoopGuard();
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output, guard: guard);
        var probe = DnsName.Parse("123.456.");
        guard.SetProbe(probe);
        await host.QueryAsync("123.456.", DnsRecordType.HINFO);

        var disabled = guard.DisableLooping();
        var result = await ForwardTestHost.ServeAsync(host.Handler, DnsMessage.CreateQuery(DnsName.Parse("www.example.org."), DnsRecordType.A, 9).WithEdns());

        Assert.Same(host.Engine, Assert.Single(disabled));
        Assert.Equal(DnsResponseCode.ServFail, result.Response.ResponseCode);
        Assert.Equal("forwarding loop detected; forward disabled", result.ExtendedErrorText);
        Assert.Contains("forwarding loop detected", result.Result.Error!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(upstream.ClientQueries, q => q.Name == "www.example.org.");
    }

    /// <summary>Plays a plugin that is authoritative for its block's zones (kubernetes, file).</summary>
    private sealed class AuthoritativeTestSetup : IPluginSetup
    {
        public string Name => "file";

        public void Setup(PluginSetupContext context)
        {
            foreach (var zone in context.Block.Zones)
            {
                context.AddAuthoritativeZone(zone);
            }

            context.AddHandler(next => next);
        }
    }
}

internal static class DnsMessageTestExtensions
{
    public static DnsMessage WithEdns(this DnsMessage message)
    {
        message.EnableEdns();
        return message;
    }
}
