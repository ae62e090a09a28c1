using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MeshDns.Server.Transport;

/// <summary>
/// Serves DNS over UDP on one address and port with several receive loops, each a dedicated thread blocked
/// in a receive on its own SO_REUSEPORT socket (the kernel spreads clients over them).
/// </summary>
/// <remarks>
/// A loop answers on its own thread when the plugin chain completes synchronously, which is the common case
/// (cached or precomputed answers) and costs no allocation. A query that must wait (forwarding) keeps its
/// buffers and finishes on the thread pool while the loop takes fresh buffers and goes on receiving.
/// </remarks>
public sealed partial class DnsUdpListener : IAsyncDisposable
{
    private readonly IPEndPoint _endpoint;
    private readonly bool _wildcard;
    private readonly byte[] _boundAddress;
    private readonly RequestProcessor _processor;
    private readonly TransportOptions _options;
    private readonly ILogger _logger;
    private readonly DnsRequestContextPool _contexts;
    private readonly List<(Socket Socket, Thread Thread)> _loops = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<UdpSlot> _slots = new();
    private volatile bool _stopping;
    private int _inFlight;
    private long _receiveErrors;

    public DnsUdpListener(IPEndPoint endpoint, RequestProcessor processor, TransportOptions options, DnsRequestContextPool contexts, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoint = endpoint;

        // Bound to one address, every datagram arrives there and every reply leaves from there: the kernel need not
        // report the destination (IP_PKTINFO), nor be told the source of each reply, which saves work in both calls.
        _wildcard = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any);
        _boundAddress = _wildcard ? [] : endpoint.Address.GetAddressBytes();
        _processor = processor;
        _options = options;
        _contexts = contexts;
        _logger = logger;
    }

    /// <summary>The bound address and port (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>Datagrams dropped because they were longer than <see cref="TransportOptions.MaxUdpRequestSize"/>.</summary>
    public long OversizedDrops => Interlocked.Read(ref _oversizedDrops);

    private long _oversizedDrops;

    /// <summary>Binds the sockets and starts the receive loops. Throws <see cref="SocketException"/> when the address is taken.</summary>
    public void Start()
    {
        var loops = Math.Max(1, _options.UdpReceiveLoops);
        var endpoint = _endpoint;
        try
        {
            for (var i = 0; i < loops; i++)
            {
                var socket = CreateSocket(endpoint, reusePort: loops > 1);
                if (i == 0)
                {
                    LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
                    endpoint = LocalEndPoint; // further sockets share the port the first one got
                }

                var thread = new Thread(() => ReceiveLoop(socket))
                {
                    IsBackground = true,
                    Name = $"dns-udp {LocalEndPoint} #{i}",
                };
                _loops.Add((socket, thread));
            }
        }
        catch
        {
            foreach (var (socket, _) in _loops)
            {
                socket.Dispose();
            }

            _loops.Clear();
            throw;
        }

        foreach (var (_, thread) in _loops)
        {
            thread.Start();
        }
    }

    private Socket CreateSocket(IPEndPoint endpoint, bool reusePort)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false; // IPv4 gets its own socket, so replies can use IP_PKTINFO
            }

            socket.ReceiveBufferSize = _options.UdpSocketReceiveBuffer;
            if (LinuxUdp.IsSupported)
            {
                LinuxUdp.Configure(socket, reusePort, _options.UdpWakeInterval, destinationInfo: _wildcard);
            }
            else
            {
                if (reusePort)
                {
                    LinuxUdp.EnableReusePort(socket);
                }

                socket.ReceiveTimeout = (int)_options.UdpWakeInterval.TotalMilliseconds;
            }

            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void ReceiveLoop(Socket socket)
    {
        try
        {
            if (LinuxUdp.IsSupported)
            {
                BatchLoop(socket);
            }
            else
            {
                ManagedLoop(socket);
            }
        }
        catch (ObjectDisposedException) when (_stopping)
        {
        }
        catch (Exception exception)
        {
            LogLoopError(_logger, exception, LocalEndPoint);
        }
    }

    /// <summary>
    /// Linux: takes up to <see cref="TransportOptions.UdpBatchSize"/> queued datagrams per recvmmsg, answers those whose
    /// chain completes synchronously with one sendmmsg, and hands the others to the thread pool with their slot.
    /// </summary>
    /// <remarks>
    /// Under load, system calls dominate the cost of a query (the pipeline itself is well under a microsecond), and a
    /// batch spreads their fixed cost over many datagrams. When datagrams trickle in, a batch holds one and nothing waits.
    /// </remarks>
    private void BatchLoop(Socket socket)
    {
        using var batch = new LinuxUdp.MessageBatch(Math.Max(1, _options.UdpBatchSize));
        var slots = new UdpSlot[batch.Capacity];
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i] = RentSlot();
            batch.ArmReceive(i, slots[i].Receive, slots[i].SockAddr, slots[i].ReceiveControl);
        }

        try
        {
            while (!_stopping)
            {
                var handle = socket.SafeHandle.DangerousGetHandle();
                var received = batch.Receive(handle, out var errno);
                if (received <= 0)
                {
                    if (received < 0 && errno is not LinuxUdp.Eagain and not LinuxUdp.Eintr && !_stopping)
                    {
                        CountReceiveError(errno);
                    }

                    continue;
                }

                var replies = 0;
                for (var i = 0; i < received; i++)
                {
                    var slot = slots[i];
                    var length = Accept(batch, i, slot);
                    if (length > 0)
                    {
                        var pending = Process(slot, length);
                        if (pending.IsCompletedSuccessfully)
                        {
                            var size = pending.Result;
                            slot.Context.Reset();
                            if (size > 0)
                            {
                                batch.SetReply(replies++, slot.Send, size, slot.SockAddr, slot.SockAddrLength, slot.ReplyControl, slot.ReplyControlLength);
                            }
                        }
                        else
                        {
                            Interlocked.Increment(ref _inFlight);
                            _ = FinishAsync(socket, slot, pending);
                            slots[i] = slot = RentSlot();
                        }
                    }

                    batch.ArmReceive(i, slot.Receive, slot.SockAddr, slot.ReceiveControl);
                }

                if (replies > 0)
                {
                    batch.SendReplies(handle, replies);
                }
            }
        }
        finally
        {
            foreach (var slot in slots)
            {
                _slots.Enqueue(slot);
            }
        }
    }

    /// <summary>Reads the sender and destination of received datagram <paramref name="index"/>; returns its length, or -1 to drop it.</summary>
    private int Accept(LinuxUdp.MessageBatch batch, int index, UdpSlot slot)
    {
        var length = batch.Received(index, out slot.SockAddrLength, out var controlLength, out var truncated);
        if (truncated)
        {
            Interlocked.Increment(ref _oversizedDrops);
            return -1;
        }

        Span<byte> remote = stackalloc byte[16];
        if (!LinuxUdp.TryParseSockAddr(slot.SockAddr.AsSpan(0, slot.SockAddrLength), remote, out var remoteLength, out var family, out var port))
        {
            return -1;
        }

        if (!_wildcard)
        {
            slot.ReplyControlLength = 0;
            slot.Context.SetEndpoints(family, remote[..remoteLength], port, _boundAddress, LocalEndPoint.Port);
            return length;
        }

        Span<byte> local = stackalloc byte[16];
        slot.ReplyControlLength = LinuxUdp.BuildReplyControl(slot.ReceiveControl.AsSpan(0, controlLength), slot.ReplyControl, local, out var localLength);
        slot.Context.SetEndpoints(family, remote[..remoteLength], port, local[..localLength], LocalEndPoint.Port);
        return length;
    }

    /// <summary>Runs the pipeline for a received datagram; a synchronous failure (a server bug) is logged and answers nothing.</summary>
    private ValueTask<int> Process(UdpSlot slot, int length)
    {
        try
        {
            return _processor.ProcessAsync(slot.Context, slot.Receive.AsMemory(0, length), DnsTransport.Udp, slot.Send);
        }
        catch (Exception exception)
        {
            // The processor turns plugin failures into SERVFAIL; anything reaching here is a server bug.
            LogLoopError(_logger, exception, LocalEndPoint);
            return ValueTask.FromResult(0);
        }
    }

    /// <summary>Elsewhere: one datagram per call through the managed socket API.</summary>
    private void ManagedLoop(Socket socket)
    {
        var slot = RentSlot();
        while (!_stopping)
        {
            var length = ReceiveManaged(socket, slot);
            if (length <= 0)
            {
                continue;
            }

            var pending = Process(slot, length);
            if (pending.IsCompletedSuccessfully)
            {
                Send(socket, slot, pending.Result);
                slot.Context.Reset();
            }
            else
            {
                Interlocked.Increment(ref _inFlight);
                _ = FinishAsync(socket, slot, pending);
                slot = RentSlot();
            }
        }
    }

    private int ReceiveManaged(Socket socket, UdpSlot slot)
    {
        try
        {
            var length = socket.ReceiveFrom(slot.Receive, SocketFlags.None, slot.ManagedAddress);
            Span<byte> remote = stackalloc byte[16];
            var endpoint = (IPEndPoint)LocalEndPoint.Create(slot.ManagedAddress);
            endpoint.Address.TryWriteBytes(remote, out var remoteLength);
            slot.Context.SetEndpoints(endpoint.AddressFamily, remote[..remoteLength], endpoint.Port, [], LocalEndPoint.Port);
            return length;
        }
        catch (SocketException exception) when (exception.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted or SocketError.ConnectionReset)
        {
            return -1;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.MessageSize)
        {
            Interlocked.Increment(ref _oversizedDrops);
            return -1;
        }
    }

    private static void Send(Socket socket, UdpSlot slot, int length)
    {
        if (length <= 0)
        {
            return;
        }

        if (LinuxUdp.IsSupported)
        {
            var handle = socket.SafeHandle.DangerousGetHandle();
            var sockAddr = slot.SockAddr.AsSpan(0, slot.SockAddrLength);
            if (LinuxUdp.Send(handle, slot.Send.AsSpan(0, length), sockAddr, slot.ReplyControl.AsSpan(0, slot.ReplyControlLength), out var errno) < 0 &&
                slot.ReplyControlLength > 0)
            {
                // The address the query came to is gone (interface change): let the kernel pick a source instead.
                LinuxUdp.Send(handle, slot.Send.AsSpan(0, length), sockAddr, [], out errno);
            }

            return;
        }

        try
        {
            socket.SendTo(slot.Send.AsSpan(0, length), SocketFlags.None, slot.ManagedAddress);
        }
        catch (SocketException)
        {
            // A client that went away is not the server's problem (ICMP unreachable surfaces here).
        }
    }

    private async Task FinishAsync(Socket socket, UdpSlot slot, ValueTask<int> pending)
    {
        try
        {
            var length = await pending.ConfigureAwait(false);
            if (!_stoppedSockets)
            {
                Send(socket, slot, length);
            }
        }
        catch (Exception exception) when (exception is ObjectDisposedException or SocketException)
        {
        }
        catch (Exception exception)
        {
            LogLoopError(_logger, exception, LocalEndPoint);
        }
        finally
        {
            slot.Context.Reset();
            _slots.Enqueue(slot);
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private volatile bool _stoppedSockets;

    private UdpSlot RentSlot() => _slots.TryDequeue(out var slot) ? slot : new UdpSlot(_contexts.Rent(), _options, _endpoint.AddressFamily);

    private void CountReceiveError(int errno)
    {
        // ECONNREFUSED and friends come from ICMP errors for earlier replies; log the first and then every 10,000th.
        var count = Interlocked.Increment(ref _receiveErrors);
        if (count == 1 || count % 10_000 == 0)
        {
            LogReceiveError(_logger, LocalEndPoint, errno, count);
        }
    }

    /// <summary>Stops receiving, waits for in-flight queries (up to the drain timeout), closes the sockets.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        foreach (var (_, thread) in _loops)
        {
            await Task.Run(() => thread.Join(_options.UdpWakeInterval * 4), cancellationToken).ConfigureAwait(false);
        }

        var deadline = DateTime.UtcNow + _options.DrainTimeout;
        while (Volatile.Read(ref _inFlight) > 0 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }

        _stoppedSockets = true;
        foreach (var (socket, _) in _loops)
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "UDP receive loop on {Endpoint} failed")]
    private static partial void LogLoopError(ILogger logger, Exception exception, IPEndPoint endpoint);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "UDP receive on {Endpoint} failed with errno {Errno} ({Count} so far)")]
    private static partial void LogReceiveError(ILogger logger, IPEndPoint endpoint, int errno, long count);

    /// <summary>
    /// Buffers and context of one UDP request; owned by a loop, or by a pending query until it is answered. The
    /// buffers are pinned: a loop's batch of message headers points at them across system calls.
    /// </summary>
    private sealed class UdpSlot(DnsRequestContext context, TransportOptions options, AddressFamily family)
    {
        public DnsRequestContext Context { get; } = context;

        public byte[] Receive { get; } = GC.AllocateArray<byte>(options.MaxUdpRequestSize, pinned: true);

        public byte[] Send { get; } = GC.AllocateArray<byte>(Math.Max(options.MaxUdpSize, ResponseEncoder.ClassicUdpSize), pinned: true);

        public byte[] SockAddr { get; } = GC.AllocateArray<byte>(LinuxUdp.SockAddrSize, pinned: true);

        public byte[] ReceiveControl { get; } = GC.AllocateArray<byte>(LinuxUdp.ControlSize, pinned: true);

        public byte[] ReplyControl { get; } = GC.AllocateArray<byte>(64, pinned: true);

        public SocketAddress ManagedAddress { get; } = new(family);

        public int SockAddrLength;

        public int ReplyControlLength;
    }
}
