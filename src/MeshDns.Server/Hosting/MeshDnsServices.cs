using System.Collections.Concurrent;
using MeshDns.Server.Metrics;
using MeshDns.Server.Transport;
using Microsoft.Extensions.Logging;

namespace MeshDns.Server.Hosting;

/// <summary>Command-line settings that shape how the Corefile is read (CoreDNS's flags).</summary>
public sealed record ServerOptions
{
    /// <summary>Port for server blocks that name none (<c>-dns.port</c>, default 53).</summary>
    public int DefaultPort { get; init; } = 53;

    /// <summary><c>-quiet</c>: no start-up banner.</summary>
    public bool Quiet { get; init; }

    /// <summary>Where the Corefile was read from (for <c>reload</c> and for <c>import</c> of relative paths).</summary>
    public string? CorefilePath { get; init; }
}

/// <summary>Re-reads and applies the configuration (the <c>reload</c> plugin and SIGUSR1 call it).</summary>
public interface IConfigReloader
{
    /// <summary>Reloads when the Corefile's content differs from the running one. Returns true when a new configuration took over.</summary>
    Task<bool> ReloadAsync(string reason, CancellationToken cancellationToken);
}

/// <summary>
/// Process-wide services: they live across reloads, while plugins and their handlers are rebuilt with each
/// configuration. Plugins reach them through <see cref="Plugins.PluginSetupContext.Services"/>.
/// </summary>
public sealed class MeshDnsServices
{
    public MeshDnsServices(ILoggerFactory loggerFactory, MetricsRegistry metrics, TimeProvider time, ServerOptions options, TransportOptions? transport = null)
    {
        LoggerFactory = loggerFactory;
        Metrics = metrics;
        Time = time;
        Options = options;
        Transport = transport ?? new TransportOptions();
        Http = new HttpEndpointHost(loggerFactory);
        CoreMetrics = new CoreDnsMetrics(metrics);
    }

    public ILoggerFactory LoggerFactory { get; }

    public MetricsRegistry Metrics { get; }

    public TimeProvider Time { get; }

    public ServerOptions Options { get; }

    public TransportOptions Transport { get; }

    /// <summary>Shared HTTP listeners for health, ready and metrics endpoints.</summary>
    public HttpEndpointHost Http { get; }

    /// <summary>The server-level metrics (requests, responses, panics, build info).</summary>
    public CoreDnsMetrics CoreMetrics { get; }

    /// <summary>Data sources publish changed names here; the cache drops stale negative answers for them.</summary>
    public NameChangeFeed NameChanges { get; } = new();

    /// <summary>Set by the host: reloads the configuration.</summary>
    public IConfigReloader? Reloader { get; set; }

    /// <summary>Set by the host when the process starts shutting down (lameduck): health turns unhealthy.</summary>
    public bool IsShuttingDown { get; set; }

    /// <summary>How long to keep answering after a stop is asked for (the <c>health</c> plugin's <c>lameduck</c>).</summary>
    public TimeSpan LameDuck { get; set; }

    /// <summary>
    /// Values that outlive a configuration (cluster watchers keyed by their settings, so a reload does not
    /// resync every cluster). Owners dispose what the new configuration no longer uses.
    /// </summary>
    public ConcurrentDictionary<string, object> ProcessShared { get; } = new(StringComparer.Ordinal);
}
