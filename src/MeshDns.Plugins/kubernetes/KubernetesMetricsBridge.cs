using System.Globalization;
using MeshDns.Kubernetes;
using MeshDns.Server.Metrics;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>
/// MeshDns.Kubernetes's metrics sink, exposed to Prometheus. The <c>coredns_kubernetes_*</c> families keep CoreDNS's
/// exact names and labels (the API server's <c>host</c> tells clusters apart), so CoreDNS dashboards work unchanged;
/// the <c>meshdns_kubernetes_*</c> families carry a <c>cluster</c> label. Gauges are read from each cluster source's
/// status when scraped. One per process.
/// </summary>
public sealed class KubernetesMetricsBridge : IKubernetesMetricsSink
{
    private static readonly string[] States = [.. Enum.GetValues<SyncState>().Select(s => s.ToString())];

    private readonly Counter _requests;
    private readonly Histogram _requestDuration;
    private readonly Histogram _rateLimiter;
    private readonly Counter _watchRestarts;
    private readonly Counter _relists;
    private readonly Counter _events;
    private readonly Histogram _programming;
    private readonly TimeProvider _time;

    public KubernetesMetricsBridge(MetricsRegistry metrics, TimeProvider time, Func<IEnumerable<IClusterSource>> sources)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(sources);
        _time = time;
        _requests = metrics.Counter("coredns_kubernetes_rest_client_requests_total", "Number of HTTP requests, partitioned by status code, method, and host.", "code", "method", "host");
        _requestDuration = metrics.Histogram("coredns_kubernetes_rest_client_request_duration_seconds", "Request latency in seconds. Broken down by verb and host.", Buckets.Exponential(0.001, 2, 15), "verb", "host");
        _rateLimiter = metrics.Histogram("coredns_kubernetes_rest_client_rate_limiter_duration_seconds", "Client side rate limiter latency in seconds. Broken down by verb and host.", Buckets.Exponential(0.001, 2, 15), "verb", "host");
        _watchRestarts = metrics.Counter("meshdns_kubernetes_watch_restarts_total", "Watches started again, by cluster, resource and reason.", "cluster", "resource", "reason");
        _relists = metrics.Counter("meshdns_kubernetes_relists_total", "Full LISTs started, by cluster, resource and reason.", "cluster", "resource", "reason");
        _events = metrics.Counter("meshdns_kubernetes_events_total", "Watch events received, by cluster, resource and type.", "cluster", "resource", "type");
        _programming = metrics.Histogram("coredns_kubernetes_dns_programming_duration_seconds", "Histogram of the time (in seconds) it took to program a dns instance.", Buckets.Exponential(0.001, 2, 20), "service_kind");

        metrics.RegisterCollector("meshdns_kubernetes_objects", "Objects in the cluster's current snapshot, by kind.", MetricType.Gauge, ["cluster", "kind"], sink =>
        {
            foreach (var source in sources())
            {
                var status = source.Status;
                foreach (var informer in status.Informers)
                {
                    sink.Add(informer.ObjectCount, source.Name, informer.Kind.ToString());
                }
            }
        });
        metrics.RegisterCollector("meshdns_kubernetes_last_event_age_seconds", "Seconds since the last list or watch event, by resource: the age of the data served.", MetricType.Gauge, ["cluster", "resource"], sink =>
        {
            var now = _time.GetUtcNow();
            foreach (var source in sources())
            {
                foreach (var informer in source.Status.Informers)
                {
                    if (informer.LastEventTime is { } last)
                    {
                        sink.Add(Math.Max(0, (now - last).TotalSeconds), source.Name, informer.Resource);
                    }
                }
            }
        });
        metrics.RegisterCollector("meshdns_kubernetes_sync_state", "1 for the current state of each informer (NotStarted, Syncing, Synced, Retrying, Absent, Stopped).", MetricType.Gauge, ["cluster", "resource", "state"], sink =>
        {
            foreach (var source in sources())
            {
                foreach (var informer in source.Status.Informers)
                {
                    var current = informer.State.ToString();
                    foreach (var state in States)
                    {
                        sink.Add(state == current ? 1 : 0, source.Name, informer.Resource, state);
                    }
                }
            }
        });
        metrics.RegisterCollector("meshdns_kubernetes_synced", "1 once the cluster has completed its first sync.", MetricType.Gauge, ["cluster"], sink =>
        {
            foreach (var source in sources())
            {
                sink.Add(source.HasSynced ? 1 : 0, source.Name);
            }
        });
    }

    /// <summary>Time from an endpoint change (the slice's trigger time) to the answer that shows it.</summary>
    public void ObserveProgramming(string serviceKind, TimeSpan delay) => _programming.WithLabels(serviceKind).Observe(delay.TotalSeconds);

    public void RequestCompleted(string cluster, string host, string verb, string resource, int statusCode, TimeSpan duration)
    {
        var code = statusCode == 0 ? "<error>" : statusCode.ToString(CultureInfo.InvariantCulture);
        _requests.WithLabels(code, "GET", host).Inc();
        _requestDuration.WithLabels(verb, host).Observe(duration.TotalSeconds);
    }

    public void RateLimited(string cluster, string host, string verb, TimeSpan wait) => _rateLimiter.WithLabels(verb, host).Observe(wait.TotalSeconds);

    public void WatchRestarted(string cluster, string resource, string reason) => _watchRestarts.WithLabels(cluster, resource, reason).Inc();

    public void Relisted(string cluster, string resource, string reason) => _relists.WithLabels(cluster, resource, reason).Inc();

    public void EventReceived(string cluster, string resource, string type) => _events.WithLabels(cluster, resource, type).Inc();
}
