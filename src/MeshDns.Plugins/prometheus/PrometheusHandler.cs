using MeshDns.Server;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.AspNetCore.Http;

namespace MeshDns.Plugins.Prometheus;

/// <summary>
/// Records every request of its server block in the <c>coredns_dns_*</c> families once the response is encoded.
/// The handler is its own completion observer, so recording allocates nothing per query.
/// </summary>
/// <remarks>
/// The rcode is the one the client received: what the plugin wrote, or, when a plugin returned SERVFAIL (or
/// another server-written code) without writing, that code (CoreDNS's <c>rc = status</c> when
/// <c>!plugin.ClientWrite(status)</c>). The <c>plugin</c> label is empty when the server wrote the response.
/// </remarks>
public sealed class PrometheusHandler : ChainedDnsHandler, IRequestCompletionObserver
{
    // A block serves a few zones on a few listeners; more distinct (server, zone) strings than this skip the shortcut.
    private const int MaxKnownSeries = 64;

    private readonly CoreDnsMetrics _metrics;

    // The series this handler has recorded into, found by reference: server and zone strings come from the listener
    // and the zone router of one configuration, so they are the same objects request after request. Replaced whole.
    private volatile KnownSeries[] _known = [];

    public PrometheusHandler(DnsHandler next, CoreDnsMetrics metrics)
        : base(next)
    {
        _metrics = metrics;
    }

    public override string Name => "prometheus";

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.OnCompleted(this);
        return NextAsync(context);
    }

    public void OnCompleted(DnsRequestContext context, int responseSize)
    {
        ArgumentNullException.ThrowIfNull(context);

        // The server stores the rcode it answered with in the response when it writes an error itself.
        Series(context.ServerAddress, context.Zone).Record(context, context.Response.ResponseCode, context.ResponderPlugin, responseSize);
    }

    private CoreDnsZoneSeries Series(string server, string zone)
    {
        var known = _known;
        foreach (var entry in known)
        {
            if (ReferenceEquals(entry.Server, server) && ReferenceEquals(entry.Zone, zone))
            {
                return entry.Series;
            }
        }

        var series = _metrics.Series(server, zone);
        if (known.Length < MaxKnownSeries)
        {
            _known = [.. known, new KnownSeries(server, zone, series)]; // a lost race drops one entry, added again next time
        }

        return series;
    }

    /// <summary>A series with the very strings it was asked for by.</summary>
    private sealed record KnownSeries(string Server, string Zone, CoreDnsZoneSeries Series);
}

/// <summary><c>/metrics</c> on one address, in the Prometheus text format, from the process's registry.</summary>
public sealed class MetricsEndpoint
{
    public const string Path = "/metrics";

    private readonly MeshDnsServices _services;
    private IAsyncDisposable? _registration;

    public MetricsEndpoint(string address, MeshDnsServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        Address = address;
        _services = services;
    }

    public string Address { get; }

    public async Task StartAsync(CancellationToken cancellationToken) =>
        _registration = await _services.Http.RegisterAsync(Address, Path, ScrapeAsync, cancellationToken).ConfigureAwait(false);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_registration is not null)
        {
            await _registration.DisposeAsync().ConfigureAwait(false);
            _registration = null;
        }
    }

    private async Task ScrapeAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = MetricsRegistry.ContentType;
        _services.Metrics.WriteTo(context.Response.BodyWriter);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
