using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using MeshDns.Kubernetes.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Kubernetes.Tests;

public sealed class ClusterStateStoreTests
{
    private static readonly ResourceKind[] AllKinds = [ResourceKind.Namespace, ResourceKind.Service, ResourceKind.EndpointSlice, ResourceKind.Pod];

    private static ServiceInfo Service(string ns, string name, string ip, string rv) => new(
        ns, name, ServiceType.ClusterIP, [IPAddress.Parse(ip)], false, [new ServicePortInfo("http", "TCP", 80)], null, [], false,
        ImmutableDictionary<string, string>.Empty, ImmutableDictionary<string, string>.Empty, rv);

    private static EndpointSliceInfo Slice(string ns, string name, string service, string rv, params string[] ips) => new(
        ns, name, service, EndpointAddressType.IPv4,
        [.. ips.Select(ip => new EndpointInfo([IPAddress.Parse(ip)], null, null, null, null, true, true, false))],
        [new EndpointPortInfo("http", "TCP", 8080, null)], rv);

    private static NamespaceInfo Namespace(string name, string rv, params (string Key, string Value)[] labels) =>
        new(name, labels.ToImmutableDictionary(l => l.Key, l => l.Value), rv);

    private static async Task<(ClusterStateStore Store, CancellationTokenSource Stop, Task Run)> StartAsync(ClusterFilterOptions? filter = null)
    {
        var store = new ClusterStateStore("unit", filter ?? ClusterFilterOptions.None, AllKinds, TimeSpan.FromMilliseconds(5), TimeProvider.System, NullLogger.Instance);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => store.RunAsync(stop.Token));
        await Task.Yield();
        return (store, stop, run);
    }

    private static void ReplaceAll(ClusterStateStore store, params IKubernetesObject[] objects)
    {
        foreach (var kind in AllKinds)
        {
            store.Replace(kind, [.. objects.Where(o => KindOf(o) == kind)]);
        }
    }

    private static ResourceKind KindOf(IKubernetesObject o) => o switch
    {
        NamespaceInfo => ResourceKind.Namespace,
        ServiceInfo => ResourceKind.Service,
        EndpointSliceInfo => ResourceKind.EndpointSlice,
        _ => ResourceKind.Pod,
    };

    [Fact]
    public async Task Replace_ThenDiff_EmitsDeletesForVanishedOnly()
    {
        var (store, stop, run) = await StartAsync();
        using (stop)
        {
            ReplaceAll(store, Namespace("n", "1"), Service("n", "a", "10.0.0.1", "1"), Service("n", "b", "10.0.0.2", "1"), Slice("n", "a-1", "a", "1", "10.1.0.1"));
            Assert.True(await store.SyncedTask.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully));
            var changes = new ConcurrentQueue<ClusterChange>();
            using var subscription = store.Subscribe(changes.Enqueue);

            // A relist: "a" unchanged (same rv), "b" gone, "c" new, slice updated.
            store.Replace(ResourceKind.Service, [Service("n", "a", "10.0.0.1", "1"), Service("n", "c", "10.0.0.3", "2")]);
            store.Replace(ResourceKind.EndpointSlice, [Slice("n", "a-1", "a", "2", "10.1.0.2")]);
            await Fast.Eventually(() => store.Snapshot.Services.ContainsKey(new ObjectKey("n", "c")) && store.Snapshot.EndpointsByIP.ContainsKey(IPAddress.Parse("10.1.0.2")), "relist applied");

            var all = changes.SelectMany(c => c.Changes).ToList();
            Assert.Contains(new ObjectChange(ResourceKind.Service, new ObjectKey("n", "b"), ChangeType.Deleted), all);
            Assert.Contains(new ObjectChange(ResourceKind.Service, new ObjectKey("n", "c"), ChangeType.Added), all);
            Assert.Contains(new ObjectChange(ResourceKind.EndpointSlice, new ObjectKey("n", "a-1"), ChangeType.Updated), all);
            Assert.DoesNotContain(all, c => c.Key == new ObjectKey("n", "a") && c.Kind == ResourceKind.Service);
            Assert.Empty(store.Snapshot.GetEndpointsByIP(IPAddress.Parse("10.1.0.1")));
            SnapshotAssert.IndexesConsistent(store.Snapshot);
            await stop.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task AddedThenDeletedInOneBatch_NotReported()
    {
        var (store, stop, run) = await StartAsync();
        using (stop)
        {
            ReplaceAll(store);
            await store.SyncedTask.WaitAsync(TimeSpan.FromSeconds(5));
            var changes = new ConcurrentQueue<ClusterChange>();
            using var subscription = store.Subscribe(changes.Enqueue);
            store.Upsert(ResourceKind.Service, Service("n", "blink", "10.0.0.9", "5"));
            store.Delete(ResourceKind.Service, new ObjectKey("n", "blink"));
            store.Upsert(ResourceKind.Service, Service("n", "stays", "10.0.0.8", "6"));
            await Fast.Eventually(() => store.Snapshot.Services.ContainsKey(new ObjectKey("n", "stays")), "applied");
            var keys = changes.SelectMany(c => c.Changes).Select(c => c.Key.Name).ToList();
            Assert.Contains("stays", keys);
            Assert.True(keys.Count(k => k == "blink") % 2 == 0 || !keys.Contains("blink"));
            Assert.Empty(store.Snapshot.GetServicesByClusterIP(IPAddress.Parse("10.0.0.9")));
            await stop.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task SharedClusterIP_IndexHoldsBothUntilOneGoes()
    {
        var (store, stop, run) = await StartAsync();
        using (stop)
        {
            ReplaceAll(store, Service("n", "a", "10.0.0.1", "1"), Service("m", "a", "10.0.0.1", "1"));
            await store.SyncedTask.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(2, store.Snapshot.GetServicesByClusterIP(IPAddress.Parse("10.0.0.1")).Length);
            store.Upsert(ResourceKind.Service, Service("n", "a", "10.0.0.2", "2"));
            await Fast.Eventually(() => store.Snapshot.GetServicesByClusterIP(IPAddress.Parse("10.0.0.1")).Length == 1, "moved");
            Assert.Equal("m", store.Snapshot.GetServicesByClusterIP(IPAddress.Parse("10.0.0.1")).Single().Namespace);
            SnapshotAssert.IndexesConsistent(store.Snapshot);
            await stop.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task SnapshotsAreImmutable_OldReadersUnaffected()
    {
        var (store, stop, run) = await StartAsync();
        using (stop)
        {
            ReplaceAll(store, Service("n", "a", "10.0.0.1", "1"));
            await store.SyncedTask.WaitAsync(TimeSpan.FromSeconds(5));
            var old = store.Snapshot;
            store.Delete(ResourceKind.Service, new ObjectKey("n", "a"));
            await Fast.Eventually(() => store.Snapshot.Services.IsEmpty, "deleted");
            Assert.Single(old.Services);
            Assert.Single(old.GetServicesByClusterIP(IPAddress.Parse("10.0.0.1")));
            Assert.True(store.Snapshot.Version > old.Version);
            await stop.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task NotSynced_UntilEveryKindReplaced()
    {
        var (store, stop, run) = await StartAsync();
        using (stop)
        {
            store.Replace(ResourceKind.Service, [Service("n", "a", "10.0.0.1", "1")]);
            await Fast.Eventually(() => store.Snapshot.Services.Count == 1, "services in");
            Assert.False(store.HasSynced);
            store.Replace(ResourceKind.Namespace, []);
            store.Replace(ResourceKind.EndpointSlice, []);
            store.Replace(ResourceKind.Pod, []);
            await store.SyncedTask.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.True(store.Snapshot.HasSynced);
            await stop.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task ManyRandomDeltas_IndexesStayConsistent()
    {
        var (store, stop, run) = await StartAsync(new ClusterFilterOptions { NamespaceLabels = LabelSelector.Parse("on") });
        using (stop)
        {
            ReplaceAll(store);
            await store.SyncedTask.WaitAsync(TimeSpan.FromSeconds(5));
            var random = new Random(42);
            var version = 10;
            for (var i = 0; i < 3000; i++)
            {
                var ns = $"ns{random.Next(3)}";
                var name = $"o{random.Next(30)}";
                version++;
                var rv = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
                switch (random.Next(7))
                {
                    case 0:
                        store.Upsert(ResourceKind.Service, Service(ns, name, $"10.0.{random.Next(4)}.{random.Next(4)}", rv));
                        break;
                    case 1:
                        store.Delete(ResourceKind.Service, new ObjectKey(ns, name));
                        break;
                    case 2:
                        store.Upsert(ResourceKind.EndpointSlice, Slice(ns, name, $"o{random.Next(30)}", rv, $"10.1.{random.Next(4)}.{random.Next(4)}", $"10.1.9.{random.Next(4)}"));
                        break;
                    case 3:
                        store.Delete(ResourceKind.EndpointSlice, new ObjectKey(ns, name));
                        break;
                    case 4:
                        store.Upsert(ResourceKind.Pod, new PodInfo(ns, name, [IPAddress.Parse($"10.2.0.{random.Next(8)}")], false, rv));
                        break;
                    case 5:
                        store.Upsert(ResourceKind.Namespace, random.Next(2) == 0 ? Namespace(ns, rv, ("on", "yes")) : Namespace(ns, rv));
                        break;
                    default:
                        store.Delete(ResourceKind.Pod, new ObjectKey(ns, name));
                        break;
                }
            }

            store.Upsert(ResourceKind.Service, Service("end", "marker", "10.9.9.9", "99999"));
            store.Upsert(ResourceKind.Namespace, Namespace("end", "99999", ("on", "1")));
            await Fast.Eventually(() => store.Snapshot.Services.ContainsKey(new ObjectKey("end", "marker")), "all applied");
            var snapshot = store.Snapshot;
            SnapshotAssert.IndexesConsistent(snapshot);
            Assert.All(snapshot.Services.Keys, k => Assert.True(snapshot.Namespaces.ContainsKey(k.Namespace)));
            await stop.CancelAsync();
            await run;
        }
    }
}
