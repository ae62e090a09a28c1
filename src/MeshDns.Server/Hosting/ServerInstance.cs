using System.Net;
using MeshDns.Protocol;
using MeshDns.Server.Plugins;

namespace MeshDns.Server.Hosting;

/// <summary>One listener the configuration wants: a transport, an address (null: every address) and a port.</summary>
public sealed record ListenerPlan(string Transport, IPAddress? BindAddress, int Port, ZoneRouter Router)
{
    /// <summary>CoreDNS's name for it (<c>dns://:53</c>, <c>dns://127.0.0.1:1053</c>), the <c>server</c> label of metrics.</summary>
    public string ServerAddress => FormatServerAddress(Transport, BindAddress, Port);

    public static string FormatServerAddress(string transport, IPAddress? bind, int port) => bind switch
    {
        null => $"{transport}://:{port}",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } => $"{transport}://[{bind}]:{port}",
        _ => $"{transport}://{bind}:{port}",
    };
}

/// <summary>
/// A configuration, built and running: server blocks with their chains, the listeners they need, and the
/// start/stop hooks and readiness reporters their plugins registered. Replaced whole on reload.
/// </summary>
public sealed class ServerInstance
{
    private readonly List<Func<CancellationToken, Task>> _startup = [];
    private readonly List<Func<CancellationToken, Task>> _shutdown = [];
    private readonly List<IReadinessReporter> _readiness = [];
    private readonly Dictionary<string, object> _shared = new(StringComparer.Ordinal);
    private readonly List<Func<IReadOnlyDictionary<string, IReadOnlyList<IPEndPoint>>, CancellationToken, Task>> _listening = [];
    private readonly List<(DnsName Zone, string Plugin)> _authoritative = [];
    private int _started;
    private int _stopped;

    public ServerInstance(string corefileText, string sourceName)
    {
        CorefileText = corefileText;
        SourceName = sourceName;
        Sha512 = Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(System.Text.Encoding.UTF8.GetBytes(corefileText)));
    }

    /// <summary>The Corefile this instance was built from.</summary>
    public string CorefileText { get; }

    /// <summary>Where it came from (a path, or "Corefile").</summary>
    public string SourceName { get; }

    /// <summary>SHA-512 of the Corefile, as the reload plugin logs it.</summary>
    public string Sha512 { get; }

    public IReadOnlyList<ServerBlockRuntime> Blocks { get; internal set; } = [];

    public IReadOnlyList<ListenerPlan> Listeners { get; internal set; } = [];

    /// <summary>Directive names used anywhere in this configuration (for <c>coredns_plugin_enabled</c>).</summary>
    public IReadOnlyList<(string Server, string Zone, string Plugin)> EnabledPlugins { get; internal set; } = [];

    public IReadOnlyList<IReadinessReporter> Readiness => _readiness;

    internal void AddStartup(Func<CancellationToken, Task> hook) => _startup.Add(hook);

    internal void AddShutdown(Func<CancellationToken, Task> hook) => _shutdown.Add(hook);

    internal void AddReadiness(IReadinessReporter reporter) => _readiness.Add(reporter);

    internal void AddListening(Func<IReadOnlyDictionary<string, IReadOnlyList<IPEndPoint>>, CancellationToken, Task> hook) => _listening.Add(hook);

    internal void AddAuthoritativeZone(DnsName zone, string plugin) => _authoritative.Add((zone.ToLowerInvariant(), plugin));

    /// <summary>Zones some plugin of this configuration answers with authority and without falling through.</summary>
    public IReadOnlyList<(DnsName Zone, string Plugin)> AuthoritativeZones => _authoritative;

    /// <summary>
    /// The plugin authoritative for <paramref name="name"/> (wire form), or null. Forwarding refuses such names:
    /// sending them elsewhere could only loop between regions.
    /// </summary>
    public string? FindAuthority(ReadOnlySpan<byte> name)
    {
        foreach (var (zone, plugin) in _authoritative)
        {
            if (WireName.IsSubdomainOf(name, zone.Wire))
            {
                return plugin;
            }
        }

        return null;
    }

    /// <summary>Runs the hooks that need the bound sockets (loop detection); failures are returned, not thrown.</summary>
    public async Task<IReadOnlyList<Exception>> RunListeningHooksAsync(IReadOnlyDictionary<string, IReadOnlyList<IPEndPoint>> endpoints, CancellationToken cancellationToken)
    {
        var failures = new List<Exception>();
        foreach (var hook in _listening)
        {
            try
            {
                await hook(endpoints, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                failures.Add(exception);
            }
        }

        return failures;
    }

    internal T GetOrAddShared<T>(string key, Func<T> factory)
        where T : class
    {
        if (_shared.TryGetValue(key, out var existing))
        {
            return (T)existing;
        }

        var created = factory();
        _shared[key] = created;
        return created;
    }

    /// <summary>Runs the plugins' start hooks in order. If one fails, the hooks of the plugins are stopped again and the error is thrown.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (var hook in _startup)
            {
                await hook(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs every stop hook, even when some fail; the first failure is thrown at the end.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        List<Exception>? failures = null;
        for (var i = _shutdown.Count - 1; i >= 0; i--)
        {
            try
            {
                await _shutdown[i](cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                (failures ??= []).Add(exception);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("stopping the previous configuration failed", failures);
        }
    }
}
