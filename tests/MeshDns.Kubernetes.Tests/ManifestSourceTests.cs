using System.Collections.Concurrent;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Kubernetes.Tests;

public sealed class ManifestSourceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string SeedYaml(char cluster)
    {
        var (n, p) = cluster == 'a' ? ("96", "244") : ("97", "245");
        return Recordings.Read("fixtures/seed.yaml.tmpl").Replace("@C@", cluster.ToString(), StringComparison.Ordinal)
            .Replace("@N@", n, StringComparison.Ordinal).Replace("@P@", p, StringComparison.Ordinal);
    }

    private ManifestClusterSource Source(CapturingLoggerFactory? logs = null, ClusterFilterOptions? filter = null) => new(
        new ManifestClusterOptions { Name = "demo", Directory = _dir.Path, PollInterval = TimeSpan.FromMilliseconds(50), Filter = filter ?? ClusterFilterOptions.None },
        logs);

    [Fact]
    public async Task Load_RecordedFixtures_SameObjectsAsApiServerSource()
    {
        _dir.File("seed.yaml", SeedYaml('a'));
        var logs = new CapturingLoggerFactory();
        await using var manifests = Source(logs);
        await manifests.StartAsync(CancellationToken.None);
        Assert.True(await manifests.WaitForSyncAsync(TimeSpan.FromSeconds(5), CancellationToken.None));

        await using var server = await FakeKubernetesServer.StartAsync(new() { ClusterName = "api" });
        server.Apply(string.Join("\n---\n", SeedYaml('a').Split("\n---\n").Where(d => !d.Contains("kind: ServiceAccount", StringComparison.Ordinal) && !d.Contains("rbac.authorization", StringComparison.Ordinal))));
        await using var api = await Fast.StartSyncedAsync(server);

        var fromFiles = manifests.Snapshot;
        var fromApi = api.Snapshot;
        Assert.Equal(fromApi.Services.Keys.Order(), fromFiles.Services.Keys.Order());
        foreach (var (key, service) in fromApi.Services)
        {
            var other = fromFiles.Services[key];
            Assert.Equal(service.Type, other.Type);
            Assert.Equal(service.ClusterIPs.Select(ip => ip.ToString()), other.ClusterIPs.Select(ip => ip.ToString()));
            Assert.Equal(service.Ports.ToArray(), other.Ports.ToArray());
            Assert.Equal(service.IsHeadless, other.IsHeadless);
            Assert.Equal(service.ExternalName, other.ExternalName);
            Assert.Equal(service.PublishNotReadyAddresses, other.PublishNotReadyAddresses);
        }

        foreach (var (key, slice) in fromApi.EndpointSlices)
        {
            var other = fromFiles.EndpointSlices[key];
            Assert.Equal(slice.ServiceName, other.ServiceName);
            Assert.Equal(slice.Ports.ToArray(), other.Ports.ToArray());
            Assert.Equal(
                slice.Endpoints.Select(e => $"{string.Join(",", e.Addresses)}|{e.Hostname}|{e.NodeName}|{e.Zone}|{e.TargetRef}|{e.Ready}{e.Serving}{e.Terminating}"),
                other.Endpoints.Select(e => $"{string.Join(",", e.Addresses)}|{e.Hostname}|{e.NodeName}|{e.Zone}|{e.TargetRef}|{e.Ready}{e.Serving}{e.Terminating}"));
        }

        Assert.Equal("cluster-a", fromFiles.GetNamespace("dns-test")!.Labels["cluster"]);
        // ServiceAccount, ClusterRole and ClusterRoleBinding are not served: each is logged and skipped.
        Assert.Equal(5, logs.Lines.Count(l => l.EventId == 3014));
        SnapshotAssert.IndexesConsistent(fromFiles);
    }

    [Fact]
    public async Task MulticlusterKinds_ServiceExportsAndGlobalTrafficPoliciesRead()
    {
        _dir.File("mcs.yaml", """
            apiVersion: multicluster.x-k8s.io/v1alpha1
            kind: ServiceExport
            metadata: {name: web, namespace: shop}
            ---
            apiVersion: flomesh.io/v1alpha1
            kind: GlobalTrafficPolicy
            metadata: {name: web, namespace: shop}
            spec:
              lbType: FailOver
              targets:
              - clusterKey: default/default/default/cluster-1
                weight: 3
            """);
        await using var manifests = Source();
        await manifests.StartAsync(CancellationToken.None);
        Assert.True(manifests.Snapshot.ServiceExports.ContainsKey(new ObjectKey("shop", "web")));
        var policy = manifests.Snapshot.GlobalTrafficPolicies[new ObjectKey("shop", "web")];
        Assert.Equal("FailOver", policy.LbType);
        Assert.Equal(new TrafficTargetInfo("default/default/default/cluster-1", 3), Assert.Single(policy.Targets));
        Assert.Equal("cluster-1", policy.Targets[0].ClusterName);
    }

    [Fact]
    public async Task FileChanged_Reloaded_WithChangeNotifications()
    {
        _dir.File("a.yaml", SeedYaml('a'));
        await using var source = Source();
        await source.StartAsync(CancellationToken.None);
        var changes = new ConcurrentQueue<ClusterChange>();
        using var subscription = source.Subscribe(changes.Enqueue);

        _dir.File("b.yml", """
            apiVersion: v1
            kind: Service
            metadata: {name: extra, namespace: dns-test}
            spec: {clusterIP: 10.96.99.1, ports: [{name: http, port: 80}]}
            ---
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: p1, namespace: dns-test}
              status: {podIP: 10.244.9.9}
            """);
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "extra") is not null, "new file read");
        Assert.Single(source.Snapshot.Pods);
        var all = changes.SelectMany(c => c.Changes).ToList();
        Assert.Contains(new ObjectChange(ResourceKind.Service, new ObjectKey("dns-test", "extra"), ChangeType.Added), all);
        Assert.DoesNotContain(all, c => c.Key == new ObjectKey("dns-test", "web"));

        File.Delete(Path.Combine(_dir.Path, "b.yml"));
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "extra") is null, "file removed");
    }

    [Fact]
    public async Task BrokenFile_LoggedAndLastGoodSnapshotKept()
    {
        _dir.File("a.yaml", SeedYaml('a'));
        var logs = new CapturingLoggerFactory();
        await using var source = Source(logs);
        await source.StartAsync(CancellationToken.None);
        var good = source.Snapshot;

        _dir.File("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x\n  spec: [\n");
        await Fast.Eventually(() => logs.Lines.Any(l => l.EventId == 3013 && l.Text.Contains("broken.yaml", StringComparison.Ordinal)), "broken file logged");
        Assert.Same(good, source.Snapshot);
        Assert.Equal(SyncState.Retrying, source.Status.State);

        File.Delete(Path.Combine(_dir.Path, "broken.yaml"));
        _dir.File("fixed.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: fixed, namespace: dns-test}\nspec: {clusterIP: 10.96.1.1}\n");
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "fixed") is not null, "fixed file read");
        Assert.Equal(SyncState.Synced, source.Status.State);
    }

    [Fact]
    public async Task BrokenAtStart_StartFailsNamingFile()
    {
        _dir.File("bad.yaml", "kind: Service\nmetadata: {}\n");
        await using var source = Source();
        var error = await Assert.ThrowsAsync<KubeConfigException>(() => source.StartAsync(CancellationToken.None));
        Assert.Contains("bad.yaml", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filters_AppliedLikeTheApiSource()
    {
        _dir.File("a.yaml", SeedYaml('a') + """

            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: hidden}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: s, namespace: hidden, labels: {app: web}}
            spec: {clusterIP: 10.96.2.2}
            """);
        await using var source = Source(filter: new ClusterFilterOptions
        {
            NamespaceLabels = LabelSelector.Parse("purpose=dns-fixtures"),
            Labels = LabelSelector.Parse("app=web"),
        });
        await source.StartAsync(CancellationToken.None);
        Assert.NotNull(source.Snapshot.GetService("dns-test", "web"));
        Assert.Null(source.Snapshot.GetService("dns-test", "db"));
        Assert.Null(source.Snapshot.GetService("hidden", "s"));
        Assert.Equal(["dns-test"], source.Snapshot.Namespaces.Keys.ToArray());
    }
}
