using System.Collections.Immutable;
using System.Net;
using MeshDns.Kubernetes;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Plugins.Tests.Support;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Tests.Kubernetes;

/// <summary>Trimmed Kubernetes objects in one line each, the fake cluster view the handler tests build.</summary>
internal static class K8s
{
    public static NamespaceInfo Namespace(string name, params (string Key, string Value)[] labels) =>
        new(name, labels.ToImmutableDictionary(l => l.Key, l => l.Value), "1");

    public static ServicePortInfo Port(string? name, int port, string protocol = "TCP") => new(name, protocol, port);

    /// <summary>A service; <paramref name="clusterIPs"/> is "None" for headless, comma-separated addresses otherwise.</summary>
    public static ServiceInfo Service(string ns, string name, string clusterIPs, params ServicePortInfo[] ports)
    {
        var headless = clusterIPs == "None";
        ImmutableArray<IPAddress> addresses = headless || clusterIPs.Length == 0 ? [] : [.. clusterIPs.Split(',').Select(IPAddress.Parse)];
        return new ServiceInfo(ns, name, ServiceType.ClusterIP, addresses, headless, [.. ports], null, [], false,
            ImmutableDictionary<string, string>.Empty, ImmutableDictionary<string, string>.Empty, Guid.NewGuid().ToString());
    }

    public static ServiceInfo ExternalName(string ns, string name, string target) =>
        new(ns, name, ServiceType.ExternalName, [], false, [], target, [], false,
            ImmutableDictionary<string, string>.Empty, ImmutableDictionary<string, string>.Empty, Guid.NewGuid().ToString());

    public static EndpointPortInfo SlicePort(string? name, int port, string protocol = "TCP") => new(name, protocol, port, null);

    public static EndpointInfo Endpoint(string ip, string? hostname = null, bool ready = true, bool terminating = false, string? pod = null) =>
        new([IPAddress.Parse(ip)], hostname, "node-1", "zone-a", pod is null ? null : new EndpointTarget("Pod", "ns", pod), ready, ready, terminating);

    public static EndpointSliceInfo Slice(string ns, string name, string service, EndpointInfo[] endpoints, params EndpointPortInfo[] ports)
    {
        var type = endpoints.Length > 0 && endpoints[0].Addresses[0].AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? EndpointAddressType.IPv6
            : EndpointAddressType.IPv4;
        return new EndpointSliceInfo(ns, name, service, type, [.. endpoints], [.. ports], Guid.NewGuid().ToString());
    }

    public static PodInfo Pod(string ns, string name, string ip, bool deleting = false) =>
        new(ns, name, [IPAddress.Parse(ip)], deleting, Guid.NewGuid().ToString());
}

/// <summary>
/// The real pipeline (Corefile, setup, chain, encoding) over in-memory clusters: <c>kubernetes</c> and
/// <c>kubernetai</c> stanzas get the source whose name is their cluster name (the first zone without its dot).
/// </summary>
internal sealed class KubernetesHarness : IAsyncDisposable
{
    private readonly PluginHarness _harness;

    private KubernetesHarness(PluginHarness harness, IReadOnlyDictionary<string, InMemoryClusterSource> sources)
    {
        _harness = harness;
        Sources = sources;
    }

    public IReadOnlyDictionary<string, InMemoryClusterSource> Sources { get; }

    public PluginHarness Pipeline => _harness;

    public static Task<KubernetesHarness> StartAsync(string corefile, InMemoryClusterSource source, TimeProvider? time = null) =>
        StartAsync(corefile, new Dictionary<string, InMemoryClusterSource> { [source.Name] = source }, time);

    public static async Task<KubernetesHarness> StartAsync(string corefile, IReadOnlyDictionary<string, InMemoryClusterSource> sources, TimeProvider? time = null)
    {
        KubernetesOptions Adjust(KubernetesOptions options) =>
            sources.TryGetValue(options.ClusterName, out var source) ? options with { Connection = new ClusterConnection.Provided(source) } : options;
        var registry = PluginHarness.Registry(new KubernetesSetup(Adjust), new KubernetaiSetup(Adjust));
        var harness = await PluginHarness.StartAsync(corefile, time, registry: registry);
        return new KubernetesHarness(harness, sources);
    }

    /// <summary>The stanzas of the first server block, in order.</summary>
    public IReadOnlyList<ClusterAnswers> Clusters =>
        _harness.Instance.Readiness.OfType<ClusterAnswers>().ToArray();

    public Task<DnsMessage> QueryAsync(string name, DnsRecordType type, bool tcp = false, bool edns = false, ushort udpSize = 1232) =>
        _harness.QueryAsync(name, type, tcp, edns, udpSize);

    public ValueTask DisposeAsync() => _harness.DisposeAsync();
}

/// <summary>One row of a handler table: question, rcode, sections in presentation format (SOA serials are not compared).</summary>
public sealed record KubeCase(string Name, DnsRecordType Type, DnsResponseCode Rcode, string[] Answer, string[]? Authority = null, string[]? Additional = null)
{
    public override string ToString() => $"{Name} {Type}";
}

internal static class KubeAssert
{
    /// <summary>Compares rcode and sections (order ignored, names case-insensitive, SOA serials zeroed), and the AA bit.</summary>
    public static void Response(DnsMessage reply, KubeCase expected)
    {
        ArgumentNullException.ThrowIfNull(reply);
        Assert.True(expected.Rcode == reply.ResponseCode, $"{expected}: expected {DnsTypeNames.RcodeToString(expected.Rcode)}, got {DnsTypeNames.RcodeToString(reply.ResponseCode)}\n{reply}");
        if (reply.ResponseCode is DnsResponseCode.NoError or DnsResponseCode.NXDomain)
        {
            Assert.True(reply.Authoritative, $"{expected}: AA not set");
        }

        Section(expected, "answer", reply.Answers, expected.Answer);
        Section(expected, "authority", reply.Authorities, expected.Authority ?? []);
        if (expected.Additional is not null)
        {
            Section(expected, "additional", reply.Additionals, expected.Additional);
        }
    }

    public static string Normalize(ResourceRecord record) => (record is SoaRecord soa
        ? new SoaRecord(soa.Name, soa.Ttl, soa.PrimaryServer, soa.ResponsibleMailbox, 0, soa.Refresh, soa.Retry, soa.Expire, soa.Minimum)
        : record).ToString().ToLowerInvariant();

    private static void Section(KubeCase test, string section, IEnumerable<ResourceRecord> actual, string[] expected)
    {
        var want = expected.Select(ResourceRecord.Parse).Select(Normalize).OrderBy(s => s, StringComparer.Ordinal).ToArray();
        var got = actual.Where(r => r.Type != DnsRecordType.OPT).Select(Normalize).OrderBy(s => s, StringComparer.Ordinal).ToArray();
        Assert.True(want.SequenceEqual(got), $"{test} {section}:\nexpected:\n  {string.Join("\n  ", want)}\nactual:\n  {string.Join("\n  ", got)}");
    }
}
