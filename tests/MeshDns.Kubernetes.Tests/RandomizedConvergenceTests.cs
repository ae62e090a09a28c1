using System.Text.Json.Nodes;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Kubernetes.Tests;

/// <summary>Thousands of random changes interleaved with random faults; afterwards the cache must equal the server.</summary>
public sealed class RandomizedConvergenceTests
{
    private static readonly string[] Namespaces = ["alpha", "beta", "gamma", "delta"];

    [Theory]
    [InlineData(20261122, 3000)]
    [InlineData(7, 1500)]
    public async Task RandomChangesAndFaults_CacheEndsEqualToServer(int seed, int operations)
    {
        var random = new Random(seed);
        await using var server = await FakeKubernetesServer.StartAsync(new() { ClusterName = "random", HistoryLimit = 400 });
        foreach (var ns in Namespaces)
        {
            server.Upsert(FakeObjects.Namespace(ns));
        }

        var metrics = new RecordingKubernetesMetricsSink();
        await using var source = await Fast.StartSyncedAsync(server, o => o with
        {
            WatchPods = true,
            Informers = Fast.Informers with { PageSize = 25, DeadWatchBound = TimeSpan.FromSeconds(1) },
        }, metrics: metrics);

        var faults = new List<string>();
        for (var i = 0; i < operations; i++)
        {
            var ns = Namespaces[random.Next(Namespaces.Length)];
            var id = random.Next(40);
            switch (random.Next(100))
            {
                case < 30:
                    server.Upsert(FakeObjects.Service(ns, $"svc-{id}", $"10.96.{random.Next(256)}.{random.Next(1, 255)}",
                        [new FakePort("p", random.Next(1, 65535))], new Dictionary<string, string> { ["gen"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
                    break;
                case < 42:
                    server.Delete("Service", ns, $"svc-{id}");
                    break;
                case < 67:
                    server.Upsert(RandomSlice(random, ns, id));
                    break;
                case < 77:
                    server.Delete("EndpointSlice", ns, $"svc-{id}-{id % 3}");
                    break;
                case < 87:
                    server.Upsert(FakeObjects.Pod(ns, $"pod-{id}", $"10.244.{random.Next(256)}.{random.Next(1, 255)}", deleting: random.Next(10) == 0));
                    break;
                case < 93:
                    server.Delete("Pod", ns, $"pod-{id}");
                    break;
                case < 96:
                    server.Upsert(FakeObjects.Namespace(ns, new Dictionary<string, string> { ["v"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
                    break;
                default:
                    faults.Add(InjectFault(server, random));
                    break;
            }

            if (i % 40 == 0)
            {
                // Let watches deliver, so faults hit live streams, half-read lists and resumptions.
                await Task.Delay(random.Next(1, 15));
            }
        }

        server.ClearFaults();
        await Fast.Eventually(
            () =>
            {
                var snapshot = source.Snapshot;
                return Fast.ServerState(server, "Service").SequenceEqual(Fast.CacheState(snapshot.Services.Values))
                    && Fast.ServerState(server, "EndpointSlice").SequenceEqual(Fast.CacheState(snapshot.EndpointSlices.Values))
                    && Fast.ServerState(server, "Pod").SequenceEqual(Fast.CacheState(snapshot.Pods.Values))
                    && Fast.ServerState(server, "Namespace").SequenceEqual(Fast.CacheState(snapshot.Namespaces.Values));
            },
            $"convergence (seed {seed}; faults: {string.Join(", ", faults.GroupBy(f => f).Select(g => $"{g.Key}x{g.Count()}"))})",
            TimeSpan.FromSeconds(30));

        SnapshotAssert.IndexesConsistent(source.Snapshot);
        Assert.True(faults.Count > 20, "the run injected too few faults to mean anything");
        Assert.True(metrics.Sum("watch_restarts|random|") + metrics.Sum("relists|random|") > 10);
    }

    private static JsonObject RandomSlice(Random random, string ns, int id)
    {
        var endpoints = Enumerable.Range(0, random.Next(0, 4))
            .Select(e => new FakeEndpoint($"10.244.{id}.{random.Next(1, 255)}", Ready: random.Next(3) == 0 ? null : random.Next(2) == 0, PodName: $"pod-{e}"))
            .ToList();
        return FakeObjects.EndpointSlice(ns, $"svc-{id}-{id % 3}", random.Next(5) == 0 ? $"svc-{random.Next(40)}" : $"svc-{id}", endpoints, [new FakePort("p", 8080)]);
    }

    private static string InjectFault(FakeKubernetesServer server, Random random)
    {
        string[] resources = ["services", "endpointslices", "pods", "namespaces"];
        var resource = resources[random.Next(resources.Length)];
        switch (random.Next(10))
        {
            case 0:
                server.DropWatches(resource);
                return "drop";
            case 1:
                server.StallWatches(resource);
                return "stall";
            case 2:
                server.ExpireNextWatches(1, resource);
                server.DropWatches(resource);
                return "expire";
            case 3:
                server.CompactHistory();
                server.DropWatches();
                return "compact";
            case 4:
                server.InjectGarbageLine(resource);
                return "garbage";
            case 5:
                server.FailNextRequests(random.Next(2) == 0 ? 500 : 503, 2, resource: resource);
                server.DropWatches(resource);
                return "5xx";
            case 6:
                server.FailNextRequests(429, 1, resource: resource, retryAfterSeconds: 0);
                server.DropWatches(resource);
                return "429";
            case 7:
                server.BreakNextResponses((FakeBrokenBody)random.Next(3), 1, "list", resource);
                server.ExpireNextWatches(1, resource);
                server.DropWatches(resource);
                return "broken";
            case 8:
                server.Restart(server.ResourceVersion + random.Next(-30, 500));
                return "restart";
            default:
                server.Restart();
                return "restart-same";
        }
    }
}
