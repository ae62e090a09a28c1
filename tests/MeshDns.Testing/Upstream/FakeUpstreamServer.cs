using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MeshDns.Protocol;

namespace MeshDns.Testing.Upstream;

/// <summary>
/// An in-process DNS server on loopback, built on the project's codec, that plays an upstream for forwarding tests:
/// UDP and TCP on one ephemeral port, optionally DNS over TLS (RFC 7858) on another. Every query goes to a
/// handler that decides the <see cref="FakeReply"/>, so tests can make it slow, wrong, truncating or broken.
/// <see cref="StopAsync"/> and <see cref="StartAsync(int?)"/> take it down and bring it back on the same ports.
/// </summary>
public sealed class FakeUpstreamServer : IAsyncDisposable
{
    private readonly Func<FakeQuery, FakeReply> _handler;
    private readonly X509Certificate2? _certificate;
    private readonly IPAddress _address;
    private readonly ConcurrentQueue<FakeQuery> _queries = new();
    private readonly ConcurrentDictionary<Task, byte> _work = new();
    private CancellationTokenSource? _stop;
    private Socket? _udp;
    private Socket? _tcp;
    private Socket? _tls;
    private int _connections;

    private FakeUpstreamServer(Func<FakeQuery, FakeReply> handler, X509Certificate2? certificate, IPAddress address)
    {
        _handler = handler;
        _certificate = certificate;
        _address = address;
    }

    /// <summary>UDP and TCP endpoint.</summary>
    public IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>DNS over TLS endpoint (only with a certificate).</summary>
    public IPEndPoint? TlsEndpoint { get; private set; }

    /// <summary><c>127.0.0.1:port</c>, the form a Corefile names it in.</summary>
    public string Address => Format(Endpoint);

    public string TlsAddress => TlsEndpoint is null ? throw new InvalidOperationException("started without TLS") : Format(TlsEndpoint);

    /// <summary>Every query received, in order (health checks included).</summary>
    public IReadOnlyCollection<FakeQuery> Queries => _queries;

    /// <summary>Queries other than forward's <c>. IN NS</c> health checks.</summary>
    public IReadOnlyList<FakeQuery> ClientQueries => _queries.Where(q => !(q.Type == DnsRecordType.NS && q.Question.Name.IsRoot)).ToList();

    /// <summary>TCP and TLS connections accepted so far.</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _connections);

    public bool IsRunning => _stop is not null;

    /// <summary>Starts a server whose every query is answered by <paramref name="handler"/>.</summary>
    public static async Task<FakeUpstreamServer> StartAsync(Func<FakeQuery, FakeReply> handler, X509Certificate2? tlsCertificate = null, IPAddress? address = null, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var server = new FakeUpstreamServer(handler, tlsCertificate, address ?? IPAddress.Loopback);
        await server.StartAsync(port);
        return server;
    }

    /// <summary>
    /// A tiny authoritative server: answers records whose owner and type match, NXDOMAIN for names it has no record
    /// of, NOERROR/NODATA otherwise, and NOERROR to the root NS health check.
    /// </summary>
    public static Task<FakeUpstreamServer> StartZoneAsync(params string[] records) => StartAsync(ZoneHandler(records));

    /// <summary>The handler <see cref="StartZoneAsync"/> uses, for servers that also need TLS or other tweaks.</summary>
    public static Func<FakeQuery, FakeReply> ZoneHandler(params string[] records)
    {
        var parsed = records.Select(ResourceRecord.Parse).ToArray();
        return query =>
        {
            if (query.Question.Name.IsRoot)
            {
                return FakeReply.For(query);
            }

            var sameName = parsed.Where(r => r.Name.Equals(query.Question.Name)).ToArray();
            if (sameName.Length == 0)
            {
                return FakeReply.For(query, DnsResponseCode.NXDomain);
            }

            return FakeReply.For(query, DnsResponseCode.NoError, sameName.Where(r => r.Type == query.Type).Select(r => r.ToString()).ToArray());
        };
    }

