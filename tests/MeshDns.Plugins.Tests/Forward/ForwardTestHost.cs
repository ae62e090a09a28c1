using System.Collections.Concurrent;
using System.Net;
using MeshDns.Plugins.Forward;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Corefile;
using MeshDns.Server.Metrics;
using MeshDns.Testing.Dns;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace MeshDns.Plugins.Tests.Forward;

/// <summary>A forward handler built from one Corefile line, run directly against fake upstreams on loopback.</summary>
internal sealed class ForwardTestHost : IAsyncDisposable
{
    /// <summary>Short timeouts so fault tests finish in a second or two, yet loopback replies on a busy 2-core box are never late.</summary>
    public static readonly ForwardTimeouts Fast = new()
    {
        Read = TimeSpan.FromSeconds(1),
        Request = TimeSpan.FromMilliseconds(2500),
        MinDial = TimeSpan.FromMilliseconds(300),
        MaxDial = TimeSpan.FromSeconds(1),
        HealthCheck = TimeSpan.FromMilliseconds(200),
        InitialResolve = TimeSpan.FromSeconds(1),
        MinResolveInterval = TimeSpan.FromMilliseconds(50),
        ResolveRetry = TimeSpan.FromMilliseconds(50),
    };

    private readonly ILoggerFactory _loggerFactory;

    private ForwardTestHost(ForwardEngine engine, ForwardHandler handler, MetricsRegistry metrics, ILoggerFactory loggerFactory, CapturingLoggerProvider logs)
    {
        Engine = engine;
        Handler = handler;
        Metrics = metrics;
        _loggerFactory = loggerFactory;
        Logs = logs;
    }

    public ForwardEngine Engine { get; }

    public ForwardHandler Handler { get; }

    public MetricsRegistry Metrics { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>Parses <paramref name="forward"/> (a whole <c>forward ...</c> directive, block included) and starts it.</summary>
    public static async Task<ForwardTestHost> StartAsync(
        string forward,
        ITestOutputHelper output,
        ForwardTimeouts? timeouts = null,
        IUpstreamHostResolver? resolver = null,
        DnsHandler? next = null,
        ForwardLoopGuard? guard = null,
        Server.Hosting.ServerInstance? instance = null)
    {
        var options = Parse(forward) with { Timeouts = timeouts ?? Fast };
        var logs = new CapturingLoggerProvider();
        var loggerFactory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Debug);
            builder.AddProvider(new TestOutputLoggerProvider(output));
            builder.AddProvider(logs);
        });
        var metrics = new MetricsRegistry();
        var engine = new ForwardEngine(options, metrics, TimeProvider.System, loggerFactory.CreateLogger("plugin/forward"), resolver, instance);
        using var start = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await engine.StartAsync(start.Token);
        guard?.Register(engine);
        return new ForwardTestHost(engine, new ForwardHandler(next ?? new ChainTerminator(), engine, guard), metrics, loggerFactory, logs);
    }

    public static ForwardOptions Parse(string forward)
    {
        var document = CorefileParser.Parse($". {{\n{forward}\n}}\n", "Corefile");
        var directive = document.ServerBlocks[0].Directives[0];
        var errors = new List<string>();
        Assert.True(ForwardParser.TryParse(directive, (token, message) => errors.Add($"{token.Location}: {message}"), out var options), string.Join("\n", errors));
        return options;
    }

    public Task<ForwardResult> QueryAsync(string name, DnsRecordType type, DnsTransport transport = DnsTransport.Udp, bool edns = false, ushort udpSize = 1232, bool dnssecOk = false) =>
        ServeAsync(Handler, DnsTestClient.CreateQuery(name, type, edns, udpSize, dnssecOk), transport);

    /// <summary>Runs <paramref name="query"/> through <paramref name="handler"/> and encodes the answer as the server would.</summary>
    public static async Task<ForwardResult> ServeAsync(DnsHandler handler, DnsMessage query, DnsTransport transport = DnsTransport.Udp)
    {
        var context = new DnsRequestContext();
        Assert.Equal(RequestDisposition.Accept, context.Load(query.ToArray(), transport));
        context.SetEndpoints(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 53));
        var result = await handler.ServeAsync(context).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        var buffer = new byte[65535];
        var length = context.IsResponseWritten
            ? ResponseEncoder.Encode(context, buffer, ResponseEncoder.SizeLimit(context, 1232), 1232)
            : ResponseEncoder.EncodeError(context, result.ServerMustWrite ? result.Rcode : DnsResponseCode.ServFail, buffer, includeQuestion: true);
        var response = DnsTestClient.ParseReply(query, buffer[..length]);
        return new ForwardResult(result, response, context.IsResponseWritten);
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        _loggerFactory.Dispose();
    }
}

/// <summary>What the handler returned and what the client would have received.</summary>
internal sealed record ForwardResult(PluginResult Result, DnsMessage Response, bool Written)
{
    public string? ExtendedErrorText =>
        Response.Edns?.Options.Select(o => o.TryGetExtendedError(out _, out var text) ? text : null).FirstOrDefault(t => t is not null);
}

/// <summary>Keeps every log line so tests can assert what an operator would see.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Lines => _lines.ToArray();

    public IEnumerable<string> At(LogLevel level) => _lines.Where(l => l.Level == level).Select(l => l.Message);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue((logLevel, category, formatter(state, exception)));
    }
}

/// <summary>A next handler that answers NOERROR with a marker TXT record and counts calls.</summary>
internal sealed class MarkerHandler(string marker) : DnsHandler
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public override string Name => "marker";

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        Interlocked.Increment(ref _calls);
        context.Response.Answers.Add(new TxtRecord(context.GetQuestionName(), 0, marker));
        context.WriteResponse(Name);
        return ValueTask.FromResult(PluginResult.Success);
    }
}
