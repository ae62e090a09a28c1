using System.Diagnostics;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Upstream;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace MeshDns.Plugins.Tests.Forward;

/// <summary>Upstreams that are down, slow, wrong or broken: forward must fail over, time out, or SERVFAIL honestly.</summary>
public sealed class ForwardFaultTests(ITestOutputHelper output)
{
    private const string Www = "www.example.org. 300 IN A 192.0.2.1";

    [Fact]
    public async Task ServeAsync_OnlyUpstreamDown_ServFailWithNetworkError()
    {
        var dead = await DeadAddressAsync();
        await using var host = await ForwardTestHost.StartAsync($"forward . {dead}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.False(result.Written);
        Assert.Contains("connection refused", result.Result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(DnsResponseCode.ServFail, result.Response.ResponseCode);
    }

    [Fact]
    public async Task ServeAsync_FirstUpstreamDown_NextOneAnswers()
    {
        var dead = await DeadAddressAsync();
        await using var good = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {dead} {good.Address} {{\n policy sequential\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
    }

    [Fact]
    public async Task ServeAsync_SlowUpstream_TimesOutAndNextAnswers()
    {
        await using var slow = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.NoError, "www.example.org. 300 IN A 192.0.2.99") with { Delay = TimeSpan.FromSeconds(2) });
        await using var good = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {slow.Address} {good.Address} {{\n policy sequential\n}}", output);

        var watch = Stopwatch.StartNew();
        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(950), TimeSpan.FromMilliseconds(1900));
    }

    [Fact]
    public async Task ServeAsync_SlowOnlyUpstream_ServFailWithinRequestDeadline()
    {
        await using var slow = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q) with { Delay = TimeSpan.FromSeconds(3) });
        await using var host = await ForwardTestHost.StartAsync($"forward . {slow.Address}", output);

        var watch = Stopwatch.StartNew();
        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.Contains("i/o timeout", result.Result.Error!.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.9), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task ServeAsync_GarbageReply_IgnoredAndNextAnswers()
    {
        await using var garbage = await FakeUpstreamServer.StartAsync(_ => new FakeReply { Raw = [0xde, 0xad, 0xbe, 0xef, 1, 2, 3] });
        await using var good = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {garbage.Address} {good.Address} {{\n policy sequential\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
    }

    [Fact]
    public async Task ServeAsync_MatchingHeaderWithBrokenBody_MalformedIsAFailure()
    {
        await using var broken = await FakeUpstreamServer.StartAsync(q =>
        {
            var bytes = FakeReply.For(q, DnsResponseCode.NoError, Www).Message!.ToArray();
            return new FakeReply { Raw = bytes[..^3] }; // right ID and question, record cut short
        });
        await using var host = await ForwardTestHost.StartAsync($"forward . {broken.Address}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.Contains("malformed reply", result.Result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeAsync_SpoofedRepliesFirst_OnlyTheMatchingOneIsAccepted()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(q =>
        {
            var genuine = FakeReply.For(q, DnsResponseCode.NoError, Www);
            var wrongId = FakeReply.WithId(FakeReply.For(q, DnsResponseCode.NoError, "www.example.org. 300 IN A 203.0.113.66"), (ushort)(q.Message.Id ^ 0x5a5a));
            var otherQuestion = DnsMessage.CreateResponse(DnsMessage.CreateQuery(DnsName.Parse("evil.example."), DnsRecordType.A, q.Message.Id));
            otherQuestion.Answers.Add(ResourceRecord.Parse("evil.example. 300 IN A 203.0.113.67"));
            return genuine with { Before = [wrongId, otherQuestion.ToArray()] };
        });
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
    }

    [Fact]
    public async Task ServeAsync_OnlyWrongIdOrQuestion_TimesOutToServFail()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(q =>
            new FakeReply { Raw = FakeReply.WithId(FakeReply.For(q, DnsResponseCode.NoError, "www.example.org. 300 IN A 203.0.113.66"), (ushort)(q.Message.Id + 1)) });
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.Empty(result.Response.Answers);
    }

    [Fact]
    public async Task ServeAsync_TcpWrongQuestionWithOurId_IsAFailure()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(q =>
        {
            var other = DnsMessage.CreateResponse(DnsMessage.CreateQuery(DnsName.Parse("evil.example."), DnsRecordType.A, q.Message.Id));
            return new FakeReply { Message = other };
        });
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A, DnsTransport.Tcp);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.Contains("does not answer the question", result.Result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeAsync_TcpClosedMidMessage_NextUpstreamAnswers()
    {
        await using var breaking = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.NoError, Www) with { CloseMidMessage = true });
        await using var good = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {breaking.Address} {good.Address} {{\n policy sequential\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A, DnsTransport.Tcp);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
        Assert.Single(breaking.ClientQueries);
    }

