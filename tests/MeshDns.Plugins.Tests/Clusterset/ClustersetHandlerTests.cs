using MeshDns.Kubernetes;
using MeshDns.Plugins.Tests.Kubernetes;
using MeshDns.Protocol;
using MeshDns.Server.Hosting;
using MeshDns.Testing.Time;
using static MeshDns.Plugins.Tests.Clusterset.Mesh;
using static MeshDns.Plugins.Tests.Kubernetes.K8s;
using R = MeshDns.Protocol.DnsResponseCode;
using T = MeshDns.Protocol.DnsRecordType;

namespace MeshDns.Plugins.Tests.Clusterset;

/// <summary>The merged zone through the real pipeline: policies, exports, Cilium and FSM overrides, records, staleness.</summary>
public sealed class ClustersetHandlerTests
{
    private const string Svc = "cassandra.db.svc.clusterset.local.";
    private const string Soa = "clusterset.local. 5 IN SOA ns.dns.clusterset.local. hostmaster.clusterset.local. 0 7200 1800 86400 5";

    private static (string Key, string Value) Global => (GlobalAnnotation, "true");

    [Fact]
    public async Task ServeAsync_ActiveActiveDefault_EveryExportedMembersReadyEndpoints()
    {
        // aws and azure export with Cilium's annotation, gcp with an MCS ServiceExport.
        await using var mesh = await ClustersetHarness.StartAsync(Corefile(string.Empty), Sources(
            Cassandra(0, 2, Global), [.. Cassandra(1, 1), Export("db", "cassandra")], Cassandra(2, 1, Global)));

        var reply = await mesh.QueryAsync(Svc, T.A);
        Assert.Equal(R.NoError, reply.ResponseCode);
        Assert.True(reply.Authoritative);
        Assert.Equal(["10.244.0.1", "10.244.0.2", "10.245.0.1", "10.246.0.1"], Addresses(reply));
        Assert.All(reply.Answers, r => Assert.Equal(5u, r.Ttl));
    }

    [Fact]
    public async Task ServeAsync_ExportGlobal_UnexportedMembersSkipped_ExportAllTakesEveryService()
    {
        var objects = new[] { Cassandra(0, 1, Global), Cassandra(1, 1), Cassandra(2, 1, (GlobalAnnotation, "false")) };
        await using (var mesh = await ClustersetHarness.StartAsync(Corefile(string.Empty), Sources(objects)))
        {
            Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));

            // Cilium's older spelling counts too.
            mesh.Region(1).Upsert(Cassandra(1, 1, ("io.cilium/global-service", "true")));
            Assert.Equal(["10.244.0.1", "10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));
        }

        await using (var mesh = await ClustersetHarness.StartAsync(Corefile("export all"), Sources(objects)))
        {
            Assert.Equal(["10.244.0.1", "10.245.0.1", "10.246.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));
        }
    }

    [Fact]
    public async Task ServeAsync_ServiceInOnlyOneMember_AnsweredFromIt_OtherServicesNxDomain()
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("policy failover"), Sources([], Cassandra(1, 2, Global), []));
        Assert.Equal(["10.245.0.1", "10.245.0.2"], Addresses(await mesh.QueryAsync(Svc, T.A)));
        KubeAssert.Response(await mesh.QueryAsync("nope.db.svc.clusterset.local.", T.A), new("nope", T.A, R.NXDomain, [], [Soa]));
        // The namespace exists (NODATA); one that no member has does not.
        KubeAssert.Response(await mesh.QueryAsync("db.svc.clusterset.local.", T.A), new("ns", T.A, R.NoError, [], [Soa]));
        KubeAssert.Response(await mesh.QueryAsync("shop.svc.clusterset.local.", T.A), new("ns", T.A, R.NXDomain, [], [Soa]));
    }

