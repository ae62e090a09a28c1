using System.Globalization;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.FakeKubernetes;
using Xunit.Abstractions;

namespace MeshDns.FunctionalTests.Kubernetes;

/// <summary>
/// The real server with a clusterset over three clusters (two fake API servers, one manifests folder): merged
/// answers over UDP and TCP while one member's endpoints scale to zero and back, under three policies at once.
/// </summary>
public sealed class ClustersetFunctionalTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ThreeClusters_EndpointsScaleToZeroAndBackInOne_MergedAnswersFollowOverUdpAndTcp()
    {
        await using var clusters = await FakeClusters.StartAsync(["aws-euwest1", "gcp-europe-west4-c"]);
        var aws = clusters.Servers[0];
        var gcp = clusters.Servers[1];
        var global = new Dictionary<string, string> { ["service.cilium.io/global"] = "true" };
        aws.Upsert(FakeObjects.Namespace("db"));
        aws.Upsert(FakeObjects.Service("db", "cassandra", "10.96.0.10", [new FakePort("cql", 9042)], annotations: global));
        aws.Upsert(Members(0, 2));
        gcp.Upsert(FakeObjects.Namespace("db"));
        gcp.Upsert(FakeObjects.Service("db", "cassandra", "10.97.0.10", [new FakePort("cql", 9042)]));
        gcp.Upsert(FakeObjects.ServiceExport("db", "cassandra"));
        gcp.Upsert(Members(1, 1));

        var azure = Directory.CreateDirectory(Path.Combine(clusters.Directory, "azure")).FullName;
        await File.WriteAllTextAsync(Path.Combine(azure, "cassandra.yaml"), """
            apiVersion: v1
            kind: Namespace
            metadata: {name: db}
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: cassandra
              namespace: db
              annotations: {service.cilium.io/global: "true"}
            spec:
              clusterIP: 10.98.0.10
              ports: [{name: cql, port: 9042, protocol: TCP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: cassandra-x
              namespace: db
              labels: {kubernetes.io/service-name: cassandra}
            addressType: IPv4
            ports: [{name: cql, port: 9042, protocol: TCP}]
            endpoints:
            - addresses: [10.246.0.1]
              hostname: cassandra-0
              conditions: {ready: true}
            """);

        var corefile = $$"""
            .:0 {
                bind 127.0.0.1
                errors
                cache 300
                kubernetai aws-euwest1.local {
                    cluster aws-euwest1
                    kubeconfig {{clusters.Kubeconfig}} aws-euwest1
                }
                kubernetai gcp-europe-west4-c.local {
                    cluster gcp
                    kubeconfig {{clusters.Kubeconfig}} gcp-europe-west4-c
                }
                kubernetai azure.local {
                    cluster azure
                    manifests {{azure}}
                }
                clusterset clusterset.local {
                    member aws-euwest1 local
                    member gcp
                    member azure
                }
                clusterset failover.local {
                    member aws-euwest1 local
                    member gcp
                    member azure
                    policy failover
                }
                clusterset locality.local {
                    member aws-euwest1 local
                    member gcp
                    member azure
                    policy locality
                    ttl 60
                }
            }
            """;
        await using var dns = await TestDnsServer.StartAsync(corefile, output);
        Assert.Equal(["10.244.0.1", "10.244.0.2", "10.245.0.1", "10.246.0.1"], await Addresses(dns, "clusterset.local", tcp: false));
        Assert.Equal(["10.244.0.1", "10.244.0.2"], await Addresses(dns, "failover.local", tcp: true));
        Assert.Equal(["10.244.0.1", "10.244.0.2"], await Addresses(dns, "locality.local", tcp: false));
        var srv = await DnsTestClient.QueryAsync(dns.Endpoint, "_cql._tcp.cassandra.db.svc.clusterset.local.", DnsRecordType.SRV, tcp: true);
        Assert.Equal(4, srv.Answers.Count);
        Assert.Contains(srv.Answers.OfType<SrvRecord>(), s => s.Target.ToString() == "cassandra-0.azure.cassandra.db.svc.clusterset.local.");

        var timings = new List<TimeSpan>();
        for (var round = 0; round < 2; round++)
        {
            // aws scales to zero: it leaves the merged answer, failover moves on to gcp, locality has nothing.
            aws.Upsert(Members(0, 0));
            timings.Add(await Poll.UntilAsync(dns.Endpoint, "cassandra.db.svc.clusterset.local.", DnsRecordType.A, r => r.Answers.Count == 2, Deadline, tcp: round == 1));
            Assert.Equal(["10.245.0.1", "10.246.0.1"], await Addresses(dns, "clusterset.local", tcp: round == 0));
            timings.Add(await Poll.UntilAsync(dns.Endpoint, "cassandra.db.svc.failover.local.", DnsRecordType.A, r => Same(r, "10.245.0.1"), Deadline, tcp: round == 0));
            timings.Add(await Poll.UntilAsync(dns.Endpoint, "cassandra.db.svc.locality.local.", DnsRecordType.A, r => r.ResponseCode == DnsResponseCode.NXDomain, Deadline, tcp: round == 1));
            Assert.Equal(DnsResponseCode.NXDomain, (await DnsTestClient.QueryAsync(dns.Endpoint, "cassandra-0.aws-euwest1.cassandra.db.svc.clusterset.local.", DnsRecordType.A)).ResponseCode);

            // And back: the locality NXDOMAIN was cached (negative TTL 60 s), yet the answer returns at once.
            aws.Upsert(Members(0, 2));
            timings.Add(await Poll.UntilAsync(dns.Endpoint, "cassandra.db.svc.locality.local.", DnsRecordType.A, r => r.Answers.Count == 2, Deadline, tcp: round == 0));
            timings.Add(await Poll.UntilAsync(dns.Endpoint, "cassandra.db.svc.failover.local.", DnsRecordType.A, r => Same(r, "10.244.0.1", "10.244.0.2"), Deadline, tcp: round == 1));
            timings.Add(await Poll.UntilAsync(dns.Endpoint, "cassandra.db.svc.clusterset.local.", DnsRecordType.A, r => r.Answers.Count == 4, Deadline, tcp: round == 0));
        }

        output.WriteLine("watch event to merged answer (including polling and the cache in front): " + string.Join(", ", timings.Select(t => $"{t.TotalMilliseconds:0} ms")));
        Assert.All(timings, t => Assert.True(t < TimeSpan.FromSeconds(2), $"{t} to see a change"));
        // The members watched the multicluster kinds (the API servers were asked for them).
        Assert.Contains(aws.Requests, r => r.Path.Contains("serviceexports", StringComparison.Ordinal));
        Assert.Contains(gcp.Requests, r => r.Path.Contains("globaltrafficpolicies", StringComparison.Ordinal));
        Assert.Contains("meshdns_clusterset_member_stale{member=\"azure\",zone=\"clusterset.local.\"} 0", dns.Server.Services.Metrics.Serialize(), StringComparison.Ordinal);
    }

    private static async Task<string[]> Addresses(TestDnsServer dns, string zone, bool tcp)
    {
        var reply = await DnsTestClient.QueryAsync(dns.Endpoint, $"cassandra.db.svc.{zone}.", DnsRecordType.A, tcp);
        Assert.True(reply.Authoritative, reply.ToString());
        return [.. reply.Answers.OfType<ARecord>().Select(a => a.Address.ToString()).Order(StringComparer.Ordinal)];
    }

    private static bool Same(DnsMessage reply, params string[] addresses) =>
        reply.Answers.OfType<ARecord>().Select(a => a.Address.ToString()).Order(StringComparer.Ordinal).SequenceEqual(addresses);

    private static System.Text.Json.Nodes.JsonObject Members(int region, int count) =>
        FakeObjects.EndpointSlice("db", "cassandra-x", "cassandra",
            Enumerable.Range(0, count).Select(i => new FakeEndpoint(string.Create(CultureInfo.InvariantCulture, $"10.{244 + region}.0.{i + 1}"), Hostname: $"cassandra-{i}")),
            [new FakePort("cql", 9042)]);
}
