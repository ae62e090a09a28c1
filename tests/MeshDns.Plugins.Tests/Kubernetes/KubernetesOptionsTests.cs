using MeshDns.Kubernetes;
using MeshDns.Protocol;
using static MeshDns.Plugins.Tests.Kubernetes.K8s;
using A = MeshDns.Protocol.DnsRecordType;
using R = MeshDns.Protocol.DnsResponseCode;

namespace MeshDns.Plugins.Tests.Kubernetes;

/// <summary>The stanza's options as they change answers: ttl, ignore empty_service, noendpoints, endpoint_pod_names, fallthrough, zones, NS.</summary>
public sealed class KubernetesOptionsTests
{
    private static string Corefile(string options, string zones = "cluster.local", string next = "", string bind = "127.0.0.1") =>
        $".:0 {{\n    bind {bind}\n    kubernetes {zones} {{\n{options}\n    }}\n{next}\n}}";

    [Theory]
    [InlineData("ttl 0", "svc1.testns.svc.cluster.local. 0 IN A 10.0.0.1", "cluster.local. 0 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 0")]
    [InlineData("ttl 30", "svc1.testns.svc.cluster.local. 30 IN A 10.0.0.1", "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 30")]
    [InlineData("ttl 3600", "svc1.testns.svc.cluster.local. 3600 IN A 10.0.0.1", "cluster.local. 300 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 3600")]
    public async Task Ttl_RecordsAndSoa_UseIt(string option, string record, string soa)
    {
        await using var harness = await KubernetesHarness.StartAsync(Corefile(option), KubernetesHandlerTests.TestCluster());

        KubeAssert.Response(await harness.QueryAsync("svc1.testns.svc.cluster.local.", A.A), new("svc1", A.A, R.NoError, [record]));
        KubeAssert.Response(await harness.QueryAsync("svc1.testns.svc.cluster.local.", A.AAAA), new("svc1", A.AAAA, R.NoError, [], [soa]));
    }

    [Fact]
    public async Task IgnoreEmptyService_ClusterIPWithoutEndpoints_NxDomain()
    {
        await using var harness = await KubernetesHarness.StartAsync(Corefile("ignore empty_service"), KubernetesHandlerTests.TestCluster());

        Assert.Equal(R.NXDomain, (await harness.QueryAsync("svcempty.testns.svc.cluster.local.", A.A)).ResponseCode);
        Assert.Equal(R.NXDomain, (await harness.QueryAsync("svc6.testns.svc.cluster.local.", A.AAAA)).ResponseCode);
        Assert.Equal(R.NoError, (await harness.QueryAsync("svc1.testns.svc.cluster.local.", A.A)).ResponseCode);
        Assert.Single((await harness.QueryAsync("external.testns.svc.cluster.local.", A.CNAME)).Answers);
        Assert.Equal(4, (await harness.QueryAsync("hdls1.testns.svc.cluster.local.", A.A)).Answers.Count);
    }

    [Fact]
    public async Task NoEndpoints_HeadlessAndEndpointNames_NxDomain()
    {
        await using var harness = await KubernetesHarness.StartAsync(Corefile("noendpoints"), KubernetesHandlerTests.TestCluster());

        Assert.Equal(R.NXDomain, (await harness.QueryAsync("hdls1.testns.svc.cluster.local.", A.A)).ResponseCode);
        Assert.Equal(R.NXDomain, (await harness.QueryAsync("ep1a.svc1.testns.svc.cluster.local.", A.A)).ResponseCode);
        Assert.Single((await harness.QueryAsync("svc1.testns.svc.cluster.local.", A.A)).Answers);
    }

