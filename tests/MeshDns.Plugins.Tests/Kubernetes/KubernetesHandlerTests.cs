using MeshDns.Kubernetes;
using static MeshDns.Plugins.Tests.Kubernetes.K8s;
using A = MeshDns.Protocol.DnsRecordType;
using R = MeshDns.Protocol.DnsResponseCode;

namespace MeshDns.Plugins.Tests.Kubernetes;

/// <summary>
/// The cases of CoreDNS's plugin/kubernetes handler_test.go, on the same fake cluster (namespace testns exposed,
/// services svc1, svcempty, svc6, hdls1, hdlsprtls, external, external-to-service, svc-dual-stack), through the real
/// pipeline. Records in presentation format; SOA serials are not compared.
/// </summary>
public sealed class KubernetesHandlerTests
{
    private const string Soa = "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 5";

    public static InMemoryClusterSource TestCluster()
    {
        var source = new InMemoryClusterSource("cluster.local", new ClusterFilterOptions { Namespaces = ["testns"] });
        source.ReplaceAll(
        [
            Namespace("testns"), Namespace("kube-system"), Namespace("unexposedns"),
            Service("kube-system", "kubedns", "10.0.0.10", Port("dns", 53, "UDP")),
            Slice("kube-system", "kubedns-1", "kubedns", [Endpoint("172.0.0.100")], SlicePort("dns", 53, "UDP")),
            Service("testns", "svc1", "10.0.0.1", Port("http", 80)),
            Slice("testns", "svc1-slice1", "svc1", [Endpoint("172.0.0.1", "ep1a")], SlicePort("http", 80)),
            Service("testns", "svcempty", "10.0.0.1", Port("http", 80)),
            Slice("testns", "svcempty-slice1", "svcempty", [], SlicePort("http", 80)),
            Service("testns", "svc6", "1234:abcd::1", Port("http", 80)),
            Service("testns", "hdls1", "None"),
            Slice("testns", "hdls1-slice1", "hdls1",
                [Endpoint("172.0.0.2"), Endpoint("172.0.0.3"), Endpoint("172.0.0.4", "dup-name"), Endpoint("172.0.0.5", "dup-name")],
                SlicePort("http", 80)),
            Slice("testns", "hdls1-slice2", "hdls1", [Endpoint("5678:abcd::1"), Endpoint("5678:abcd::2")], SlicePort("http", 80)),
            ExternalName("testns", "external", "ext.interwebs.test"),
            ExternalName("testns", "external-to-service", "svc1.testns.svc.cluster.local."),
            Service("testns", "hdlsprtls", "None"),
            Slice("testns", "hdlsprtls-slice1", "hdlsprtls", [Endpoint("172.0.0.20")]),
            Service("unexposedns", "svc1", "10.0.0.2", Port("http", 80)),
            Service("testns", "svc-dual-stack", "10.0.0.3,10::3", Port("http", 80)),
        ]);
        return source;
    }

