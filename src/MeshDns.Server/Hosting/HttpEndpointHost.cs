using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshDns.Server.Hosting;

/// <summary>
/// Small Kestrel servers for the operational endpoints (/health, /ready, /metrics). Several plugins and
/// several configurations share one server per address; a server stays up across a reload as long as some
/// registration still wants it, so probes never see a gap. The newest registration of a path wins.
/// </summary>
public sealed partial class HttpEndpointHost : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, EndpointServer> _servers = new(StringComparer.Ordinal);

    public HttpEndpointHost(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("core");
    }

    /// <summary>
    /// Serves <paramref name="path"/> on <paramref name="address"/> (CoreDNS forms: <c>:8080</c>, <c>localhost:9153</c>,
    /// <c>127.0.0.1:8181</c>, <c>[::1]:8080</c>) until the returned registration is disposed.
    /// </summary>
    public async Task<IAsyncDisposable> RegisterAsync(string address, string path, RequestDelegate handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        var endpoint = ParseAddress(address);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_servers.TryGetValue(address, out var server))
            {
                server = new EndpointServer(address);
                await server.StartAsync(endpoint, cancellationToken).ConfigureAwait(false);
                _servers[address] = server;
            }

            var registration = new Registration(this, server, path, handler);
            server.Add(registration);
            return registration;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Where the server for <paramref name="address"/> listens (the real port when 0 was asked for).</summary>
    public IReadOnlyList<Uri> GetBoundUris(string address)
    {
        return _servers.TryGetValue(address, out var server) ? server.BoundUris : [];
    }

    private async Task UnregisterAsync(Registration registration)
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            var server = registration.Server;
            if (server.Remove(registration) == 0)
            {
                _servers.TryRemove(server.Address, out _);
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            LogStopFailed(_logger, exception, registration.Server.Address);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Parses CoreDNS's HTTP address forms; an empty host means every address.</summary>
    public static (string Host, int Port) ParseAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new FormatException($"'{address}' is not HOST:PORT");
        }

        var host = address[..colon].Trim('[', ']');
        if (host.Length > 0 && host != "localhost" && !IPAddress.TryParse(host, out _))
        {
            throw new FormatException($"'{host}' in '{address}' is not an IP address or localhost");
        }

        return (host, port);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        _servers.Clear();
        _lock.Dispose();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Stopping the HTTP server on {Address} failed")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, string address);

    private sealed class Registration(HttpEndpointHost owner, EndpointServer server, string path, RequestDelegate handler) : IAsyncDisposable
    {
        private int _disposed;

        public EndpointServer Server { get; } = server;

        public string Path { get; } = path;

        public RequestDelegate Handler { get; } = handler;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                await owner.UnregisterAsync(this).ConfigureAwait(false);
            }
        }
    }

    private sealed class EndpointServer(string address) : IAsyncDisposable
    {
        private readonly List<Registration> _registrations = [];
        private WebApplication? _app;

        public string Address { get; } = address;

        public IReadOnlyList<Uri> BoundUris { get; private set; } = [];

        public void Add(Registration registration)
        {
            lock (_registrations)
            {
                _registrations.Add(registration);
            }
        }

        public int Remove(Registration registration)
        {
            lock (_registrations)
            {
                _registrations.Remove(registration);
                return _registrations.Count;
            }
        }

        public async Task StartAsync((string Host, int Port) endpoint, CancellationToken cancellationToken)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(options =>
            {
                options.AddServerHeader = false;
                if (endpoint.Host.Length == 0)
                {
                    options.ListenAnyIP(endpoint.Port);
                }
                else if (endpoint.Host == "localhost")
                {
                    // Kestrel cannot pick a dynamic port for "localhost"; loopback is what the user means.
                    if (endpoint.Port == 0)
                    {
                        options.Listen(IPAddress.Loopback, 0);
                    }
                    else
                    {
                        options.ListenLocalhost(endpoint.Port);
                    }
                }
                else
                {
                    options.Listen(IPAddress.Parse(endpoint.Host), endpoint.Port);
                }
            });
            var app = builder.Build();
            app.Run(DispatchAsync);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"cannot listen on {Address}: {exception.GetBaseException().Message}", exception);
            }

            _app = app;
            var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>();
            BoundUris = addresses?.Addresses.Select(a => new Uri(a.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal))).ToArray() ?? [];
        }

        private Task DispatchAsync(HttpContext context)
        {
            Registration? match = null;
            lock (_registrations)
            {
                for (var i = _registrations.Count - 1; i >= 0; i--)
                {
                    if (string.Equals(_registrations[i].Path, context.Request.Path.Value, StringComparison.Ordinal))
                    {
                        match = _registrations[i];
                        break;
                    }
                }
            }

            if (match is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return match.Handler(context);
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await _app.DisposeAsync().ConfigureAwait(false);
                _app = null;
            }
        }
    }
}
