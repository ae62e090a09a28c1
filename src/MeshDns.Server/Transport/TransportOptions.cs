namespace MeshDns.Server.Transport;

/// <summary>Limits and timeouts of the UDP and TCP listeners. Defaults suit a cluster DNS server.</summary>
public sealed record TransportOptions
{
    /// <summary>UDP receive loops per address (each its own SO_REUSEPORT socket and thread). Default: one per core.</summary>
    public int UdpReceiveLoops { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Datagrams a receive loop takes per system call and answers per system call on Linux (recvmmsg/sendmmsg). Only
    /// datagrams already queued join a batch, so a larger value costs memory (one request slot each), not latency.
    /// </summary>
    public int UdpBatchSize { get; init; } = 32;

    /// <summary>Largest UDP response; EDNS sizes clients advertise are capped to it (RFC 9715 / DNS flag day 2020: 1232).</summary>
    public int MaxUdpSize { get; init; } = ResponseEncoder.DefaultMaxUdpSize;

    /// <summary>Largest UDP request accepted; longer datagrams are dropped.</summary>
    public int MaxUdpRequestSize { get; init; } = 4096;

    /// <summary>Kernel receive buffer per UDP socket; absorbs bursts.</summary>
    public int UdpSocketReceiveBuffer { get; init; } = 4 * 1024 * 1024;

    /// <summary>How often a blocked receive loop wakes to notice shutdown.</summary>
    public TimeSpan UdpWakeInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Open TCP connections per listener; further connections are closed at once.</summary>
    public int MaxTcpConnections { get; init; } = 1024;

    /// <summary>Queries one TCP connection may send before the server closes it (after answering).</summary>
    public int MaxQueriesPerConnection { get; init; } = 10_000;

    /// <summary>Queries of one TCP connection answered concurrently (RFC 7766 6.2.1.1 pipelining); reading pauses beyond it.</summary>
    public int MaxPipelinedQueries { get; init; } = 64;

    /// <summary>A TCP connection with nothing to read for this long is closed (RFC 7766 6.2.3).</summary>
    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Once a message has started, the rest of it must arrive within this time (slow-client defence).</summary>
    public TimeSpan TcpReadTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A response the client does not read within this time closes the connection.</summary>
    public TimeSpan TcpWriteTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long shutdown waits for in-flight queries.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
