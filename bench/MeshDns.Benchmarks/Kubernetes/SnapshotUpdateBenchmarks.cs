using System.Collections.Immutable;
using System.Net;
using BenchmarkDotNet.Attributes;
using MeshDns.Kubernetes;
using MeshDns.Kubernetes.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Benchmarks.Kubernetes;

/// <summary>
/// The cost of publishing one changed service or endpoint slice into a snapshot of 10,000 services + 10,000 slices
/// (immutable collections: a few allocations on the changed paths, never a copy of the whole cluster).
/// </summary>
[MemoryDiagnoser]
public class SnapshotUpdateBenchmarks
{
    private ClusterStateStore _store = null!;
    private int _counter;

    [GlobalSetup]
    public void Setup()
    {
        _store = new ClusterStateStore("bench", ClusterFilterOptions.None, [ResourceKind.Service, ResourceKind.EndpointSlice], TimeSpan.Zero, TimeProvider.System, NullLogger.Instance);
        _store.Replace(ResourceKind.Service, [.. Enumerable.Range(0, 10_000).Select(i => (IKubernetesObject)Service(i, "1"))]);
        _store.Replace(ResourceKind.EndpointSlice, [.. Enumerable.Range(0, 10_000).Select(i => (IKubernetesObject)Slice(i, "1"))]);
        _store.DrainAndPublish();
    }

    [Benchmark]
    public long OneServiceChanged()
    {
        var i = _counter++ % 10_000;
        _store.Upsert(ResourceKind.Service, Service(i, _counter.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        _store.DrainAndPublish();
        return _store.Snapshot.Version;
    }

    [Benchmark]
    public long OneEndpointSliceChanged()
    {
        var i = _counter++ % 10_000;
        _store.Upsert(ResourceKind.EndpointSlice, Slice(i, _counter.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        _store.DrainAndPublish();
        return _store.Snapshot.Version;
    }

    [Benchmark]
    public int LookupServiceAndSlices()
    {
        var snapshot = _store.Snapshot;
        var i = _counter++ % 10_000;
        var service = snapshot.GetService($"ns-{i % 50}", $"svc-{i}");
        return (service?.Ports.Length ?? 0) + snapshot.GetEndpointSlices($"ns-{i % 50}", $"svc-{i}").Length;
    }

    private static ServiceInfo Service(int i, string rv) => new(
        $"ns-{i % 50}", $"svc-{i}", ServiceType.ClusterIP, [new IPAddress([10, 96, (byte)(i / 250), (byte)((i % 250) + 1)])], false,
        [new ServicePortInfo("http", "TCP", 80)], null, [], false, ImmutableDictionary<string, string>.Empty, ImmutableDictionary<string, string>.Empty, rv);

    private static EndpointSliceInfo Slice(int i, string rv) => new(
        $"ns-{i % 50}", $"svc-{i}-abcde", $"svc-{i}", EndpointAddressType.IPv4,
        [new EndpointInfo([new IPAddress([10, 244, (byte)(i / 250), (byte)((i % 250) + 1)])], $"svc-{i}-0", "node-1", "zone-a", null, true, true, false)],
        [new EndpointPortInfo("http", "TCP", 8080, null)], rv);
}
