using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Forward;

/// <summary>
/// The state of one <c>forward</c> directive: its upstreams, the policy, the concurrency count, and whether loop
/// detection switched it off. Lives as long as the configuration; the handler reads it per query.
/// </summary>
public sealed class ForwardEngine : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly ServerInstance? _instance;
    private readonly UpstreamSelector _selector;
    private readonly List<IDisposable> _owned = [];
    private readonly MetricsRegistry _registry;
    private int _concurrent;
    private volatile bool _loopDetected;

    public ForwardEngine(ForwardOptions options, MetricsRegistry metrics, TimeProvider time, ILogger logger, IUpstreamHostResolver? resolver = null, ServerInstance? instance = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        Options = options;
        Time = time ?? TimeProvider.System;
        _logger = logger;
        _instance = instance;
        _registry = metrics;
        Metrics = new ForwardMetrics(metrics);
        if (resolver is null && options.Upstreams.Any(u => u.IsHostName))
        {
            var servers = options.Resolvers;
            resolver = servers.IsEmpty
                ? new DnsUpstreamHostResolver(DnsUpstreamHostResolver.SystemServers, options.Timeouts.Read)
                : new DnsUpstreamHostResolver(servers, options.Timeouts.Read);
        }

        var upstreams = new List<Upstream>();
        foreach (var config in options.Upstreams)
        {
            var tls = config.Transport == UpstreamTransport.Tls ? CreateTlsOptions(config, options.Tls) : null;
            upstreams.Add(new Upstream(config, options, tls, resolver, Metrics, Time, logger));
        }

        Upstreams = upstreams;
        _selector = new UpstreamSelector(options.Policy, upstreams);
    }

    public ForwardOptions Options { get; }

    public IReadOnlyList<Upstream> Upstreams { get; }

    public ForwardMetrics Metrics { get; }

    internal TimeProvider Time { get; }

    /// <summary>Random IDs for the queries this forward sends.</summary>
    internal QueryIdSource QueryIds { get; } = new();

    internal ILogger Logger => _logger;

    /// <summary>True once <c>loop</c> found this forward sending queries back to this server.</summary>
    public bool IsDisabledByLoop => _loopDetected;

    /// <summary>Upstream labels joined with commas, for log lines.</summary>
    public string UpstreamList => string.Join(", ", Upstreams.Select(u => u.Label));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // MeshDns extensions, computed at scrape time; registered here so a configuration that never starts leaves none.
        _owned.Add(_registry.RegisterCollector(
            "meshdns_forward_upstream_rtt_seconds",
            "Smoothed round-trip time of exchanges with each upstream, failures counted at their full duration (what policy fastest ranks by).",
            MetricType.Gauge,
            ["to"],
            sink =>
            {
                foreach (var upstream in Upstreams)
                {
                    if (upstream.SmoothedRtt is { } rtt)
                    {
                        sink.Add(rtt.TotalSeconds, upstream.Label);
                    }
                }
            }));
        _owned.Add(_registry.RegisterCollector(
            "meshdns_forward_upstream_up",
            "1 when the upstream is usable, 0 when health checks marked it down.",
            MetricType.Gauge,
            ["to"],
            sink =>
            {
                foreach (var upstream in Upstreams)
                {
                    sink.Add(upstream.IsDown ? 0 : 1, upstream.Label);
                }
            }));
        await Task.WhenAll(Upstreams.Select(u => u.StartAsync(cancellationToken))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var upstream in Upstreams)
        {
            await upstream.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    /// <summary>The plugin authoritative here for <paramref name="lowerName"/>, if any (never forwarded).</summary>
    internal string? FindAuthority(ReadOnlySpan<byte> lowerName) => _instance?.FindAuthority(lowerName);

    internal Upstream[] OrderUpstreams() => _selector.Order();

    /// <summary>Counts a query in flight; false (and nothing counted) when <c>max_concurrent</c> is reached.</summary>
    internal bool TryEnter()
    {
        if (Options.MaxConcurrent == 0)
        {
            return true;
        }

        if (Interlocked.Increment(ref _concurrent) > Options.MaxConcurrent)
        {
            Interlocked.Decrement(ref _concurrent);
            Metrics.MaxConcurrentRejects.Inc();
            return false;
        }

        return true;
    }

    internal void Exit()
    {
        if (Options.MaxConcurrent != 0)
        {
            Interlocked.Decrement(ref _concurrent);
        }
    }

    /// <summary>Stops forwarding: every query gets SERVFAIL with an Extended DNS Error saying why.</summary>
    internal void DisableForLoop() => _loopDetected = true;

    private SslClientAuthenticationOptions CreateTlsOptions(UpstreamConfig config, ForwardTlsConfig? tls)
    {
        var options = new SslClientAuthenticationOptions
        {
            // RFC 7858 3.2: verify the name we meant to reach; without tls_servername it is the address or host.
            TargetHost = config.TlsServerName ?? tls?.ServerName ?? config.Host,
        };
        if (tls?.CertificatePath is { } certificate && tls.KeyPath is { } key)
        {
            var client = X509Certificate2.CreateFromPemFile(certificate, key);
            _owned.Add(client);
            options.ClientCertificates = [client];
        }

        if (tls?.CaPath is { } caPath)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caPath);
            if (authorities.Count == 0)
            {
                throw new InvalidOperationException($"no certificate in {caPath}");
            }

            foreach (var authority in authorities)
            {
                _owned.Add(authority);
            }

            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(authorities);
            options.CertificateChainPolicy = policy;
        }

        return options;
    }
}
