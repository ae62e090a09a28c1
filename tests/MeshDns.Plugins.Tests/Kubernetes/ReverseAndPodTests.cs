using MeshDns.Kubernetes;
using static MeshDns.Plugins.Tests.Kubernetes.K8s;
using A = MeshDns.Protocol.DnsRecordType;
using R = MeshDns.Protocol.DnsResponseCode;

namespace MeshDns.Plugins.Tests.Kubernetes;

/// <summary>PTR records (CoreDNS's reverse_test.go and more) and the three <c>pods</c> modes (handler_pod_*_test.go).</summary>
public sealed class ReverseAndPodTests
{
    private const string ReverseZones =
        "cluster.local 0.10.in-addr.arpa 168.192.in-addr.arpa 0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa 0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa";

    private const string Soa = "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 5";

    private static InMemoryClusterSource ReverseCluster()
    {
        var source = new InMemoryClusterSource("cluster.local");
        source.ReplaceAll(
        [
            Namespace("testns"), Namespace("other"),
            Service("testns", "svc1", "192.168.1.100", Port("http", 80)),
            Slice("testns", "svc1-v4", "svc1", [Endpoint("10.0.0.100", "ep1a"), Endpoint("10.0.0.101", ready: false), Endpoint("10.0.0.102", terminating: true)], SlicePort("http", 80)),
            Slice("testns", "svc1-v6", "svc1", [Endpoint("1234:abcd::1", "ep1b"), Endpoint("fd00:77:30::a", "ip6svc1ex"), Endpoint("fd00:77:30::2:9ba6", "ip6svc1in")], SlicePort("http", 80)),
            // One pod behind two services: two PTR records.
            Service("testns", "front", "None", Port("http", 80)),
            Slice("testns", "front-1", "front", [Endpoint("10.0.0.50", "web-0")], SlicePort("http", 80)),
            Service("other", "back", "None", Port("http", 80)),
            Slice("other", "back-1", "back", [Endpoint("10.0.0.50")], SlicePort("http", 80)),
        ]);
        return source;
    }

    public static TheoryData<KubeCase> ReverseCases() =>
    [
        new("100.0.0.10.in-addr.arpa.", A.PTR, R.NoError, ["100.0.0.10.in-addr.arpa. 5 IN PTR ep1a.svc1.testns.svc.cluster.local."]),
        new("100.1.168.192.in-addr.arpa.", A.PTR, R.NoError, ["100.1.168.192.in-addr.arpa. 5 IN PTR svc1.testns.svc.cluster.local."]),
        new("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", A.PTR, R.NoError,
            ["1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa. 5 IN PTR ep1b.svc1.testns.svc.cluster.local."]),
        new("a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.", A.PTR, R.NoError,
            ["a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa. 5 IN PTR ip6svc1ex.svc1.testns.svc.cluster.local."]),
        new("6.a.b.9.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.", A.PTR, R.NoError,
            ["6.a.b.9.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa. 5 IN PTR ip6svc1in.svc1.testns.svc.cluster.local."]),
        new("50.0.0.10.in-addr.arpa.", A.PTR, R.NoError,
            ["50.0.0.10.in-addr.arpa. 5 IN PTR web-0.front.testns.svc.cluster.local.", "50.0.0.10.in-addr.arpa. 5 IN PTR 10-0-0-50.back.other.svc.cluster.local."]),
        // Unknown, not ready and terminating addresses have no PTR.
        new("101.0.0.10.in-addr.arpa.", A.PTR, R.NXDomain, [], ["0.10.in-addr.arpa. 5 IN SOA ns.dns.0.10.in-addr.arpa. hostmaster.0.10.in-addr.arpa. 0 7200 1800 86400 5"]),
        new("102.0.0.10.in-addr.arpa.", A.PTR, R.NXDomain, [], ["0.10.in-addr.arpa. 5 IN SOA ns.dns.0.10.in-addr.arpa. hostmaster.0.10.in-addr.arpa. 0 7200 1800 86400 5"]),
        new("100.0.0.10.in-addr.arpa.", A.A, R.NXDomain, [], ["0.10.in-addr.arpa. 5 IN SOA ns.dns.0.10.in-addr.arpa. hostmaster.0.10.in-addr.arpa. 0 7200 1800 86400 5"]),
        new("0.10.in-addr.arpa.", A.PTR, R.NoError, [], ["0.10.in-addr.arpa. 5 IN SOA ns.dns.0.10.in-addr.arpa. hostmaster.0.10.in-addr.arpa. 0 7200 1800 86400 5"]),
        new("example.org.cluster.local.", A.PTR, R.NXDomain, [], [Soa]),
        new("svc1.testns.svc.cluster.local.", A.PTR, R.NoError, [], [Soa]),
    ];

