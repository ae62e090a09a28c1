using System.Net;
using MeshDns.Plugins;
using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using MeshDns.Server.Plugins;
using MeshDns.Server.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns;

/// <summary>How to start a <see cref="MeshDnsServer"/>.</summary>
public sealed record MeshDnsServerOptions
{
    /// <summary>Path of the Corefile; re-read on reload. Ignored when <see cref="CorefileText"/> is set.</summary>
    public string? CorefilePath { get; init; }

    /// <summary>The Corefile itself (tests, <c>-conf stdin</c>).</summary>
    public string? CorefileText { get; init; }

    /// <summary>Port for server blocks that name none (<c>-dns.port</c>).</summary>
    public int DefaultPort { get; init; } = 53;

    public bool Quiet { get; init; }

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public TransportOptions Transport { get; init; } = new();

    /// <summary>Environment lookup for <c>{$VAR}</c>; the process environment by default.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>The plugins available; every MeshDns plugin by default.</summary>
    public PluginRegistry? Plugins { get; init; }
}

/// <summary>
/// A running MeshDns: a Corefile turned into listeners and plugin chains, reloadable, stoppable with lameduck.
/// The executable hosts one; functional tests start their own on ephemeral loopback ports.
/// </summary>
public sealed partial class MeshDnsServer : IConfigReloader, IAsyncDisposable
{
    private readonly MeshDnsServerOptions _options;
    private readonly PluginRegistry _plugins;
    private readonly ILogger _logger;
    private readonly Counter _reloadFailed;
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private int _stopped;

    private MeshDnsServer(MeshDnsServerOptions options)
    {
        _options = options;
        _plugins = options.Plugins ?? PluginCatalog.CreateRegistry();
        var metrics = new MetricsRegistry();
        Services = new MeshDnsServices(
            options.LoggerFactory,
            metrics,
            options.Time,
            new ServerOptions { DefaultPort = options.DefaultPort, Quiet = options.Quiet, CorefilePath = options.CorefilePath },
            options.Transport);
        Services.Reloader = this;
        Host = new DnsServerHost(Services);
        _logger = options.LoggerFactory.CreateLogger("core");
        _reloadFailed = metrics.Counter("coredns_reload_failed_total", "Counter of the number of failed reload attempts.");
    }

    public MeshDnsServices Services { get; }

    public DnsServerHost Host { get; }

    /// <summary>The configuration serving now.</summary>
    public ServerInstance? Current => Host.Current;

    /// <summary>Parses and starts the configuration; throws <see cref="CorefileException"/> (all errors) or <see cref="InvalidOperationException"/> (cannot listen, plugin start failed).</summary>
    public static async Task<MeshDnsServer> StartAsync(MeshDnsServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var server = new MeshDnsServer(options);
        try
        {
            var (text, source) = server.ReadCorefile();
            var instance = server.Build(text, source);
            await server.Host.ApplyAsync(instance, cancellationToken).ConfigureAwait(false);
            server.Services.CoreMetrics.SetPluginsEnabled(instance.EnabledPlugins);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The UDP endpoints bound for a server address (<c>dns://127.0.0.1:0</c>), or of the first listener.</summary>
    public IPEndPoint GetEndpoint(string? serverAddress = null)
    {
        var endpoints = Host.Endpoints;
        if (serverAddress is not null)
        {
            return endpoints[serverAddress][0];
        }

        return endpoints.Values.First()[0];
    }

    /// <summary>Reads the Corefile again and switches to it when it changed and is valid; a broken one keeps the running configuration.</summary>
    public async Task<bool> ReloadAsync(string reason, CancellationToken cancellationToken) => await ReloadCoreAsync(null, reason, cancellationToken).ConfigureAwait(false);

    /// <summary>Switches to <paramref name="corefileText"/> (tests; the executable re-reads its file).</summary>
    public Task<bool> ReloadAsync(string corefileText, string reason, CancellationToken cancellationToken) => ReloadCoreAsync(corefileText, reason, cancellationToken);

    private async Task<bool> ReloadCoreAsync(string? corefileText, string reason, CancellationToken cancellationToken)
    {
        await _reloadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string text;
            string source;
            try
            {
                (text, source) = corefileText is null ? ReadCorefile() : (corefileText, _options.CorefilePath ?? "Corefile");
            }
            catch (IOException exception)
            {
                _reloadFailed.Inc();
                LogReloadFailed(_logger, exception.Message);
                return false;
            }

            if (Current is { } current && string.Equals(current.CorefileText, text, StringComparison.Ordinal))
            {
                return false;
            }

            LogReloading(_logger, reason);
            try
            {
                var instance = Build(text, source);
                await Host.ApplyAsync(instance, cancellationToken).ConfigureAwait(false);
                Services.CoreMetrics.SetPluginsEnabled(instance.EnabledPlugins);
            }
            catch (Exception exception) when (exception is CorefileException or InvalidOperationException or AggregateException or IOException)
            {
                _reloadFailed.Inc();
                LogReloadFailed(_logger, exception.Message);
                return false;
            }

            LogReloaded(_logger);
            return true;
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    private (string Text, string Source) ReadCorefile()
    {
        if (_options.CorefileText is { } text && _options.CorefilePath is null)
        {
            return (text, "Corefile");
        }

        if (_options.CorefilePath is { } path)
        {
            return (_options.CorefileText ?? File.ReadAllText(path), path);
        }

        throw new InvalidOperationException("no Corefile given");
    }

    private ServerInstance Build(string text, string source)
    {
        var parseOptions = new CorefileParseOptions
        {
            DefaultPort = _options.DefaultPort,
            Environment = _options.Environment,
            BaseDirectory = _options.CorefilePath is { } path ? Path.GetDirectoryName(Path.GetFullPath(path)) : Directory.GetCurrentDirectory(),
        };
        var document = CorefileParser.Parse(text, Path.GetFileName(source), parseOptions);
        return new ServerInstanceBuilder(Services, _plugins).Build(document, text);
    }

    /// <summary>Stops serving: lameduck first (health turns unhealthy, DNS keeps answering), then listeners close and plugins stop.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        Services.IsShuttingDown = true;
        if (Services.LameDuck > TimeSpan.Zero)
        {
            LogLameDuck(_logger, Services.LameDuck);
            try
            {
                await Task.Delay(Services.LameDuck, Services.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await Host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await Services.Http.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await Host.DisposeAsync().ConfigureAwait(false);
        _reloadLock.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Reloading ({Reason})")]
    private static partial void LogReloading(ILogger logger, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Reloading complete")]
    private static partial void LogReloaded(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Restart failed, keeping the running configuration: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Going into lameduck mode for {Duration}")]
    private static partial void LogLameDuck(ILogger logger, TimeSpan duration);
}
