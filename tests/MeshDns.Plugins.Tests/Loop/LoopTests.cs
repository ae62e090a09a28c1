using System.Net;
using MeshDns.Plugins.Forward;
using MeshDns.Plugins.Loop;
using MeshDns.Plugins.Tests.Forward;
using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using MeshDns.Server.Plugins;
using MeshDns.Testing.Upstream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace MeshDns.Plugins.Tests.Loop;

public sealed class LoopTests(ITestOutputHelper output)
{
    [Fact]
    public void Probe_Name_IsTwoRandomLabelsUnderZone()
    {
        var guard = new ForwardLoopGuard();
        using var a = new LoopProbe(DnsName.Parse("example.org."), guard, NullLogger.Instance, TimeProvider.System, LoopTimings.Default);
        using var b = new LoopProbe(DnsName.Root, guard, NullLogger.Instance, TimeProvider.System, LoopTimings.Default);

        Assert.Equal(4, a.Name.LabelCount);
        Assert.True(a.Name.IsSubdomainOf(DnsName.Parse("example.org.")));
        Assert.Equal(2, b.Name.LabelCount);
        Assert.All(new[] { a.Name.GetLabel(0).ToArray(), a.Name.GetLabel(1).ToArray() }, label => Assert.All(label, c => Assert.InRange(c, (byte)'0', (byte)'9')));
    }

    [Fact]
    public async Task Handler_ProbeSeenThreeTimes_DisablesForwardThatSentItAndLogsError()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync("www.example.org. 300 IN A 192.0.2.1");
        var guard = new ForwardLoopGuard();
        await using var looping = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output, guard: guard);
        await using var bystander = await ForwardTestHost.StartAsync($"forward example.net {upstream.Address}", output, guard: guard);
        var logs = new CapturingLoggerProvider();
        using var probe = new LoopProbe(DnsName.Root, guard, logs.CreateLogger("plugin/loop"), TimeProvider.System, LoopTimings.Default);
        var handler = new LoopHandler(looping.Handler, probe);

        for (var i = 0; i < 2; i++)
        {
            await ForwardTestHost.ServeAsync(handler, DnsMessage.CreateQuery(probe.Name, DnsRecordType.HINFO, 1));
        }

        Assert.False(probe.LoopDetected);
        Assert.False(looping.Engine.IsDisabledByLoop);
        await ForwardTestHost.ServeAsync(handler, DnsMessage.CreateQuery(probe.Name, DnsRecordType.HINFO, 1));

        Assert.True(probe.LoopDetected);
        Assert.True(looping.Engine.IsDisabledByLoop);
        Assert.False(bystander.Engine.IsDisabledByLoop);
        var error = Assert.Single(logs.At(LogLevel.Error));
        Assert.Contains($"Loop (\"HINFO IN {probe.Name}\") detected", error, StringComparison.Ordinal);
        Assert.Contains($"forward to {upstream.Address} is disabled", error, StringComparison.Ordinal);
        var after = await ForwardTestHost.ServeAsync(handler, DnsMessage.CreateQuery(DnsName.Parse("www.example.org."), DnsRecordType.A, 2));
        Assert.Equal(DnsResponseCode.ServFail, after.Response.ResponseCode);
    }

    [Fact]
    public async Task Handler_OtherQueries_NotCounted()
    {
        var guard = new ForwardLoopGuard();
        using var probe = new LoopProbe(DnsName.Root, guard, NullLogger.Instance, TimeProvider.System, LoopTimings.Default);
        var handler = new LoopHandler(new MarkerHandler("next"), probe);

        await ForwardTestHost.ServeAsync(handler, DnsMessage.CreateQuery(probe.Name, DnsRecordType.A, 1));
        await ForwardTestHost.ServeAsync(handler, DnsMessage.CreateQuery(DnsName.Parse("other.example."), DnsRecordType.HINFO, 1));

        Assert.Equal(0, probe.Seen);
    }

    [Fact]
    public void FindTarget_WildcardListener_UsesLoopback()
    {
        var endpoints = new Dictionary<string, IReadOnlyList<IPEndPoint>>
        {
            ["dns://:1053"] = [new IPEndPoint(IPAddress.Any, 1053), new IPEndPoint(IPAddress.IPv6Any, 1053)],
            ["dns://127.0.0.2:53"] = [new IPEndPoint(IPAddress.Parse("127.0.0.2"), 53)],
        };

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 1053), LoopSetup.FindTarget(endpoints, [], 1053));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 53), LoopSetup.FindTarget(endpoints, [IPAddress.Parse("127.0.0.2")], 53));
        Assert.Null(LoopSetup.FindTarget(endpoints, [], 53));
    }

    [Theory]
    [InlineData(". {\n loop x\n}", "Wrong argument count or unexpected line ending after 'x'")]
    [InlineData(". {\n loop\n loop\n}", "this plugin can only be used once per Server Block")]
    public void Setup_BadInput_ReportsError(string corefile, string expected)
    {
        var services = new MeshDnsServices(NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new ServerOptions());
        var builder = new ServerInstanceBuilder(services, new PluginRegistry([new LoopSetup()]));

        var error = Assert.Throws<CorefileException>(() => builder.Build(CorefileParser.Parse(corefile, "Corefile"), corefile));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
