using System.Collections.Immutable;
using System.Net;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Forward;

/// <summary>How an upstream is spoken to.</summary>
public enum UpstreamTransport
{
    /// <summary>Plain DNS: UDP, or TCP when the client used TCP or <c>force_tcp</c> is set.</summary>
    Dns,
    /// <summary>DNS over TLS (RFC 7858).</summary>
    Tls,
}

/// <summary>Which upstream goes first (CoreDNS's <c>policy</c>, plus MeshDns's <c>fastest</c>).</summary>
public enum UpstreamPolicy
{
    Random,
    RoundRobin,
    Sequential,
    /// <summary>MeshDns extension: lowest smoothed round-trip time first.</summary>
    Fastest,
}

/// <summary>
/// One <b>TO</b> of the directive: an IP address or a host name (MeshDns extension), a port, a transport and, for
/// TLS, the name to verify. <see cref="Label"/> is CoreDNS's <c>to</c> label: <c>127.0.0.1:53</c>.
/// </summary>
public sealed record UpstreamConfig(UpstreamTransport Transport, string Host, int Port, IPAddress? Address, string? TlsServerName = null)
{
    /// <summary>True when <see cref="Host"/> is a name that must be resolved (and re-resolved) to addresses.</summary>
    public bool IsHostName => Address is null;

    public string Label => Address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>TLS settings of a forward (<c>tls CERT KEY CA</c>, <c>tls_servername</c>).</summary>
public sealed record ForwardTlsConfig(string? CertificatePath, string? KeyPath, string? CaPath, string? ServerName);

/// <summary>
/// Timeouts of the forwarding path. CoreDNS's fixed values are the defaults; tests shorten them.
/// </summary>
public sealed record ForwardTimeouts
{
    /// <summary>How long to wait for a reply once the query is sent (CoreDNS: 2s).</summary>
    public TimeSpan Read { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The whole request, every upstream tried included (CoreDNS: 5s).</summary>
    public TimeSpan Request { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Lower bound of the adaptive connect timeout (CoreDNS: 1s).</summary>
    public TimeSpan MinDial { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the adaptive connect timeout (CoreDNS: 30s).</summary>
    public TimeSpan MaxDial { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Read timeout of a health check (CoreDNS: 1s).</summary>
    public TimeSpan HealthCheck { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long start-up waits for host-name upstreams to resolve before going on without them.</summary>
    public TimeSpan InitialResolve { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Host-name upstreams are re-resolved when their TTL runs out, but never more often than this.</summary>
    public TimeSpan MinResolveInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Retry delay after a host name failed to resolve; doubles up to 30s.</summary>
    public TimeSpan ResolveRetry { get; init; } = TimeSpan.FromSeconds(1);

    public static ForwardTimeouts Default { get; } = new();
}

/// <summary>Everything one <c>forward</c> directive says.</summary>
public sealed record ForwardOptions
{
    /// <summary>The most upstreams one forward may have (CoreDNS's limit).</summary>
    public const int MaxUpstreams = 15;

    /// <summary><b>FROM</b>, lower case, fully qualified.</summary>
    public DnsName From { get; init; } = DnsName.Root;

    public ImmutableArray<UpstreamConfig> Upstreams { get; init; } = [];

    /// <summary><c>except</c>: names below these are not forwarded.</summary>
    public ImmutableArray<DnsName> Except { get; init; } = [];

    public bool ForceTcp { get; init; }

    public bool PreferUdp { get; init; }

    /// <summary>Idle pooled connections are closed after this (<c>expire</c>, default 10s).</summary>
    public TimeSpan Expire { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed health checks before an upstream counts as down; 0 disables health checking (default 2).</summary>
    public int MaxFails { get; init; } = 2;

    /// <summary>Idle connections kept per upstream and transport; 0 means no limit.</summary>
    public int MaxIdleConnections { get; init; }

    public ForwardTlsConfig? Tls { get; init; }

    public UpstreamPolicy Policy { get; init; } = UpstreamPolicy.Random;

    /// <summary>Interval between health checks of an upstream that failed (default 0.5s).</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>RD bit of the health check query (<c>no_rec</c> clears it).</summary>
    public bool HealthCheckRecursionDesired { get; init; } = true;

    /// <summary>Name of the health check's NS query (default the root).</summary>
    public DnsName HealthCheckDomain { get; init; } = DnsName.Root;

    /// <summary>Queries in flight beyond this are REFUSED; 0 means no limit.</summary>
    public int MaxConcurrent { get; init; }

    /// <summary><c>next</c>: these rcodes from upstream hand the query to the next forward of the block.</summary>
    public ImmutableArray<DnsResponseCode> Next { get; init; } = [];

    /// <summary><c>failover</c>: these rcodes from upstream make forward try the next upstream.</summary>
    public ImmutableArray<DnsResponseCode> Failover { get; init; } = [];

    /// <summary><c>failfast_all_unhealthy_upstreams</c>: SERVFAIL at once when every upstream is down.</summary>
    public bool FailFastWhenAllDown { get; init; }

    /// <summary><c>resolver</c>: DNS servers that resolve host-name upstreams (default: /etc/resolv.conf's).</summary>
    public ImmutableArray<IPEndPoint> Resolvers { get; init; } = [];

    public ForwardTimeouts Timeouts { get; init; } = ForwardTimeouts.Default;
}
