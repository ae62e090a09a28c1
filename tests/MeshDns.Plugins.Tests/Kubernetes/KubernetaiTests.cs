using MeshDns.Kubernetes;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Plugins.Tests.Support;
using static MeshDns.Plugins.Tests.Kubernetes.K8s;
using A = MeshDns.Protocol.DnsRecordType;
using R = MeshDns.Protocol.DnsResponseCode;

namespace MeshDns.Plugins.Tests.Kubernetes;

/// <summary>Several clusters in one server block: zones per cluster, Corefile order, fallthrough between blocks, unsynced clusters.</summary>
public sealed class KubernetaiTests
{
    private static InMemoryClusterSource Region(string zone, string clusterIP, params IKubernetesObject[] extra)
    {
        var source = new InMemoryClusterSource(zone);
        source.ReplaceAll([Namespace("shop"), Service("shop", "web", clusterIP, Port("http", 80)), .. extra]);
        return source;
    }

    private static Dictionary<string, InMemoryClusterSource> Sources(params InMemoryClusterSource[] sources) =>
        sources.ToDictionary(s => s.Name);

    [Fact]
    public async Task ServeAsync_OneZonePerCluster_EachAnsweredFromItsCluster()
    {
        var corefile = """
            .:0 {
                bind 127.0.0.1
                kubernetai aws-euwest1.local
                kubernetai gcp-europe-west4-c.local
                kubernetai azure-westeurope.local
            }
            """;
        await using var harness = await KubernetesHarness.StartAsync(corefile, Sources(
            Region("aws-euwest1.local", "10.96.0.20"), Region("gcp-europe-west4-c.local", "10.97.0.20"), Region("azure-westeurope.local", "10.98.0.20")));

        KubeAssert.Response(await harness.QueryAsync("web.shop.svc.aws-euwest1.local.", A.A), new("aws", A.A, R.NoError, ["web.shop.svc.aws-euwest1.local. 5 IN A 10.96.0.20"]));
        KubeAssert.Response(await harness.QueryAsync("web.shop.svc.gcp-europe-west4-c.local.", A.A), new("gcp", A.A, R.NoError, ["web.shop.svc.gcp-europe-west4-c.local. 5 IN A 10.97.0.20"]));
        KubeAssert.Response(await harness.QueryAsync("web.shop.svc.azure-westeurope.local.", A.A), new("azure", A.A, R.NoError, ["web.shop.svc.azure-westeurope.local. 5 IN A 10.98.0.20"]));
        KubeAssert.Response(await harness.QueryAsync("nope.shop.svc.gcp-europe-west4-c.local.", A.A), new("gcp nx", A.A, R.NXDomain, [],
            ["gcp-europe-west4-c.local. 5 IN SOA ns.dns.gcp-europe-west4-c.local. hostmaster.gcp-europe-west4-c.local. 0 7200 1800 86400 5"]));
        Assert.Equal(["kubernetai/aws-euwest1.local", "kubernetai/azure-westeurope.local", "kubernetai/gcp-europe-west4-c.local"],
            harness.Clusters.Select(c => c.ReadinessName).Order(StringComparer.Ordinal));
        Assert.Equal(3, harness.Pipeline.Instance.AuthoritativeZones.Count);
    }

    [Fact]
    public async Task ServeAsync_SameZoneTwice_FallthroughTriesTheNextBlockThenTheNextPlugin()
    {
        var first = Region("first.local", "10.1.0.1", Service("shop", "only-first", "10.1.0.2", Port("http", 80)));
        var second = new InMemoryClusterSource("second.local");
        second.ReplaceAll([Namespace("shop"), Service("shop", "web", "10.2.0.1", Port("http", 80)), Service("shop", "only-second", "10.2.0.2", Port("http", 80))]);
        var corefile = """
            .:0 {
                bind 127.0.0.1
                kubernetai first.local mesh.local {
                    fallthrough
                }
                kubernetai second.local mesh.local {
                    fallthrough mesh.local
                }
                erratic
            }
            """;
        await using var harness = await KubernetesHarness.StartAsync(corefile, Sources(first, second));

        KubeAssert.Response(await harness.QueryAsync("web.shop.svc.mesh.local.", A.A), new("first wins", A.A, R.NoError, ["web.shop.svc.mesh.local. 5 IN A 10.1.0.1"]));
        KubeAssert.Response(await harness.QueryAsync("only-first.shop.svc.mesh.local.", A.A), new("first", A.A, R.NoError, ["only-first.shop.svc.mesh.local. 5 IN A 10.1.0.2"]));
        KubeAssert.Response(await harness.QueryAsync("only-second.shop.svc.mesh.local.", A.A), new("second", A.A, R.NoError, ["only-second.shop.svc.mesh.local. 5 IN A 10.2.0.2"]));
        var neither = await harness.QueryAsync("neither.shop.svc.mesh.local.", A.A);
        Assert.Equal(R.NoError, neither.ResponseCode);
        Assert.Empty(neither.Authorities); // erratic: both blocks fell through
        Assert.Equal(R.NXDomain, (await harness.QueryAsync("neither.shop.svc.second.local.", A.A)).ResponseCode);
        Assert.DoesNotContain(harness.Pipeline.Instance.AuthoritativeZones, z => z.Zone.ToString() == "mesh.local.");
    }

