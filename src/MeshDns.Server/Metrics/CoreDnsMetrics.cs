using System.Collections.Immutable;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using MeshDns.Protocol;

namespace MeshDns.Server.Metrics;

/// <summary>
/// The server-level metric families with CoreDNS's names and labels (plugin/metrics/vars). The <c>prometheus</c>
/// plugin records each request through <see cref="Record"/>; the server records panics and queries no block took.
/// </summary>
/// <remarks>
/// A request touches six families. Their children are cached per (server, zone) in small arrays indexed by
/// protocol, family and type, so recording costs one dictionary lookup and no allocation.
/// </remarks>
public sealed class CoreDnsMetrics : IServerObserver
{
    /// <summary>The zone label of queries no server block took (no closing dot, so never a real zone).</summary>
    public const string DroppedZone = "dropped";

    /// <summary>CoreDNS's view label when no view plugin is used.</summary>
    private const string NoView = "";

    // The types CoreDNS reports by name; everything else is "other" (plugin/metrics/vars/monitor.go).
    private static readonly ImmutableArray<DnsRecordType> MonitoredTypes =
    [
        DnsRecordType.A, DnsRecordType.AAAA, DnsRecordType.CNAME, DnsRecordType.DNSKEY, DnsRecordType.DS, DnsRecordType.MX,
        DnsRecordType.NSEC3, DnsRecordType.NSEC, DnsRecordType.NS, DnsRecordType.PTR, DnsRecordType.RRSIG, DnsRecordType.SOA,
        DnsRecordType.SRV, DnsRecordType.TXT, DnsRecordType.HTTPS, DnsRecordType.SVCB, DnsRecordType.IXFR, DnsRecordType.AXFR,
        DnsRecordType.ANY,
    ];

    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Histogram _requestSize;
    private readonly Histogram _responseSize;
    private readonly Counter _doRequests;
    private readonly Counter _responses;
    private readonly Counter _panics;
    private readonly Gauge _pluginEnabled;
    private readonly ConcurrentDictionary<(string Server, string Zone), ZoneSeries> _series = new();

    public CoreDnsMetrics(MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Gauge("coredns_build_info", "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.", "version", "revision", "goversion")
            .WithLabels(BuildInfo.Version, BuildInfo.Revision, BuildInfo.Runtime).Set(1);
        _panics = registry.Counter("coredns_panics_total", "A metrics that counts the number of panics.");
        _pluginEnabled = registry.Gauge("coredns_plugin_enabled", "A metric that indicates whether a plugin is enabled on per server and zone basis.", "server", "zone", "view", "name");
        _requests = registry.Counter("coredns_dns_requests_total", "Counter of DNS requests made per zone, protocol and family.", "server", "zone", "view", "proto", "family", "type");
        _duration = registry.Histogram("coredns_dns_request_duration_seconds", "Histogram of the time (in seconds) each request took per zone.", Buckets.CoreDnsTime(), "server", "zone", "view");
        _requestSize = registry.Histogram("coredns_dns_request_size_bytes", "Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.", Buckets.CoreDnsSize(), "server", "zone", "view", "proto");
        _doRequests = registry.Counter("coredns_dns_do_requests_total", "Counter of DNS requests with DO bit set per zone.", "server", "zone", "view");
        _responseSize = registry.Histogram("coredns_dns_response_size_bytes", "Size of the returned response in bytes.", Buckets.CoreDnsSize(), "server", "zone", "view", "proto");
        _responses = registry.Counter("coredns_dns_responses_total", "Counter of response status codes.", "server", "zone", "view", "rcode", "plugin");
        ProcessMetrics.Register(registry);
        RuntimeMetrics.Register(registry);
    }

    /// <summary>Records one answered request (the prometheus plugin's job, at the end of the request).</summary>
    public void Record(DnsRequestContext context, string zone, DnsResponseCode rcode, string plugin, int responseSize)
    {
        ArgumentNullException.ThrowIfNull(context);
        var series = _series.GetOrAdd((context.ServerAddress, zone), static (key, metrics) => new ZoneSeries(metrics, key.Server, key.Zone), this);
        var tcp = context.Transport is DnsTransport.Tcp or DnsTransport.Tls ? 1 : 0;
        var ipv6 = context.RemoteFamily == AddressFamily.InterNetworkV6 ? 1 : 0;
        series.Request(tcp, ipv6, TypeIndex(context.OriginalQuestionType)).Inc();
        if (context.DnssecOk)
        {
            series.DoRequests.Inc();
        }

        series.Duration.Observe(Stopwatch.GetElapsedTime(context.StartTimestamp).TotalSeconds);
        series.RequestSize(tcp).Observe(context.RequestSize);
        series.ResponseSize(tcp).Observe(responseSize);
        series.Response(rcode, plugin).Inc();
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

    private static int TypeIndex(DnsRecordType type)
    {
        var index = MonitoredTypes.IndexOf(type);
        return index < 0 ? MonitoredTypes.Length : index;
    }

    private static string TypeLabel(int index) => index < MonitoredTypes.Length ? DnsTypeNames.TypeToString(MonitoredTypes[index]) : "other";

    /// <summary>The children of one (server, zone), created on first use.</summary>
    private sealed class ZoneSeries
    {
        private static readonly ImmutableArray<string> Protocols = ["udp", "tcp"];
        private static readonly ImmutableArray<string> Families = ["1", "2"];

        private readonly CoreDnsMetrics _owner;
        private readonly string _server;
        private readonly string _zone;
        private readonly CounterChild?[] _requests = new CounterChild?[2 * 2 * (MonitoredTypes.Length + 1)];
        private readonly HistogramChild[] _requestSizes;
        private readonly HistogramChild[] _responseSizes;
        private readonly ConcurrentDictionary<(DnsResponseCode, string), CounterChild> _responses = new();

        public ZoneSeries(CoreDnsMetrics owner, string server, string zone)
        {
            _owner = owner;
            _server = server;
            _zone = zone;
            Duration = owner._duration.WithLabels(server, zone, NoView);
            DoRequests = owner._doRequests.WithLabels(server, zone, NoView);
            _requestSizes = [owner._requestSize.WithLabels(server, zone, NoView, Protocols[0]), owner._requestSize.WithLabels(server, zone, NoView, Protocols[1])];
            _responseSizes = [owner._responseSize.WithLabels(server, zone, NoView, Protocols[0]), owner._responseSize.WithLabels(server, zone, NoView, Protocols[1])];
        }

        public HistogramChild Duration { get; }

        public CounterChild DoRequests { get; }

        public HistogramChild RequestSize(int tcp) => _requestSizes[tcp];

        public HistogramChild ResponseSize(int tcp) => _responseSizes[tcp];

        public CounterChild Request(int tcp, int ipv6, int type)
        {
            var slot = (((tcp * 2) + ipv6) * (MonitoredTypes.Length + 1)) + type;
            return _requests[slot] ??= _owner._requests.WithLabels(_server, _zone, NoView, Protocols[tcp], Families[ipv6], TypeLabel(type));
        }

        public CounterChild Response(DnsResponseCode rcode, string plugin) =>
            _responses.TryGetValue((rcode, plugin), out var child)
                ? child
                : _responses.GetOrAdd((rcode, plugin), key => _owner._responses.WithLabels(_server, _zone, NoView, DnsTypeNames.RcodeToString(key.Item1), key.Item2));
    }
}
