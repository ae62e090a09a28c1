using MeshDns.Protocol;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Hosts;

/// <summary>What a <c>hosts</c> line configures.</summary>
public sealed record HostsOptions
{
    public const string DefaultPath = "/etc/hosts";
    public const uint DefaultTtl = 3600;
    public static readonly TimeSpan DefaultReload = TimeSpan.FromSeconds(5);

    public string Path { get; init; } = DefaultPath;

    /// <summary>Zones answered from the file (the block's zones unless listed).</summary>
    public IReadOnlyList<DnsName> Zones { get; init; } = [DnsName.Root];

    /// <summary>Hosts lines written in the Corefile.</summary>
    public IReadOnlyList<string> Inline { get; init; } = [];

    public uint Ttl { get; init; } = DefaultTtl;

    /// <summary>PTR records for the addresses (off with <c>no_reverse</c>).</summary>
    public bool AutoReverse { get; init; } = true;

    /// <summary>How often the file is checked for changes; zero turns checking off.</summary>
    public TimeSpan ReloadInterval { get; init; } = DefaultReload;

    public Fallthrough Fallthrough { get; init; } = Fallthrough.None;
}

/// <summary>
/// The data behind one hosts plugin: the file (re-read when its modification time or size changes) merged with
/// the inline entries, published as an immutable <see cref="HostsSnapshot"/> that readers take without locking.
/// Changed names go to <see cref="MeshDnsServices.NameChanges"/> so caches drop stale negative answers.
/// </summary>
public sealed partial class HostsSource : IDisposable
{
    private readonly HostsOptions _options;
    private readonly MeshDnsServices _services;
    private readonly ILogger _logger;
    private readonly HostsMap _inline;
    private readonly Gauge _entries;
    private readonly Gauge _reloadTimestamp;
    private readonly Lock _loadGate = new();
    private volatile HostsSnapshot _current = HostsSnapshot.Empty;
    private HostsMap _file = HostsMap.Empty;
    private DateTime _modified;
    private long _size = -1;
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

    public HostsSource(HostsOptions options, MeshDnsServices services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        _options = options;
        _services = services;
        _logger = services.LoggerFactory.CreateLogger("plugin/hosts");
        _inline = HostsMap.Parse(new StringReader(string.Join('\n', options.Inline)), options.Zones, options.AutoReverse);
        _entries = services.Metrics.Gauge("coredns_hosts_entries", "The combined number of entries in hosts and Corefile.");
        _reloadTimestamp = services.Metrics.Gauge("coredns_hosts_reload_timestamp_seconds", "The timestamp of the last reload of hosts file.");
        _current = HostsSnapshot.Build(HostsMap.Empty, _inline, options.Ttl);
    }

    public HostsOptions Options => _options;

    /// <summary>The answers in use now.</summary>
    public HostsSnapshot Current => _current;

    /// <summary>Reads the file and starts watching it.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Refresh(publishChanges: false);
        if (_options.ReloadInterval > TimeSpan.Zero)
        {
            _stop = new CancellationTokenSource();
            _loop = WatchAsync(_stop.Token);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _stop = null;
    }

    /// <summary>Stops watching without waiting (for a start that failed half-way).</summary>
    public void Dispose()
    {
        _stop?.Cancel();
        _stop?.Dispose();
        _stop = null;
    }

    /// <summary>
    /// Re-reads the file when its modification time or size changed. A missing or unreadable file keeps the
    /// entries last read (CoreDNS behaves the same). Returns true when the snapshot was replaced.
    /// </summary>
    public bool Refresh(bool publishChanges = true)
    {
        lock (_loadGate)
        {
            var info = new FileInfo(_options.Path);
            if (!info.Exists)
            {
                return false;
            }

            if (info.LastWriteTimeUtc == _modified && info.Length == _size)
            {
                return false;
            }

            HostsMap file;
            try
            {
                using var reader = new StreamReader(_options.Path);
                file = HostsMap.Parse(reader, _options.Zones, _options.AutoReverse);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                LogReadFailed(_logger, _options.Path, exception.Message);
                return false;
            }

            _file = file;
            _modified = info.LastWriteTimeUtc;
            _size = info.Length;
            var before = _current;
            var after = HostsSnapshot.Build(_file, _inline, _options.Ttl);
            _current = after;
            _entries.Set(after.EntryCount);
            _reloadTimestamp.Set((_modified - DateTime.UnixEpoch).TotalSeconds);
            LogParsed(_logger, after.EntryCount);
            if (publishChanges)
            {
                var changed = HostsSnapshot.ChangedNames(before, after);
                if (changed.Count > 0)
                {
                    _services.NameChanges.Publish(new NameChange(changed, []));
                }
            }

            return true;
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.ReloadInterval, _services.Time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Refresh();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1800, Level = LogLevel.Debug, Message = "Parsed hosts file into {Count} entries")]
    private static partial void LogParsed(ILogger logger, int count);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Warning, Message = "Failed to read hosts file {Path}: {Error}")]
    private static partial void LogReadFailed(ILogger logger, string path, string error);
}
