using System.Net;
using MeshDns.Protocol;
using MeshDns.Server.Transport;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace MeshDns.Testing.Dns;

/// <summary>
/// The real MeshDns server, started in-process from a Corefile string on ephemeral loopback ports
/// (write the Corefile with port 0: <c>.:0 { ... }</c>). Logs go to the test's output. Tests may pass their own
/// plugin registry (to add test-only plugins) and clock.
/// </summary>
public sealed class TestDnsServer : IAsyncDisposable
{
    private TestDnsServer(MeshDnsServer server, ILoggerFactory loggerFactory)
    {
        Server = server;
        LoggerFactory = loggerFactory;
    }

    public MeshDnsServer Server { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The first listener's address, as a loopback endpoint a client can reach (UDP and TCP share it).</summary>
    public IPEndPoint Endpoint => ToLoopback(Server.GetEndpoint());

    public static async Task<TestDnsServer> StartAsync(
        string corefile,
        ITestOutputHelper? output = null,
        TransportOptions? transport = null,
        Func<string, string?>? environment = null,
        string? corefilePath = null,
        MeshDns.Server.Plugins.PluginRegistry? plugins = null,
        Action<ILoggingBuilder>? logging = null,
        TimeProvider? time = null)
    {
        var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Debug);
            if (output is not null)
            {
                builder.AddProvider(new TestOutputLoggerProvider(output));
            }

            logging?.Invoke(builder);
        });
        var server = await MeshDnsServer.StartAsync(new MeshDnsServerOptions
        {
            CorefileText = corefilePath is null ? corefile : null,
            CorefilePath = corefilePath,
            DefaultPort = 0,
            LoggerFactory = loggerFactory,
            Transport = transport ?? new TransportOptions { UdpReceiveLoops = 2, DrainTimeout = TimeSpan.FromSeconds(2) },
            Environment = environment ?? Environment.GetEnvironmentVariable,
            Plugins = plugins,
            Time = time ?? TimeProvider.System,
        });
        return new TestDnsServer(server, loggerFactory);
    }

    /// <summary>Endpoint of a given listener (<c>dns://127.0.0.1:0</c>).</summary>
    public IPEndPoint EndpointOf(string serverAddress) => ToLoopback(Server.GetEndpoint(serverAddress));

    public Task<DnsMessage> QueryAsync(string name, DnsRecordType type, bool tcp = false, bool edns = false, ushort udpSize = 1232) =>
        DnsTestClient.QueryAsync(Endpoint, name, type, tcp, edns, udpSize);

    private static IPEndPoint ToLoopback(IPEndPoint endpoint) =>
        endpoint.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, endpoint.Port)
        : endpoint.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, endpoint.Port)
        : endpoint;

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        LoggerFactory.Dispose();
    }
}

/// <summary>Sends log lines to xunit's per-test output, in CoreDNS's format.</summary>
public sealed class TestOutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(output, categoryName);

    public void Dispose()
    {
    }

    private sealed class TestOutputLogger(ITestOutputHelper output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"[{Server.Logging.CoreDnsConsoleFormatter.LevelName(logLevel)}] {category}: {formatter(state, exception)}{(exception is null ? string.Empty : ": " + exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test already finished; xunit refuses late output.
            }
        }
    }
}
