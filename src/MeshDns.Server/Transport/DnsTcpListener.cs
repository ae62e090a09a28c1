using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MeshDns.Server.Transport;

/// <summary>
/// Serves DNS over TCP (RFC 7766): two-octet length framing, queries of one connection answered concurrently and
/// written as they complete, idle/read/write timeouts and limits on connections and queries per connection.
/// </summary>
public sealed partial class DnsTcpListener : IAsyncDisposable
{
    private readonly IPEndPoint _endpoint;
    private readonly RequestProcessor _processor;
    private readonly TransportOptions _options;
    private readonly DnsRequestContextPool _contexts;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listenSocket;
    private Task _acceptLoop = Task.CompletedTask;
    private int _connections;
    private int _inFlight;
    private long _rejectedConnections;

    public DnsTcpListener(IPEndPoint endpoint, RequestProcessor processor, TransportOptions options, DnsRequestContextPool contexts, ILogger logger)
    {
        _endpoint = endpoint;
        _processor = processor;
        _options = options;
        _contexts = contexts;
        _logger = logger;
    }

    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>Connections open now.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Connections closed at once because <see cref="TransportOptions.MaxTcpConnections"/> were open.</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejectedConnections);

    public void Start()
    {
        var socket = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.NoDelay = true;
            socket.Bind(_endpoint);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _listenSocket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync(socket);
    }

    private async Task AcceptLoopAsync(Socket listenSocket)
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listenSocket.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException exception)
            {
                // EMFILE and friends: back off briefly rather than spin.
                LogAcceptError(_logger, exception, LocalEndPoint);
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            if (Interlocked.Increment(ref _connections) > _options.MaxTcpConnections)
            {
                Interlocked.Decrement(ref _connections);
                Interlocked.Increment(ref _rejectedConnections);
                client.Dispose();
                continue;
            }

            client.NoDelay = true;
            _ = ServeConnectionAsync(client);
        }
    }

    private async Task ServeConnectionAsync(Socket client)
    {
        using var connection = new Connection(client, this);
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The client went away, or a timeout closed it: both are ordinary for TCP DNS.
        }
        catch (Exception exception)
        {
            LogConnectionError(_logger, exception, LocalEndPoint);
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listenSocket?.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var deadline = DateTime.UtcNow + _options.DrainTimeout;
        while ((Volatile.Read(ref _inFlight) > 0 || Volatile.Read(ref _connections) > 0) && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "TCP accept on {Endpoint} failed")]
    private static partial void LogAcceptError(ILogger logger, Exception exception, IPEndPoint endpoint);

    [LoggerMessage(EventId = 211, Level = LogLevel.Error, Message = "TCP connection on {Endpoint} failed")]
    private static partial void LogConnectionError(ILogger logger, Exception exception, IPEndPoint endpoint);

    /// <summary>One client connection: a read loop that dispatches each message, and a lock that serialises writes.</summary>
    private sealed class Connection(Socket socket, DnsTcpListener owner) : IDisposable
    {
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly SemaphoreSlim _pipelineSlots = new(owner._options.MaxPipelinedQueries, owner._options.MaxPipelinedQueries);
        private readonly CancellationTokenSource _closed = CancellationTokenSource.CreateLinkedTokenSource(owner._stopping.Token);
        private readonly IPEndPoint _remote = (IPEndPoint)socket.RemoteEndPoint!;
        private readonly IPEndPoint _local = (IPEndPoint)socket.LocalEndPoint!;
        private int _pending;

        public async Task RunAsync()
        {
            var options = owner._options;
            var lengthPrefix = new byte[2];
            var queries = 0;
            try
            {
                while (!_closed.IsCancellationRequested)
                {
                    // Idle: waiting for the first octet of the next message.
                    if (!await ReadExactlyAsync(lengthPrefix.AsMemory(0, 1), options.TcpIdleTimeout).ConfigureAwait(false) ||
                        !await ReadExactlyAsync(lengthPrefix.AsMemory(1, 1), options.TcpReadTimeout).ConfigureAwait(false))
                    {
                        break;
                    }

                    var length = BinaryPrimitives.ReadUInt16BigEndian(lengthPrefix);
                    if (length == 0)
                    {
                        break; // nothing a client can mean by an empty message
                    }

                    var frame = ArrayPool<byte>.Shared.Rent(length);
                    if (!await ReadExactlyAsync(frame.AsMemory(0, length), options.TcpReadTimeout).ConfigureAwait(false))
                    {
                        ArrayPool<byte>.Shared.Return(frame);
                        break;
                    }

                    // Backpressure: with too many answers outstanding, stop reading until one is written.
                    await _pipelineSlots.WaitAsync(_closed.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _pending);
                    Interlocked.Increment(ref owner._inFlight);
                    _ = AnswerAsync(frame, length);
                    if (++queries >= options.MaxQueriesPerConnection)
                    {
                        break;
                    }
                }
            }
            finally
            {
                // Let queries already read finish and be written before closing (RFC 7766 6.2.4).
                var deadline = DateTime.UtcNow + options.DrainTimeout;
                while (Volatile.Read(ref _pending) > 0 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
                }

                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }

        private async Task<bool> ReadExactlyAsync(Memory<byte> buffer, TimeSpan timeout)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
            timer.CancelAfter(timeout);
            var read = 0;
            try
            {
                while (read < buffer.Length)
                {
                    var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, timer.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return false; // orderly close by the client
                    }

                    read += n;
                }

                return true;
            }
            catch (OperationCanceledException)
            {
                return false; // idle or slow client
            }
        }

        private async Task AnswerAsync(byte[] frame, int length)
        {
            var context = owner._contexts.Rent();
            var response = ArrayPool<byte>.Shared.Rent(ushort.MaxValue + 2);
            try
            {
                context.SetEndpoints(_remote, _local);
                context.RequestAborted = _closed.Token;
                var size = await owner._processor.ProcessAsync(context, frame.AsMemory(0, length), DnsTransport.Tcp, response.AsMemory(2, ushort.MaxValue)).ConfigureAwait(false);
                if (size > 0)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)size);
                    await WriteAsync(response.AsMemory(0, size + 2)).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                await _closed.CancelAsync().ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
                ArrayPool<byte>.Shared.Return(response);
                owner._contexts.Return(context);
                Interlocked.Decrement(ref owner._inFlight);
                Interlocked.Decrement(ref _pending);
                _pipelineSlots.Release();
            }
        }

        private async Task WriteAsync(ReadOnlyMemory<byte> message)
        {
            await _writeLock.WaitAsync(_closed.Token).ConfigureAwait(false);
            try
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
                timer.CancelAfter(owner._options.TcpWriteTimeout);
                var sent = 0;
                while (sent < message.Length)
                {
                    sent += await socket.SendAsync(message[sent..], SocketFlags.None, timer.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }

        public void Dispose()
        {
            _closed.Cancel();
            socket.Dispose();
            _closed.Dispose();
            _writeLock.Dispose();
            _pipelineSlots.Dispose();
        }
    }
}