    /// <summary>(Re)starts listening; <paramref name="port"/> null means the ports used before (or new ephemeral ones).</summary>
    public Task StartAsync(int? port = null)
    {
        if (_stop is not null)
        {
            return Task.CompletedTask;
        }

        var wanted = port ?? Endpoint.Port;
        for (var attempt = 0; ; attempt++)
        {
            Socket? udp = null;
            Socket? tcp = null;
            try
            {
                udp = new Socket(_address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(_address, wanted));
                var bound = (IPEndPoint)udp.LocalEndPoint!;
                tcp = new Socket(_address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                tcp.Bind(bound);
                tcp.Listen(64);
                _udp = udp;
                _tcp = tcp;
                Endpoint = bound;
                break;
            }
            catch (SocketException) when (wanted == 0 && attempt < 20)
            {
                udp?.Dispose();
                tcp?.Dispose();
            }
        }

        _stop = new CancellationTokenSource();
        Track(UdpLoopAsync(_udp, _stop.Token));
        Track(AcceptLoopAsync(_tcp, FakeTransport.Tcp, _stop.Token));
        if (_certificate is not null)
        {
            _tls = new Socket(_address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _tls.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _tls.Bind(new IPEndPoint(_address, TlsEndpoint?.Port ?? 0));
            _tls.Listen(64);
            TlsEndpoint = (IPEndPoint)_tls.LocalEndPoint!;
            Track(AcceptLoopAsync(_tls, FakeTransport.Tls, _stop.Token));
        }

        return Task.CompletedTask;
    }

    /// <summary>Closes every socket (the upstream is "down": UDP gets ICMP port unreachable, TCP is refused).</summary>
    public async Task StopAsync()
    {
        var stop = Interlocked.Exchange(ref _stop, null);
        if (stop is null)
        {
            return;
        }

        await stop.CancelAsync();
        _udp?.Dispose();
        _tcp?.Dispose();
        _tls?.Dispose();
        try
        {
            await Task.WhenAll(_work.Keys).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException or IOException or TimeoutException)
        {
        }

        stop.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private void Track(Task task)
    {
        _work.TryAdd(task, 0);
        _ = task.ContinueWith(t => _work.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task UdpLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[65535];
        EndPoint any = new IPEndPoint(_address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP errors from earlier replies surface here on Linux
            }

            var raw = buffer[..received.ReceivedBytes];
            var client = received.RemoteEndPoint;
            Track(Task.Run(() => AnswerUdpAsync(socket, raw, client, cancellationToken), CancellationToken.None));
        }
    }

    private async Task AnswerUdpAsync(Socket socket, byte[] raw, EndPoint client, CancellationToken cancellationToken)
    {
        if (!TryDecide(raw, FakeTransport.Udp, out var reply))
        {
            return;
        }

        try
        {
            if (reply.Delay > TimeSpan.Zero)
            {
                await Task.Delay(reply.Delay, cancellationToken);
            }

            foreach (var before in reply.Before)
            {
                await socket.SendToAsync(before, SocketFlags.None, client, cancellationToken);
            }

            if (reply.Drop)
            {
                return;
            }

            var bytes = Encode(reply, raw, udp: true);
            await socket.SendToAsync(bytes, SocketFlags.None, client, cancellationToken);
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task AcceptLoopAsync(Socket listener, FakeTransport transport, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            Track(Task.Run(() => ServeStreamAsync(connection, transport, cancellationToken), CancellationToken.None));
        }
    }

    private async Task ServeStreamAsync(Socket connection, FakeTransport transport, CancellationToken cancellationToken)
    {
        using var socket = connection;
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            if (transport == FakeTransport.Tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                handshake.CancelAfter(TimeSpan.FromSeconds(5));
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, handshake.Token);
            }

            await using (stream)
            {
                var prefix = new byte[2];
                while (!cancellationToken.IsCancellationRequested)
                {
                    await stream.ReadExactlyAsync(prefix, cancellationToken);
                    var raw = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                    await stream.ReadExactlyAsync(raw, cancellationToken);
                    if (!TryDecide(raw, transport, out var reply))
                    {
                        return;
                    }

                    if (reply.Delay > TimeSpan.Zero)
                    {
                        await Task.Delay(reply.Delay, cancellationToken);
                    }

                    foreach (var before in reply.Before)
                    {
                        await WriteFrameAsync(stream, before, cancellationToken);
                    }

                    if (reply.Drop)
                    {
                        continue;
                    }

                    var bytes = Encode(reply, raw, udp: false);
                    if (reply.CloseMidMessage)
                    {
                        var frame = Frame(bytes);
                        await stream.WriteAsync(frame.AsMemory(0, 2 + (bytes.Length / 2)), cancellationToken);
                        await stream.FlushAsync(cancellationToken);
                        return;
                    }

                    await WriteFrameAsync(stream, bytes, cancellationToken);
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
        }
    }

    private bool TryDecide(byte[] raw, FakeTransport transport, out FakeReply reply)
    {
        reply = FakeReply.Nothing;
        if (!DnsMessage.TryParse(raw, out var message, out _) || message.Questions.Count != 1)
        {
            return false;
        }

        var query = new FakeQuery(message, transport, raw);
        _queries.Enqueue(query);
        reply = _handler(query);
        return true;
    }

    private static byte[] Encode(FakeReply reply, byte[] query, bool udp)
    {
        if (reply.Raw is not null)
        {
            return reply.Raw;
        }

        if (reply.Message is null)
        {
            return [];
        }

        var bytes = reply.Message.ToArray();
        if (udp && reply.UdpSizeLimit is { } limit && bytes.Length > limit)
        {
            // Header and question only, TC set: what a server does when the answer does not fit.
            var truncated = new DnsMessage { Id = reply.Message.Id, Flags = reply.Message.Flags | DnsHeaderFlags.TC, ResponseCode = reply.Message.ResponseCode };
            truncated.Questions.AddRange(reply.Message.Questions);
            return truncated.ToArray();
        }

        _ = query;
        return bytes;
    }

    private static byte[] Frame(byte[] message)
    {
        var frame = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
        message.CopyTo(frame, 2);
        return frame;
    }

    private static async Task WriteFrameAsync(Stream stream, byte[] message, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(Frame(message), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static string Format(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : $"{endpoint.Address}:{endpoint.Port}";
}
