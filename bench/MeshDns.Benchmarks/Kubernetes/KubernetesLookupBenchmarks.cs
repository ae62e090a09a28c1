using System.Collections.Immutable;
using System.Net;
using BenchmarkDotNet.Attributes;
using MeshDns.Kubernetes;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Benchmarks.Kubernetes;

/// <summary>
/// The kubernetai handler answering from its precomputed tables, over a cluster of 10,000 services (a third headless
/// with 3 endpoints each) plus a reverse zone: a ClusterIP A, a headless SRV with its 3 targets' addresses as
/// additional records, a PTR, an NXDOMAIN. Each call loads the query into a context and serves it, as a receive
/// loop does; all must allocate 0 bytes.
/// </summary>
[MemoryDiagnoser]
public class KubernetesLookupBenchmarks
{
    private KubernetesHandler _handler = null!;
    private DnsRequestContext _context = null!;
    private byte[] _a = null!;
    private byte[] _srv = null!;
    private byte[] _ptr = null!;
    private byte[] _nxdomain = null!;

    [GlobalSetup]
    public void Setup()
    {
        var source = new InMemoryClusterSource("aws-euwest1.local");
        source.ReplaceAll(KubernetesBenchCluster.Objects(10_000));
        var services = new MeshDnsServices(NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new ServerOptions());
        var cluster = new ClusterAnswers(KubernetesBenchCluster.Options(source), services);
        cluster.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        _handler = new KubernetesHandler(new ChainTerminator(), "kubernetai", [cluster]);
        _context = new DnsRequestContext();
        _a = Query("svc-4.ns-4.svc.aws-euwest1.local.", DnsRecordType.A);
        _srv = Query("_cql._tcp.svc-2.ns-2.svc.aws-euwest1.local.", DnsRecordType.SRV);
        _ptr = Query("5.0.96.10.in-addr.arpa.", DnsRecordType.PTR);
        _nxdomain = Query("nope.ns-4.svc.aws-euwest1.local.", DnsRecordType.A);
        Check(_a, 1, DnsResponseCode.NoError);
        Check(_srv, 3, DnsResponseCode.NoError);
        Check(_ptr, 1, DnsResponseCode.NoError);
        Check(_nxdomain, 0, DnsResponseCode.NXDomain);
    }

    [Benchmark(Baseline = true, Description = "A (ClusterIP)")]
    public int A() => Serve(_a);

    [Benchmark(Description = "SRV (headless, 3 endpoints + additional)")]
    public int Srv() => Serve(_srv);

    [Benchmark(Description = "PTR")]
    public int Ptr() => Serve(_ptr);

    [Benchmark(Description = "NXDOMAIN (+ SOA)")]
    public int NxDomain() => Serve(_nxdomain);

    private int Serve(byte[] query)
    {
        _context.Load(query, DnsTransport.Udp);
        var pending = _handler.ServeAsync(_context);
        return pending.IsCompletedSuccessfully ? _context.Response.Answers.Count : throw new InvalidOperationException("not synchronous");
    }

    private void Check(byte[] query, int answers, DnsResponseCode rcode)
    {
        Serve(query);
        if (_context.Response.Answers.Count != answers || _context.Response.ResponseCode != rcode)
        {
            throw new InvalidOperationException($"unexpected answer in setup:\n{_context.Response}");
        }
    }

    private static byte[] Query(string name, DnsRecordType type) => DnsMessage.CreateQuery(DnsName.Parse(name), type, 1).ToArray();
}

/// <summary>
/// The cost of one cluster change reaching the answers: a changed EndpointSlice (a StatefulSet member moved) or a
/// new service applied to the answer table of a 10,000-service cluster. Only the changed names are rebuilt and only
/// the shards holding them are copied.
/// </summary>
[MemoryDiagnoser]
public class KubernetesTableUpdateBenchmarks
{
    private InMemoryClusterSource _source = null!;
    private AnswerTableBuilder _builder = null!;
    private IDisposable _subscription = null!;
    private int _counter;

    [GlobalSetup]
    public void Setup()
    {
        _source = new InMemoryClusterSource("aws-euwest1.local");
        _source.ReplaceAll(KubernetesBenchCluster.Objects(10_000));
        _builder = new AnswerTableBuilder(KubernetesBenchCluster.Options(_source));
        _builder.Rebuild(_source.Snapshot);
        _subscription = _source.Subscribe(change => _builder.Apply(change));
    }

    [GlobalCleanup]
    public void Cleanup() => _subscription.Dispose();

    /// <summary>Includes the snapshot publish of MeshDns.Kubernetes (SnapshotUpdateBenchmarks measures it alone).</summary>
    [Benchmark(Description = "endpoint slice changed")]
    public long EndpointSliceChanged()
    {
        var i = (_counter++ % 3_333) * 3 + 2;
        _source.Upsert(KubernetesBenchCluster.Slice(i, 3, _counter));
        return _builder.Table.SnapshotVersion;
    }

    [Benchmark(Description = "full rebuild (10,000 services)")]
    public int FullRebuild() => new AnswerTableBuilder(KubernetesBenchCluster.Options(_source)).Rebuild(_source.Snapshot).Table.NameCount;
}

/// <summary>The synthetic cluster the Kubernetes benchmarks share.</summary>
internal static class KubernetesBenchCluster
{
    public static KubernetesOptions Options(IClusterSource source) => new()
    {
        Directive = "kubernetai",
        Zones = [DnsName.Parse("aws-euwest1.local."), DnsName.Parse("10.in-addr.arpa.")],
        ClusterName = source.Name,
        Connection = new ClusterConnection.Provided(source),
    };

    /// <summary>Services svc-i in namespace ns-(i % 50): ClusterIP 10.96.x.y with 2 endpoints, every third headless with 3.</summary>
    public static IEnumerable<IKubernetesObject> Objects(int services)
    {
        for (var n = 0; n < 50; n++)
        {
            yield return new NamespaceInfo($"ns-{n}", ImmutableDictionary<string, string>.Empty, "1");
        }

        for (var i = 0; i < services; i++)
        {
            var headless = i % 3 == 2;
            yield return new ServiceInfo(
                $"ns-{i % 50}", $"svc-{i}", ServiceType.ClusterIP, headless ? [] : [new IPAddress([10, 96, (byte)(i / 250), (byte)((i % 250) + 1)])], headless,
                [new ServicePortInfo("cql", "TCP", 9042), new ServicePortInfo("http", "TCP", 80)], null, [], false,
                ImmutableDictionary<string, string>.Empty, ImmutableDictionary<string, string>.Empty, "1");
            yield return Slice(i, headless ? 3 : 2, 0);
        }
    }

    public static EndpointSliceInfo Slice(int service, int endpoints, int generation) => new(
        $"ns-{service % 50}", $"svc-{service}-abcde", $"svc-{service}", EndpointAddressType.IPv4,
        [.. Enumerable.Range(0, endpoints).Select(e => new EndpointInfo(
            [new IPAddress([10, (byte)(200 + e), (byte)(service / 250), (byte)((service % 250) + 1 + (generation % 3))])],
            $"svc-{service}-{e}", "node-1", "zone-a", null, true, true, false))],
        [new EndpointPortInfo("cql", "TCP", 9042, null), new EndpointPortInfo("http", "TCP", 8080, null)],
        generation.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
