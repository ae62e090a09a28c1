using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshDns.Plugins.Forward;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Hosting;
using MeshDns.Server.Plugins;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Loop;

/// <summary>How long loop detection keeps trying, and its pauses (CoreDNS's values by default; tests shorten them).</summary>
public sealed record LoopTimings
{
    /// <summary>Give up sending the probe after this (CoreDNS: 30s).</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between probes that got no answer (CoreDNS: 2s).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Stop counting this long after a probe was answered (CoreDNS: 2s).</summary>
    public TimeSpan DisableAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one probe waits for its answer (miekg/dns's default: 2s).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public static LoopTimings Default { get; } = new();
}

/// <summary><c>loop</c>: no arguments, once per server block.</summary>
public sealed class LoopSetup : IPluginSetup
{
    private readonly LoopTimings _timings;

    public LoopSetup()
        : this(LoopTimings.Default)
    {
    }

    public LoopSetup(LoopTimings timings)
    {
        _timings = timings;
    }

    public string Name => "loop";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Block.SeenDirectives.Contains(Name))
        {
            context.Error("this plugin can only be used once per Server Block");
            return;
        }

        if (context.Directive.Args.Count > 0 || context.Directive.HasBlock)
        {
            context.Error(context.Directive.Args.Count > 0 ? context.Directive.Args[0] : context.Directive.NameToken, context.Directive.ArgErr());
            return;
        }

        var addresses = context.Block.Block.Addresses;
        var zone = addresses.Count > 0 ? DnsName.Parse(addresses[0].Zone).ToLowerInvariant() : DnsName.Root;
        var port = addresses.Count > 0 ? addresses[0].Port : context.Services.Options.DefaultPort;
        var block = context.Block;
        var guard = context.GetOrAddShared(ForwardLoopGuard.SharedKey(block.Index), () => new ForwardLoopGuard());
        var probe = new LoopProbe(zone, guard, context.CreateLogger(), context.Time, _timings);
        context.AddHandler(next => new LoopHandler(next, probe));
        context.OnListening((endpoints, _) =>
        {
            var target = FindTarget(endpoints, block.BindAddresses, port);
            if (target is not null)
            {
                probe.Start(target);
            }

            return Task.CompletedTask;
        });
        context.OnShutdown(async _ =>
        {
            await probe.StopAsync().ConfigureAwait(false);
            probe.Dispose();
        });
    }

    /// <summary>Where this block listens, as an address the server can send to (a wildcard becomes loopback).</summary>
    internal static IPEndPoint? FindTarget(IReadOnlyDictionary<string, IReadOnlyList<IPEndPoint>> endpoints, IReadOnlyList<IPAddress> binds, int port)
    {
        var candidates = new List<IPAddress?>(binds);
        if (candidates.Count == 0)
        {
            candidates.Add(null);
        }

        foreach (var bind in candidates)
        {
            var key = ListenerPlan.FormatServerAddress("dns", bind, port);
            if (endpoints.TryGetValue(key, out var bound) && bound.Count > 0)
            {
                var endpoint = bound[0];
                var address = endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
                    : endpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
                    : endpoint.Address;
                return new IPEndPoint(address, endpoint.Port);
            }
        }

        return null;
    }
}

/// <summary>
/// The probe of one server block: sends <c>&lt;random&gt;.&lt;random&gt;.zone. HINFO</c> to the server itself after
/// it starts listening and counts how often it comes back through the chain. More than twice is a loop: MeshDns
/// logs it and switches off the forward that sent it, instead of exiting as CoreDNS does.
/// </summary>
public sealed partial class LoopProbe : IDisposable
{
    private readonly ForwardLoopGuard _guard;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LoopTimings _timings;
    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;
    private int _seen;
    private int _detected;
    private volatile bool _disabled;
    private IPEndPoint? _target;