    [Fact]
    public async Task ServeAsync_MemberWithoutReadyEndpoints_FailoverMovesOn_ActiveActiveOmitsIt()
    {
        IKubernetesObject[][] objects = [Cassandra(0, 0, Global), Cassandra(1, 1, Global), Cassandra(2, 2, Global)];
        await using (var failover = await ClustersetHarness.StartAsync(Corefile("policy failover"), Sources(objects)))
        {
            Assert.Equal(["10.245.0.1"], Addresses(await failover.QueryAsync(Svc, T.A)));

            // Scaled up in the first member: failover goes back to it.
            failover.Region(0).Upsert(Cassandra(0, 1, Global));
            Assert.Equal(["10.244.0.1"], Addresses(await failover.QueryAsync(Svc, T.A)));
        }

        await using var active = await ClustersetHarness.StartAsync(Corefile(string.Empty), Sources(objects));
        Assert.Equal(["10.245.0.1", "10.246.0.1", "10.246.0.2"], Addresses(await active.QueryAsync(Svc, T.A)));

        // No member has ready endpoints: the name is NXDOMAIN, as a headless service without endpoints.
        active.Region(1).Upsert(Cassandra(1, 0, Global));
        active.Region(2).Upsert(Cassandra(2, 0, Global));
        KubeAssert.Response(await active.QueryAsync(Svc, T.A), new("none", T.A, R.NXDomain, [], [Soa]));
    }

