using MeshDns.Kubernetes;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using MeshDns.Testing.Dns;
using Microsoft.Extensions.Logging.Abstractions;
using static MeshDns.Plugins.Tests.Kubernetes.K8s;
using MeshDns.Testing.Allocation;

namespace MeshDns.Plugins.Tests.Kubernetes;

/// <summary>Answering from the tables allocates nothing: A, SRV with additional records, PTR, NXDOMAIN, NODATA, fallthrough.</summary>
public sealed class KubernetesAllocationTests
{
    [Theory]
    [InlineData("web.shop.svc.aws-euwest1.local.", DnsRecordType.A, 1)]
    [InlineData("CASSANDRA.db.svc.aws-euwest1.local.", DnsRecordType.SRV, 3)]
    [InlineData("_cql._tcp.cassandra.db.svc.aws-euwest1.local.", DnsRecordType.SRV, 3)]
    [InlineData("cassandra-1.cassandra.db.svc.aws-euwest1.local.", DnsRecordType.AAAA, 1)]
    [InlineData("20.0.96.10.in-addr.arpa.", DnsRecordType.PTR, 1)]
    [InlineData("nope.shop.svc.aws-euwest1.local.", DnsRecordType.A, 0)]
    [InlineData("web.shop.svc.aws-euwest1.local.", DnsRecordType.TXT, 0)]
    [InlineData("aws-euwest1.local.", DnsRecordType.SOA, 1)]
    [InlineData("web.shop.svc.gcp.local.", DnsRecordType.A, 1)]
    [InlineData("ext.shop.svc.gcp.local.", DnsRecordType.CNAME, 1)]
    [InlineData("ext.shop.svc.gcp.local.", DnsRecordType.A, 2)]
    public async Task ServeAsync_Lookups_AllocateNothing(string name, DnsRecordType type, int answers)
    {
        var aws = new InMemoryClusterSource("aws-euwest1.local");
        aws.ReplaceAll(
        [
            Namespace("shop"), Namespace("db"), Service("shop", "web", "10.96.0.20", Port("http", 80)),
            Service("db", "cassandra", "None", Port("cql", 9042)),
            Slice("db", "cassandra-v4", "cassandra", [Endpoint("10.244.1.1", "cassandra-0"), Endpoint("10.244.1.2", "cassandra-1"), Endpoint("10.244.1.3", "cassandra-2")], SlicePort("cql", 9042)),
            Slice("db", "cassandra-v6", "cassandra", [Endpoint("fd00::2", "cassandra-1")], SlicePort("cql", 9042)),
        ]);
        var gcp = new InMemoryClusterSource("gcp.local");
        gcp.ReplaceAll([Namespace("shop"), Service("shop", "web", "10.97.0.20", Port("http", 80)), ExternalName("shop", "ext", "web.shop.svc.aws-euwest1.local")]);
        var services = new MeshDnsServices(NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new ServerOptions());
        ClusterAnswers Cluster(InMemoryClusterSource source, string zones) => new(new KubernetesOptions
        {
            Directive = "kubernetai",
            Zones = [.. zones.Split(' ').Select(z => DnsName.Parse(z))],
            ClusterName = source.Name,
            Connection = new ClusterConnection.Provided(source),
            Fallthrough = MeshDns.Plugins.Hosts.Fallthrough.All,
        }, services);
        var clusters = new[] { Cluster(aws, "aws-euwest1.local. 10.in-addr.arpa."), Cluster(gcp, "gcp.local.") };
        foreach (var cluster in clusters)
        {
            await cluster.StartAsync(CancellationToken.None);
        }

        var handler = new KubernetesHandler(new ChainTerminator(), "kubernetai", clusters);
        var context = new DnsRequestContext();
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

    private static bool Completed(ValueTask<PluginResult> pending) => pending.IsCompletedSuccessfully;
}
