using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using MeshDns.Protocol;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Forward;

/// <summary>
/// One <b>TO</b> of a forward: its current addresses (re-resolved while running for a host name), its health
/// (failed checks in a row), its smoothed round-trip time, and its pooled TCP/TLS connections.
/// </summary>
/// <remarks>
/// UDP uses a new socket per query: the kernel gives it a random ephemeral source port, and with a random ID
/// an off-path spoofer must guess about 31 bits (RFC 5452 9.2); a connected socket also drops datagrams from
/// any other address. A shared pool of UDP sockets would save a socket() call but fix the port for many queries.
/// What is reused is the waiting machinery around the socket (<see cref="UdpExchange"/>), and the metric series.
/// </remarks>
public sealed partial class Upstream : IAsyncDisposable
{
    private const int RttWeight = 4;

    /// <summary>Idle UDP waiters kept for reuse; more are made under a burst and dropped after it.</summary>
    private const int MaxIdleUdpExchanges = 64;

    /// <summary>Response codes whose metric series are kept at hand (the 4-bit header rcodes and the common extended ones).</summary>
    private const int CachedRcodes = 24;
    private static readonly TimeSpan MaxResolveInterval = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaxResolveRetry = TimeSpan.FromSeconds(30);

    private readonly ForwardOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ForwardMetrics _metrics;
    private readonly ConnectionPool _pool;
    private readonly SslClientAuthenticationOptions? _tls;
    private readonly IUpstreamHostResolver? _resolver;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CounterChild _requests;
    private readonly CounterChild _healthFailures;
    private readonly CounterChild _udpMisses;
    private readonly CounterChild[] _streamHits;
    private readonly CounterChild[] _streamMisses;
    private readonly CounterChild?[] _responses = new CounterChild?[CachedRcodes];
    private readonly HistogramChild?[] _durations = new HistogramChild?[CachedRcodes];
    private readonly Lock _udpGate = new();
    private readonly Stack<UdpExchange> _idleUdp = new();
    private bool _disposed;
    private readonly TaskCompletionSource _firstResolution = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IPEndPoint[] _endpoints;
    private Task _background = Task.CompletedTask;
    private int _cursor;
    private int _fails;
    private int _probing;
    private long _rttBits = BitConverter.DoubleToInt64Bits(double.NaN);
    private long _dialTicks;
    private int _tlsFailureLogged;

    internal Upstream(UpstreamConfig config, ForwardOptions options, SslClientAuthenticationOptions? tls, IUpstreamHostResolver? resolver, ForwardMetrics metrics, TimeProvider time, ILogger logger)
    {
        Config = config;
        _options = options;
        _tls = tls;
        _resolver = resolver;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _pool = new ConnectionPool(time, options.Expire, options.MaxIdleConnections);
        _endpoints = config.Address is { } address ? [new IPEndPoint(address, config.Port)] : [];
        _dialTicks = options.Timeouts.MaxDial.Ticks / 2;
        _requests = metrics.Requests.WithLabels(Label);
        _healthFailures = metrics.HealthcheckFailures.WithLabels(ForwardMetrics.ProxyName, Label);
        _udpMisses = metrics.ConnCacheMisses.WithLabels(ForwardMetrics.ProxyName, Label, "udp");
        _streamHits = [metrics.ConnCacheHits.WithLabels(ForwardMetrics.ProxyName, Label, "tcp"), metrics.ConnCacheHits.WithLabels(ForwardMetrics.ProxyName, Label, "tcp-tls")];
        _streamMisses = [metrics.ConnCacheMisses.WithLabels(ForwardMetrics.ProxyName, Label, "tcp"), metrics.ConnCacheMisses.WithLabels(ForwardMetrics.ProxyName, Label, "tcp-tls")];
    }

    public UpstreamConfig Config { get; }

    /// <summary>CoreDNS's <c>to</c> label: <c>127.0.0.1:53</c>, or <c>nlb.example.com:53</c> for a host name.</summary>
    public string Label => Config.Label;

