using System.Runtime.CompilerServices;
using MeshDns.Plugins.Tests.Support;
using A = MeshDns.Protocol.DnsRecordType;
using R = MeshDns.Protocol.DnsResponseCode;

namespace MeshDns.Plugins.Tests.Kubernetes;

/// <summary>
/// MeshDns's <c>manifests</c> source with the demo regions of deploy/demo, through a Corefile like Corefile.sample:
/// YAML as kubectl prints it (dual-stack slices, StatefulSet hostnames, trigger-time annotations) answered as a
/// cluster's API server would have it.
/// </summary>
public sealed class DemoManifestsTests
{
    private const string AwsSoa = "aws-euwest1.local. 5 IN SOA ns.dns.aws-euwest1.local. hostmaster.aws-euwest1.local. 0 7200 1800 86400 5";

    public static TheoryData<KubeCase> Cases() =>
    [
        new("web.shop.svc.aws-euwest1.local.", A.A, R.NoError, ["web.shop.svc.aws-euwest1.local. 5 IN A 10.100.10.10"]),
        new("web.shop.svc.aws-euwest1.local.", A.AAAA, R.NoError, ["web.shop.svc.aws-euwest1.local. 5 IN AAAA fd00:100::a"]),
        new("_cql._tcp.cassandra.db.svc.gcp-europe-west4-c.local.", A.SRV, R.NoError,
        [
            "_cql._tcp.cassandra.db.svc.gcp-europe-west4-c.local. 5 IN SRV 0 16 9042 cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local.",
            "_cql._tcp.cassandra.db.svc.gcp-europe-west4-c.local. 5 IN SRV 0 16 9042 cassandra-1.cassandra.db.svc.gcp-europe-west4-c.local.",
            "_cql._tcp.cassandra.db.svc.gcp-europe-west4-c.local. 5 IN SRV 0 16 9042 cassandra-2.cassandra.db.svc.gcp-europe-west4-c.local.",
        ],
        Additional:
        [
            "cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local. 5 IN A 10.201.20.21", "cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local. 5 IN AAAA fd00:201::20:21",
            "cassandra-1.cassandra.db.svc.gcp-europe-west4-c.local. 5 IN A 10.201.20.22", "cassandra-1.cassandra.db.svc.gcp-europe-west4-c.local. 5 IN AAAA fd00:201::20:22",
            "cassandra-2.cassandra.db.svc.gcp-europe-west4-c.local. 5 IN A 10.201.20.23", "cassandra-2.cassandra.db.svc.gcp-europe-west4-c.local. 5 IN AAAA fd00:201::20:23",
        ]),
        new("cassandra-gcp.db.svc.aws-euwest1.local.", A.A, R.NoError,
        [
            "cassandra-gcp.db.svc.aws-euwest1.local. 5 IN CNAME cassandra.db.svc.gcp-europe-west4-c.local.",
            "cassandra.db.svc.gcp-europe-west4-c.local. 5 IN A 10.201.20.21", "cassandra.db.svc.gcp-europe-west4-c.local. 5 IN A 10.201.20.22",
            "cassandra.db.svc.gcp-europe-west4-c.local. 5 IN A 10.201.20.23",
        ]),
        new("21.20.200.10.in-addr.arpa.", A.PTR, R.NoError, ["21.20.200.10.in-addr.arpa. 5 IN PTR cassandra-0.cassandra.db.svc.aws-euwest1.local."]),
        new("10.10.100.10.in-addr.arpa.", A.PTR, R.NoError, ["10.10.100.10.in-addr.arpa. 5 IN PTR web.shop.svc.aws-euwest1.local."]),
        new("10-200-10-11.shop.pod.aws-euwest1.local.", A.A, R.NoError, ["10-200-10-11.shop.pod.aws-euwest1.local. 5 IN A 10.200.10.11"]),
        new("kubernetes.default.svc.aws-euwest1.local.", A.A, R.NoError, ["kubernetes.default.svc.aws-euwest1.local. 5 IN A 10.100.0.1"]),
        new("payments.shop.svc.aws-euwest1.local.", A.CNAME, R.NoError, ["payments.shop.svc.aws-euwest1.local. 5 IN CNAME payments.example.com."]),
        new("cassandra-3.cassandra.db.svc.aws-euwest1.local.", A.A, R.NXDomain, [], [AwsSoa]),

        // The clusterset of Corefile.sample: aws's cassandra is annotated global, gcp's has an MCS ServiceExport.
        new("cassandra.db.svc.clusterset.local.", A.A, R.NoError,
        [
            "cassandra.db.svc.clusterset.local. 5 IN A 10.200.20.21", "cassandra.db.svc.clusterset.local. 5 IN A 10.200.20.22",
            "cassandra.db.svc.clusterset.local. 5 IN A 10.200.20.23", "cassandra.db.svc.clusterset.local. 5 IN A 10.201.20.21",
            "cassandra.db.svc.clusterset.local. 5 IN A 10.201.20.22", "cassandra.db.svc.clusterset.local. 5 IN A 10.201.20.23",
        ]),
        new("cassandra-1.gcp-europe-west4-c.cassandra.db.svc.clusterset.local.", A.AAAA, R.NoError,
            ["cassandra-1.gcp-europe-west4-c.cassandra.db.svc.clusterset.local. 5 IN AAAA fd00:201::20:22"]),
        new("web.shop.svc.clusterset.local.", A.A, R.NXDomain, [], [ClustersetSoa]),
    ];

    private const string ClustersetSoa = "clusterset.local. 5 IN SOA ns.dns.clusterset.local. hostmaster.clusterset.local. 0 7200 1800 86400 5";

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Query_DemoRegions_AnsweredFromTheirManifests(KubeCase test)
    {
        var demo = Path.Combine(RepositoryRoot(), "deploy", "demo");
        var corefile = $$"""
            .:0 {
                bind 127.0.0.1
                kubernetai aws-euwest1.local 100.10.in-addr.arpa 200.10.in-addr.arpa {
                    cluster aws-euwest1
                    manifests {{demo}}/aws-euwest1
                    pods verified
                }
                kubernetai gcp-europe-west4-c.local 101.10.in-addr.arpa 201.10.in-addr.arpa {
                    cluster gcp-europe-west4-c
                    manifests {{demo}}/gcp-europe-west4-c
                    pods verified
                }
                clusterset clusterset.local {
                    member aws-euwest1 local
                    member gcp-europe-west4-c
                }
            }
            """;
        await using var harness = await PluginHarness.StartAsync(corefile);

        KubeAssert.Response(await harness.QueryAsync(test.Name, test.Type), test);
    }

    [Fact]
    public async Task Start_MissingManifestsFolder_FailsTheStartNamingIt()
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => PluginHarness.StartAsync(".:0 {\n    kubernetai a.local {\n        manifests /nonexistent/meshdns/demo\n    }\n}"));

        Assert.Contains("manifests /nonexistent/meshdns/demo: no such directory", exception.Message, StringComparison.Ordinal);
    }

    private static string RepositoryRoot([CallerFilePath] string source = "")
    {
        for (var directory = Path.GetDirectoryName(source); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "MeshDns.sln")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException("repository root not found above " + source);
    }
}
