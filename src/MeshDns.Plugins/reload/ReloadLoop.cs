using System.Security.Cryptography;
using System.Text;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Reload;

/// <summary>
/// Re-reads the Corefile every <see cref="Interval"/> and asks the host to reload when its SHA-512 changed.
/// A broken Corefile is tried once per distinct content: the host keeps the running configuration, logs why
/// and counts <c>coredns_reload_failed_total</c>. The clock is the process's <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class ReloadLoop : IDisposable
{
    private readonly MeshDnsServices _services;
    private readonly ServerInstance _instance;
    private readonly ILogger _logger;
    private readonly Gauge _versionInfo;
    private CancellationTokenSource? _stop;
    private string _lastHash = string.Empty;

    public ReloadLoop(MeshDnsServices services, ServerInstance instance)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(instance);
        _services = services;
        _instance = instance;
        _logger = services.LoggerFactory.CreateLogger("plugin/reload");
        _versionInfo = services.Metrics.Gauge("coredns_reload_version_info", "A metric with a constant '1' value labeled by hash, and value which type of hash generated.", "hash", "value");

        // The host counts failed reloads in this family; registering it here makes it visible wherever reload is used.
        FailedCounter = services.Metrics.Counter("coredns_reload_failed_total", "Counter of the number of failed reload attempts.");
    }

    /// <summary>The check period, jitter applied.</summary>
    public TimeSpan Interval { get; internal set; } = ReloadSetup.DefaultInterval;

    /// <summary>The period as written (before jitter).</summary>
    public TimeSpan ConfiguredInterval { get; internal set; } = ReloadSetup.DefaultInterval;

    /// <summary>The jitter after clamping to half the interval.</summary>
    public TimeSpan ConfiguredJitter { get; internal set; } = ReloadSetup.DefaultJitter;

    /// <summary><c>coredns_reload_failed_total</c>, shared with the host.</summary>
    public Counter FailedCounter { get; }

    /// <summary>Completes when the loop has ended (after <see cref="StopAsync"/>).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _lastHash = _instance.Sha512;
        LogRunning(_logger, _lastHash);
        _versionInfo.Clear();
        _versionInfo.WithLabels("sha512", _lastHash).Set(1);
        _stop = new CancellationTokenSource();
        Completion = RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops checking. Does not wait for a check in progress: the stop usually comes from inside that check
    /// (its reload replaces this configuration), and waiting would deadlock.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stop?.Cancel();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _stop?.Cancel();
        _stop?.Dispose();
        _stop = null;
    }

    /// <summary>One check: reads the Corefile and reloads when its content is new. Returns true when a reload was asked for.</summary>
    public async Task<bool> CheckOnceAsync()
    {
        var path = _services.Options.CorefilePath;
        var reloader = _services.Reloader;
        if (path is null || reloader is null)
        {
            return false; // a Corefile from standard input or a string cannot change
        }

        string text;
        try
        {
            text = await File.ReadAllTextAsync(path).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            LogReadFailed(_logger, path, exception.Message);
            return false;
        }

        var hash = Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(text)));
        if (hash == _lastHash)
        {
            return false;
        }

        // Remember it even if the reload fails: a broken file is not retried until it changes again.
        _lastHash = hash;
        try
        {
            // Not the loop's token: a successful reload stops this loop while the host is still applying.
            await reloader.ReloadAsync("reload", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogReloadFailed(_logger, exception.Message);
        }

        return true;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(Interval, _services.Time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await CheckOnceAsync().ConfigureAwait(false))
                {
                    // A reload replaces this configuration, whose own loop (if it has reload) takes over.
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Information, Message = "Running configuration SHA512 = {Hash}")]
    private static partial void LogRunning(ILogger logger, string hash);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Corefile {Path} could not be read: {Error}")]
    private static partial void LogReadFailed(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Error, Message = "Corefile changed but reload failed: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string error);
}