    public static TheoryData<KubeCase> Cases() =>
    [
        // A Service
        new("svc1.testns.svc.cluster.local.", A.A, R.NoError, ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        new("svcempty.testns.svc.cluster.local.", A.A, R.NoError, ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        new("svc1.testns.svc.cluster.local.", A.SRV, R.NoError, ["svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."],
            Additional: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        new("svcempty.testns.svc.cluster.local.", A.SRV, R.NoError, ["svcempty.testns.svc.cluster.local. 5 IN SRV 0 100 80 svcempty.testns.svc.cluster.local."],
            Additional: ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        new("svc6.testns.svc.cluster.local.", A.SRV, R.NoError, ["svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local."],
            Additional: ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"]),
        // SRV Service
        new("_http._tcp.svc1.testns.svc.cluster.local.", A.SRV, R.NoError, ["_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."],
            Additional: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        new("_http._tcp.svcempty.testns.svc.cluster.local.", A.SRV, R.NoError, ["_http._tcp.svcempty.testns.svc.cluster.local. 5 IN SRV 0 100 80 svcempty.testns.svc.cluster.local."],
            Additional: ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        // A Service (Headless)
        new("hdls1.testns.svc.cluster.local.", A.A, R.NoError,
        [
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2", "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3",
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4", "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5",
        ]),
        // A Service (Headless and Portless)
        new("hdlsprtls.testns.svc.cluster.local.", A.A, R.NoError, ["hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"]),
        // An Endpoint with no port
        new("172-0-0-20.hdlsprtls.testns.svc.cluster.local.", A.A, R.NoError, ["172-0-0-20.hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"]),
        // An Endpoint ip
        new("172-0-0-2.hdls1.testns.svc.cluster.local.", A.A, R.NoError, ["172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2"]),
        new("172-0-0-3.hdls1.testns.svc.cluster.local.", A.A, R.NoError, ["172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3"]),
        // An Endpoint by name
        new("dup-name.hdls1.testns.svc.cluster.local.", A.A, R.NoError,
            ["dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4", "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5"]),
        // SRV Service (Headless)
        new("_http._tcp.hdls1.testns.svc.cluster.local.", A.SRV, R.NoError,
        [
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-2.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-3.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--1.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--2.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 dup-name.hdls1.testns.svc.cluster.local.",
        ],
        Additional:
        [
            "172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2", "172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3",
            "5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1", "5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2",
            "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4", "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5",
        ]),
        // AAAA
        new("5678-abcd--2.hdls1.testns.svc.cluster.local.", A.AAAA, R.NoError, ["5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2"]),
        // CNAME External
        new("external.testns.svc.cluster.local.", A.CNAME, R.NoError, ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."]),
        // CNAME External To Internal Service
        new("external-to-service.testns.svc.cluster.local.", A.A, R.NoError,
            ["external-to-service.testns.svc.cluster.local. 5 IN CNAME svc1.testns.svc.cluster.local.", "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        // AAAA Service (with an existing A record, but no AAAA record)
        new("svc1.testns.svc.cluster.local.", A.AAAA, R.NoError, [], [Soa]),
        // AAAA Service (non-existing service)
        new("svc0.testns.svc.cluster.local.", A.AAAA, R.NXDomain, [], [Soa]),
        // A Service (non-existing service)
        new("svc0.testns.svc.cluster.local.", A.A, R.NXDomain, [], [Soa]),
        // A Service (non-existing namespace)
        new("svc0.svc-nons.svc.cluster.local.", A.A, R.NXDomain, [], [Soa]),
        // A Service in a namespace the stanza does not expose
        new("svc1.unexposedns.svc.cluster.local.", A.A, R.NXDomain, [], [Soa]),
        // TXT Schema
        new("dns-version.cluster.local.", A.TXT, R.NoError, ["dns-version.cluster.local. 28800 IN TXT \"1.1.0\""]),
        // A Service (Headless) does not exist
        new("bogusendpoint.hdls1.testns.svc.cluster.local.", A.A, R.NXDomain, [], [Soa]),
        // A Service does not exist
        new("bogusendpoint.svc0.testns.svc.cluster.local.", A.A, R.NXDomain, [], [Soa]),
        // AAAA Service
        new("svc6.testns.svc.cluster.local.", A.AAAA, R.NoError, ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"]),
        // SRV
        new("_http._tcp.svc6.testns.svc.cluster.local.", A.SRV, R.NoError, ["_http._tcp.svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local."],
            Additional: ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"]),
        // AAAA Service (Headless)
        new("hdls1.testns.svc.cluster.local.", A.AAAA, R.NoError,
            ["hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1", "hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2"]),
        // AAAA Endpoint
        new("5678-abcd--1.hdls1.testns.svc.cluster.local.", A.AAAA, R.NoError, ["5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1"]),
        new("svc.cluster.local.", A.A, R.NoError, [], [Soa]),
        new("pod.cluster.local.", A.A, R.NoError, [], [Soa]),
        new("testns.svc.cluster.local.", A.A, R.NoError, [], [Soa]),
        // NS query for qname != zone (existing domain)
        new("svc.cluster.local.", A.NS, R.NoError, [], [Soa]),
        new("testns.svc.cluster.local.", A.NS, R.NoError, [], [Soa]),
        // NS query for qname != zone (non existing domain)
        new("foo.cluster.local.", A.NS, R.NXDomain, [], [Soa]),
        new("foo.svc.cluster.local.", A.NS, R.NXDomain, [], [Soa]),
        // Dual Stack ClusterIP Services
        new("svc-dual-stack.testns.svc.cluster.local.", A.A, R.NoError, ["svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3"]),
        new("svc-dual-stack.testns.svc.cluster.local.", A.AAAA, R.NoError, ["svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3"]),
        new("svc-dual-stack.testns.svc.cluster.local.", A.SRV, R.NoError, ["svc-dual-stack.testns.svc.cluster.local. 5 IN SRV 0 50 80 svc-dual-stack.testns.svc.cluster.local."],
            Additional: ["svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3", "svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3"]),
        new("svc1.testns.svc.cluster.local.", A.SOA, R.NoError, [], [Soa]),
        // A query for a subdomain of an external service should not resolve to the external service
        new("endpoint.external.testns.svc.cluster.local.", A.CNAME, R.NXDomain, [], [Soa]),
        // Beyond CoreDNS's table: the apex, a CNAME target's type that does not exist, ports without underscores
        new("cluster.local.", A.SOA, R.NoError, [Soa]),
        new("cluster.local.", A.NS, R.NoError, [], [Soa]),
        new("cluster.local.", A.A, R.NoError, [], [Soa]),
        new("external-to-service.testns.svc.cluster.local.", A.AAAA, R.NoError, [], [Soa]),
        new("external.testns.svc.cluster.local.", A.SRV, R.NoError, [], [Soa]),
        new("http.tcp.svc1.testns.svc.cluster.local.", A.SRV, R.NoError, ["http.tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."],
            Additional: ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        new("_http._tcp.svc1.testns.svc.cluster.local.", A.A, R.NoError, ["_http._tcp.svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        new("_https._tcp.svc1.testns.svc.cluster.local.", A.SRV, R.NXDomain, [], [Soa]),
        new("_http._udp.svc1.testns.svc.cluster.local.", A.SRV, R.NXDomain, [], [Soa]),
        new("ep1a.svc1.testns.svc.cluster.local.", A.A, R.NoError, ["ep1a.svc1.testns.svc.cluster.local. 5 IN A 172.0.0.1"]),
        new("ep1a.svc1.testns.svc.cluster.local.", A.SRV, R.NoError, ["ep1a.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 ep1a.svc1.testns.svc.cluster.local."],
            Additional: ["ep1a.svc1.testns.svc.cluster.local. 5 IN A 172.0.0.1"]),
        new("hdlsprtls.testns.svc.cluster.local.", A.SRV, R.NoError, [], [Soa]),
        new("a.b.c.svc1.testns.svc.cluster.local.", A.A, R.NXDomain, [], [Soa]),
        new("svc1.testns.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]),
        new("testns.pod.cluster.local.", A.A, R.NXDomain, [], [Soa]),
        new("dns-version.cluster.local.", A.A, R.NXDomain, [], [Soa]),
        new("nonexistent.testns.svc.cluster.local.", A.TXT, R.NoError, [], [Soa]),
        new("svc1.testns.svc.cluster.local.", A.MX, R.NoError, [], [Soa]),
        new("svc0.testns.svc.cluster.local.", A.MX, R.NXDomain, [], [Soa]),
        new("ns.dns.cluster.local.", A.A, R.NoError, [], [Soa]),
        new("dns.cluster.local.", A.A, R.NXDomain, [], [Soa]),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ServeAsync_CoreDnsHandlerTable_AnswersAsCoreDns(KubeCase test)
    {
        await using var harness = await KubernetesHarness.StartAsync("cluster.local:0 {\n    bind 127.0.0.1\n    kubernetes cluster.local\n}", TestCluster());

        var reply = await harness.QueryAsync(test.Name, test.Type);

        KubeAssert.Response(reply, test);
    }
}
