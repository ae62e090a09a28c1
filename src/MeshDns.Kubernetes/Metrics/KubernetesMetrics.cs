using System.Collections.Concurrent;

namespace MeshDns.Kubernetes;

/// <summary>
/// What MeshDns.Kubernetes reports as it runs. The server's metrics layer bridges this to Prometheus under the names
/// listed in README.md; gauges (objects by kind, last event age, sync state) are read from <see cref="ClusterSourceStatus"/>.
/// Implementations must be thread-safe and fast: they are called on request and event paths.
/// </summary>
public interface IKubernetesMetricsSink
{
    /// <summary>
    /// One HTTP request got its response headers (or failed). The status code is 0 when no response came (network, TLS,
    /// timeout). The verb is LIST, WATCH or GET (the Kubernetes verb); the HTTP method is always GET.
    /// </summary>
    void RequestCompleted(string cluster, string host, string verb, string resource, int statusCode, TimeSpan duration);

    /// <summary>A request waited for the client-side rate limiter.</summary>
    void RateLimited(string cluster, string host, string verb, TimeSpan wait);

    /// <summary>A watch ended and is being started again (reason: timeout, dropped, dead, garbage, error).</summary>
    void WatchRestarted(string cluster, string resource, string reason);

    /// <summary>A full LIST was started again (reason: initial, expired, quiet, error).</summary>
    void Relisted(string cluster, string resource, string reason);

    /// <summary>A watch event arrived (type: ADDED, MODIFIED, DELETED, BOOKMARK, ERROR).</summary>
    void EventReceived(string cluster, string resource, string type);
}

/// <summary>Discards everything: the default.</summary>
public sealed class NullKubernetesMetricsSink : IKubernetesMetricsSink
{
    public static NullKubernetesMetricsSink Instance { get; } = new();

    public void RequestCompleted(string cluster, string host, string verb, string resource, int statusCode, TimeSpan duration)
    {
    }

    public void RateLimited(string cluster, string host, string verb, TimeSpan wait)
    {
    }

    public void WatchRestarted(string cluster, string resource, string reason)
    {
    }

    public void Relisted(string cluster, string resource, string reason)
    {
    }

    public void EventReceived(string cluster, string resource, string type)
    {
    }
}

/// <summary>Counts everything in memory, keyed by label values joined with '|'. For tests and diagnostics.</summary>
public sealed class RecordingKubernetesMetricsSink : IKubernetesMetricsSink
{
    private readonly ConcurrentDictionary<string, long> _counters = new(StringComparer.Ordinal);

    /// <summary>Counter name → count; names are e.g. <c>requests|cluster|LIST|services|200</c>.</summary>
    public IReadOnlyDictionary<string, long> Counters => _counters;

    public long Get(string key) => _counters.GetValueOrDefault(key);

    /// <summary>Sum of every counter whose key starts with <paramref name="prefix"/>.</summary>
    public long Sum(string prefix) => _counters.Where(pair => pair.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(pair => pair.Value);

    public void RequestCompleted(string cluster, string host, string verb, string resource, int statusCode, TimeSpan duration) =>
        Add($"requests|{cluster}|{verb}|{resource}|{statusCode}");

    public void RateLimited(string cluster, string host, string verb, TimeSpan wait) => Add($"ratelimited|{cluster}|{verb}");

    public void WatchRestarted(string cluster, string resource, string reason) => Add($"watch_restarts|{cluster}|{resource}|{reason}");

    public void Relisted(string cluster, string resource, string reason) => Add($"relists|{cluster}|{resource}|{reason}");

    public void EventReceived(string cluster, string resource, string type) => Add($"events|{cluster}|{resource}|{type}");

    private void Add(string key) => _counters.AddOrUpdate(key, 1, static (_, value) => value + 1);
}
