using System.Diagnostics;
using System.Net;
using MeshDns.Kubernetes;
using MeshDns.Plugins.Clusterset;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Testing.Dns;
using Xunit.Abstractions;
using static MeshDns.Plugins.Tests.Clusterset.Mesh;
using MeshDns.Testing.Allocation;

namespace MeshDns.Plugins.Tests.Clusterset;

/// <summary>Merged answers allocate nothing per query (the client's local member included), and follow a change quickly.</summary>
public sealed class ClustersetAllocationTests(ITestOutputHelper output)
{
    private const string Corefile = """
        .:0 {
            bind 127.0.0.1
            kubernetai aws.local {
                cluster aws
            }
            kubernetai gcp.local {
                cluster gcp
            }
            kubernetai azure.local {
                cluster azure
            }
            clusterset clusterset.local 10.in-addr.arpa {
                member aws local
                member gcp
                member azure
                policy locality
                local_cidrs gcp 10.1.0.0/16 fd00:1::/64
            }
        }
        """;

    [Theory]
    [InlineData("cassandra.db.svc.clusterset.local.", DnsRecordType.A, "192.0.2.1", 2)]
    [InlineData("cassandra.db.svc.clusterset.local.", DnsRecordType.A, "10.1.2.3", 1)]
    [InlineData("cassandra.db.svc.clusterset.local.", DnsRecordType.A, "fd00:1::5", 1)]
    [InlineData("_cql._tcp.cassandra.db.svc.clusterset.local.", DnsRecordType.SRV, "10.1.2.3", 1)]
    [InlineData("cassandra-1.aws.cassandra.db.svc.clusterset.local.", DnsRecordType.A, "192.0.2.1", 1)]
    [InlineData("2.0.244.10.in-addr.arpa.", DnsRecordType.PTR, "192.0.2.1", 1)]
    [InlineData("nope.db.svc.clusterset.local.", DnsRecordType.A, "192.0.2.1", 0)]
    [InlineData("clusterset.local.", DnsRecordType.SOA, "10.1.2.3", 1)]
    public async Task ServeAsync_Lookups_AllocateNothing(string name, DnsRecordType type, string client, int answers)
    {
        await using var mesh = await ClustersetHarness.StartAsync(Corefile, Sources(Cassandra(0, 2, (GlobalAnnotation, "true")), Cassandra(1, 1, (GlobalAnnotation, "true")), []));
        var handler = new ClustersetHandler(new ChainTerminator(), "clusterset", mesh.Answers);
        var context = new DnsRequestContext();
        var address = IPAddress.Parse(client);
        context.SetEndpoints(address.AddressFamily, address.GetAddressBytes(), 40000, IPAddress.Loopback.GetAddressBytes(), 53);
        var query = DnsTestClient.CreateQuery(name, type).ToArray();
        context.Load(query, DnsTransport.Udp);
        Assert.True(Completed(handler.ServeAsync(context)));
        Assert.Equal(answers, context.Response.Answers.Count);

        Assert.Equal(0, AllocationMeter.BytesPerRound(() =>
        {
            context.Load(query, DnsTransport.Udp);
            Completed(handler.ServeAsync(context));
        }));
    }

    [Fact]
    public async Task Apply_EndpointChangeAmongManyServices_RebuiltWellWithinTheBound()
    {
        // 1,000 exported services in each of three members; one endpoint slice changes in one member.
        IKubernetesObject[] Many(int region) => [.. Enumerable.Range(0, 1000).SelectMany(i => new IKubernetesObject[]
        {
            Annotated(K8sService(i, region), (GlobalAnnotation, "true")),
            Kubernetes.K8s.Slice("db", $"svc-{i}-x", $"svc-{i}", [Kubernetes.K8s.Endpoint($"10.{40 + region}.{i / 250}.{i % 250 + 1}", "pod-0")], Kubernetes.K8s.SlicePort("cql", 9042)),
        })];
        await using var mesh = await ClustersetHarness.StartAsync(Corefile, Sources(Many(0), Many(1), Many(2)));
        var name = "svc-500.db.svc.clusterset.local.";
        Assert.Single((await mesh.QueryAsync(name, DnsRecordType.A)).Answers);

        var timings = new List<double>();
        for (var round = 0; round < 10; round++)
        {
            var watch = Stopwatch.StartNew();
            mesh.Region(0).Upsert(Kubernetes.K8s.Slice("db", "svc-500-x", "svc-500", [Kubernetes.K8s.Endpoint($"10.40.9.{round + 1}", "pod-0")], Kubernetes.K8s.SlicePort("cql", 9042)));
            timings.Add(watch.Elapsed.TotalMilliseconds);
            Assert.Equal($"10.40.9.{round + 1}", ((ARecord)Assert.Single((await mesh.QueryAsync(name, DnsRecordType.A)).Answers)).Address.ToString());
        }

        timings.Sort();
        output.WriteLine($"event to merged answer (3 members x 1000 services, 3 variants): median {timings[5]:0.00} ms, max {timings[^1]:0.00} ms");
        Assert.True(timings[5] < 100, $"median {timings[5]} ms");
    }

    private static bool Completed(ValueTask<PluginResult> pending) => pending.IsCompletedSuccessfully;

    private static ServiceInfo K8sService(int i, int region) =>
        Kubernetes.K8s.Service("db", $"svc-{i}", $"10.{96 + region}.{i / 250}.{i % 250 + 1}", Kubernetes.K8s.Port("cql", 9042));
}