    /// <summary>The addresses queries go to now.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints => _endpoints;

    /// <summary>Failed health checks in a row.</summary>
    public int Fails => Volatile.Read(ref _fails);

    /// <summary>Down when it failed more than <c>max_fails</c> health checks in a row (CoreDNS's rule); never with max_fails 0.</summary>
    public bool IsDown => _options.MaxFails != 0 && Fails > _options.MaxFails;

    /// <summary>Smoothed round-trip time of exchanges (failures count as their full duration); null before the first.</summary>
    public TimeSpan? SmoothedRtt
    {
        get
        {
            var value = BitConverter.Int64BitsToDouble(Interlocked.Read(ref _rttBits));
            return double.IsNaN(value) ? null : TimeSpan.FromSeconds(value);
        }
    }

    /// <summary>Idle pooled connections (tests).</summary>
    internal int IdleConnections => _pool.IdleCount;

    /// <summary>Starts re-resolving a host name and sweeping expired connections; waits briefly for the first resolution.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var tasks = new List<Task> { SweepLoopAsync(_stopping.Token) };
        if (Config.IsHostName && _resolver is not null)
        {
            tasks.Add(ResolveLoopAsync(_stopping.Token));
        }

        _background = Task.WhenAll(tasks);
        if (Config.IsHostName)
        {
            try
            {
                await _firstResolution.Task.WaitAsync(_options.Timeouts.InitialResolve, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                LogResolveSlow(_logger, Config.Host);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _background.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _pool.Dispose();
        _stopping.Dispose();
        lock (_udpGate)
        {
            _disposed = true;
            while (_idleUdp.TryPop(out var exchange))
            {
                exchange.Dispose();
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="query"/> (its ID already random) and returns the reply that answers it. <paramref name="tcp"/>
    /// selects TCP for plain DNS; TLS upstreams always use TLS. Throws <see cref="UpstreamException"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<DnsMessage> ExchangeAsync(byte[] query, int length, bool tcp, TimeSpan budget, CancellationToken cancellationToken)
    {
        var endpoints = _endpoints;
        if (endpoints.Length == 0)
        {
            throw new UpstreamException(UpstreamFailure.NoAddress, $"no address for {Config.Host}");
        }

        var endpoint = endpoints.Length == 1 ? endpoints[0] : endpoints[(int)((uint)Interlocked.Increment(ref _cursor) % (uint)endpoints.Length)];
        var readTimeout = budget < _options.Timeouts.Read ? budget : _options.Timeouts.Read;
        _requests.Inc();
        var start = _time.GetTimestamp();
        try
        {
            var reply = Config.Transport == UpstreamTransport.Tls || tcp
                ? await ExchangeStreamAsync(endpoint, Config.Transport == UpstreamTransport.Tls, query, length, readTimeout, budget, cancellationToken).ConfigureAwait(false)
                : await ExchangeUdpAsync(endpoint, query, length, readTimeout, cancellationToken).ConfigureAwait(false);
            var elapsed = _time.GetElapsedTime(start);
            RecordRtt(elapsed);
            ObserveReply(reply.ResponseCode, elapsed);
            return reply;
        }
        catch (UpstreamException)
        {
            RecordRtt(_time.GetElapsedTime(start));
            throw;
        }
    }

    /// <summary>Starts health checking unless it already runs (CoreDNS: after every failed exchange).</summary>
    public void TriggerHealthCheck()
    {
        if (_options.MaxFails == 0 || _stopping.IsCancellationRequested || Interlocked.CompareExchange(ref _probing, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(() => HealthCheckLoopAsync(_stopping.Token));
    }

    /// <summary>One health check: <c>. IN NS</c> (or the configured domain) over the upstream's transport. Any reply is healthy.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        var endpoints = _endpoints;
        if (endpoints.Length == 0)
        {
            return false;
        }

        var endpoint = endpoints[(int)((uint)Interlocked.Increment(ref _cursor) % (uint)endpoints.Length)];
        var buffer = ArrayPool<byte>.Shared.Rent(WireName.MaxLength + 32);
        try
        {
            var length = UpstreamWire.WriteHealthQuery(_options.HealthCheckDomain, _options.HealthCheckRecursionDesired, UpstreamWire.NewId(), buffer);
            var timeout = _options.Timeouts.HealthCheck;
            var tls = Config.Transport == UpstreamTransport.Tls;
            if (tls || _options.ForceTcp)
            {
                using var connection = await DialAsync(endpoint, tls, timeout, cancellationToken).ConfigureAwait(false);
                await ExchangeOnStreamAsync(connection, buffer, length, timeout, cached: false, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ExchangeUdpAsync(endpoint, buffer, length, timeout, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (UpstreamException exception) when (exception.Failure == UpstreamFailure.Malformed)
        {
            return true; // a header came back: the upstream is alive, which is all a health check asks
        }
        catch (UpstreamException exception)
        {
            LogHealthCheckFailed(_logger, Label, exception.Message);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HealthCheckLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            var interval = _options.HealthCheckInterval < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : _options.HealthCheckInterval;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (await CheckAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (Interlocked.Exchange(ref _fails, 0) > _options.MaxFails)
                    {
                        LogUpstreamUp(_logger, Label);
                    }

                    return;
                }

                _healthFailures.Inc();
                if (Interlocked.Increment(ref _fails) == _options.MaxFails + 1)
                {
                    LogUpstreamDown(_logger, Label, _options.MaxFails + 1);
                }

                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DnsMessage> ExchangeUdpAsync(IPEndPoint endpoint, byte[] query, int length, TimeSpan readTimeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var exchange = RentUdpExchange();
        var buffer = ArrayPool<byte>.Shared.Rent(UpstreamWire.MaxMessageSize);
        var armed = false;
        try
        {
            socket.Connect(endpoint);
            _udpMisses.Inc();

            // A datagram send does not wait for the peer; only the reply is awaited.
            socket.Send(query.AsSpan(0, length), SocketFlags.None);
            exchange.Arm(socket, readTimeout, cancellationToken);
            armed = true;
            while (true)
            {
                var received = await exchange.ReceiveAsync(socket, buffer).ConfigureAwait(false);
                switch (UpstreamWire.Check(query.AsSpan(0, length), buffer.AsSpan(0, received), out var reply))
                {
                    case ReplyMatch.Match:
                        return reply!;
                    case ReplyMatch.Malformed:
                        throw new UpstreamException(UpstreamFailure.Malformed, $"malformed reply from {Label}");
                    default:
                        // Not an answer to this query (a spoof, or a stray): drop it and keep waiting (RFC 5452 9.1).
                        LogIgnoredReply(_logger, Label, "udp");
                        break;
                }
            }
        }
        catch (Exception exception) when (armed && exchange.Abort != UdpAbort.None && exception is SocketException or ObjectDisposedException)
        {
            // The timer or the caller's token closed the socket under the receive.
            if (exchange.Abort == UdpAbort.Cancelled)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            throw new UpstreamException(UpstreamFailure.Timeout, $"read udp {endpoint}: i/o timeout");
        }
        catch (SocketException exception)
        {
            throw Map(exception, "udp", endpoint);
        }
        finally
        {
            if (armed)
            {
                exchange.Disarm();
            }

            socket.Dispose();
            ReturnUdpExchange(exchange);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private UdpExchange RentUdpExchange()
    {
        lock (_udpGate)
        {
            if (_idleUdp.TryPop(out var exchange))
            {
                return exchange;
            }
        }

        return new UdpExchange(_time);
    }

    private void ReturnUdpExchange(UdpExchange exchange)
    {
        lock (_udpGate)
        {
            if (!_disposed && _idleUdp.Count < MaxIdleUdpExchanges)
            {
                _idleUdp.Push(exchange);
                return;
            }
        }

        exchange.Dispose();
    }

    /// <summary>Counts a reply and its duration under this upstream's series (found once per rcode, not per query).</summary>
    private void ObserveReply(DnsResponseCode rcode, TimeSpan duration)
    {
        var index = (int)rcode;
        if (index >= CachedRcodes)
        {
            _metrics.ObserveReply(Label, rcode, duration);
            return;
        }

        var responses = _responses[index];
        var durations = _durations[index];
        if (responses is null || durations is null)
        {
            // A race here only looks the same series up twice.
            var rcodeText = DnsTypeNames.RcodeToString(rcode);
            responses = _responses[index] = _metrics.Responses.WithLabels(rcodeText, Label);
            durations = _durations[index] = _metrics.RequestDuration.WithLabels(ForwardMetrics.ProxyName, Label, rcodeText);
        }

        responses.Inc();
        durations.Observe(duration.TotalSeconds);
    }

    private async ValueTask<DnsMessage> ExchangeStreamAsync(IPEndPoint endpoint, bool tls, byte[] query, int length, TimeSpan readTimeout, TimeSpan budget, CancellationToken cancellationToken)
    {
        while (true)
        {
            var connection = _pool.Rent(endpoint, tls);
            var cached = connection is not null;
            (cached ? _streamHits : _streamMisses)[tls ? 1 : 0].Inc();
            connection ??= await DialAsync(endpoint, tls, budget, cancellationToken).ConfigureAwait(false);
            try
            {
                var reply = await ExchangeOnStreamAsync(connection, query, length, readTimeout, cached, cancellationToken).ConfigureAwait(false);
                _pool.Return(connection);
                return reply;
            }
            catch (UpstreamException exception) when (exception.Failure == UpstreamFailure.CachedClosed)
            {
                // The upstream closed an idle connection; only a pooled one can fail this way, so this ends.
                connection.Dispose();
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
    }

    private async ValueTask<StreamConnection> DialAsync(IPEndPoint endpoint, bool tls, TimeSpan budget, CancellationToken cancellationToken)
    {
        var dialTimeout = DialTimeout();
        if (budget < dialTimeout)
        {
            dialTimeout = budget;
        }

        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(dialTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var start = _time.GetTimestamp();
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(endpoint, linked.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: false);
            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(_tls!, linked.Token).ConfigureAwait(false);
                Volatile.Write(ref _tlsFailureLogged, 0);
            }

            UpdateDialTime(_time.GetElapsedTime(start));
            return new StreamConnection(socket, stream, endpoint, tls, _time.GetTimestamp());
        }
        catch (Exception exception)
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            socket.Dispose();
            switch (exception)
            {
                case OperationCanceledException when !cancellationToken.IsCancellationRequested:
                    UpdateDialTime(_time.GetElapsedTime(start));
                    throw new UpstreamException(UpstreamFailure.Timeout, $"dial tcp {endpoint}: i/o timeout");
                case AuthenticationException authentication:
                    if (Interlocked.Exchange(ref _tlsFailureLogged, 1) == 0)
                    {
                        LogTlsFailed(_logger, Label, authentication.Message);
                    }

                    throw new UpstreamException(UpstreamFailure.Tls, $"tls: {Label}: {authentication.Message}", authentication);
                case SocketException socketError:
                    throw Map(socketError, "tcp", endpoint);
                case IOException io:
                    throw new UpstreamException(UpstreamFailure.Network, $"dial {(tls ? "tcp-tls" : "tcp")} {endpoint}: {io.Message}", io);
                default:
                    throw;
            }
        }
    }

    private async ValueTask<DnsMessage> ExchangeOnStreamAsync(StreamConnection connection, byte[] query, int length, TimeSpan readTimeout, bool cached, CancellationToken cancellationToken)
    {
        // One buffer for the framed query out and each reply in (a reply is at most 65535 octets, its prefix read first).
        var buffer = ArrayPool<byte>.Shared.Rent(UpstreamWire.MaxMessageSize);
        using var timeout = new CancellationTokenSource(readTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var stream = connection.Stream;
        try
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)length);
            query.AsSpan(0, length).CopyTo(buffer.AsSpan(2));
            try
            {
                await stream.WriteAsync(buffer.AsMemory(0, length + 2), linked.Token).ConfigureAwait(false);
                await stream.FlushAsync(linked.Token).ConfigureAwait(false);
            }
            catch (IOException) when (cached)
            {
                throw new UpstreamException(UpstreamFailure.CachedClosed, "cached connection was closed by peer");
            }

            var first = true;
            while (true)
            {
                var got = 0;
                while (got < 2)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(got, 2 - got), linked.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw got == 0 && first && cached
                            ? new UpstreamException(UpstreamFailure.CachedClosed, "cached connection was closed by peer")
                            : new UpstreamException(UpstreamFailure.Network, $"read {Proto(connection)} {connection.Endpoint}: EOF");
                    }

                    got += read;
                }

                first = false;
                var size = BinaryPrimitives.ReadUInt16BigEndian(buffer);
                try
                {
                    await stream.ReadExactlyAsync(buffer.AsMemory(0, size), linked.Token).ConfigureAwait(false);
                }
                catch (EndOfStreamException)
                {
                    throw new UpstreamException(UpstreamFailure.Network, $"read {Proto(connection)} {connection.Endpoint}: connection closed in the middle of a message");
                }

                switch (UpstreamWire.Check(query.AsSpan(0, length), buffer.AsSpan(0, size), out var reply))
                {
                    case ReplyMatch.Match:
                        return reply!;
                    case ReplyMatch.Malformed:
                        throw new UpstreamException(UpstreamFailure.Malformed, $"malformed reply from {Label}");
                    default:
                        if (size >= 2 && UpstreamWire.GetId(buffer) == UpstreamWire.GetId(query))
                        {
                            throw new UpstreamException(UpstreamFailure.Mismatch, $"reply from {Label} does not answer the question");
                        }

                        // A reply to some earlier query on this connection: skip it, as CoreDNS drops out-of-order replies.
                        var proto = Proto(connection);
                        LogIgnoredReply(_logger, Label, proto);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException(UpstreamFailure.Timeout, $"read {Proto(connection)} {connection.Endpoint}: i/o timeout");
        }
        catch (IOException exception)
        {
            throw exception.InnerException is SocketException socketError
                ? Map(socketError, Proto(connection), connection.Endpoint)
                : new UpstreamException(UpstreamFailure.Network, $"read {Proto(connection)} {connection.Endpoint}: {exception.Message}", exception);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task SweepLoopAsync(CancellationToken cancellationToken)
    {
        var period = _options.Expire < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : _options.Expire;
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                _pool.Sweep();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ResolveLoopAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var result = await _resolver!.ResolveAsync(Config.Host, cancellationToken).ConfigureAwait(false);
                var endpoints = result.Addresses.Distinct().Select(a => new IPEndPoint(a, Config.Port)).ToArray();
                if (endpoints.Length == 0)
                {
                    throw new UpstreamException(UpstreamFailure.NoAddress, $"{Config.Host} has no address");
                }

                var previous = _endpoints;
                if (!endpoints.ToHashSet().SetEquals(previous))
                {
                    _endpoints = endpoints;
                    _pool.Sweep(endpoint => endpoints.Contains(endpoint));
                    var was = string.Join(", ", previous.Select(e => e.Address));
                    var now = string.Join(", ", endpoints.Select(e => e.Address));
                    LogAddressesChanged(_logger, Config.Host, was, now, (int)result.Ttl.TotalSeconds);
                }

                if (failures > 0)
                {
                    LogResolveRecovered(_logger, Config.Host);
                }

                failures = 0;
                wait = result.Ttl < _options.Timeouts.MinResolveInterval ? _options.Timeouts.MinResolveInterval
                    : result.Ttl > MaxResolveInterval ? MaxResolveInterval : result.Ttl;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures++;
                if (failures == 1)
                {
                    // Keep the addresses we had: an NLB's addresses usually outlive a resolver outage.
                    LogResolveFailed(_logger, Config.Host, exception.Message, _endpoints.Length);
                }

                var retry = _options.Timeouts.ResolveRetry * Math.Pow(2, Math.Min(failures - 1, 10));
                wait = retry > MaxResolveRetry ? MaxResolveRetry : retry;
            }

            _firstResolution.TrySetResult();
            try
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void RecordRtt(TimeSpan sample)
    {
        var seconds = sample.TotalSeconds;
        while (true)
        {
            var bits = Interlocked.Read(ref _rttBits);
            var current = BitConverter.Int64BitsToDouble(bits);
            var next = double.IsNaN(current) ? seconds : current + ((seconds - current) / RttWeight);
            if (Interlocked.CompareExchange(ref _rttBits, BitConverter.DoubleToInt64Bits(next), bits) == bits)
            {
                return;
            }
        }
    }

    /// <summary>CoreDNS's adaptive dial timeout: twice the smoothed connect time, between the minimum and the maximum.</summary>
    private TimeSpan DialTimeout()
    {
        var average = TimeSpan.FromTicks(Interlocked.Read(ref _dialTicks));
        var min = _options.Timeouts.MinDial;
        var max = _options.Timeouts.MaxDial;
        return average < min ? min : average < max / 2 ? average * 2 : max;
    }

    private void UpdateDialTime(TimeSpan observed)
    {
        var current = Interlocked.Read(ref _dialTicks);
        Interlocked.Add(ref _dialTicks, (observed.Ticks - current) / RttWeight);
    }

    private static string Proto(StreamConnection connection) => connection.IsTls ? "tcp-tls" : "tcp";

    private static UpstreamException Map(SocketException exception, string proto, IPEndPoint endpoint) => exception.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => new UpstreamException(UpstreamFailure.Refused, $"dial {proto} {endpoint}: connection refused", exception),
        SocketError.TimedOut => new UpstreamException(UpstreamFailure.Timeout, $"{proto} {endpoint}: i/o timeout", exception),
        _ => new UpstreamException(UpstreamFailure.Network, $"{proto} {endpoint}: {exception.Message}", exception),
    };

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Upstream {Upstream} is down after {Fails} failed health checks")]
    private static partial void LogUpstreamDown(ILogger logger, string upstream, int fails);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Upstream {Upstream} is healthy again")]
    private static partial void LogUpstreamUp(ILogger logger, string upstream);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Debug, Message = "Health check of {Upstream} failed: {Reason}")]
    private static partial void LogHealthCheckFailed(ILogger logger, string upstream, string reason);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Error, Message = "TLS with upstream {Upstream} failed, it counts as failing until a handshake succeeds: {Reason}")]
    private static partial void LogTlsFailed(ILogger logger, string upstream, string reason);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Debug, Message = "Ignored a {Proto} reply from {Upstream} that does not answer the query")]
    private static partial void LogIgnoredReply(ILogger logger, string upstream, string proto);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Information, Message = "Upstream host {Host} now resolves to [{New}] (was [{Old}]), TTL {Ttl}s")]
    private static partial void LogAddressesChanged(ILogger logger, string host, string old, string @new, int ttl);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Warning, Message = "Upstream host {Host} does not resolve ({Reason}); keeping its {Count} last known addresses")]
    private static partial void LogResolveFailed(ILogger logger, string host, string reason, int count);

    [LoggerMessage(EventId = 5108, Level = LogLevel.Information, Message = "Upstream host {Host} resolves again")]
    private static partial void LogResolveRecovered(ILogger logger, string host);

    [LoggerMessage(EventId = 5109, Level = LogLevel.Warning, Message = "Upstream host {Host} did not resolve in time at start-up; resolving in the background")]
    private static partial void LogResolveSlow(ILogger logger, string host);
}
