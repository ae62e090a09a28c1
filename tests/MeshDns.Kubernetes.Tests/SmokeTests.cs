using System.Net;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Kubernetes.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task Source_RecordedFixtures_SyncsTrimmedObjects()
    {
        await using var server = await FakeKubernetesServer.StartAsync(new() { ClusterName = "cluster-a" });
        foreach (var obj in Recordings.SeedObjects('a'))
        {
            server.Upsert(obj);
        }

        await using var source = await Fast.StartSyncedAsync(server, o => o with { WatchPods = true });
        var snapshot = source.Snapshot;
        Assert.True(snapshot.HasSynced);
        var web = snapshot.GetService("dns-test", "web");
        Assert.NotNull(web);
        Assert.Equal(["10.96.10.10"], web.ClusterIPs.Select(ip => ip.ToString()));
        Assert.Equal(3, web.Ports.Length);
        Assert.True(snapshot.GetService("dns-test", "db")!.IsHeadless);
        Assert.Equal("upstream.example.org", snapshot.GetService("dns-test", "ext")!.ExternalName);
        Assert.Equal(2, snapshot.GetEndpointSlices("dns-test", "web").Length);
        Assert.Equal(5, snapshot.Pods.Count);
        Assert.Equal(5, snapshot.Namespaces.Count);
        Assert.Single(snapshot.GetServicesByClusterIP(IPAddress.Parse("10.96.10.10")));
        Assert.Equal("db-0", snapshot.GetEndpointsByIP(IPAddress.Parse("10.244.1.21"))[0].Endpoint.Hostname);
    }
}
