using System.Net;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Kubernetes.Tests;

public sealed class MultiClusterTests
{
    [Fact]
    public async Task ThreeApiServers_SyncedAtOnce_EachKeepsItsOwnObjects()
    {
        var servers = new List<FakeKubernetesServer>();
        var sources = new List<KubernetesClusterSource>();
        using var dir = new TempDirectory();
        try
        {
            foreach (var cluster in "abc")
            {
                var server = await FakeKubernetesServer.StartAsync(new() { ClusterName = $"cluster-{cluster}" });
                foreach (var obj in Recordings.SeedObjects(cluster))
                {
                    server.Upsert(obj);
                }

                servers.Add(server);
            }

            // Each cluster reached with a different auth style, as in the recordings' Corefile.
            var certificate = servers[0].Pki.IssueClientCertificate("cluster-admin", TestKeyFormat.RsaPkcs8);
            servers[1].AddToken("sa-token-b", "system:serviceaccount:kube-system:coredns");
            servers[2].AddToken("reader-token-c", "dns-reader");
            var kubeconfig = dir.File("kubeconfig", new KubeconfigYaml()
                .Cluster("a", servers[0].BaseAddress, servers[0].Pki.CaPem)
                .Cluster("b", servers[1].BaseAddress, servers[1].Pki.CaPem)
                .Cluster("c", servers[2].BaseAddress, servers[2].Pki.CaPem)
                .User("admin-a", $"client-certificate-data: {KubeconfigYaml.Base64(certificate.CertificatePem)}", $"client-key-data: {KubeconfigYaml.Base64(certificate.KeyPem)}")
                .User("sa-b", "token: sa-token-b")
                .User("reader-c", "token: reader-token-c")
                .Context("cluster-a", "a", "admin-a", current: true)
                .Context("cluster-b-sa", "b", "sa-b")
                .Context("cluster-c-reader", "c", "reader-c").ToString());

            string[] contexts = ["cluster-a", "cluster-b-sa", "cluster-c-reader"];
            for (var i = 0; i < 3; i++)
            {
                var source = Fast.Source(servers[i], o => o with { WatchPods = true }, connection: KubeConfigLoader.Load([kubeconfig], contexts[i]));
                sources.Add(source);
            }

            await Task.WhenAll(sources.Select(s => s.StartAsync(CancellationToken.None)));
            var synced = await Task.WhenAll(sources.Select(s => s.WaitForSyncAsync(Fast.SyncTimeout, CancellationToken.None)));
            Assert.All(synced, Assert.True);

            string[] expected = ["10.96.10.10", "10.97.10.10", "10.98.10.10"];
            for (var i = 0; i < 3; i++)
            {
                var snapshot = sources[i].Snapshot;
                Assert.Equal(expected[i], snapshot.GetService("dns-test", "web")!.ClusterIPs.Single().ToString());
                Assert.Single(snapshot.GetServicesByClusterIP(IPAddress.Parse(expected[i])));
                Assert.Equal(5, snapshot.Pods.Count);
                SnapshotAssert.IndexesConsistent(snapshot);
            }

            // A change in cluster b reaches b only; a dropped watch in c heals; a stall in a is detected.
            var versions = sources.Select(s => s.Snapshot.Version).ToArray();
            servers[1].Upsert(FakeObjects.Service("dns-test", "only-in-b", "10.97.10.99", [new FakePort("http", 80)]));
            servers[2].DropWatches();
            servers[2].Delete("Service", "dns-test", "ext");
            servers[0].StallWatches("services");
            servers[0].Upsert(FakeObjects.Service("dns-test", "after-stall", "10.96.10.99", [new FakePort("http", 80)]));

            await Fast.Eventually(() => sources[1].Snapshot.GetService("dns-test", "only-in-b") is not null, "b change");
            await Fast.Eventually(() => sources[2].Snapshot.GetService("dns-test", "ext") is null, "c delete after drop");
            await Fast.Eventually(() => sources[0].Snapshot.GetService("dns-test", "after-stall") is not null, "a change after stall");
            Assert.Null(sources[0].Snapshot.GetService("dns-test", "only-in-b"));
            Assert.Null(sources[2].Snapshot.GetService("dns-test", "only-in-b"));
            Assert.NotNull(sources[1].Snapshot.GetService("dns-test", "ext"));
            Assert.All(sources, s => Assert.Equal(SyncState.Synced, s.Status.State));
            Assert.True(sources[1].Snapshot.Version > versions[1]);
            Assert.Equal(["cluster-a", "cluster-b", "cluster-c"], sources.Select(s => s.Snapshot.Cluster).ToArray());
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }

            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }
}
