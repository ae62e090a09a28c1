using System.Net;
using System.Net.Sockets;
using MeshDns.Server.Transport;
using Microsoft.Extensions.Logging;

namespace MeshDns.Server.Hosting;

/// <summary>
/// Owns the sockets and the running configuration. Applying a new configuration starts it, binds only the
/// listeners it adds, swaps every router atomically (queries in flight finish on the old chains), then stops
/// what the old configuration no longer needs. Sockets that stay are never closed, so a reload drops nothing.
/// </summary>
public sealed partial class DnsServerHost : IAsyncDisposable
{
    private readonly MeshDnsServices _services;
    private readonly ILogger _logger;
    private readonly DnsRequestContextPool _contexts = new();
    private readonly Dictionary<string, ActiveListener> _listeners = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _applyLock = new(1, 1);

    public DnsServerHost(MeshDnsServices services)
    {
        _services = services;
        _logger = services.LoggerFactory.CreateLogger("core");
    }

    /// <summary>The configuration serving now.</summary>
    public ServerInstance? Current { get; private set; }

    /// <summary>Every bound socket address, by CoreDNS server address (tests use it to find ephemeral ports).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IPEndPoint>> Endpoints =>
        _listeners.ToDictionary(l => l.Key, l => (IReadOnlyList<IPEndPoint>)l.Value.Endpoints, StringComparer.Ordinal);

    /// <summary>TCP connections open now, over every listener.</summary>
    public int TcpConnections => _listeners.Values.Sum(l => l.Tcp.Sum(t => t.Connections));

    /// <summary>Starts <paramref name="next"/> and makes it the serving configuration. On failure the previous one keeps serving and the error is thrown.</summary>
    public async Task ApplyAsync(ServerInstance next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        await _applyLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await next.StartAsync(cancellationToken).ConfigureAwait(false);
            var added = new List<(string Address, ActiveListener Listener)>();
            try
            {
                foreach (var plan in next.Listeners)
                {
                    if (!_listeners.ContainsKey(plan.ServerAddress))
                    {
                        var listener = await StartListenerAsync(plan, cancellationToken).ConfigureAwait(false);
                        added.Add((plan.ServerAddress, listener));
                    }
                }
            }
            catch
            {
                foreach (var (_, listener) in added)
                {
                    await listener.StopAsync().ConfigureAwait(false);
                }

                await next.StopAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            foreach (var (address, listener) in added)
            {
                _listeners[address] = listener;
            }

            foreach (var plan in next.Listeners)
            {
                _listeners[plan.ServerAddress].Processor.Router = plan.Router;
            }

            var wanted = next.Listeners.Select(p => p.ServerAddress).ToHashSet(StringComparer.Ordinal);
            var removed = _listeners.Where(l => !wanted.Contains(l.Key)).ToList();
            foreach (var (address, _) in removed)
            {
                _listeners.Remove(address);
            }

            var previous = Current;
            Current = next;
            foreach (var failure in await next.RunListeningHooksAsync(Endpoints, cancellationToken).ConfigureAwait(false))
            {
                LogListeningHookFailed(_logger, failure);
            }

            foreach (var (_, listener) in removed)
            {
                await listener.StopAsync().ConfigureAwait(false);
            }

            if (previous is not null)
            {
                try
                {
                    await previous.StopAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    LogStopFailed(_logger, exception);
                }
            }
        }
        finally
        {
            _applyLock.Release();
        }
    }

    private async Task<ActiveListener> StartListenerAsync(ListenerPlan plan, CancellationToken cancellationToken)
    {
        var addresses = plan.BindAddress is { } bind
            ? [bind]
            : Socket.OSSupportsIPv6 ? new[] { IPAddress.Any, IPAddress.IPv6Any } : [IPAddress.Any];
        var logger = _services.LoggerFactory.CreateLogger("core");

        // Port 0 asks for an ephemeral port; UDP and TCP on every address must then agree on one, so retry on collision.
        for (var attempt = 0; ; attempt++)
        {
            var processor = new RequestProcessor(plan.ServerAddress, plan.Router, logger, _services.Transport.MaxUdpSize)
            {
                Observer = _services.CoreMetrics,
            };
            var listener = new ActiveListener(processor);
            var port = plan.Port;
            try
            {
                foreach (var address in addresses)
                {
                    var udp = new DnsUdpListener(new IPEndPoint(address, port), processor, _services.Transport, _contexts, logger);
                    listener.Udp.Add(udp);
                    udp.Start();
                    port = udp.LocalEndPoint.Port;
                    var tcp = new DnsTcpListener(new IPEndPoint(address, port), processor, _services.Transport, _contexts, logger);
                    listener.Tcp.Add(tcp);
                    tcp.Start();
                }

                return listener;
            }
            catch (SocketException exception) when (plan.Port == 0 && exception.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 20)
            {
                await listener.StopAsync().ConfigureAwait(false);
            }
            catch (SocketException exception)
            {
                await listener.StopAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"cannot listen on {plan.ServerAddress}: {exception.Message}", exception);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Stops listening, lets queries in flight finish, stops the running configuration.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _applyLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var listener in _listeners.Values)
            {
                await listener.StopAsync().ConfigureAwait(false);
            }

            _listeners.Clear();
            if (Current is not null)
            {
                await Current.StopAsync(cancellationToken).ConfigureAwait(false);
                Current = null;
            }
        }
        finally
        {
            _applyLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _applyLock.Dispose();
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "A plugin's start-up check failed")]
    private static partial void LogListeningHookFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Stopping the previous configuration failed")]
    private static partial void LogStopFailed(ILogger logger, Exception exception);

    private sealed class ActiveListener(RequestProcessor processor)
    {
        public RequestProcessor Processor { get; } = processor;

        public List<DnsUdpListener> Udp { get; } = [];

        public List<DnsTcpListener> Tcp { get; } = [];

        public List<IPEndPoint> Endpoints => Udp.Select(u => u.LocalEndPoint).ToList();

        public async Task StopAsync()
        {
            await Task.WhenAll(Udp.Select(u => u.StopAsync()).Concat(Tcp.Select(t => t.StopAsync()))).ConfigureAwait(false);
            foreach (var tcp in Tcp)
            {
                await tcp.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
