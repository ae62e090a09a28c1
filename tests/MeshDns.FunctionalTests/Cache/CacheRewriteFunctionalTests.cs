using MeshDns.Plugins;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Hosting;
using MeshDns.Server.Plugins;
using MeshDns.Testing.Dns;
using Xunit.Abstractions;

namespace MeshDns.FunctionalTests.Cache;

/// <summary>cache and rewrite in a real server over loopback sockets, in front of a test-only peer region.</summary>
public sealed class CacheRewriteFunctionalTests(ITestOutputHelper output)
{
    private const string Corefile = """
        gcp-europe-west4-c.local:0 {
            cache 30 {
                serve_stale 1h
            }
            rewrite name suffix .gcp-europe-west4-c.local. .cluster.local. answer auto
            erratic
        }
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Query_RegionalName_AskedAsClusterLocalAnsweredRegionallyThenFromCache(bool tcp)
    {
        var peer = new PeerRegion();
        peer.Set("web.shop.svc.cluster.local.", DnsRecordType.A, "web.shop.svc.cluster.local. 5 IN A 10.20.4.7");
        var clock = new ManualClock();
        await using var server = await StartAsync(peer, clock);

        var first = await server.QueryAsync("web.shop.svc.gcp-europe-west4-c.local.", DnsRecordType.A, tcp);
        clock.Advance(TimeSpan.FromSeconds(2));
        var second = await server.QueryAsync("web.shop.svc.gcp-europe-west4-c.local.", DnsRecordType.A, tcp);

        RecordAssert.Response(first, DnsResponseCode.NoError, ["web.shop.svc.gcp-europe-west4-c.local. 5 IN A 10.20.4.7"]);
        RecordAssert.Response(second, DnsResponseCode.NoError, ["web.shop.svc.gcp-europe-west4-c.local. 3 IN A 10.20.4.7"]);
        Assert.Equal(["web.shop.svc.cluster.local. A"], peer.Asked);
        var metrics = server.Server.Services.Metrics.Serialize();
        string[] labels = ["server=\"dns://:0\"", "type=\"success\"", "zones=\"gcp-europe-west4-c.local.\"", "view=\"\""];
        Assert.Equal("1", Sample(metrics, "coredns_cache_hits_total", labels));
        Assert.Equal("1", Sample(metrics, "coredns_cache_entries", labels));
    }

    [Fact]
    public async Task Query_NewStatefulSetMember_ResolvesAsSoonAsTheChangeIsPublished()
    {
        var peer = new PeerRegion();
        await using var server = await StartAsync(peer, new ManualClock());
        const string Member = "web-3.web.shop.svc.gcp-europe-west4-c.local.";

        var before = await server.QueryAsync(Member, DnsRecordType.A);
        peer.Set("web-3.web.shop.svc.cluster.local.", DnsRecordType.A, "web-3.web.shop.svc.cluster.local. 5 IN A 10.20.4.9");
        var stillCached = await server.QueryAsync(Member, DnsRecordType.A);
        server.Server.Services.NameChanges.Publish(new NameChange([DnsName.Parse(Member)], []));
        var after = await server.QueryAsync(Member, DnsRecordType.A);

        Assert.Equal(DnsResponseCode.NXDomain, before.ResponseCode);
        Assert.Equal(DnsResponseCode.NXDomain, stillCached.ResponseCode);
        RecordAssert.Response(after, DnsResponseCode.NoError, [$"{Member} 5 IN A 10.20.4.9"]);
    }

    [Fact]
    public async Task Query_PeerDownAfterExpiry_StaleAnswerWithTtlZeroAndExtendedError()
    {
        var peer = new PeerRegion();
        peer.Set("web.shop.svc.cluster.local.", DnsRecordType.A, "web.shop.svc.cluster.local. 5 IN A 10.20.4.7");
        var clock = new ManualClock();
        await using var server = await StartAsync(peer, clock);
        await server.QueryAsync("web.shop.svc.gcp-europe-west4-c.local.", DnsRecordType.A);

        peer.Down = true;
        clock.Advance(TimeSpan.FromMinutes(5));
        var query = DnsTestClient.CreateQuery("web.shop.svc.gcp-europe-west4-c.local.", DnsRecordType.A, edns: true);
        var stale = await DnsTestClient.QueryUdpAsync(server.Endpoint, query);

        RecordAssert.Response(stale, DnsResponseCode.NoError, ["web.shop.svc.gcp-europe-west4-c.local. 0 IN A 10.20.4.7"]);
        Assert.Contains(stale.Edns!.Options, o => o.TryGetExtendedError(out var code, out _) && code == ExtendedDnsErrorCode.StaleAnswer);
    }

    [Fact]
    public async Task Query_MixedCaseQuestion_EchoedExactlyAndAnsweredInTheSameSpelling()
    {
        var peer = new PeerRegion();
        peer.Set("web.shop.svc.cluster.local.", DnsRecordType.A, "web.shop.svc.cluster.local. 5 IN A 10.20.4.7");
        await using var server = await StartAsync(peer, new ManualClock());

        var reply = await server.QueryAsync("WeB.Shop.svc.GCP-europe-west4-c.local.", DnsRecordType.A);

        // DnsTestClient already checks the question echo; the answer owner follows the client's spelling too.
        Assert.True(reply.Answers[0].Name.EqualsExact(DnsName.Parse("WeB.Shop.svc.GCP-europe-west4-c.local.")));
    }

    private static string? Sample(string exposition, string name, string[] labels) =>
        exposition.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(l => line.Contains(l, StringComparison.Ordinal)))
            .Select(line => line[(line.LastIndexOf(' ') + 1)..])
            .SingleOrDefault() ?? exposition;

    private async Task<TestDnsServer> StartAsync(PeerRegion peer, ManualClock clock)
    {
        var plugins = new PluginRegistry(PluginCatalog.All().Where(p => p.Name != PeerRegion.Directive).Append(peer));
        return await TestDnsServer.StartAsync(Corefile, output, plugins: plugins, time: clock);
    }

    /// <summary>A clock the test moves; the server's timers still run on real time.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    /// <summary>
    /// A test-only plugin standing in for a peer region's CoreDNS that serves <c>cluster.local</c>: fixed records,
    /// NXDOMAIN with the zone's SOA otherwise, SERVFAIL without an answer while <see cref="Down"/>. It takes the
    /// place of CoreDNS's <c>erratic</c> test plugin in the chain order.
    /// </summary>
    private sealed class PeerRegion : IPluginSetup
    {
        public const string Directive = "erratic";

        private static readonly ResourceRecord Soa = ResourceRecord.Parse("cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5");
        private readonly Lock _gate = new();
        private readonly Dictionary<(DnsName, DnsRecordType), ResourceRecord> _records = [];
        private readonly List<string> _asked = [];
        private volatile bool _down;

        public string Name => Directive;

        public bool Down
        {
            get => _down;
            set => _down = value;
        }

        public IReadOnlyList<string> Asked
        {
            get
            {
                lock (_gate)
                {
                    return [.. _asked];
                }
            }
        }

        public void Set(string name, DnsRecordType type, string record)
        {
            lock (_gate)
            {
                _records[(DnsName.Parse(name), type)] = ResourceRecord.Parse(record);
            }
        }

        public void Setup(PluginSetupContext context) => context.AddHandler(_ => new Handler(this));

        private sealed class Handler(PeerRegion peer) : DnsHandler
        {
            public override string Name => Directive;

            public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
            {
                var name = context.GetQuestionName();
                ResourceRecord? record;
                lock (peer._gate)
                {
                    peer._asked.Add($"{name} {DnsTypeNames.TypeToString(context.QuestionType)}");
                    peer._records.TryGetValue((name, context.QuestionType), out record);
                }

                if (peer.Down)
                {
                    return ValueTask.FromResult(PluginResult.Failure(DnsResponseCode.ServFail, Name, "peer region unreachable"));
                }

                var response = context.Response;
                response.Authoritative = true;
                if (record is null)
                {
                    response.ResponseCode = DnsResponseCode.NXDomain;
                    response.Authorities.Add(Soa);
                }
                else
                {
                    response.Answers.Add(record);
                }

                context.WriteResponse(Name);
                return ValueTask.FromResult(PluginResult.Success);
            }
        }
    }
}
