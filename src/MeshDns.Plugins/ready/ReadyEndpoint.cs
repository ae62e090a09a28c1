using System.Text;
using MeshDns.Server.Hosting;
using MeshDns.Server.Plugins;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Ready;

/// <summary>
/// <c>/ready</c> on one address: 200 <c>OK</c> when every readiness reporter of the configuration is ready,
/// otherwise 503 with CoreDNS's body (the names of those that are not, sorted, comma separated) followed by one
/// line per such reporter with its detail. 503 <c>Shutting down</c> during lameduck.
/// </summary>
public sealed partial class ReadyEndpoint
{
    public const string Path = "/ready";

    private readonly MeshDnsServices _services;
    private readonly ServerInstance _instance;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly HashSet<IReadinessReporter> _confirmed = new(ReferenceEqualityComparer.Instance);
    private IAsyncDisposable? _registration;

    public ReadyEndpoint(string address, MeshDnsServices services, ServerInstance instance)
    {
        ArgumentNullException.ThrowIfNull(services);
        Address = address;
        _services = services;
        _instance = instance;
        _logger = services.LoggerFactory.CreateLogger("plugin/ready");
    }

    public string Address { get; }

    /// <summary>With <see cref="ReadinessMonitor.UntilReady"/> a reporter that was ready once is not asked again.</summary>
    public ReadinessMonitor Monitor { get; set; } = ReadinessMonitor.UntilReady;

    public async Task StartAsync(CancellationToken cancellationToken) =>
        _registration = await _services.Http.RegisterAsync(Address, Path, HandleAsync, cancellationToken).ConfigureAwait(false);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_registration is not null)
        {
            await _registration.DisposeAsync().ConfigureAwait(false);
            _registration = null;
        }
    }

    /// <summary>The reporters that are not ready now, sorted by name, with their details.</summary>
    public IReadOnlyList<(string Name, string? Detail)> NotReady()
    {
        var waiting = new List<(string Name, string? Detail)>();
        foreach (var reporter in _instance.Readiness)
        {
            lock (_gate)
            {
                if (_confirmed.Contains(reporter))
                {
                    continue;
                }
            }

            var status = reporter.CheckReadiness();
            if (status.IsReady)
            {
                if (Monitor == ReadinessMonitor.UntilReady)
                {
                    lock (_gate)
                    {
                        _confirmed.Add(reporter);
                    }
                }

                continue;
            }

            waiting.Add((reporter.ReadinessName, status.Detail));
        }

        waiting.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return waiting;
    }

    /// <summary>The 503 body: CoreDNS's comma-separated names on the first line, then <c>name: detail</c> lines.</summary>
    public static string FormatNotReady(IReadOnlyList<(string Name, string? Detail)> waiting)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        var body = new StringBuilder();
        body.AppendJoin(',', waiting.Select(w => w.Name).Distinct(StringComparer.Ordinal));
        foreach (var (name, detail) in waiting)
        {
            if (!string.IsNullOrEmpty(detail))
            {
                body.Append('\n').Append(name).Append(": ").Append(detail.ReplaceLineEndings(" "));
            }
        }

        return body.Append('\n').ToString();
    }

    private Task HandleAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        if (_services.IsShuttingDown)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return context.Response.WriteAsync("Shutting down", context.RequestAborted);
        }

        var waiting = NotReady();
        if (waiting.Count == 0)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return context.Response.WriteAsync("OK", context.RequestAborted);
        }

        var body = FormatNotReady(waiting);
        if (_logger.IsEnabled(LogLevel.Information))
        {
#pragma warning disable CA1873 // guarded by IsEnabled above
            LogNotReady(_logger, string.Join(',', waiting.Select(w => w.Name).Distinct(StringComparer.Ordinal)));
#pragma warning restore CA1873
        }
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return context.Response.WriteAsync(body, context.RequestAborted);
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Plugins not ready: \"{Names}\"")]
    private static partial void LogNotReady(ILogger logger, string names);
}