    [Fact]
    public async Task EndpointPodNames_EndpointWithoutHostname_NamedAfterItsPod()
    {
        var source = new InMemoryClusterSource("cluster.local");
        source.ReplaceAll(
        [
            Namespace("ns"), Service("ns", "web", "None", Port("http", 80)),
            Slice("ns", "web-1", "web",
            [
                Endpoint("10.1.0.1", pod: "web-7d9f-abcde"),
                Endpoint("10.1.0.2", hostname: "named", pod: "web-7d9f-fghij"),
                Endpoint("10.1.0.3", pod: new string('p', 64)),
            ], SlicePort("http", 80)),
        ]);
        await using var harness = await KubernetesHarness.StartAsync(Corefile("endpoint_pod_names"), source);

        KubeAssert.Response(await harness.QueryAsync("web-7d9f-abcde.web.ns.svc.cluster.local.", A.A),
            new("pod name", A.A, R.NoError, ["web-7d9f-abcde.web.ns.svc.cluster.local. 5 IN A 10.1.0.1"]));
        KubeAssert.Response(await harness.QueryAsync("web.ns.svc.cluster.local.", A.SRV), new("srv", A.SRV, R.NoError,
        [
            "web.ns.svc.cluster.local. 5 IN SRV 0 33 80 web-7d9f-abcde.web.ns.svc.cluster.local.",
            "web.ns.svc.cluster.local. 5 IN SRV 0 33 80 named.web.ns.svc.cluster.local.",
            "web.ns.svc.cluster.local. 5 IN SRV 0 33 80 10-1-0-3.web.ns.svc.cluster.local.",
        ],
        Additional:
        [
            "web-7d9f-abcde.web.ns.svc.cluster.local. 5 IN A 10.1.0.1", "named.web.ns.svc.cluster.local. 5 IN A 10.1.0.2",
            "10-1-0-3.web.ns.svc.cluster.local. 5 IN A 10.1.0.3",
        ]));
    }

    [Fact]
    public async Task ReadyConditions_NotReadyAndTerminatingLeftOut_MissingReadyCountsAsReady()
    {
        var source = new InMemoryClusterSource("cluster.local");
        source.ReplaceAll(
        [
            Namespace("ns"), Service("ns", "db", "None", Port("cql", 9042)),
            Slice("ns", "db-v4", "db",
            [
                Endpoint("10.1.0.1", "db-0"), Endpoint("10.1.0.2", "db-1", ready: false), Endpoint("10.1.0.3", "db-2", terminating: true),
                Endpoint("10.1.0.1", "db-0"),
            ], SlicePort("cql", 9042)),
            Slice("ns", "db-v6", "db", [Endpoint("fd00::1", "db-0")], SlicePort("cql", 9042)),
            Service("ns", "gone", "None"), Slice("ns", "gone-1", "gone", [Endpoint("10.1.0.9", ready: false)]),
        ]);
        await using var harness = await KubernetesHarness.StartAsync(Corefile(string.Empty), source);

        KubeAssert.Response(await harness.QueryAsync("db.ns.svc.cluster.local.", A.A), new("a", A.A, R.NoError, ["db.ns.svc.cluster.local. 5 IN A 10.1.0.1"]));
        KubeAssert.Response(await harness.QueryAsync("_cql._tcp.db.ns.svc.cluster.local.", A.SRV), new("srv", A.SRV, R.NoError,
            ["_cql._tcp.db.ns.svc.cluster.local. 5 IN SRV 0 33 9042 db-0.db.ns.svc.cluster.local."],
            Additional: ["db-0.db.ns.svc.cluster.local. 5 IN A 10.1.0.1", "db-0.db.ns.svc.cluster.local. 5 IN AAAA fd00::1"]));
        KubeAssert.Response(await harness.QueryAsync("db-0.db.ns.svc.cluster.local.", A.AAAA), new("aaaa", A.AAAA, R.NoError, ["db-0.db.ns.svc.cluster.local. 5 IN AAAA fd00::1"]));
        Assert.Equal(R.NXDomain, (await harness.QueryAsync("db-1.db.ns.svc.cluster.local.", A.A)).ResponseCode);
        Assert.Equal(R.NXDomain, (await harness.QueryAsync("db-2.db.ns.svc.cluster.local.", A.A)).ResponseCode);
        Assert.Equal(R.NXDomain, (await harness.QueryAsync("gone.ns.svc.cluster.local.", A.A)).ResponseCode);
    }

