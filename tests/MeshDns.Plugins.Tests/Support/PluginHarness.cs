using System.Net;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using MeshDns.Server.Plugins;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Logging;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Tests.Support;

/// <summary>What one query through the harness produced.</summary>
public sealed record Exchange(DnsMessage Query, byte[] QueryBytes, DnsMessage? Reply, int ReplySize);

/// <summary>
/// Builds a configuration from a Corefile with the real plugin registry (plus the test-only <c>erratic</c>
/// responder) and runs queries through the real request pipeline (<see cref="RequestProcessor"/>: acceptance,
/// zone routing, the chain, encoding, completion observers) without sockets.
/// </summary>
public sealed class PluginHarness : IAsyncDisposable
{
    public static readonly IPEndPoint DefaultClient = new(IPAddress.Loopback, 52791);

    private readonly ILoggerFactory _loggerFactory;
    private bool _started;

    private PluginHarness(MeshDnsServices services, ServerInstance instance, LogCapture logs, ILoggerFactory loggerFactory)
    {
        Services = services;
        Instance = instance;
        Logs = logs;
        _loggerFactory = loggerFactory;
        var listener = instance.Listeners[0];
        Processor = new RequestProcessor(listener.ServerAddress, listener.Router, loggerFactory.CreateLogger("core"))
        {
            Observer = services.CoreMetrics,
        };
    }

    public MeshDnsServices Services { get; }

    public ServerInstance Instance { get; }

    public LogCapture Logs { get; }

    public RequestProcessor Processor { get; }

    public MetricsRegistry Metrics => Services.Metrics;

    /// <summary>The plugins MeshDns ships, plus <c>erratic</c> (<see cref="ErraticSetup"/>).</summary>
    public static PluginRegistry Registry(params IPluginSetup[] replacements) =>
        new(PluginCatalog.All()
            .Where(p => p.Name != ErraticSetup.Directive && !replacements.Any(r => r.Name == p.Name))
            .Append(new ErraticSetup())
            .Concat(replacements));

    /// <summary>Builds (does not start) the configuration; throws <see cref="CorefileException"/> on setup errors.</summary>
    public static PluginHarness Build(string corefile, TimeProvider? time = null, string? corefilePath = null, IConfigReloader? reloader = null, PluginRegistry? registry = null)
    {
        var logs = new LogCapture();
        var loggerFactory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Debug);
            builder.AddProvider(logs);
        });
        var services = new MeshDnsServices(loggerFactory, new MetricsRegistry(), time ?? TimeProvider.System, new ServerOptions { DefaultPort = 0, CorefilePath = corefilePath })
        {
            Reloader = reloader,
        };
        try
        {
            var document = CorefileParser.Parse(corefile, "Corefile", new CorefileParseOptions { DefaultPort = 0 });
            var instance = new ServerInstanceBuilder(services, registry ?? Registry()).Build(document, corefile);
            return new PluginHarness(services, instance, logs, loggerFactory);
        }
        catch
        {
            loggerFactory.Dispose();
            throw;
        }
    }

    /// <summary>Builds and runs the plugins' start hooks.</summary>
    public static async Task<PluginHarness> StartAsync(string corefile, TimeProvider? time = null, string? corefilePath = null, IConfigReloader? reloader = null, PluginRegistry? registry = null)
    {
        var harness = Build(corefile, time, corefilePath, reloader, registry);
        try
        {
            await harness.Instance.StartAsync(Timeout());
            harness._started = true;
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>The errors setup reports for <paramref name="corefile"/> (empty when it builds).</summary>
    public static IReadOnlyList<string> SetupErrors(string corefile)
    {
        try
        {
            var document = CorefileParser.Parse(corefile, "Corefile", new CorefileParseOptions { DefaultPort = 0 });
            var services = new MeshDnsServices(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, new MetricsRegistry(), TimeProvider.System, new ServerOptions { DefaultPort = 0 });
            new ServerInstanceBuilder(services, Registry()).Build(document, corefile);
            return [];
        }
        catch (CorefileException exception)
        {
            return exception.Errors.Select(e => e.ToString()).ToArray();
        }
    }

    public static CancellationToken Timeout(int seconds = 10) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>Sends a query through the pipeline as if it came from <paramref name="client"/>.</summary>
    public async Task<Exchange> ExchangeAsync(DnsMessage query, bool tcp = false, IPEndPoint? client = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        var context = new DnsRequestContext();
        context.SetEndpoints(client ?? DefaultClient, new IPEndPoint(IPAddress.Loopback, 53));
        var bytes = query.ToArray();
        var buffer = new byte[ushort.MaxValue];
        var size = await Processor.ProcessAsync(context, bytes, tcp ? DnsTransport.Tcp : DnsTransport.Udp, buffer);
        var reply = size == 0 ? null : DnsTestClient.ParseReply(query, buffer[..size]);
        return new Exchange(query, bytes, reply, size);
    }

    /// <summary>Asks <paramref name="name"/> <paramref name="type"/> and returns the reply (fails when there is none).</summary>
    public async Task<DnsMessage> QueryAsync(string name, DnsRecordType type, bool tcp = false, bool edns = false, ushort udpSize = 1232)
    {
        var exchange = await ExchangeAsync(DnsTestClient.CreateQuery(name, type, edns, udpSize), tcp);
        return exchange.Reply ?? throw new InvalidOperationException($"no reply to {name} {type}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await Instance.StopAsync(CancellationToken.None);
        }

        await Services.Http.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
