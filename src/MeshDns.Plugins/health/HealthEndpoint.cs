using System.Diagnostics;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Health;

/// <summary>
/// <c>/health</c> on one address: 200 <c>OK</c> while the process serves, 503 once it is shutting down (lameduck),
/// so load balancers stop sending traffic while DNS still answers. Once a second it requests itself and records
/// how long that took (CoreDNS's overload signal).
/// </summary>
public sealed partial class HealthEndpoint : IDisposable
{
    public const string Path = "/health";

    /// <summary>How often the endpoint checks itself.</summary>
    public static readonly TimeSpan SelfCheckInterval = TimeSpan.FromSeconds(1);

    private const string LameDuckOwnerKey = "health/lameduck-owner";

    private readonly MeshDnsServices _services;
    private readonly ILogger _logger;
    private readonly Histogram _duration;
    private readonly Counter _failures;
    private IAsyncDisposable? _registration;
    private CancellationTokenSource? _stop;
    private Task? _selfCheck;
    private HttpClient? _client;

    public HealthEndpoint(string address, MeshDnsServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        Address = address;
        _services = services;
        _logger = services.LoggerFactory.CreateLogger("plugin/health");
        _duration = services.Metrics.Histogram("coredns_health_request_duration_seconds", "Histogram of the time (in seconds) each request took.", Buckets.CoreDnsSlimTime());
        _failures = services.Metrics.Counter("coredns_health_request_failures_total", "The number of times the health check failed.");
    }

    public string Address { get; }

    /// <summary>The longest <c>lameduck</c> asked for by the blocks sharing this endpoint.</summary>
    public TimeSpan LameDuck { get; private set; }

    internal void RequestLameDuck(TimeSpan duration)
    {
        if (duration > LameDuck)
        {
            LameDuck = duration;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = await _services.Http.RegisterAsync(Address, Path, HandleAsync, cancellationToken).ConfigureAwait(false);
        _services.LameDuck = LameDuck;
        _services.ProcessShared[LameDuckOwnerKey] = this;
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(3) };
        _stop = new CancellationTokenSource();
        _selfCheck = SelfCheckLoopAsync(_client, _stop.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The lameduck setting belongs to the newest configuration with health; drop it only if that is us.
        if (_services.ProcessShared.TryGetValue(LameDuckOwnerKey, out var owner) && ReferenceEquals(owner, this))
        {
            _services.LameDuck = TimeSpan.Zero;
            _services.ProcessShared.TryRemove(new KeyValuePair<string, object>(LameDuckOwnerKey, this));
        }

        if (_stop is not null)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            if (_selfCheck is not null)
            {
                await _selfCheck.ConfigureAwait(false);
            }

            _stop.Dispose();
            _stop = null;
        }

        _client?.Dispose();
        _client = null;
        if (_registration is not null)
        {
            await _registration.DisposeAsync().ConfigureAwait(false);
            _registration = null;
        }
    }

    /// <summary>Releases the self-check's resources if <see cref="StopAsync"/> was never reached (a start that failed).</summary>
    public void Dispose()
    {
        _stop?.Cancel();
        _stop?.Dispose();
        _stop = null;
        _client?.Dispose();
        _client = null;
    }

    private Task HandleAsync(HttpContext context)
    {
        if (_services.IsShuttingDown)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("OK", context.RequestAborted);
    }

    private async Task SelfCheckLoopAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SelfCheckInterval, _services.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await CheckOnceAsync(client, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One self-request: its duration is observed; a transport failure (not a 503) counts as a failure.</summary>
    internal async Task CheckOnceAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var bound = _services.Http.GetBoundUris(Address);
        if (bound.Count == 0)
        {
            return;
        }

        var url = new Uri(bound[0], Path);
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.GetAsync(url, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _duration.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            _failures.Inc();
            LogSelfCheckFailed(_logger, url.ToString(), exception.Message);
            return;
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        _duration.Observe(elapsed.TotalSeconds);
        if (elapsed > TimeSpan.FromSeconds(1))
        {
            LogSelfCheckSlow(_logger, url.ToString(), GoFormat.Duration(elapsed));
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Local health request to \"{Url}\" failed: {Error}")]
    private static partial void LogSelfCheckFailed(ILogger logger, string url, string error);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Local health request to \"{Url}\" took more than 1s: {Elapsed}")]
    private static partial void LogSelfCheckSlow(ILogger logger, string url, string elapsed);
}
