using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Upstream;
using Xunit.Abstractions;

namespace MeshDns.Plugins.Tests.Forward;

/// <summary>forward against in-process upstreams: what is relayed, over which transport, and how connections are reused.</summary>
public sealed class ForwardExchangeTests(ITestOutputHelper output)
{
    private const string Www = "www.example.org. 300 IN A 192.0.2.1";

    [Fact]
    public async Task ServeAsync_Udp_RelaysAnswerWithClientIdAndSpelling()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(q =>
        {
            var reply = FakeReply.For(q, DnsResponseCode.NoError, Www);
            reply.Message!.SetFlag(DnsHeaderFlags.AD, true);
            reply.Message.Authorities.Add(ResourceRecord.Parse("example.org. 300 IN NS ns1.example.org."));
            reply.Message.Additionals.Add(ResourceRecord.Parse("ns1.example.org. 300 IN A 192.0.2.53"));
            return reply;
        });
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        var result = await host.QueryAsync("WwW.Example.ORG.", DnsRecordType.A);

        Assert.Equal(PluginResult.Success, result.Result);
        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www], ["example.org. 300 IN NS ns1.example.org."], ["ns1.example.org. 300 IN A 192.0.2.53"]);
        Assert.Equal("WwW.Example.ORG.", result.Response.Questions[0].Name.ToString());
        Assert.True(result.Response.RecursionAvailable);
        Assert.True((result.Response.Flags & DnsHeaderFlags.AD) != 0);
        var seen = upstream.ClientQueries[0];
        Assert.Equal(FakeTransport.Udp, seen.Transport);
        Assert.Equal("WwW.Example.ORG.", seen.Question.Name.ToString());
        Assert.True(seen.Message.RecursionDesired);
    }

    [Fact]
    public async Task ServeAsync_Edns_PassesDoBitAndSizeAndRelaysExtendedError()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(q =>
        {
            var reply = FakeReply.For(q, DnsResponseCode.ServFail);
            reply.Message!.EnableEdns().Options.Add(EdnsOption.ExtendedError(ExtendedDnsErrorCode.DnssecBogus, "bad sig"));
            reply.Message.Edns!.Options.Add(new EdnsOption((ushort)EdnsOptionCode.Cookie, new byte[16]));
            return reply;
        });
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        var result = await host.QueryAsync("bogus.example.org.", DnsRecordType.A, edns: true, udpSize: 4000, dnssecOk: true);

        // Under load forward may retry after its read timeout; every copy must carry the client's EDNS settings.
        var copies = upstream.ClientQueries.Where(q => q.Message.Questions[0].Name.Equals(DnsName.Parse("bogus.example.org."))).ToList();
        Assert.NotEmpty(copies);
        var seen = copies[0];
        Assert.All(copies, c => Assert.True(c.Message.Edns?.DnssecOk));
        Assert.NotNull(seen.Message.Edns);
        Assert.True(seen.Message.Edns!.DnssecOk);
        Assert.Equal(4000, seen.Message.Edns.UdpPayloadSize);
        Assert.Equal(DnsResponseCode.ServFail, result.Response.ResponseCode);
        Assert.True(result.Written, "an upstream SERVFAIL is the upstream's answer, relayed as such");
        Assert.Equal("bad sig", result.ExtendedErrorText);
        Assert.DoesNotContain(result.Response.Edns!.Options, o => o.Code == (ushort)EdnsOptionCode.Cookie);
    }

    [Fact]
    public async Task ServeAsync_QueryIds_AreRandomPerQuery()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        for (var i = 0; i < 20; i++)
        {
            await host.QueryAsync("www.example.org.", DnsRecordType.A);
        }

        var ids = upstream.ClientQueries.Select(q => q.Message.Id).Distinct().Count();
        Assert.True(ids >= 18, $"only {ids} distinct IDs in 20 queries");
    }

    [Theory]
    [InlineData("", DnsTransport.Tcp, FakeTransport.Tcp)]
    [InlineData("", DnsTransport.Udp, FakeTransport.Udp)]
    [InlineData("force_tcp", DnsTransport.Udp, FakeTransport.Tcp)]
    [InlineData("prefer_udp", DnsTransport.Tcp, FakeTransport.Udp)]
    [InlineData("force_tcp\n prefer_udp", DnsTransport.Udp, FakeTransport.Tcp)]
    public async Task ServeAsync_Transport_FollowsClientAndOptions(string option, DnsTransport client, FakeTransport expected)
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address} {{\n {option}\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A, client);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
        Assert.Equal(expected, Assert.Single(upstream.ClientQueries).Transport);
    }

    [Fact]
    public async Task ServeAsync_TruncatedUdpReply_RetriedOverTcp()
    {
        var records = Enumerable.Range(1, 40).Select(i => $"big.example.org. 60 IN A 192.0.2.{i}").ToArray();
        await using var upstream = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.NoError, records) with { UdpSizeLimit = 512 });
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        var result = await host.QueryAsync("big.example.org.", DnsRecordType.A, DnsTransport.Udp, edns: true, udpSize: 4096);

        Assert.Equal([FakeTransport.Udp, FakeTransport.Tcp], upstream.ClientQueries.Select(q => q.Transport));
        Assert.Equal(40, result.Response.Answers.Count);
        Assert.False(result.Response.Truncated);
    }

    [Fact]
    public async Task ServeAsync_TruncatedAnswerTooBigForClient_ServerTruncatesAtRRsetWithTc()
    {
        var records = Enumerable.Range(1, 40).Select(i => $"big.example.org. 60 IN A 192.0.2.{i}").ToArray();
        await using var upstream = await FakeUpstreamServer.StartAsync(q => FakeReply.For(q, DnsResponseCode.NoError, records) with { UdpSizeLimit = 512 });
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        var result = await host.QueryAsync("big.example.org.", DnsRecordType.A);

        Assert.True(result.Response.Truncated);
        Assert.Empty(result.Response.Answers);
    }

    [Fact]
    public async Task ServeAsync_Tcp_ConnectionIsReused()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        for (var i = 0; i < 5; i++)
        {
            RecordAssert.Response((await host.QueryAsync("www.example.org.", DnsRecordType.A, DnsTransport.Tcp)).Response, DnsResponseCode.NoError, [Www]);
        }

        Assert.Equal(1, upstream.ConnectionsAccepted);
        Assert.Equal(4, host.Engine.Metrics.ConnCacheHits.WithLabels("forward", upstream.Address, "tcp").Value);
        Assert.Equal(1, host.Engine.Metrics.ConnCacheMisses.WithLabels("forward", upstream.Address, "tcp").Value);
    }

    [Fact]
    public async Task ServeAsync_ConnectionIdleLongerThanExpire_IsNotReused()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address} {{\n expire 100ms\n}}", output);

        await host.QueryAsync("www.example.org.", DnsRecordType.A, DnsTransport.Tcp);
        await Task.Delay(300);
        await host.QueryAsync("www.example.org.", DnsRecordType.A, DnsTransport.Tcp);

        Assert.Equal(2, upstream.ConnectionsAccepted);
    }

    [Fact]
    public async Task ServeAsync_UpstreamClosedPooledConnection_RetriesOnNewConnection()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);
        await host.QueryAsync("www.example.org.", DnsRecordType.A, DnsTransport.Tcp);

        // Restarting the upstream closes its side of the pooled connection.
        await upstream.StopAsync();
        await upstream.StartAsync();
        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A, DnsTransport.Tcp);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
        Assert.Equal(2, upstream.ConnectionsAccepted);
    }

    [Fact]
    public async Task ServeAsync_Metrics_CountRequestsResponsesAndDuration()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        await host.QueryAsync("www.example.org.", DnsRecordType.A);
        await host.QueryAsync("nope.example.org.", DnsRecordType.A);

        var metrics = host.Engine.Metrics;
        Assert.Equal(2, metrics.Requests.WithLabels(upstream.Address).Value);
        Assert.Equal(1, metrics.Responses.WithLabels("NOERROR", upstream.Address).Value);
        Assert.Equal(1, metrics.Responses.WithLabels("NXDOMAIN", upstream.Address).Value);
        Assert.Equal(1, metrics.RequestDuration.WithLabels("forward", upstream.Address, "NXDOMAIN").Count);
        var names = host.Metrics.Describe().Select(d => $"{d.Name} {string.Join(',', d.LabelNames)}").ToArray();
        Assert.Contains("coredns_forward_requests_total to", names);
        Assert.Contains("coredns_forward_responses_total rcode,to", names);
        Assert.Contains("coredns_proxy_request_duration_seconds proxy_name,to,rcode", names);
        Assert.Contains("coredns_proxy_healthcheck_failures_total proxy_name,to", names);
        Assert.Contains("coredns_forward_healthcheck_broken_total ", names);
        Assert.Contains("coredns_forward_max_concurrent_rejects_total ", names);
        Assert.Contains("coredns_proxy_conn_cache_hits_total proxy_name,to,proto", names);
        Assert.Contains("coredns_proxy_conn_cache_misses_total proxy_name,to,proto", names);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        host.Metrics.WriteTo(buffer);
        var exposition = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Contains($"meshdns_forward_upstream_up{{to=\"{upstream.Address}\"}} 1", exposition, StringComparison.Ordinal);
        Assert.Contains($"meshdns_forward_upstream_rtt_seconds{{to=\"{upstream.Address}\"}} ", exposition, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeAsync_Ipv6Upstream_Answers()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(FakeUpstreamServer.ZoneHandler(Www), address: System.Net.IPAddress.IPv6Loopback);
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address}", output);

        var udp = await host.QueryAsync("www.example.org.", DnsRecordType.A);
        var tcp = await host.QueryAsync("www.example.org.", DnsRecordType.A, DnsTransport.Tcp);

        Assert.StartsWith("[::1]:", upstream.Address, StringComparison.Ordinal);
        RecordAssert.Response(udp.Response, DnsResponseCode.NoError, [Www]);
        RecordAssert.Response(tcp.Response, DnsResponseCode.NoError, [Www]);
    }

    [Fact]
    public async Task HealthCheck_DomainAndNoRec_SentAsConfigured()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(q => q.Type == DnsRecordType.NS ? FakeReply.For(q, DnsResponseCode.Refused) : FakeReply.Nothing);
        await using var host = await ForwardTestHost.StartAsync($"forward . {upstream.Address} {{\n health_check 50ms no_rec domain Example.COM\n}}", output);

        await host.QueryAsync("www.example.org.", DnsRecordType.A);
        await ForwardFaultTests.WaitUntilAsync(() => upstream.Queries.Any(q => q.Type == DnsRecordType.NS));

        var check = upstream.Queries.First(q => q.Type == DnsRecordType.NS);
        Assert.Equal("example.com.", check.Name);
        Assert.False(check.Message.RecursionDesired);
        Assert.False(host.Engine.Upstreams[0].IsDown, "a REFUSED answer to the health check still means the upstream is alive");
    }

    [Fact]
    public async Task ServeAsync_Except_PassesToNextPlugin()
    {
        await using var upstream = await FakeUpstreamServer.StartZoneAsync(Www);
        var next = new MarkerHandler("next");
        await using var host = await ForwardTestHost.StartAsync($"forward example.org {upstream.Address} {{\n except internal.example.org\n}}", output, next: next);

        var excepted = await host.QueryAsync("a.internal.example.org.", DnsRecordType.A);
        var outside = await host.QueryAsync("www.example.net.", DnsRecordType.A);
        var forwarded = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(excepted.Response, DnsResponseCode.NoError, ["a.internal.example.org. 0 IN TXT \"next\""]);
        RecordAssert.Response(outside.Response, DnsResponseCode.NoError, ["www.example.net. 0 IN TXT \"next\""]);
        RecordAssert.Response(forwarded.Response, DnsResponseCode.NoError, [Www]);
        Assert.Equal(2, next.Calls);
    }
}