    [Fact]
    public async Task ServeAsync_Locality_OnlyTheLocalMember_NxDomainWhenItHasNone()
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("policy locality"), Sources(Cassandra(0, 1, Global), Cassandra(1, 1, Global), []));
        Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));

        mesh.Region(0).Upsert(Cassandra(0, 0, Global));
        KubeAssert.Response(await mesh.QueryAsync(Svc, T.A), new("local empty", T.A, R.NXDomain, [], [Soa]));
    }

    [Fact]
    public async Task ServeAsync_LocalCidrs_ClientAddressPicksItsLocalMember()
    {
        var corefile = Corefile("policy locality\n        local_cidrs gcp 10.1.0.0/16 fd00:1::/64\n        local_cidrs azure 10.1.2.0/24");
        await using var mesh = await ClustersetHarness.StartAsync(corefile, Sources(Cassandra(0, 1, Global), Cassandra(1, 1, Global), Cassandra(2, 1, Global)));

        Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, client: "192.0.2.1")));
        Assert.Equal(["10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, client: "10.1.7.9")));
        Assert.Equal(["10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, client: "fd00:1::53")));
        Assert.Equal(["10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, client: "::ffff:10.1.7.9")));
        // The longest prefix wins.
        Assert.Equal(["10.246.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, client: "10.1.2.3", tcp: true)));
    }

    [Fact]
    public async Task ServeAsync_TrafficPolicyAnnotation_OverridesTheStanzaPolicy()
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("policy locality"), Sources(
            Cassandra(0, 1, Global, ("meshdns.io/traffic-policy", "failover")), Cassandra(1, 1, Global), Cassandra(2, 1, Global)));
        Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));

        mesh.Region(0).Upsert(Cassandra(0, 0, Global, ("meshdns.io/traffic-policy", "failover")));
        Assert.Equal(["10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));

        mesh.Region(0).Upsert(Cassandra(0, 1, Global, ("meshdns.io/traffic-policy", "ActiveActive")));
        Assert.Equal(["10.244.0.1", "10.245.0.1", "10.246.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));
    }

    [Theory]
    [InlineData("local", "10.1.0.1", new[] { "10.245.0.1" })] // the client's own cluster (gcp) first
    [InlineData("local", "192.0.2.1", new[] { "10.244.0.1" })] // aws is local by default
    [InlineData("remote", "10.1.0.1", new[] { "10.244.0.1" })] // others first, in member order
    [InlineData("remote", "192.0.2.1", new[] { "10.245.0.1" })]
    [InlineData("none", "10.1.0.1", new[] { "10.244.0.1", "10.245.0.1", "10.246.0.1" })]
    public async Task ServeAsync_CiliumAffinity_FailoverLocalFirstOrLastOrActiveActive(string affinity, string client, string[] expected)
    {
        (string, string) annotation = ("service.cilium.io/affinity", affinity);
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("policy locality\n        local_cidrs gcp 10.1.0.0/16"), Sources(
            Cassandra(0, 1, Global, annotation), Cassandra(1, 1, Global, annotation), Cassandra(2, 1, Global, annotation)));
        Assert.Equal(expected, Addresses(await mesh.QueryAsync(Svc, T.A, client)));
    }

    [Fact]
    public async Task ServeAsync_CiliumAffinityLocal_LocalWithoutEndpoints_FailsOverToTheNext()
    {
        (string, string) annotation = ("service.cilium.io/affinity", "local");
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("local_cidrs gcp 10.1.0.0/16"), Sources(
            Cassandra(0, 1, Global, annotation), Cassandra(1, 0, Global, annotation), Cassandra(2, 1, Global, annotation)));
        Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, "10.1.0.1")));
    }

    [Fact]
    public async Task ServeAsync_CiliumSharedFalse_EndpointsOnlyForTheirOwnClusterClients()
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("local_cidrs gcp 10.1.0.0/16"), Sources(
            Cassandra(0, 1, Global, ("service.cilium.io/shared", "false")), Cassandra(1, 1, Global), []));

        Assert.Equal(["10.244.0.1", "10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, "192.0.2.1")));
        Assert.Equal(["10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, "10.1.0.1")));
        // Not even its endpoint names.
        Assert.Equal(R.NoError, (await mesh.QueryAsync("cassandra-0.aws.cassandra.db.svc.clusterset.local.", T.A, "192.0.2.1")).ResponseCode);
        Assert.Equal(R.NXDomain, (await mesh.QueryAsync("cassandra-0.aws.cassandra.db.svc.clusterset.local.", T.A, "10.1.0.1")).ResponseCode);
    }

    [Theory]
    [InlineData("Locality", new string[0], "10.1.0.1", new[] { "10.245.0.1" })]
    [InlineData("FailOver", new[] { "azure" }, "10.1.0.1", new[] { "10.245.0.1" })]
    [InlineData("ActiveActive", new[] { "azure" }, "10.1.0.1", new[] { "10.245.0.1", "10.246.0.1" })]
    [InlineData("ActiveActive", new string[0], "10.1.0.1", new[] { "10.244.0.1", "10.245.0.1", "10.246.0.1" })]
    [InlineData("Locality", new string[0], "192.0.2.1", new[] { "10.244.0.1", "10.245.0.1", "10.246.0.1" })] // no policy in aws
    public async Task ServeAsync_GlobalTrafficPolicyInTheClientsCluster_Honoured(string lbType, string[] targets, string client, string[] expected)
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("local_cidrs gcp 10.1.0.0/16"), Sources(
            Cassandra(0, 1, Global), [.. Cassandra(1, 1, Global), Gtp("db", "cassandra", lbType, targets)], Cassandra(2, 1, Global)));
        Assert.Equal(expected, Addresses(await mesh.QueryAsync(Svc, T.A, client)));
    }

    [Fact]
    public async Task ServeAsync_GlobalTrafficPolicyFailOver_LocalDown_FirstTargetThenNext()
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("local_cidrs gcp 10.1.0.0/16"), Sources(
            Cassandra(0, 1, Global), [.. Cassandra(1, 0, Global), Gtp("db", "cassandra", "FailOver", "azure", "aws")], Cassandra(2, 1, Global)));
        Assert.Equal(["10.246.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, "10.1.0.1")));

        mesh.Region(2).Upsert(Cassandra(2, 0, Global));
        Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, "10.1.0.1")));

        // The policy goes away: the stanza's policy (activeactive) again.
        mesh.Region(1).Delete(ResourceKind.GlobalTrafficPolicy, new ObjectKey("db", "cassandra"));
        mesh.Region(2).Upsert(Cassandra(2, 1, Global));
        Assert.Equal(["10.244.0.1", "10.246.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A, "10.1.0.1")));
    }

    [Fact]
    public async Task ServeAsync_HostnameCollisionAcrossMembers_ClusterIdKeepsThemApart()
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile(string.Empty), Sources(Cassandra(0, 1, Global), Cassandra(1, 1, Global), []));

        KubeAssert.Response(await mesh.QueryAsync("cassandra-0.aws.cassandra.db.svc.clusterset.local.", T.A),
            new("aws host", T.A, R.NoError, ["cassandra-0.aws.cassandra.db.svc.clusterset.local. 5 IN A 10.244.0.1"]));
        KubeAssert.Response(await mesh.QueryAsync("cassandra-0.gcp.cassandra.db.svc.clusterset.local.", T.A),
            new("gcp host", T.A, R.NoError, ["cassandra-0.gcp.cassandra.db.svc.clusterset.local. 5 IN A 10.245.0.1"]));
        // The MCS spec: clusterid.svc.ns.svc.zone itself does not exist; nor does a member without the service.
        KubeAssert.Response(await mesh.QueryAsync("aws.cassandra.db.svc.clusterset.local.", T.A), new("cluster id", T.A, R.NXDomain, [], [Soa]));
        KubeAssert.Response(await mesh.QueryAsync("cassandra-0.azure.cassandra.db.svc.clusterset.local.", T.A), new("azure host", T.A, R.NXDomain, [], [Soa]));
        KubeAssert.Response(await mesh.QueryAsync("cassandra-0.aws.cassandra.db.svc.clusterset.local.", T.AAAA), new("nodata", T.AAAA, R.NoError, [], [Soa]));
    }

    [Fact]
    public async Task ServeAsync_HostnameRules_OfEachMembersStanza_PodNamesOrDashedAddresses()
    {
        // aws's stanza has endpoint_pod_names, gcp's does not; neither endpoint has a hostname.
        var corefile = Corefile(string.Empty, regions: 2).Replace("cluster aws\n", "cluster aws\n        endpoint_pod_names\n", StringComparison.Ordinal);
        IKubernetesObject[] Objects(string address) =>
        [
            Annotated(Service("db", "cassandra", "None", Port("cql", 9042)), Global),
            Slice("db", "cassandra-x", "cassandra", [Endpoint(address, pod: "cassandra-7f9c")], SlicePort("cql", 9042)),
        ];
        await using var mesh = await ClustersetHarness.StartAsync(corefile, Sources(Objects("10.244.0.9"), Objects("fd00:245::9")));

        Assert.Equal(["10.244.0.9"], Addresses(await mesh.QueryAsync("cassandra-7f9c.aws." + Svc, T.A)));
        Assert.Equal(["fd00:245::9"], Addresses(await mesh.QueryAsync("fd00-245--9.gcp." + Svc, T.AAAA)));
        Assert.Equal(["fd00:245::9"], Addresses(await mesh.QueryAsync(Svc, T.AAAA)));
        Assert.Equal(["cassandra-7f9c.aws.cassandra.db.svc.clusterset.local. 9042", "fd00-245--9.gcp.cassandra.db.svc.clusterset.local. 9042"],
            SrvTargets(await mesh.QueryAsync(Svc, T.SRV)));
    }

    [Fact]
    public async Task ServeAsync_Srv_TargetsHostNamesWithGlue_PortsMergedByName()
    {
        var aws = Cassandra(0, 1, Global);
        IKubernetesObject[] gcp =
        [
            Annotated(Service("db", "cassandra", "10.97.0.10", Port("cql", 9042), Port("jmx", 7199)), Global),
            Slice("db", "cassandra-x", "cassandra", [Endpoint("10.245.0.1", "cassandra-0")], SlicePort("cql", 9042), SlicePort("jmx", 7199)),
        ];
        await using var mesh = await ClustersetHarness.StartAsync(Corefile(string.Empty), Sources(aws, gcp, []));

        var bare = await mesh.QueryAsync(Svc, T.SRV);
        Assert.Equal(
            ["cassandra-0.aws.cassandra.db.svc.clusterset.local. 9042", "cassandra-0.gcp.cassandra.db.svc.clusterset.local. 7199", "cassandra-0.gcp.cassandra.db.svc.clusterset.local. 9042"],
            SrvTargets(bare));
        Assert.Equal(["10.244.0.1", "10.245.0.1"], bare.Additionals.OfType<ARecord>().Select(a => a.Address.ToString()).Order(StringComparer.Ordinal));

        KubeAssert.Response(await mesh.QueryAsync("_cql._tcp." + Svc, T.SRV), new("cql", T.SRV, R.NoError,
            [
                "_cql._tcp.cassandra.db.svc.clusterset.local. 5 IN SRV 0 50 9042 cassandra-0.aws.cassandra.db.svc.clusterset.local.",
                "_cql._tcp.cassandra.db.svc.clusterset.local. 5 IN SRV 0 50 9042 cassandra-0.gcp.cassandra.db.svc.clusterset.local.",
            ],
            [],
            [
                "cassandra-0.aws.cassandra.db.svc.clusterset.local. 5 IN A 10.244.0.1",
                "cassandra-0.gcp.cassandra.db.svc.clusterset.local. 5 IN A 10.245.0.1",
            ]));
        Assert.Equal(["cassandra-0.gcp.cassandra.db.svc.clusterset.local. 7199"], SrvTargets(await mesh.QueryAsync("_jmx._tcp." + Svc, T.SRV)));
        // Without underscores it is an endpoint name (host cql in cluster tcp), not CoreDNS's port spelling.
        Assert.Equal(R.NXDomain, (await mesh.QueryAsync("cql.tcp." + Svc, T.SRV)).ResponseCode);
        Assert.Equal(R.NXDomain, (await mesh.QueryAsync("_nope._tcp." + Svc, T.SRV)).ResponseCode);
        // An endpoint's own SRV.
        Assert.Equal(["cassandra-0.gcp.cassandra.db.svc.clusterset.local. 7199", "cassandra-0.gcp.cassandra.db.svc.clusterset.local. 9042"],
            SrvTargets(await mesh.QueryAsync("cassandra-0.gcp." + Svc, T.SRV)));
    }

    [Fact]
    public async Task ServeAsync_AnswerClusterIPs_ClusterIPsAndSrvToTheServiceName()
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("answer clusterips"), Sources(Cassandra(0, 1, Global), Cassandra(1, 2, Global), Cassandra(2, 0, Global)));

        Assert.Equal(["10.96.0.10", "10.97.0.10"], Addresses(await mesh.QueryAsync(Svc, T.A)));
        KubeAssert.Response(await mesh.QueryAsync("_cql._tcp." + Svc, T.SRV), new("srv", T.SRV, R.NoError,
            ["_cql._tcp.cassandra.db.svc.clusterset.local. 5 IN SRV 0 50 9042 cassandra.db.svc.clusterset.local."],
            [],
            ["cassandra.db.svc.clusterset.local. 5 IN A 10.96.0.10", "cassandra.db.svc.clusterset.local. 5 IN A 10.97.0.10"]));
        // Endpoint names still exist.
        Assert.Single((await mesh.QueryAsync("cassandra-1.gcp." + Svc, T.A)).Answers);
    }

    [Fact]
    public async Task ServeAsync_ZoneRecords_SoaTxtPtrAndNegativeAnswers()
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile(string.Empty, zones: "clusterset.local 10.in-addr.arpa"), Sources(Cassandra(0, 1, Global), Cassandra(1, 1, Global), []));

        KubeAssert.Response(await mesh.QueryAsync("clusterset.local.", T.SOA), new("soa", T.SOA, R.NoError, [Soa]));
        KubeAssert.Response(await mesh.QueryAsync("dns-version.clusterset.local.", T.TXT), new("txt", T.TXT, R.NoError, ["dns-version.clusterset.local. 28800 IN TXT \"1.1.0\""]));
        KubeAssert.Response(await mesh.QueryAsync("1.0.245.10.in-addr.arpa.", T.PTR), new("ptr", T.PTR, R.NoError,
            ["1.0.245.10.in-addr.arpa. 5 IN PTR cassandra-0.gcp.cassandra.db.svc.clusterset.local."]));
        Assert.Equal(R.NXDomain, (await mesh.QueryAsync("9.0.245.10.in-addr.arpa.", T.PTR)).ResponseCode);
        KubeAssert.Response(await mesh.QueryAsync("svc.clusterset.local.", T.A), new("svc", T.A, R.NoError, [], [Soa]));
        KubeAssert.Response(await mesh.QueryAsync(Svc, T.TXT), new("txt nodata", T.TXT, R.NoError, [], [Soa]));
        KubeAssert.Response(await mesh.QueryAsync(Svc, T.MX), new("mx nodata", T.MX, R.NoError, [], [Soa]));
        KubeAssert.Response(await mesh.QueryAsync("x.y.clusterset.local.", T.A), new("nx", T.A, R.NXDomain, [], [Soa]));

        // The PTR follows a scale-down.
        mesh.Region(1).Upsert(Cassandra(1, 0, Global));
        Assert.Equal(R.NXDomain, (await mesh.QueryAsync("1.0.245.10.in-addr.arpa.", T.PTR)).ResponseCode);
    }

    [Fact]
    public async Task ServeAsync_WatchEvent_AnswersChangeAndChangedNamesAnnounced()
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile(string.Empty), Sources(Cassandra(0, 1, Global), [], []));
        var announced = new List<NameChange>();
        using var feed = mesh.Pipeline.Services.NameChanges.Subscribe(c => { lock (announced) { announced.Add(c); } });

        Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));
        mesh.Region(1).Upsert([.. Cassandra(1, 1), Export("db", "cassandra")]);
        Assert.Equal(["10.244.0.1", "10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));
        lock (announced)
        {
            Assert.Contains(announced, c => c.Affects(DnsName.Parse(Svc)) && c.Affects(DnsName.Parse("_cql._tcp." + Svc)));
            Assert.DoesNotContain(announced, c => c.Affects(DnsName.Parse("web.shop.svc.clusterset.local.")));
        }

        // The export goes: gcp leaves the answer.
        mesh.Region(1).Delete(ResourceKind.ServiceExport, new ObjectKey("db", "cassandra"));
        Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));
    }

    [Fact]
    public async Task ServeAsync_MemberPastMaxStale_DroppedWithMetricAndLog_BackWhenCurrent()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var sources = Sources(Cassandra(0, 1, Global), Cassandra(1, 1, Global), []);
        await using var mesh = await ClustersetHarness.StartAsync(Corefile("max_stale 30s"), sources, time);
        var gcp = (TestClusterSource)sources[1];
        Assert.Equal(["10.244.0.1", "10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));

        gcp.Unreachable = true;
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(["10.244.0.1", "10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A))); // the last data, still young enough
        Assert.Contains("meshdns_clusterset_member_stale{member=\"gcp\",zone=\"clusterset.local.\"} 0", mesh.Pipeline.Metrics.Serialize(), StringComparison.Ordinal);

        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(["gcp"], mesh.Answers.StaleMembers);
        Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));
        Assert.Equal(R.NXDomain, (await mesh.QueryAsync("cassandra-0.gcp." + Svc, T.A)).ResponseCode);
        Assert.Contains("meshdns_clusterset_member_stale{member=\"gcp\",zone=\"clusterset.local.\"} 1", mesh.Pipeline.Metrics.Serialize(), StringComparison.Ordinal);
        Assert.Contains(mesh.Pipeline.Logs.Lines, l => l.Contains("member gcp left the merged answers", StringComparison.Ordinal) && l.Contains("past max_stale", StringComparison.Ordinal));

        gcp.Unreachable = false;
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(mesh.Answers.StaleMembers);
        Assert.Equal(["10.244.0.1", "10.245.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));
        Assert.Contains("meshdns_clusterset_member_stale{member=\"gcp\",zone=\"clusterset.local.\"} 0", mesh.Pipeline.Metrics.Serialize(), StringComparison.Ordinal);
        Assert.Contains(mesh.Pipeline.Logs.Lines, l => l.Contains("member gcp is current again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServeAsync_Fallthrough_MissGoesToTheNextPlugin()
    {
        var corefile = Corefile("fallthrough\n    }\n    erratic {\n        answer \"nope.db.svc.clusterset.local. 5 IN A 192.0.2.99\"");
        await using var mesh = await ClustersetHarness.StartAsync(corefile, Sources(Cassandra(0, 1, Global), [], []));
        Assert.Equal(["10.244.0.1"], Addresses(await mesh.QueryAsync(Svc, T.A)));
        Assert.Equal(["192.0.2.99"], Addresses(await mesh.QueryAsync("nope.db.svc.clusterset.local.", T.A)));
    }
}
