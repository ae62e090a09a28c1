using System.Collections.Immutable;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MeshDns.Protocol;

namespace MeshDns.Server.Metrics;

/// <summary>
/// The server-level metric families with CoreDNS's names and labels (plugin/metrics/vars). The <c>prometheus</c>
/// plugin records each request through <see cref="Record"/>; the server records panics and queries no block took.
/// </summary>
/// <remarks>
/// A request touches six families. Their children are kept per (server, zone) in a <see cref="CoreDnsZoneSeries"/>,
/// in small arrays indexed by protocol, family, type and rcode, so recording allocates nothing.
/// </remarks>
public sealed class CoreDnsMetrics : IServerObserver
{
    /// <summary>The zone label of queries no server block took (no closing dot, so never a real zone).</summary>
    public const string DroppedZone = "dropped";

    /// <summary>CoreDNS's view label when no view plugin is used.</summary>
    private const string NoView = "";

    // The types CoreDNS reports by name; everything else is "other" (plugin/metrics/vars/monitor.go).
    internal static readonly ImmutableArray<DnsRecordType> MonitoredTypes =
    [
        DnsRecordType.A, DnsRecordType.AAAA, DnsRecordType.CNAME, DnsRecordType.DNSKEY, DnsRecordType.DS, DnsRecordType.MX,
        DnsRecordType.NSEC3, DnsRecordType.NSEC, DnsRecordType.NS, DnsRecordType.PTR, DnsRecordType.RRSIG, DnsRecordType.SOA,
        DnsRecordType.SRV, DnsRecordType.TXT, DnsRecordType.HTTPS, DnsRecordType.SVCB, DnsRecordType.IXFR, DnsRecordType.AXFR,
        DnsRecordType.ANY,
    ];

    // Every monitored type is below 256: the label index of any type is one table read.
    private static readonly ImmutableArray<byte> TypeIndexes = BuildTypeIndexes();

    private readonly Counter _panics;
    private readonly Gauge _pluginEnabled;
    private readonly ConcurrentDictionary<(string Server, string Zone), CoreDnsZoneSeries> _series = new();

    public CoreDnsMetrics(MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Gauge("coredns_build_info", "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.", "version", "revision", "goversion")
            .WithLabels(BuildInfo.Version, BuildInfo.Revision, BuildInfo.Runtime).Set(1);
        _panics = registry.Counter("coredns_panics_total", "A metrics that counts the number of panics.");
        _pluginEnabled = registry.Gauge("coredns_plugin_enabled", "A metric that indicates whether a plugin is enabled on per server and zone basis.", "server", "zone", "view", "name");
        Requests = registry.Counter("coredns_dns_requests_total", "Counter of DNS requests made per zone, protocol and family.", "server", "zone", "view", "proto", "family", "type");
        Duration = registry.Histogram("coredns_dns_request_duration_seconds", "Histogram of the time (in seconds) each request took per zone.", Buckets.CoreDnsTime(), "server", "zone", "view");
        RequestSize = registry.Histogram("coredns_dns_request_size_bytes", "Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.", Buckets.CoreDnsSize(), "server", "zone", "view", "proto");
        DoRequests = registry.Counter("coredns_dns_do_requests_total", "Counter of DNS requests with DO bit set per zone.", "server", "zone", "view");
        ResponseSize = registry.Histogram("coredns_dns_response_size_bytes", "Size of the returned response in bytes.", Buckets.CoreDnsSize(), "server", "zone", "view", "proto");
        Responses = registry.Counter("coredns_dns_responses_total", "Counter of response status codes.", "server", "zone", "view", "rcode", "plugin");
        ProcessMetrics.Register(registry);
        RuntimeMetrics.Register(registry);
    }

    internal Counter Requests { get; }

    internal Histogram Duration { get; }

    internal Histogram RequestSize { get; }

    internal Histogram ResponseSize { get; }

    internal Counter DoRequests { get; }

    internal Counter Responses { get; }

    /// <summary>Records one answered request (the prometheus plugin's job, at the end of the request).</summary>
    public void Record(DnsRequestContext context, string zone, DnsResponseCode rcode, string plugin, int responseSize)
    {
        ArgumentNullException.ThrowIfNull(context);
        Series(context.ServerAddress, zone).Record(context, rcode, plugin, responseSize);
    }

    /// <summary>
    /// The children of one (server, zone), created on first use. Callers on the hot path keep the result (the
    /// prometheus plugin keeps one per server and zone it has seen), so recording skips this lookup.
    /// </summary>
    public CoreDnsZoneSeries Series(string server, string zone)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(zone);
        return _series.TryGetValue((server, zone), out var series)
            ? series
            : _series.GetOrAdd((server, zone), static (key, metrics) => new CoreDnsZoneSeries(metrics, key.Server, key.Zone), this);
    }

    /// <inheritdoc />
    public void OnRefusedNoZone(DnsRequestContext context, int responseSize) =>
        Record(context, DroppedZone, DnsResponseCode.Refused, string.Empty, responseSize);

    /// <inheritdoc />
    public void OnPanic(DnsRequestContext context, Exception exception) => _panics.Inc();

    /// <summary>Sets <c>coredns_plugin_enabled</c> to exactly the plugins of the running configuration.</summary>
    public void SetPluginsEnabled(IEnumerable<(string Server, string Zone, string Plugin)> plugins)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        _pluginEnabled.Clear();
        foreach (var (server, zone, plugin) in plugins)
        {
            _pluginEnabled.WithLabels(server, zone, NoView, plugin).Set(1);
        }
    }

    /// <summary>The position of <paramref name="type"/> in the monitored types, or their count for "other".</summary>
    internal static int TypeIndex(DnsRecordType type) => (ushort)type < 256 ? TypeIndexes[(ushort)type] : MonitoredTypes.Length;

    internal static string TypeLabel(int index) => index < MonitoredTypes.Length ? DnsTypeNames.TypeToString(MonitoredTypes[index]) : "other";

    private static ImmutableArray<byte> BuildTypeIndexes()
    {
        var table = new byte[256];
        table.AsSpan().Fill((byte)MonitoredTypes.Length);
        for (var i = 0; i < MonitoredTypes.Length; i++)
        {
            table[(ushort)MonitoredTypes[i]] = (byte)i;
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(table);
    }
}

