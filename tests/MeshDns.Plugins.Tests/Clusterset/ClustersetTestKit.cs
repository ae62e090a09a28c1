using System.Collections.Immutable;
using System.Net;
using MeshDns.Kubernetes;
using MeshDns.Plugins.Clusterset;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Plugins.Tests.Support;
using MeshDns.Protocol;
using static MeshDns.Plugins.Tests.Kubernetes.K8s;

namespace MeshDns.Plugins.Tests.Clusterset;

/// <summary>Three regions with a <c>cassandra</c> service in namespace <c>db</c>, and the pipeline over them.</summary>
internal static class Mesh
{
    public const string GlobalAnnotation = "service.cilium.io/global";

    /// <summary>The member names, in the Corefile's failover order.</summary>
    public static readonly string[] Regions = ["aws", "gcp", "azure"];

    /// <summary>A service with annotations (Cilium's, MeshDns's).</summary>
    public static ServiceInfo Annotated(ServiceInfo service, params (string Key, string Value)[] annotations) =>
        service with { Annotations = annotations.ToImmutableDictionary(a => a.Key, a => a.Value) };

    /// <summary>
    /// <c>cassandra.db</c> in region <paramref name="region"/> (0..2): ClusterIP <c>10.9{6+region}.0.10</c> and
    /// <paramref name="endpoints"/> ready pods <c>cassandra-N</c> at <c>10.24{4+region}.0.N+1</c>, port cql/9042.
    /// </summary>
    public static IKubernetesObject[] Cassandra(int region, int endpoints, params (string Key, string Value)[] annotations) =>
    [
        Annotated(Service("db", "cassandra", $"10.9{6 + region}.0.10", Port("cql", 9042)), annotations),
        Slice("db", "cassandra-x", "cassandra", [.. Enumerable.Range(0, endpoints).Select(i => Endpoint($"10.24{4 + region}.0.{i + 1}", $"cassandra-{i}"))], SlicePort("cql", 9042)),
    ];

    /// <summary>An MCS ServiceExport.</summary>
    public static ServiceExportInfo Export(string ns, string name) => new(ns, name, Guid.NewGuid().ToString());

    /// <summary>An FSM GlobalTrafficPolicy with targets given as cluster names.</summary>
    public static GlobalTrafficPolicyInfo Gtp(string ns, string name, string lbType, params string[] targets) =>
        new(ns, name, lbType, [.. targets.Select(t => new TrafficTargetInfo("default/default/default/" + t, null))], Guid.NewGuid().ToString());

    /// <summary>One in-memory source per region, each with namespace <c>db</c> plus <paramref name="objects"/>[i].</summary>
    public static IClusterSource[] Sources(params IKubernetesObject[][] objects)
    {
        var sources = new IClusterSource[objects.Length];
        for (var i = 0; i < objects.Length; i++)
        {
            var source = new TestClusterSource(Regions[i]);
            source.Memory.ReplaceAll([Namespace("db"), .. objects[i]]);
            sources[i] = source;
        }

        return sources;
    }

    /// <summary>The kubernetai stanzas of the regions and a clusterset over them, with <paramref name="options"/> inside it.</summary>
    public static string Corefile(string options, int regions = 3, string zones = "clusterset.local") => $$"""
        .:0 {
            bind 127.0.0.1
        {{string.Join("\n", Regions.Take(regions).Select(r => $"    kubernetai {r}.local {{\n        cluster {r}\n    }}"))}}
            clusterset {{zones}} {
        {{string.Join("\n", Regions.Take(regions).Select((r, i) => $"        member {r}{(i == 0 ? " local" : string.Empty)}"))}}
                {{options}}
            }
        }
        """;

    public static IReadOnlyList<string> Addresses(DnsMessage reply) =>
        [.. reply.Answers.Select(r => r switch { ARecord a => a.Address.ToString(), AaaaRecord a => a.Address.ToString(), _ => r.ToString() }).Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> SrvTargets(DnsMessage reply) =>
        [.. reply.Answers.OfType<SrvRecord>().Select(s => $"{s.Target} {s.Port}").Order(StringComparer.Ordinal)];
}

/// <summary>An in-memory cluster whose API server can be made unreachable (its status says Retrying; its data stays).</summary>
internal sealed class TestClusterSource(string name) : IClusterSource
{
    public InMemoryClusterSource Memory { get; } = new(name);

    public bool Unreachable { get; set; }

    public string Name => Memory.Name;

    public ClusterSnapshot Snapshot => Memory.Snapshot;

    public bool HasSynced => Memory.HasSynced;

    public ClusterSourceStatus Status
    {
        get
        {
            var status = Memory.Status;
            if (!Unreachable)
            {
                return status;
            }

            var informers = status.Informers.Select(i => i with { State = SyncState.Retrying, LastError = "connection refused" }).ToImmutableArray();
            return status with { State = SyncState.Retrying, LastError = "connection refused", Informers = informers };
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Memory.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Memory.StopAsync(cancellationToken);

    public Task<bool> WaitForSyncAsync(TimeSpan timeout, CancellationToken cancellationToken) => Memory.WaitForSyncAsync(timeout, cancellationToken);

    public IDisposable Subscribe(Action<ClusterChange> handler) => Memory.Subscribe(handler);

    public ValueTask DisposeAsync() => Memory.DisposeAsync();
}

/// <summary>The real pipeline over given sources: a kubernetes/kubernetai stanza gets the source named like its cluster.</summary>
internal sealed class ClustersetHarness : IAsyncDisposable
{
    private ClustersetHarness(PluginHarness pipeline, IClusterSource[] sources)
    {
        Pipeline = pipeline;
        Sources = sources;
    }

    public PluginHarness Pipeline { get; }

    public IClusterSource[] Sources { get; }

    public ClustersetAnswers Answers => Pipeline.Instance.Readiness.OfType<ClustersetAnswers>().Single();

    public InMemoryClusterSource Region(int index) => ((TestClusterSource)Sources[index]).Memory;

    public static async Task<ClustersetHarness> StartAsync(string corefile, IClusterSource[] sources, TimeProvider? time = null)
    {
        KubernetesOptions Adjust(KubernetesOptions options) =>
            sources.FirstOrDefault(s => s.Name == options.ClusterName) is { } source ? options with { Connection = new ClusterConnection.Provided(source) } : options;
        var registry = PluginHarness.Registry(new KubernetesSetup(Adjust), new KubernetaiSetup(Adjust));
        return new ClustersetHarness(await PluginHarness.StartAsync(corefile, time, registry: registry), sources);
    }

    /// <summary>Asks as a client at <paramref name="client"/> (default loopback).</summary>
    public async Task<DnsMessage> QueryAsync(string name, DnsRecordType type, string? client = null, bool tcp = false)
    {
        var query = MeshDns.Testing.Dns.DnsTestClient.CreateQuery(name, type);
        var exchange = await Pipeline.ExchangeAsync(query, tcp, client is null ? null : new IPEndPoint(IPAddress.Parse(client), 40000));
        return exchange.Reply ?? throw new InvalidOperationException($"no reply to {name} {type}");
    }

    public ValueTask DisposeAsync() => Pipeline.DisposeAsync();
}