    [Fact]
    public async Task ServeAsync_TcpClosedMidMessageOnly_ServFailSaysSo()
    {
        await using var breaking = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.NoError, Www) with { CloseMidMessage = true });
        await using var host = await ForwardTestHost.StartAsync($"forward . {breaking.Address}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A, DnsTransport.Tcp);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.Contains("in the middle of a message", result.Result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(0, host.Engine.Upstreams[0].IdleConnections);
    }

    [Fact]
    public async Task HealthCheck_DeadUpstream_MarkedDownAfterMaxFailsAndSkipped()
    {
        await using var blackhole = await FakeUpstreamServer.StartAsync(_ => FakeReply.Nothing);
        await using var good = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {blackhole.Address} {good.Address} {{\n policy sequential\n max_fails 1\n health_check 50ms\n}}", output);

        await host.QueryAsync("www.example.org.", DnsRecordType.A);
        await WaitUntilAsync(() => host.Engine.Upstreams[0].IsDown);
        var before = blackhole.ClientQueries.Count;
        var watch = Stopwatch.StartNew();
        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
        Assert.Equal(before, blackhole.ClientQueries.Count);
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(250), $"a down upstream must not be waited for ({watch.Elapsed})");
        Assert.Contains(blackhole.Queries, q => q.Type == DnsRecordType.NS && q.Question.Name.IsRoot);
        Assert.True(host.Metrics.Counter("coredns_proxy_healthcheck_failures_total", "Counter of the number of failed healthchecks.", "proxy_name", "to").WithLabels("forward", blackhole.Address).Value >= 2);
        Assert.Contains(host.Logs.At(LogLevel.Warning), m => m.Contains($"Upstream {blackhole.Address} is down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HealthCheck_UpstreamComesBack_MarkedUpAgain()
    {
        await using var flaky = await FakeUpstreamServer.StartZoneAsync(Www);
        var address = flaky.Address;
        await flaky.StopAsync();
        await using var host = await ForwardTestHost.StartAsync($"forward . {address} {{\n max_fails 1\n health_check 50ms\n}}", output);

        await host.QueryAsync("www.example.org.", DnsRecordType.A);
        await WaitUntilAsync(() => host.Engine.Upstreams[0].IsDown);
        await flaky.StartAsync();
        await WaitUntilAsync(() => !host.Engine.Upstreams[0].IsDown);
        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
    }

    [Fact]
    public async Task ServeAsync_AllUpstreamsDown_OneRandomTryThenServFail()
    {
        await using var a = await FakeUpstreamServer.StartAsync(_ => FakeReply.Nothing);
        await using var b = await FakeUpstreamServer.StartAsync(_ => FakeReply.Nothing);
        await using var host = await ForwardTestHost.StartAsync($"forward . {a.Address} {b.Address} {{\n max_fails 1\n health_check 50ms\n}}", output);
        await host.QueryAsync("www.example.org.", DnsRecordType.A);
        await WaitUntilAsync(() => host.Engine.Upstreams.All(u => u.IsDown));
        var before = a.ClientQueries.Count + b.ClientQueries.Count;

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.Equal(before + 1, a.ClientQueries.Count + b.ClientQueries.Count);
        Assert.True(host.Engine.Metrics.HealthcheckBroken.Value >= 1);
    }

    [Fact]
    public async Task ServeAsync_AllDownWithFailFast_ServFailWithoutTrying()
    {
        await using var a = await FakeUpstreamServer.StartAsync(_ => FakeReply.Nothing);
        await using var host = await ForwardTestHost.StartAsync($"forward . {a.Address} {{\n max_fails 1\n health_check 50ms\n failfast_all_unhealthy_upstreams\n}}", output);
        await host.QueryAsync("www.example.org.", DnsRecordType.A);
        await WaitUntilAsync(() => host.Engine.Upstreams[0].IsDown);
        var before = a.ClientQueries.Count;

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.Equal("plugin/forward: no healthy proxies", result.Result.Error!.ToString());
        Assert.Equal(before, a.ClientQueries.Count);
    }

    [Fact]
    public async Task ServeAsync_MaxConcurrent_RefusesBeyondLimit()
    {
        await using var slow = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.NoError, Www) with { Delay = TimeSpan.FromMilliseconds(200) });
        await using var host = await ForwardTestHost.StartAsync($"forward . {slow.Address} {{\n max_concurrent 3\n}}", output);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => host.QueryAsync("www.example.org.", DnsRecordType.A)));

        Assert.Equal(3, results.Count(r => r.Response.ResponseCode == DnsResponseCode.NoError));
        var refused = results.Where(r => r.Response.ResponseCode == DnsResponseCode.Refused).ToArray();
        Assert.Equal(5, refused.Length);
        Assert.All(refused, r => Assert.Equal("plugin/forward: concurrent queries exceeded maximum 3", r.Result.Error!.ToString()));
        Assert.Equal(5, host.Engine.Metrics.MaxConcurrentRejects.Value);
    }

    [Fact]
    public async Task ServeAsync_FloodForDeadUpstream_WorkIsBounded()
    {
        await using var blackhole = await FakeUpstreamServer.StartAsync(_ => FakeReply.Nothing);
        await using var host = await ForwardTestHost.StartAsync($"forward . {blackhole.Address} {{\n max_concurrent 10\n}}", output);

        var watch = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => host.QueryAsync("www.example.org.", DnsRecordType.A)));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"flood took {watch.Elapsed}");
        Assert.All(results, r => Assert.Contains(r.Response.ResponseCode, new[] { DnsResponseCode.ServFail, DnsResponseCode.Refused }));
        Assert.True(results.Count(r => r.Response.ResponseCode == DnsResponseCode.Refused) >= 250);

        // At most max_concurrent queries in flight, each making at most two passes over the one upstream.
        Assert.InRange(blackhole.ClientQueries.Count, 1, 10 * ForwardHandlerPasses);
    }

    private const int ForwardHandlerPasses = MeshDns.Plugins.Forward.ForwardHandler.MaxPasses;

    [Fact]
    public async Task ServeAsync_Failover_ServFailTriesNextUpstream()
    {
        await using var failing = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.ServFail));
        await using var good = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {failing.Address} {good.Address} {{\n policy sequential\n failover SERVFAIL REFUSED\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
        Assert.Single(failing.ClientQueries);
    }

    [Fact]
    public async Task ServeAsync_FailoverEveryUpstreamFails_LastAnswerRelayed()
    {
        await using var a = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.ServFail));
        await using var b = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.Refused));
        await using var host = await ForwardTestHost.StartAsync($"forward . {a.Address} {b.Address} {{\n policy sequential\n failover SERVFAIL REFUSED\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.Refused, result.Response.ResponseCode);
        Assert.True(result.Written);
        Assert.Single(a.ClientQueries);
        Assert.Single(b.ClientQueries);
    }

    [Fact]
    public async Task ServeAsync_WithoutFailover_ServFailAnswerIsRelayed()
    {
        await using var failing = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.ServFail));
        await using var good = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {failing.Address} {good.Address} {{\n policy sequential\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, result.Response.ResponseCode);
        Assert.Empty(good.ClientQueries);
    }

    [Fact]
    public async Task ServeAsync_NextRcode_HandsQueryToNextForward()
    {
        await using var first = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.NXDomain));
        await using var second = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var secondHost = await ForwardTestHost.StartAsync($"forward . {second.Address}", output);
        await using var firstHost = await ForwardTestHost.StartAsync($"forward . {first.Address} {{\n next NXDOMAIN\n}}", output, next: secondHost.Handler);

        var result = await firstHost.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
    }

    [Fact]
    public async Task ServeAsync_NextRcodeButNextIsNotForward_RelaysAnswer()
    {
        await using var first = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.NXDomain));
        var marker = new MarkerHandler("next");
        await using var host = await ForwardTestHost.StartAsync($"forward . {first.Address} {{\n next NXDOMAIN\n}}", output, next: marker);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.NXDomain, result.Response.ResponseCode);
        Assert.Equal(0, marker.Calls);
    }

    /// <summary>An address where nothing listens: UDP gets ICMP port unreachable, TCP is refused.</summary>
    internal static async Task<string> DeadAddressAsync()
    {
        var server = await FakeUpstreamServer.StartZoneAsync();
        var address = server.Address;
        await server.DisposeAsync();
        return address;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 5000)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.ElapsedMilliseconds < timeoutMs, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