    [Theory]
    [MemberData(nameof(ReverseCases))]
    public async Task ServeAsync_ReverseZones_PtrAsCoreDns(KubeCase test)
    {
        await using var harness = await KubernetesHarness.StartAsync($".:0 {{\n    bind 127.0.0.1\n    kubernetes {ReverseZones}\n}}", ReverseCluster());

        KubeAssert.Response(await harness.QueryAsync(test.Name, test.Type), test);
    }

    [Fact]
    public async Task ServeAsync_PtrOutsideTheReverseZones_GoesToTheNextPlugin()
    {
        await using var harness = await KubernetesHarness.StartAsync(".:0 {\n    kubernetes cluster.local 0.10.in-addr.arpa\n    erratic\n}", ReverseCluster());

        var reply = await harness.QueryAsync("100.1.168.192.in-addr.arpa.", A.PTR);

        Assert.Equal(R.NoError, reply.ResponseCode);
        Assert.Empty(reply.Authorities); // erratic's empty answer: kubernetes would have sent its SOA
    }

    private static InMemoryClusterSource PodCluster()
    {
        var source = new InMemoryClusterSource("cluster.local");
        source.ReplaceAll(
        [
            Namespace("podns"),
            Pod("podns", "foo", "10.240.0.1"),
            Pod("podns", "bar", "fd00::10"),
            Pod("podns", "leaving", "10.240.0.9", deleting: true),
        ]);
        return source;
    }

    public static TheoryData<string, KubeCase> PodCases() => new()
    {
        { "disabled", new("10-240-0-1.podns.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]) },
        { "disabled", new("podns.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]) },
        { "insecure", new("10-240-0-1.podns.pod.cluster.local.", A.A, R.NoError, ["10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"]) },
        { "insecure", new("172-0-0-2.podns.pod.cluster.local.", A.A, R.NoError, ["172-0-0-2.podns.pod.cluster.local. 5 IN A 172.0.0.2"]) },
        { "insecure", new("fd00--10.podns.pod.cluster.local.", A.AAAA, R.NoError, ["fd00--10.podns.pod.cluster.local. 5 IN AAAA fd00::10"]) },
        { "insecure", new("172-0-0-2.podns.pod.cluster.local.", A.AAAA, R.NoError, [], [Soa]) },
        { "insecure", new("blah.podns.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]) },
        { "insecure", new("172-0-0-2.podnons.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]) },
        { "insecure", new("podns.pod.cluster.local.", A.A, R.NoError, [], [Soa]) },
        { "verified", new("10-240-0-1.podns.pod.cluster.local.", A.A, R.NoError, ["10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"]) },
        { "verified", new("fd00--10.podns.pod.cluster.local.", A.AAAA, R.NoError, ["fd00--10.podns.pod.cluster.local. 5 IN AAAA fd00::10"]) },
        { "verified", new("10-240-0-1.podns.pod.cluster.local.", A.AAAA, R.NoError, [], [Soa]) },
        { "verified", new("172-0-0-2.podns.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]) },
        { "verified", new("10-240-0-9.podns.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]) },
        { "verified", new("10-240-0-1.podnons.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]) },
        { "verified", new("podns.pod.cluster.local.", A.A, R.NoError, [], [Soa]) },
        { "verified", new("podnons.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]) },
    };

    [Theory]
    [MemberData(nameof(PodCases))]
    public async Task ServeAsync_PodModes_AnswerAsCoreDns(string mode, KubeCase test)
    {
        await using var harness = await KubernetesHarness.StartAsync($"cluster.local:0 {{\n    bind 127.0.0.1\n    kubernetes {{\n        pods {mode}\n    }}\n}}", PodCluster());

        KubeAssert.Response(await harness.QueryAsync(test.Name, test.Type), test);
    }
}
