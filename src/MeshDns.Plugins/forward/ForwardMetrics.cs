using MeshDns.Protocol;
using MeshDns.Server.Metrics;

namespace MeshDns.Plugins.Forward;

/// <summary>
/// forward's metric families under CoreDNS's names: the <c>coredns_proxy_*</c> families with
/// <c>proxy_name="forward"</c> (CoreDNS 1.11+), and the per-upstream <c>coredns_forward_requests_total</c> /
/// <c>coredns_forward_responses_total</c> that CoreDNS 1.10 had and dashboards still use.
/// </summary>
public sealed class ForwardMetrics
{
    public const string ProxyName = "forward";

    public ForwardMetrics(MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Requests = registry.Counter("coredns_forward_requests_total", "Counter of requests made per upstream.", "to");
        Responses = registry.Counter("coredns_forward_responses_total", "Counter of responses received per upstream.", "rcode", "to");
        RequestDuration = registry.Histogram("coredns_proxy_request_duration_seconds", "Histogram of the time each request took.", Buckets.CoreDnsTime(), "proxy_name", "to", "rcode");
        HealthcheckFailures = registry.Counter("coredns_proxy_healthcheck_failures_total", "Counter of the number of failed healthchecks.", "proxy_name", "to");
        HealthcheckBroken = registry.Counter("coredns_forward_healthcheck_broken_total", "Counter of the number of complete failures of the healthchecks.");
        MaxConcurrentRejects = registry.Counter("coredns_forward_max_concurrent_rejects_total", "Counter of the number of queries rejected because the concurrent queries were at maximum.");
        ConnCacheHits = registry.Counter("coredns_proxy_conn_cache_hits_total", "Counter of connection cache hits per upstream and protocol.", "proxy_name", "to", "proto");
        ConnCacheMisses = registry.Counter("coredns_proxy_conn_cache_misses_total", "Counter of connection cache misses per upstream and protocol.", "proxy_name", "to", "proto");
    }

    public Counter Requests { get; }

    public Counter Responses { get; }

    public Histogram RequestDuration { get; }

    public Counter HealthcheckFailures { get; }

    public Counter HealthcheckBroken { get; }

    public Counter MaxConcurrentRejects { get; }

    public Counter ConnCacheHits { get; }

    public Counter ConnCacheMisses { get; }

    /// <summary>Counts a reply from <paramref name="to"/> and how long it took.</summary>
    public void ObserveReply(string to, DnsResponseCode rcode, TimeSpan duration)
    {
        var rcodeText = DnsTypeNames.RcodeToString(rcode);
        Responses.WithLabels(rcodeText, to).Inc();
        RequestDuration.WithLabels(ProxyName, to, rcodeText).Observe(duration.TotalSeconds);
    }
}
