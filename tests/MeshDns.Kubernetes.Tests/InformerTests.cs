using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Kubernetes.Tests;

/// <summary>The informers against every fault the fake can inject: the cache must end equal to the server.</summary>
public sealed class InformerTests : IAsyncLifetime
{
    private FakeKubernetesServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesServer.StartAsync(new() { ClusterName = "inf" });
        foreach (var obj in Recordings.SeedObjects('a'))
        {
            _server.Upsert(obj);
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonObject Svc(string name, string ip, string ns = "dns-test", Dictionary<string, string>? labels = null) =>
        FakeObjects.Service(ns, name, ip, [new FakePort("http", 80)], labels);

    private static JsonObject Slice(string name, string service, string ip, string ns = "dns-test") =>
        FakeObjects.EndpointSlice(ns, name, service, [new FakeEndpoint(ip, PodName: name)], [new FakePort("http", 8080)]);

    private Task Converged(KubernetesClusterSource source, bool pods = false) => Fast.Eventually(
        () =>
        {
            var snapshot = source.Snapshot;
            return Fast.ServerState(_server, "Service").SequenceEqual(Fast.CacheState(snapshot.Services.Values))
                && Fast.ServerState(_server, "EndpointSlice").SequenceEqual(Fast.CacheState(snapshot.EndpointSlices.Values))
                && Fast.ServerState(_server, "Namespace").SequenceEqual(Fast.CacheState(snapshot.Namespaces.Values))
                && (!pods || Fast.ServerState(_server, "Pod").SequenceEqual(Fast.CacheState(snapshot.Pods.Values)));
        },
        "cache equal to server");

    [Fact]
    public async Task List_Paginated_UsesLimitAndContinue()
    {
        for (var i = 0; i < 7; i++)
        {
            _server.Upsert(Svc($"page-{i}", $"10.96.20.{i}"));
        }

        await using var source = await Fast.StartSyncedAsync(_server, o => o with { Informers = Fast.Informers with { PageSize = 2 } });
        var lists = _server.Requests.Where(r => r.Verb == "list" && r.Resource == "services").ToList();
        Assert.True(lists.Count >= 6, string.Join("\n", lists));
        Assert.All(lists, r => Assert.Contains("limit=2", r.Query, StringComparison.Ordinal));
        Assert.Contains(lists, r => r.Query.Contains("continue=", StringComparison.Ordinal));
        await Converged(source);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        var watch = _server.Requests.First(r => r.Verb == "watch" && r.Resource == "services");
        Assert.Contains("allowWatchBookmarks=true", watch.Query, StringComparison.Ordinal);
        Assert.Contains("timeoutSeconds=", watch.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_ContinueExpiredBetweenPages_StartsOver()
    {
        for (var i = 0; i < 6; i++)
        {
            _server.Upsert(Svc($"page-{i}", $"10.96.20.{i}"));
        }

        var compacted = 0;
        _server.BeforeRequest = (verb, resource, query) =>
        {
            if (resource == "services" && query.Contains("continue=", StringComparison.Ordinal) && Interlocked.Exchange(ref compacted, 1) == 0)
            {
                _server.Upsert(Svc("added-mid-list", "10.96.30.1"));
                _server.CompactHistory();
            }
        };
        var metrics = new RecordingKubernetesMetricsSink();
        await using var source = await Fast.StartSyncedAsync(_server, o => o with { Informers = Fast.Informers with { PageSize = 2 } }, metrics: metrics);
        Assert.Contains(_server.Requests, r => r.Resource == "services" && r.StatusCode == 410);
        Assert.Equal(1, metrics.Get("relists|inf|services|expired"));
        await Converged(source);
        Assert.NotNull(source.Snapshot.GetService("dns-test", "added-mid-list"));
    }

    [Fact]
    public async Task Watch_AddModifyDelete_ReachesSnapshotWithChanges()
    {
        await using var source = await Fast.StartSyncedAsync(_server);
        var changes = new ConcurrentQueue<ObjectChange>();
        using var subscription = source.Subscribe(c =>
        {
            foreach (var change in c.Changes)
            {
                changes.Enqueue(change);
            }
        });
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);

        _server.Upsert(Svc("api", "10.96.10.20"));
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "api") is not null, "added");
        _server.Upsert(FakeObjects.Service("dns-test", "api", "10.96.10.20", [new FakePort("grpc", 9090), new FakePort("metrics", 9100)]));
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "api")?.Ports.Length == 2, "modified");
        _server.Delete("Service", "dns-test", "api");
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "api") is null, "deleted");

        var key = new ObjectKey("dns-test", "api");
        Assert.Equal(
            [ChangeType.Added, ChangeType.Updated, ChangeType.Deleted],
            changes.Where(c => c.Key == key && c.Kind == ResourceKind.Service).Select(c => c.Type).ToArray());
        Assert.Empty(source.Snapshot.GetServicesByClusterIP(System.Net.IPAddress.Parse("10.96.10.20")));
        await Converged(source);
    }

    [Fact]
    public async Task Watch_Dropped_ResumesFromLastVersionWithoutRelist()
    {
        var metrics = new RecordingKubernetesMetricsSink();
        await using var source = await Fast.StartSyncedAsync(_server, metrics: metrics);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        var rv = _server.ResourceVersion;
        for (var round = 0; round < 3; round++)
        {
            _server.DropWatches();
            _server.Upsert(Svc($"while-down-{round}", $"10.96.40.{round}"));
            _server.Delete("EndpointSlice", "dns-test", round == 0 ? "web-ipv6" : round == 1 ? "web-ipv4" : "db-abc12");
            await Converged(source);
        }

        Assert.Equal(1, metrics.Get("relists|inf|services|initial"));
        Assert.Equal(0, metrics.Sum("relists|inf|services|expired"));
        Assert.Contains(_server.Requests, r => r.Verb == "watch" && r.Resource == "services" && r.Query.Contains($"resourceVersion={rv}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_Stalled_DetectedAsDeadAndResumed()
    {
        var metrics = new RecordingKubernetesMetricsSink();
        await using var source = await Fast.StartSyncedAsync(_server, metrics: metrics);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        _server.StallWatches();
        _server.Upsert(Svc("during-stall", "10.96.50.1"));
        var stopwatch = Stopwatch.StartNew();
        await Converged(source);
        Assert.True(metrics.Sum("watch_restarts|inf|services|dead") >= 1);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), stopwatch.Elapsed.ToString());
    }

    [Fact]
    public async Task Watch_ExpiredWhileAway_RelistsAndDeletesWhatVanished()
    {
        var metrics = new RecordingKubernetesMetricsSink();
        await using var source = await Fast.StartSyncedAsync(_server, metrics: metrics);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        Assert.NotNull(source.Snapshot.GetService("dns-test", "web"));

        // The client misses the deletes, then the history is compacted: resuming is impossible (ERROR 410 on a 200).
        _server.StallWatches();
        _server.Delete("Service", "dns-test", "web");
        _server.Delete("EndpointSlice", "dns-test", "web-ipv4");
        _server.Upsert(Svc("new-after-compaction", "10.96.60.1"));
        _server.CompactHistory();
        _server.DropWatches();

        await Converged(source);
        Assert.Null(source.Snapshot.GetService("dns-test", "web"));
        Assert.True(metrics.Sum("relists|inf|services|expired") >= 1);
        Assert.Contains(_server.Requests, r => r.Verb == "watch" && r.Resource == "services" && r.StatusCode == 200);
    }

    [Fact]
    public async Task Watch_ErrorEventExpired_RelistsOnce()
    {
        var metrics = new RecordingKubernetesMetricsSink();
        await using var source = await Fast.StartSyncedAsync(_server, metrics: metrics);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        _server.ExpireNextWatches(1, "services");
        _server.DropWatches("services");
        await Fast.Eventually(() => metrics.Get("relists|inf|services|expired") == 1, "relisted after ERROR 410");
        _server.Upsert(Svc("after-expiry", "10.96.61.1"));
        await Converged(source);
        Assert.Equal(1, metrics.Get("events|inf|services|ERROR"));
    }

    [Fact]
    public async Task Errors500And429_RetriedHonouringRetryAfter()
    {
        _server.FailNextRequests(500, 2, "list", "services");
        _server.FailNextRequests(429, 1, "list", "services", retryAfterSeconds: 1);
        var stopwatch = Stopwatch.StartNew();
        await using var source = Fast.Source(_server);
        await source.StartAsync(CancellationToken.None);
        await Fast.Eventually(() => source.Status.State == SyncState.Retrying, "retrying");
        Assert.True(await source.WaitForSyncAsync(Fast.SyncTimeout, CancellationToken.None));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(0.9), "Retry-After honoured: " + stopwatch.Elapsed);
        Assert.Equal(3, _server.Requests.Count(r => r.Resource == "services" && r.StatusCode is 500 or 429));
        await Converged(source);
        Assert.Equal(SyncState.Synced, source.Status.State);
    }

    [Theory]
    [InlineData(FakeBrokenBody.Html)]
    [InlineData(FakeBrokenBody.TruncatedJson)]
    [InlineData(FakeBrokenBody.NotJson)]
    public async Task BrokenListBodies_LoggedRetriedCacheKept(FakeBrokenBody body)
    {
        var logs = new CapturingLoggerFactory();
        await using var source = await Fast.StartSyncedAsync(_server, logs: logs);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        var before = source.Snapshot.Services.Count;

        // Force a relist that meets broken answers.
        _server.BreakNextResponses(body, 3, "list", "services");
        _server.ExpireNextWatches(1, "services");
        _server.DropWatches("services");
        await Fast.Eventually(() => _server.Requests.Count(r => r.Verb == "list" && r.Resource == "services") >= 4, "relist attempts");
        Assert.Equal(before, source.Snapshot.Services.Count);
        Assert.NotNull(source.Snapshot.GetService("dns-test", "web"));
        _server.Upsert(Svc("after-broken", "10.96.70.1"));
        await Converged(source);
        Assert.Contains(logs.Lines, l => l.EventId == 3002 && l.Text.Contains("services", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_GarbageLine_ReconnectsWithoutRelist()
    {
        var metrics = new RecordingKubernetesMetricsSink();
        var logs = new CapturingLoggerFactory();
        await using var source = await Fast.StartSyncedAsync(_server, logs: logs, metrics: metrics);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        _server.InjectGarbageLine("services");
        _server.Upsert(Svc("after-garbage", "10.96.80.1"));
        await Converged(source);
        Assert.Contains(logs.Lines, l => l.EventId == 3007);
        Assert.Equal(1, metrics.Get("watch_restarts|inf|services|garbage"));
        Assert.Equal(0, metrics.Sum("relists|inf|services|expired"));
    }

    [Fact]
    public async Task Restart_LowerResourceVersions_SilentWatchesLeadToRelist()
    {
        var metrics = new RecordingKubernetesMetricsSink();
        await using var source = await Fast.StartSyncedAsync(_server, metrics: metrics);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        _server.Restart(newResourceVersionBase: 20);
        _server.Upsert(Svc("after-restore", "10.96.90.1"));
        _server.Delete("Service", "dns-test", "db");
        await Converged(source);
        Assert.True(metrics.Sum("relists|inf|services|quiet") >= 1);
    }

    [Fact]
    public async Task Restart_HigherResourceVersions_ExpiredAndRelisted()
    {
        var metrics = new RecordingKubernetesMetricsSink();
        await using var source = await Fast.StartSyncedAsync(_server, metrics: metrics);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        _server.Restart(newResourceVersionBase: 1_000_000);
        _server.Delete("Service", "dns-test", "ext");
        await Converged(source);
        Assert.True(metrics.Sum("relists|inf|services|expired") >= 1);
        Assert.Null(source.Snapshot.GetService("dns-test", "ext"));
    }

    [Fact]
    public async Task Forbidden_LoggedOnceWithVerbAndResource()
    {
        _server.Forbid("admin", "list", "pods");
        var logs = new CapturingLoggerFactory();
        await using var source = Fast.Source(_server, o => o with { WatchPods = true }, logs: logs);
        await source.StartAsync(CancellationToken.None);
        await Fast.Eventually(() => _server.Requests.Count(r => r.Resource == "pods" && r.StatusCode == 403) >= 3, "several 403s");
        var forbidden = logs.Lines.Where(l => l.EventId == 3003).ToList();
        var line = Assert.Single(forbidden).Text;
        Assert.Contains("verb \"list\" on resource \"pods\" in API group \"\"", line, StringComparison.Ordinal);
        Assert.False(source.HasSynced);
        var pods = source.Status.Informers.Single(i => i.Kind == ResourceKind.Pod);
        Assert.Equal(SyncState.Retrying, pods.State);
        Assert.Contains("403", pods.LastError, StringComparison.Ordinal);
        Assert.Equal(SyncState.Retrying, source.Status.State);

        _server.Allow("admin", "list", "pods");
        Assert.True(await source.WaitForSyncAsync(Fast.SyncTimeout, CancellationToken.None));
    }

    [Fact]
    public async Task LabelSelector_SentToServer_ObjectsLeavingItAreRemoved()
    {
        _server.Upsert(Svc("labelled", "10.96.11.1", labels: new() { ["app"] = "web" }));
        var selector = LabelSelector.Parse("app=web");
        await using var source = await Fast.StartSyncedAsync(_server, o => o with { Filter = new ClusterFilterOptions { Labels = selector } });
        Assert.Contains(_server.Requests, r => r.Resource == "services" && r.Query.Contains("labelSelector=app%3Dweb", StringComparison.Ordinal));
        Assert.NotNull(source.Snapshot.GetService("dns-test", "labelled"));
        Assert.NotNull(source.Snapshot.GetService("dns-test", "web"));
        Assert.Null(source.Snapshot.GetService("dns-test", "db"));
        Assert.Null(source.Snapshot.GetService("default", "kubernetes"));

        _server.Upsert(Svc("labelled", "10.96.11.1", labels: new() { ["app"] = "other" }));
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "labelled") is null, "left the selector");
    }

    [Fact]
    public async Task NamespaceFilter_OneNamespace_WatchedAlone()
    {
        await using var source = await Fast.StartSyncedAsync(_server, o => o with
        {
            Filter = new ClusterFilterOptions { Namespaces = ["dns-test"] },
        });
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        Assert.Contains(_server.Requests, r => r.Path == "/api/v1/namespaces/dns-test/services" && r.Verb == "watch");
        Assert.Null(source.Snapshot.GetService("default", "kubernetes"));
        Assert.Equal(["dns-test"], source.Snapshot.Namespaces.Keys.ToArray());
    }

    [Fact]
    public async Task NamespaceFilter_SeveralNamespaces_FilteredClientSide()
    {
        await using var source = await Fast.StartSyncedAsync(_server, o => o with
        {
            Filter = new ClusterFilterOptions { Namespaces = ["dns-test", "kube-system"] },
        });
        Assert.Contains(_server.Requests, r => r.Path == "/api/v1/services");
        Assert.Null(source.Snapshot.GetService("default", "kubernetes"));
        Assert.NotNull(source.Snapshot.GetService("dns-test", "web"));
    }

    [Fact]
    public async Task NamespaceLabels_LabelChanges_ObjectsAppearAndVanish()
    {
        _server.Upsert(FakeObjects.Namespace("team-b"));
        _server.Upsert(Svc("b-svc", "10.96.12.1", ns: "team-b"));
        _server.Upsert(Slice("b-svc-1", "b-svc", "10.244.9.1", ns: "team-b"));
        await using var source = await Fast.StartSyncedAsync(_server, o => o with
        {
            Filter = new ClusterFilterOptions { NamespaceLabels = LabelSelector.Parse("purpose=dns-fixtures") },
        });
        Assert.NotNull(source.Snapshot.GetService("dns-test", "web"));
        Assert.Null(source.Snapshot.GetService("team-b", "b-svc"));
        Assert.Null(source.Snapshot.GetService("default", "kubernetes"));

        var changes = new ConcurrentQueue<ClusterChange>();
        using var subscription = source.Subscribe(changes.Enqueue);
        _server.Upsert(FakeObjects.Namespace("team-b", new Dictionary<string, string> { ["purpose"] = "dns-fixtures" }));
        await Fast.Eventually(() => source.Snapshot.GetService("team-b", "b-svc") is not null, "team-b visible");
        Assert.Single(source.Snapshot.GetEndpointSlices("team-b", "b-svc"));
        Assert.Contains(changes, c => c.Changes.Contains(new ObjectChange(ResourceKind.Service, new ObjectKey("team-b", "b-svc"), ChangeType.Added)));

        _server.Upsert(FakeObjects.Namespace("dns-test"));
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "web") is null, "dns-test hidden");
        Assert.Empty(source.Snapshot.GetEndpointSlices("dns-test", "web"));
        Assert.False(source.Snapshot.Namespaces.ContainsKey("dns-test"));
    }

    [Fact]
    public async Task Pods_OnlyWhenAsked()
    {
        await using (var without = await Fast.StartSyncedAsync(_server))
        {
            Assert.Empty(without.Snapshot.Pods);
            Assert.DoesNotContain(_server.Requests, r => r.Resource == "pods");
        }

        await using var with = await Fast.StartSyncedAsync(_server, o => o with { WatchPods = true });
        Assert.Equal("db-0", with.Snapshot.GetPodsByIP(System.Net.IPAddress.Parse("10.244.1.21")).Single().Name);
        _server.Upsert(FakeObjects.Pod("dns-test", "db-0", "10.244.1.21", deleting: true));
        await Fast.Eventually(() => with.Snapshot.Pods[new ObjectKey("dns-test", "db-0")].IsDeleting, "deleting");
        await Converged(with, pods: true);
    }

    [Fact]
    public async Task ServiceExports_CrdMissing_AbsentNotAnErrorLoop()
    {
        await using var bare = await FakeKubernetesServer.StartAsync(new() { ServiceExportsInstalled = false, ClusterName = "bare" });
        bare.Upsert(Svc("web", "10.96.10.10"));
        await using var source = await Fast.StartSyncedAsync(bare, o => o with { WatchServiceExports = true });
        var exports = source.Status.Informers.Single(i => i.Kind == ResourceKind.ServiceExport);
        Assert.Equal(SyncState.Absent, exports.State);
        Assert.Equal(SyncState.Synced, source.Status.State);
        await Task.Delay(500);
        Assert.True(bare.Requests.Count(r => r.Path.Contains("serviceexports", StringComparison.Ordinal)) <= 2);
    }

    [Fact]
    public async Task ServiceExports_Installed_Watched()
    {
        _server.Upsert(FakeObjects.ServiceExport("dns-test", "web"));
        await using var source = await Fast.StartSyncedAsync(_server, o => o with { WatchServiceExports = true });
        Assert.True(source.Snapshot.ServiceExports.ContainsKey(new ObjectKey("dns-test", "web")));
        _server.Delete("ServiceExport", "dns-test", "web");
        await Fast.Eventually(() => source.Snapshot.ServiceExports.IsEmpty, "export deleted");
    }

    [Fact]
    public async Task GlobalTrafficPolicies_CrdMissing_AbsentNotAnErrorLoop()
    {
        await using var bare = await FakeKubernetesServer.StartAsync(new() { GlobalTrafficPoliciesInstalled = false, ClusterName = "bare" });
        bare.Upsert(Svc("web", "10.96.10.10"));
        await using var source = await Fast.StartSyncedAsync(bare, o => o with { WatchGlobalTrafficPolicies = true });
        var policies = source.Status.Informers.Single(i => i.Kind == ResourceKind.GlobalTrafficPolicy);
        Assert.Equal(SyncState.Absent, policies.State);
        Assert.Equal(SyncState.Synced, source.Status.State);
        await Task.Delay(500);
        Assert.True(bare.Requests.Count(r => r.Path.Contains("globaltrafficpolicies", StringComparison.Ordinal)) <= 2);
    }

    [Fact]
    public async Task GlobalTrafficPolicies_Installed_WatchedWithTheirSpec()
    {
        _server.Upsert(FakeObjects.GlobalTrafficPolicy("dns-test", "web", "FailOver", "default/default/default/cluster-1", "default/default/default/cluster-3"));
        await using var source = await Fast.StartSyncedAsync(_server, o => o with { WatchGlobalTrafficPolicies = true });
        var policy = source.Snapshot.GlobalTrafficPolicies[new ObjectKey("dns-test", "web")];
        Assert.Equal("FailOver", policy.LbType);
        Assert.Equal(["cluster-1", "cluster-3"], policy.Targets.Select(t => t.ClusterName));
        _server.Upsert(FakeObjects.GlobalTrafficPolicy("dns-test", "web", "ActiveActive"));
        await Fast.Eventually(() => source.Snapshot.GlobalTrafficPolicies[new ObjectKey("dns-test", "web")].LbType == "ActiveActive", "policy updated");
        _server.Delete("GlobalTrafficPolicy", "dns-test", "web");
        await Fast.Eventually(() => source.Snapshot.GlobalTrafficPolicies.IsEmpty, "policy deleted");
    }

    [Fact]
    public async Task SlowBodies_StillSync()
    {
        _server.SlowBodies(TimeSpan.FromMilliseconds(2), 512);
        await using var source = await Fast.StartSyncedAsync(_server);
        await Converged(source);
    }

    [Fact]
    public async Task Burst_Coalesced_FirstChangeFast()
    {
        await using var source = await Fast.StartSyncedAsync(_server);
        await _server.WaitForWatchesAsync("services", 1, Fast.SyncTimeout);
        var published = new ConcurrentQueue<ClusterChange>();
        using var subscription = source.Subscribe(published.Enqueue);

        var stopwatch = Stopwatch.StartNew();
        _server.Upsert(Svc("first", "10.96.13.1"));
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "first") is not null, "first change");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), stopwatch.Elapsed.ToString());

        var before = published.Count;
        for (var i = 0; i < 200; i++)
        {
            _server.Upsert(Svc($"burst-{i}", $"10.96.14.{i}"));
        }

        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "burst-199") is not null, "burst applied");
        var burst = published.Skip(before).ToList();
        Assert.True(burst.Count < 100, $"{burst.Count} snapshots for 200 events");
        Assert.Equal(200, burst.SelectMany(c => c.Changes).Count(c => c.Key.Name.StartsWith("burst-", StringComparison.Ordinal)));
        Assert.All(burst.Zip(burst.Skip(1)), pair => Assert.Same(pair.First.Snapshot, pair.Second.Previous));
    }

    [Fact]
    public async Task ClientSideQps_SpacesRequests()
    {
        var metrics = new RecordingKubernetesMetricsSink();
        var stopwatch = Stopwatch.StartNew();
        // 3 lists + 3 watches at 5 per second with a burst of 1: at least 5 waits of 0.2 s.
        await using var source = await Fast.StartSyncedAsync(_server, o => o with { Limits = new ApiServerLimits { Qps = 5, Burst = 1, MaxInflight = 1 } }, metrics: metrics);
        await _server.WaitForWatchesAsync(null, 3, Fast.SyncTimeout);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(0.8), stopwatch.Elapsed.ToString());
        Assert.True(metrics.Sum("ratelimited|inf|") >= 4);
        await Converged(source);
    }

    [Fact]
    public async Task Status_ReportsPerInformerState()
    {
        await using var source = await Fast.StartSyncedAsync(_server, o => o with { WatchPods = true });
        var status = source.Status;
        Assert.Equal(SyncState.Synced, status.State);
        Assert.True(status.HasSynced);
        Assert.Equal(4, status.Informers.Length);
        var services = status.Informers.Single(i => i.Kind == ResourceKind.Service);
        Assert.Equal("services", services.Resource);
        Assert.Equal(4, services.ObjectCount);
        Assert.NotNull(services.LastEventTime);
        Assert.Equal("endpointslices.discovery.k8s.io", status.Informers.Single(i => i.Kind == ResourceKind.EndpointSlice).Resource);
        await source.StopAsync(CancellationToken.None);
        Assert.Equal(SyncState.Stopped, source.Status.State);
    }
}
