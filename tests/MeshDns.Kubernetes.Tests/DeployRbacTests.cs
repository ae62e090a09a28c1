using System.Text.Json.Nodes;
using MeshDns.Kubernetes.Informers;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Kubernetes.Tests;

/// <summary>deploy/kubernetes/rbac.yaml grants exactly what the informers use, and that is enough to sync.</summary>
public sealed class DeployRbacTests
{
    private static readonly StringPool Pool = new();
    private static readonly string RbacPath = Path.Combine(RepositoryRoot(), "deploy", "kubernetes", "rbac.yaml");

    [Fact]
    public void ClusterRole_GrantsListWatchOnExactlyTheWatchedResources()
    {
        var grants = Grants();
        var watched = new[] { ResourceTypes.Namespaces(Pool), ResourceTypes.Services(ObjectTrimOptions.Default, Pool), ResourceTypes.EndpointSlices(Pool), ResourceTypes.Pods(Pool), ResourceTypes.ServiceExports(Pool), ResourceTypes.GlobalTrafficPolicies(Pool) }
            .SelectMany(t => new[] { ("list", t.RbacName), ("watch", t.RbacName) })
            .ToHashSet();
        Assert.Equal(watched.Order(), grants.Order());
    }

    [Fact]
    public void RemoteRecipe_BindsRoleToServiceAccountWithTokenSecret()
    {
        var documents = FakeObjects.FromYaml(File.ReadAllText(RbacPath));
        var bindings = documents.Where(d => (string?)d["kind"] == "ClusterRoleBinding").ToList();
        Assert.All(bindings, b => Assert.Equal("meshdns", (string?)b["roleRef"]!["name"]));
        Assert.Equal(["meshdns", "meshdns-remote"], bindings.Select(b => (string)b["subjects"]![0]!["name"]!).Order().ToArray());
        var secret = Assert.Single(documents, d => (string?)d["kind"] == "Secret");
        Assert.Equal("kubernetes.io/service-account-token", (string?)secret["type"]);
        Assert.Equal("meshdns-remote", (string?)secret["metadata"]!["annotations"]!["kubernetes.io/service-account.name"]);
    }

    [Fact]
    public async Task UserLimitedToTheRole_SyncsEverything_AndNothingLessWorks()
    {
        await using var server = await FakeKubernetesServer.StartAsync(new() { ClusterName = "rbac" });
        foreach (var obj in Recordings.SeedObjects('a'))
        {
            server.Upsert(obj);
        }

        server.AllowOnly("admin", Grants());
        await using (var source = await Fast.StartSyncedAsync(server, o => o with { WatchPods = true, WatchServiceExports = true, WatchGlobalTrafficPolicies = true }))
        {
            Assert.Equal(SyncState.Synced, source.Status.State);
            Assert.DoesNotContain(server.Requests, r => r.StatusCode == 403);
        }

        // Without watch on endpointslices the cluster never settles, and the log names what is missing.
        server.AllowOnly("admin", Grants().Where(g => g != ("watch", "endpointslices.discovery.k8s.io")));
        var logs = new CapturingLoggerFactory();
        await using var limited = Fast.Source(server, logs: logs);
        await limited.StartAsync(CancellationToken.None);
        await Fast.Eventually(() => logs.Lines.Any(l => l.EventId == 3003), "forbidden logged");
        Assert.Contains("verb \"watch\" on resource \"endpointslices\" in API group \"discovery.k8s.io\"", logs.Lines.First(l => l.EventId == 3003).Text, StringComparison.Ordinal);
    }

    private static HashSet<(string Verb, string Resource)> Grants()
    {
        var role = FakeObjects.FromYaml(File.ReadAllText(RbacPath)).Single(d => (string?)d["kind"] == "ClusterRole");
        var grants = new HashSet<(string, string)>();
        foreach (var rule in role["rules"]!.AsArray().OfType<JsonObject>())
        {
            foreach (var group in rule["apiGroups"]!.AsArray().Select(g => (string?)g ?? string.Empty))
            {
                foreach (var resource in rule["resources"]!.AsArray().Select(r => (string)r!))
                {
                    foreach (var verb in rule["verbs"]!.AsArray().Select(v => (string)v!))
                    {
                        grants.Add((verb, group.Length == 0 ? resource : resource + "." + group));
                    }
                }
            }
        }

        return grants;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MeshDns.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("MeshDns.sln not found above " + AppContext.BaseDirectory);
    }
}