    [Fact]
    public async Task ServeAsync_OneClusterNeverSyncs_OthersAnswerAndItsMissesAreServFail()
    {
        var up = Region("up.local", "10.1.0.1");
        var down = new InMemoryClusterSource("down.local");
        var corefile = """
            .:0 {
                bind 127.0.0.1
                kubernetai up.local
                kubernetai down.local {
                    startup_timeout 20ms
                }
            }
            """;
        await using var harness = await KubernetesHarness.StartAsync(corefile, Sources(up, down));

        Assert.Single((await harness.QueryAsync("web.shop.svc.up.local.", A.A)).Answers);
        Assert.Equal(R.NXDomain, (await harness.QueryAsync("nope.shop.svc.up.local.", A.A)).ResponseCode);
        var miss = await harness.QueryAsync("web.shop.svc.down.local.", A.A);
        Assert.Equal(R.ServFail, miss.ResponseCode);
        Assert.Equal(R.NoError, (await harness.QueryAsync("down.local.", A.SOA)).ResponseCode);
        var readiness = harness.Clusters.Single(c => c.Options.ClusterName == "down.local").CheckReadiness();
        Assert.False(readiness.IsReady);
        Assert.Contains("down.local", readiness.Detail, StringComparison.Ordinal);
        Assert.True(harness.Clusters.Single(c => c.Options.ClusterName == "up.local").CheckReadiness().IsReady);
    }

    [Fact]
    public async Task ServeAsync_ExternalNameIntoAnotherCluster_FollowedInsideTheServer()
    {
        var aws = Region("aws.local", "10.1.0.1", ExternalName("shop", "db", "cassandra.db.svc.gcp.local"), ExternalName("shop", "loop", "loop.shop.svc.gcp.local."));
        var gcp = new InMemoryClusterSource("gcp.local");
        gcp.ReplaceAll(
        [
            Namespace("db"), Namespace("shop"), Service("db", "cassandra", "None", Port("cql", 9042)),
            Slice("db", "cassandra-1", "cassandra", [Endpoint("10.2.1.1", "cassandra-0"), Endpoint("10.2.1.2", "cassandra-1")], SlicePort("cql", 9042)),
            ExternalName("shop", "loop", "loop.shop.svc.aws.local"),
        ]);
        var corefile = """
            .:0 {
                bind 127.0.0.1
                kubernetai aws.local
                kubernetai gcp.local
            }
            """;
        await using var harness = await KubernetesHarness.StartAsync(corefile, Sources(aws, gcp));

        KubeAssert.Response(await harness.QueryAsync("db.shop.svc.aws.local.", A.A), new("chase", A.A, R.NoError,
        [
            "db.shop.svc.aws.local. 5 IN CNAME cassandra.db.svc.gcp.local.",
            "cassandra.db.svc.gcp.local. 5 IN A 10.2.1.1", "cassandra.db.svc.gcp.local. 5 IN A 10.2.1.2",
        ]));
        KubeAssert.Response(await harness.QueryAsync("loop.shop.svc.aws.local.", A.A), new("loop", A.A, R.NoError, [],
            ["aws.local. 5 IN SOA ns.dns.aws.local. hostmaster.aws.local. 0 7200 1800 86400 5"]));
    }

    [Fact]
    public async Task ServeAsync_ExternalNameOutsideOurZones_ResolvedThroughTheServer()
    {
        var aws = Region("aws.local", "10.1.0.1", ExternalName("shop", "ext", "ext.interwebs.test"), ExternalName("shop", "ip", "192.0.2.1"));
        var corefile = """
            .:0 {
                bind 127.0.0.1
                hosts {
                    192.0.2.80 ext.interwebs.test
                    fallthrough
                }
                kubernetai aws.local
            }
            """;
        await using var harness = await KubernetesHarness.StartAsync(corefile, Sources(aws));

        KubeAssert.Response(await harness.QueryAsync("ext.shop.svc.aws.local.", A.A), new("external", A.A, R.NoError,
            ["ext.shop.svc.aws.local. 5 IN CNAME ext.interwebs.test.", "ext.interwebs.test. 3600 IN A 192.0.2.80"]));
        KubeAssert.Response(await harness.QueryAsync("ip.shop.svc.aws.local.", A.A), new("address as name", A.A, R.NXDomain, [],
            ["aws.local. 5 IN SOA ns.dns.aws.local. hostmaster.aws.local. 0 7200 1800 86400 5"]));
    }

    [Fact]
    public async Task Setup_KubernetesTwiceInABlock_ErrOnce_KubernetaiManyTimes_OneHandler()
    {
        Assert.Contains(PluginHarness.SetupErrors(".:0 {\n    kubernetes a.local\n    kubernetes b.local\n}"),
            e => e.Contains("plugin/kubernetes: this plugin can only be used once per Server Block", StringComparison.Ordinal));
        Assert.Empty(PluginHarness.SetupErrors(".:0 {\n    kubernetai a.local\n    kubernetai b.local\n    kubernetai c.local\n}"));

        await using var built = PluginHarness.Build(".:0 {\n    kubernetai a.local\n    kubernetai b.local\n}");
        var handler = Assert.IsType<KubernetesHandler>(built.Instance.Blocks[0].Chain);
        Assert.Equal(["a.local", "b.local"], handler.Clusters.Select(c => c.Options.ClusterName));
        Assert.Equal("kubernetai", handler.Name);
    }
}
