using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.FakeKubernetes;
using MeshDns.Testing.Metrics;
using Xunit.Abstractions;

namespace MeshDns.FunctionalTests.Kubernetes;

/// <summary>Reloads keep clusters whose settings did not change (no resync), stop the ones dropped, and survive broken ones.</summary>
public sealed class KubernetesReloadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Reload_SameClusterSettings_NoResync_DroppedClusterStopped_BrokenOneRefused()
    {
        await using var clusters = await FakeClusters.StartAsync(["aws-euwest1", "gcp-europe-west4-c"]);
        foreach (var server in clusters.Servers)
        {
            server.Upsert(FakeObjects.Namespace("shop"));
            server.Upsert(FakeObjects.Service("shop", "web", "10.96.0.20", [new FakePort("http", 80)]));
        }

        string Corefile(string awsOptions, bool withGcp, string extra = "") => $$"""
            .:0 {
                bind 127.0.0.1
                prometheus 127.0.0.1:0
                kubernetai aws-euwest1.local {
                    kubeconfig {{clusters.Kubeconfig}} aws-euwest1
                    {{awsOptions}}
                }
                {{(withGcp ? $"kubernetai gcp-europe-west4-c.local {{\n        kubeconfig {clusters.Kubeconfig} gcp-europe-west4-c\n    }}" : string.Empty)}}
                {{extra}}
            }
            """;
        await using var dns = await TestDnsServer.StartAsync(Corefile(string.Empty, withGcp: true), output);
        int Lists(int i) => clusters.Servers[i].Requests.Count(r => r.Verb == "LIST");
        var listsBefore = Lists(0);
        Assert.Equal(5u, (await DnsTestClient.QueryAsync(dns.Endpoint, "web.shop.svc.aws-euwest1.local.", DnsRecordType.A)).Answers[0].Ttl);

        Assert.True(await dns.Server.ReloadAsync(Corefile("ttl 30", withGcp: true), "test", CancellationToken.None));
        Assert.Equal(30u, (await DnsTestClient.QueryAsync(dns.Endpoint, "web.shop.svc.aws-euwest1.local.", DnsRecordType.A)).Answers[0].Ttl);
        Assert.Equal(listsBefore, Lists(0)); // the cluster's watches and data were kept

        Assert.True(await dns.Server.ReloadAsync(Corefile("ttl 30", withGcp: false), "test", CancellationToken.None));
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (clusters.Servers[1].ActiveWatches() > 0)
            {
                await Task.Delay(20, deadline.Token); // the dropped cluster's watches end
            }
        }

        Assert.Equal(DnsResponseCode.ServFail, (await DnsTestClient.QueryAsync(dns.Endpoint, "web.shop.svc.gcp-europe-west4-c.local.", DnsRecordType.A)).ResponseCode);

        var broken = Corefile("ttl 30", withGcp: false, extra: "kubernetai broken.local {\n        kubeconfig /nonexistent/meshdns/kubeconfig\n    }");
        Assert.False(await dns.Server.ReloadAsync(broken, "test", CancellationToken.None));
        Assert.Single((await DnsTestClient.QueryAsync(dns.Endpoint, "web.shop.svc.aws-euwest1.local.", DnsRecordType.A)).Answers);
        Assert.Equal(listsBefore, Lists(0));

        // The CoreDNS families the plugin exposes keep CoreDNS's names, types and labels.
        Assert.Empty(CoreDnsMetricCatalog.Load().FindMismatches(dns.Server.Services.Metrics));
        var metrics = dns.Server.Services.Metrics.Serialize();
        Assert.Contains("coredns_kubernetes_rest_client_requests_total{code=\"200\",host=", metrics, StringComparison.Ordinal);
        Assert.Contains("meshdns_kubernetes_objects{cluster=\"aws-euwest1.local\",kind=\"Service\"} 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("meshdns_kubernetes_synced{cluster=\"gcp-europe-west4-c.local\"}", metrics, StringComparison.Ordinal);
    }
}