/// <summary>
/// The <c>coredns_dns_*</c> children of one (server, zone): everything recording one request touches, reached
/// through arrays and reference compares, so a request costs its counter and histogram updates and no allocation.
/// </summary>
public sealed class CoreDnsZoneSeries
{
    private const string NoView = "";
    private const int ClassicRcodes = 16;
    private static readonly ImmutableArray<string> Protocols = ["udp", "tcp"];
    private static readonly ImmutableArray<string> Families = ["1", "2"];

    private readonly CoreDnsMetrics _owner;
    private readonly CounterChild?[] _requests = new CounterChild?[2 * 2 * (CoreDnsMetrics.MonitoredTypes.Length + 1)];
    private readonly HistogramChild[] _requestSizes;
    private readonly HistogramChild[] _responseSizes;

    // Per rcode below 16, the (plugin, child) pairs seen so far, replaced whole when one is added; extended rcodes
    // (which need EDNS) go through the dictionary.
    private readonly ResponderChild[]?[] _responsesByRcode = new ResponderChild[]?[ClassicRcodes];
    private readonly ConcurrentDictionary<(DnsResponseCode, string), CounterChild> _responses = new();

    internal CoreDnsZoneSeries(CoreDnsMetrics owner, string server, string zone)
    {
        _owner = owner;
        Server = server;
        Zone = zone;
        Duration = owner.Duration.WithLabels(server, zone, NoView);
        DoRequests = owner.DoRequests.WithLabels(server, zone, NoView);
        _requestSizes = [owner.RequestSize.WithLabels(server, zone, NoView, Protocols[0]), owner.RequestSize.WithLabels(server, zone, NoView, Protocols[1])];
        _responseSizes = [owner.ResponseSize.WithLabels(server, zone, NoView, Protocols[0]), owner.ResponseSize.WithLabels(server, zone, NoView, Protocols[1])];
    }

    /// <summary>The <c>server</c> label (the listener, <c>dns://:53</c>).</summary>
    public string Server { get; }

    /// <summary>The <c>zone</c> label.</summary>
    public string Zone { get; }

    private HistogramChild Duration { get; }

    private CounterChild DoRequests { get; }

    /// <summary>Records one answered request of this server and zone.</summary>
    public void Record(DnsRequestContext context, DnsResponseCode rcode, string plugin, int responseSize)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tcp = context.Transport is DnsTransport.Tcp or DnsTransport.Tls ? 1 : 0;
        var ipv6 = context.RemoteFamily == AddressFamily.InterNetworkV6 ? 1 : 0;
        Request(tcp, ipv6, CoreDnsMetrics.TypeIndex(context.OriginalQuestionType)).Inc();
        if (context.DnssecOk)
        {
            DoRequests.Inc();
        }

        Duration.Observe(Stopwatch.GetElapsedTime(context.StartTimestamp).TotalSeconds);
        _requestSizes[tcp].Observe(context.RequestSize);
        _responseSizes[tcp].Observe(responseSize);
        Response(rcode, plugin).Inc();
    }

    private CounterChild Request(int tcp, int ipv6, int type)
    {
        var slot = (((tcp * 2) + ipv6) * (CoreDnsMetrics.MonitoredTypes.Length + 1)) + type;
        return _requests[slot] ??= _owner.Requests.WithLabels(Server, Zone, NoView, Protocols[tcp], Families[ipv6], CoreDnsMetrics.TypeLabel(type));
    }

    private CounterChild Response(DnsResponseCode rcode, string plugin)
    {
        if ((ushort)rcode >= ClassicRcodes)
        {
            return ResponseSlow(rcode, plugin);
        }

        var known = Volatile.Read(ref _responsesByRcode[(ushort)rcode]);
        if (known is not null)
        {
            foreach (var responder in known)
            {
                if (ReferenceEquals(responder.Plugin, plugin))
                {
                    return responder.Child;
                }
            }

            foreach (var responder in known)
            {
                if (string.Equals(responder.Plugin, plugin, StringComparison.Ordinal))
                {
                    return responder.Child; // the same name in another string: correct, only slower
                }
            }
        }

        var child = ResponseSlow(rcode, plugin);
        if (known is null || known.Length < 32)
        {
            // Plugin names are a handful of constants; a lost race only drops one entry, found again next time.
            Volatile.Write(ref _responsesByRcode[(ushort)rcode], [.. known ?? [], new ResponderChild(plugin, child)]);
        }

        return child;
    }

    private CounterChild ResponseSlow(DnsResponseCode rcode, string plugin) =>
        _responses.TryGetValue((rcode, plugin), out var child)
            ? child
            : _responses.GetOrAdd((rcode, plugin), static (key, series) => series._owner.Responses.WithLabels(series.Server, series.Zone, NoView, DnsTypeNames.RcodeToString(key.Item1), key.Item2), this);

    private sealed record ResponderChild(string Plugin, CounterChild Child);
}