    [Fact]
    public async Task Fallthrough_MissGoesToTheNextPlugin_HitsStay()
    {
        await using var harness = await KubernetesHarness.StartAsync(Corefile("fallthrough", next: "    erratic"), KubernetesHandlerTests.TestCluster());

        var miss = await harness.QueryAsync("svc0.testns.svc.cluster.local.", A.A);
        var nodata = await harness.QueryAsync("svc1.testns.svc.cluster.local.", A.AAAA);

        Assert.Equal(R.NoError, miss.ResponseCode);
        Assert.Empty(miss.Authorities); // erratic answered
        Assert.Single(nodata.Authorities); // kubernetes: NODATA never falls through
        Assert.Single((await harness.QueryAsync("svc1.testns.svc.cluster.local.", A.A)).Answers);
    }

    [Fact]
    public async Task Fallthrough_WithZones_OnlyThoseFallThrough()
    {
        await using var harness = await KubernetesHarness.StartAsync(
            Corefile("fallthrough 0.10.in-addr.arpa", zones: "cluster.local 0.10.in-addr.arpa", next: "    erratic"), KubernetesHandlerTests.TestCluster());

        Assert.Equal(R.NXDomain, (await harness.QueryAsync("svc0.testns.svc.cluster.local.", A.A)).ResponseCode);
        var reverse = await harness.QueryAsync("9.9.0.10.in-addr.arpa.", A.PTR);
        Assert.Equal(R.NoError, reverse.ResponseCode);
        Assert.Empty(reverse.Authorities);
        Assert.Contains(harness.Pipeline.Instance.AuthoritativeZones, z => z.Zone.ToString() == "cluster.local.");
        Assert.DoesNotContain(harness.Pipeline.Instance.AuthoritativeZones, z => z.Zone.ToString() == "0.10.in-addr.arpa.");
    }

    [Fact]
    public async Task Zones_SeveralForwardZones_EachAnswers()
    {
        await using var harness = await KubernetesHarness.StartAsync(Corefile(string.Empty, zones: "cluster.local example.local"), KubernetesHandlerTests.TestCluster());

        KubeAssert.Response(await harness.QueryAsync("svc1.testns.svc.example.local.", A.A), new("second zone", A.A, R.NoError, ["svc1.testns.svc.example.local. 5 IN A 10.0.0.1"]));
        KubeAssert.Response(await harness.QueryAsync("nope.testns.svc.example.local.", A.A), new("second zone soa", A.A, R.NXDomain, [],
            ["example.local. 5 IN SOA ns.dns.example.local. hostmaster.example.local. 0 7200 1800 86400 5"]));
        Assert.Equal(R.ServFail, (await harness.QueryAsync("svc1.testns.svc.other.local.", A.A)).ResponseCode); // not ours: no next plugin
    }

    [Fact]
    public async Task Case_MixedCaseQuestion_MatchesAndIsEchoed()
    {
        await using var harness = await KubernetesHarness.StartAsync(Corefile(string.Empty), KubernetesHandlerTests.TestCluster());

        var reply = await harness.QueryAsync("SVC1.TestNS.svc.Cluster.LOCAL.", A.A);
        var srv = await harness.QueryAsync("_HTTP._Tcp.Hdls1.testns.SVC.cluster.local.", A.SRV);

        Assert.Equal("SVC1.TestNS.svc.Cluster.LOCAL.", Assert.Single(reply.Answers).Name.ToString());
        Assert.All(srv.Answers, r => Assert.Equal("_HTTP._Tcp.Hdls1.testns.SVC.cluster.local.", r.Name.ToString()));
        Assert.Equal(5, srv.Answers.Count);
    }

    [Fact]
    public async Task NameServers_BoundAddress_ApexNsWithGlue()
    {
        await using var harness = await KubernetesHarness.StartAsync(Corefile(string.Empty, bind: "192.0.2.53"), KubernetesHandlerTests.TestCluster());

        KubeAssert.Response(await harness.QueryAsync("cluster.local.", A.NS), new("ns", A.NS, R.NoError, ["cluster.local. 5 IN NS ns.dns.cluster.local."],
            Additional: ["ns.dns.cluster.local. 5 IN A 192.0.2.53"]));
        KubeAssert.Response(await harness.QueryAsync("ns.dns.cluster.local.", A.A), new("ns.dns", A.A, R.NoError, ["ns.dns.cluster.local. 5 IN A 192.0.2.53"]));
    }