    public LoopProbe(DnsName zone, ForwardLoopGuard guard, ILogger logger, TimeProvider time, LoopTimings timings)
    {
        ArgumentNullException.ThrowIfNull(zone);
        _guard = guard;
        _logger = logger;
        _time = time;
        _timings = timings;
        Name = DnsName.Parse(string.Create(CultureInfo.InvariantCulture, $"{Random.Shared.NextInt64(long.MaxValue)}.{Random.Shared.NextInt64(long.MaxValue)}.{(zone.IsRoot ? string.Empty : zone.ToString())}"));
        _guard.SetProbe(Name);
    }

    /// <summary>The probe's question name (lower case).</summary>
    public DnsName Name { get; }

    /// <summary>How many times the probe came through the chain.</summary>
    public int Seen => Volatile.Read(ref _seen);

    /// <summary>True once a loop was found.</summary>
    public bool LoopDetected => Volatile.Read(ref _detected) != 0;

    /// <summary>True once the probe stopped counting (answered, or given up).</summary>
    public bool IsDisabled => _disabled;

    /// <summary>Completes when probing is over (tests).</summary>
    public Task Completion => _running;

    /// <summary>Starts probing <paramref name="target"/> in the background (start-up must not wait for it).</summary>
    public void Start(IPEndPoint target)
    {
        _target = target;
        _running = Task.Run(() => RunAsync(target, _stopping.Token));
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _running.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>Called by the handler when the probe passes; true the first time the count shows a loop.</summary>
    internal void OnSeen()
    {
        if (Interlocked.Increment(ref _seen) > 2 && Interlocked.Exchange(ref _detected, 1) == 0)
        {
            var disabled = _guard.DisableLooping();
            var target = _target?.ToString() ?? "this server";
            if (disabled.Count > 0)
            {
                LogLoopDisabled(_logger, Name.ToString(), target, string.Join("; ", disabled.Select(f => f.UpstreamList)));
            }
            else
            {
                LogLoop(_logger, Name.ToString(), target);
            }
        }
    }

    private async Task RunAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        var start = _time.GetTimestamp();
        try
        {
            while (!cancellationToken.IsCancellationRequested && _time.GetElapsedTime(start) < _timings.Deadline)
            {
                if (await TryExchangeAsync(target, cancellationToken).ConfigureAwait(false) || LoopDetected)
                {
                    await Task.Delay(_timings.DisableAfter, _time, cancellationToken).ConfigureAwait(false);
                    return;
                }

                await Task.Delay(_timings.RetryDelay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _disabled = true;
        }
    }

    private async Task<bool> TryExchangeAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        var query = DnsMessage.CreateQuery(Name, DnsRecordType.HINFO, UpstreamWire.NewId()).ToArray();
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var timeout = new CancellationTokenSource(_timings.ProbeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var buffer = new byte[UpstreamWire.MaxMessageSize];
        try
        {
            socket.Connect(target);
            await socket.SendAsync(query, SocketFlags.None, linked.Token).ConfigureAwait(false);
            while (true)
            {
                var length = await socket.ReceiveAsync(buffer, SocketFlags.None, linked.Token).ConfigureAwait(false);
                if (UpstreamWire.Check(query, buffer.AsSpan(0, length), out _) != ReplyMatch.Mismatch)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Error, Message = "Loop (\"HINFO IN {Name}\") detected to {Target}: seen more than twice; forward to {Upstreams} is disabled, its queries get SERVFAIL")]
    private static partial void LogLoopDisabled(ILogger logger, string name, string target, string upstreams);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Error, Message = "Loop (\"HINFO IN {Name}\") detected to {Target}: seen more than twice, but no forward of this block sent it")]
    private static partial void LogLoop(ILogger logger, string name, string target);
}

/// <summary>Counts the probe as it passes; everything else goes straight to the next plugin.</summary>
public sealed class LoopHandler(DnsHandler next, LoopProbe probe) : ChainedDnsHandler(next)
{
    private readonly byte[] _probeName = probe.Name.Wire.ToArray();

    public override string Name => "loop";

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.QuestionType == DnsRecordType.HINFO && !probe.IsDisabled && context.QuestionNameLower.SequenceEqual(_probeName))
        {
            probe.OnSeen();
        }

        return NextAsync(context);
    }
}