    [Fact]
    public async Task NameServers_ServerIsAnEndpointOfItsService_NsIsTheService()
    {
        var source = new InMemoryClusterSource("cluster.local");
        source.ReplaceAll(
        [
            Namespace("kube-system"), Service("kube-system", "kube-dns", "10.96.0.10", Port("dns", 53, "UDP")),
            Slice("kube-system", "kube-dns-1", "kube-dns", [Endpoint("192.0.2.53")], SlicePort("dns", 53, "UDP")),
        ]);
        await using var harness = await KubernetesHarness.StartAsync(Corefile(string.Empty, bind: "192.0.2.53"), source);

        KubeAssert.Response(await harness.QueryAsync("cluster.local.", A.NS), new("ns", A.NS, R.NoError, ["cluster.local. 5 IN NS kube-dns.kube-system.svc.cluster.local."],
            Additional: ["kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.10"]));
    }

    [Fact]
    public async Task Truncation_HeadlessWith1000Endpoints_TcOverUdpWholeOverTcp()
    {
        var source = new InMemoryClusterSource("cluster.local");
        var endpoints = Enumerable.Range(0, 1000).Select(i => Endpoint($"10.2.{i / 250}.{(i % 250) + 1}", $"big-{i}")).ToArray();
        source.ReplaceAll([Namespace("ns"), Service("ns", "big", "None", Port("p", 7000)), Slice("ns", "big-1", "big", endpoints, SlicePort("p", 7000))]);
        await using var harness = await KubernetesHarness.StartAsync(Corefile(string.Empty), source);

        var udp = await harness.QueryAsync("big.ns.svc.cluster.local.", A.A);
        var tcp = await harness.QueryAsync("big.ns.svc.cluster.local.", A.A, tcp: true);
        var srv = await harness.QueryAsync("big.ns.svc.cluster.local.", A.SRV, tcp: true);

        Assert.True(udp.Truncated);
        Assert.Empty(udp.Answers);
        Assert.False(tcp.Truncated);
        Assert.Equal(1000, tcp.Answers.Count);
        Assert.Equal(1000, srv.Answers.Count);
        Assert.All(srv.Answers, r => Assert.Equal(1, ((SrvRecord)r).Weight));
    }

    [Fact]
    public async Task NotSynced_WouldBeNxDomainIsServFail_UntilTheFirstSync()
    {
        var source = new InMemoryClusterSource("cluster.local");
        source.Upsert(Namespace("ns"), Service("ns", "web", "10.0.0.5", Port("http", 80)));
        await using var harness = await KubernetesHarness.StartAsync(Corefile("startup_timeout 50ms"), source);

        var before = await harness.QueryAsync("nope.ns.svc.cluster.local.", A.A);
        var known = await harness.QueryAsync("web.ns.svc.cluster.local.", A.A);
        Assert.False(harness.Clusters[0].CheckReadiness().IsReady);
        source.ReplaceAll([Namespace("ns"), Service("ns", "web", "10.0.0.5", Port("http", 80))]);
        var after = await harness.QueryAsync("nope.ns.svc.cluster.local.", A.A);

        Assert.Equal(R.ServFail, before.ResponseCode);
        Assert.Single(before.Authorities); // with the SOA, as CoreDNS
        Assert.Single(known.Answers);
        Assert.Equal(R.NXDomain, after.ResponseCode);
        Assert.True(harness.Clusters[0].CheckReadiness().IsReady);
        Assert.Contains(harness.Pipeline.Logs.Lines, l => l.Contains("has not synced within startup_timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Namespaces_OnlyListedOnesAnswer()
    {
        var source = new InMemoryClusterSource("cluster.local", new ClusterFilterOptions { Namespaces = ["a"] });
        source.ReplaceAll([Namespace("a"), Namespace("b"), Service("a", "s", "10.0.0.1", Port("p", 1)), Service("b", "s", "10.0.0.2", Port("p", 1))]);
        await using var harness = await KubernetesHarness.StartAsync(Corefile("namespaces a"), source);

        Assert.Single((await harness.QueryAsync("s.a.svc.cluster.local.", A.A)).Answers);
        Assert.Equal(R.NXDomain, (await harness.QueryAsync("s.b.svc.cluster.local.", A.A)).ResponseCode);
        Assert.Equal(R.NXDomain, (await harness.QueryAsync("b.svc.cluster.local.", A.A)).ResponseCode);
    }
}
