using System.Buffers;
using System.Runtime.CompilerServices;
using MeshDns.Protocol;
using MeshDns.Server;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Forward;

/// <summary>
/// Sends the queries of its zone to upstreams and relays their answers, as CoreDNS's forward: the upstream's
/// rcode, flags (RA, AD, ...) and sections go back to the client with the client's ID and question spelling.
/// </summary>
/// <remarks>
/// Failure semantics (CoreDNS's): a query that no upstream answered returns SERVFAIL without writing, with a
/// <see cref="PluginError"/> for the errors plugin ("no healthy proxies", or the last network error);
/// <c>max_concurrent</c> returns REFUSED the same way. MeshDns additions write their own answer with an Extended DNS
/// Error (RFC 8914): REFUSED for a name this server is authoritative for, SERVFAIL when loop detection disabled
/// this forward.
/// </remarks>
public sealed partial class ForwardHandler : ChainedDnsHandler
{
    /// <summary>How many passes over the upstream list one query may make (CoreDNS cycles until its 5s deadline).</summary>
    public const int MaxPasses = 2;

    private readonly ForwardEngine _engine;
    private readonly ForwardLoopGuard? _guard;
    private readonly PluginError _noHealthy = new("forward", "no healthy proxies");
    private readonly PluginError _tooMany;
    private readonly PluginError _loopError;

    public ForwardHandler(DnsHandler next, ForwardEngine engine, ForwardLoopGuard? guard = null)
        : base(next)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _guard = guard;
        _tooMany = new PluginError("forward", $"concurrent queries exceeded maximum {engine.Options.MaxConcurrent}");
        _loopError = new PluginError("forward", $"forwarding loop detected, forward to {engine.UpstreamList} is disabled");
    }

    public override string Name => "forward";

    public ForwardEngine Engine => _engine;

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Matches(context.QuestionNameLower))
        {
            return NextAsync(context);
        }

        if (_engine.IsDisabledByLoop)
        {
            WriteError(context, DnsResponseCode.ServFail, ExtendedDnsErrorCode.Other, "forwarding loop detected; forward disabled");
            return ValueTask.FromResult(new PluginResult(DnsResponseCode.ServFail, _loopError));
        }

        if (_engine.FindAuthority(context.QuestionNameLower) is { } authority)
        {
            // Sending a name of our own zone elsewhere can only come back here, or answer for a zone we serve.
            WriteError(context, DnsResponseCode.Refused, ExtendedDnsErrorCode.Other, $"not forwarded: served here by {authority}");
            return ValueTask.FromResult(new PluginResult(DnsResponseCode.Refused));
        }

        if (!_engine.TryEnter())
        {
            return ValueTask.FromResult(new PluginResult(DnsResponseCode.Refused, _tooMany));
        }

        if (context.QuestionType == DnsRecordType.HINFO)
        {
            _guard?.NoteForwarded(context.QuestionNameLower, _engine);
        }

        return ForwardAsync(context);
    }

    private bool Matches(ReadOnlySpan<byte> lowerName)
    {
        var options = _engine.Options;
        if (!WireName.IsSubdomainOf(lowerName, options.From.Wire))
        {
            return false;
        }

        // As CoreDNS: FROM itself is always forwarded, even when an except zone covers it.
        if (options.From.Equals(lowerName))
        {
            return true;
        }

        foreach (var except in options.Except)
        {
            if (WireName.IsSubdomainOf(lowerName, except.Wire))
            {
                return false;
            }
        }

        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PluginResult> ForwardAsync(DnsRequestContext context)
    {
        // Our query is the client's header, question (possibly rewritten: up to a full name longer) and OPT record.
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(UpstreamWire.MaxMessageSize, context.RequestSize + WireName.MaxLength + 32));
        try
        {
            // The ID is set for each attempt below.
            var length = UpstreamWire.WriteQuery(context, 0, buffer);
            return await ExchangeAsync(context, buffer, length).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _engine.Exit();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PluginResult> ExchangeAsync(DnsRequestContext context, byte[] query, int length)
    {
        var options = _engine.Options;
        var time = _engine.Time;
        var start = time.GetTimestamp();
        var list = _engine.OrderUpstreams();
        var total = list.Length;
        UpstreamException? lastError = null;
        DnsMessage? failoverReply = null;
        var failoverTried = 0;
        var attempts = 0;
        var i = 0;
        var down = 0;
        var transportTcp = options.ForceTcp || (!options.PreferUdp && context.Transport is DnsTransport.Tcp or DnsTransport.Tls);
        while (!context.RequestAborted.IsCancellationRequested)
        {
            var remaining = options.Timeouts.Request - time.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero || attempts >= MaxPasses * total)
            {
                break;
            }

            if (i >= total)
            {
                i = 0;
                down = 0;
            }

            var upstream = list[i++];
            var allDown = false;
            if (upstream.IsDown)
            {
                down++;
                if (down < total)
                {
                    continue;
                }

                // Every upstream is down: assume health checking itself is broken and try one at random.
                _engine.Metrics.HealthcheckBroken.Inc();
                if (options.FailFastWhenAllDown)
                {
                    break;
                }

                allDown = true;
                upstream = _engine.Upstreams[Random.Shared.Next(total)];
            }

            attempts++;
            DnsMessage reply;
            try
            {
                UpstreamWire.SetId(query, _engine.QueryIds.Next());
                reply = await upstream.ExchangeAsync(query, length, transportTcp, remaining, context.RequestAborted).ConfigureAwait(false);
                if (reply.Truncated && !transportTcp && upstream.Config.Transport == UpstreamTransport.Dns)
                {
                    // MeshDns retries a truncated UDP answer over TCP (CoreDNS only with prefer_udp): the client
                    // then gets every RRset that fits its size, and a cache in front gets the whole answer.
                    UpstreamWire.SetId(query, _engine.QueryIds.Next());
                    remaining = options.Timeouts.Request - time.GetElapsedTime(start);
                    reply = await upstream.ExchangeAsync(query, length, tcp: true, remaining, context.RequestAborted).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                break; // the server gave up on this request (shutdown)
            }
            catch (UpstreamException exception)
            {
                lastError = exception;
                LogExchangeFailed(_engine.Logger, upstream.Label, exception.Message);
                upstream.TriggerHealthCheck();
                if (allDown)
                {
                    break;
                }

                continue;
            }

            if (options.Failover.Contains(reply.ResponseCode) && ++failoverTried < total)
            {
                failoverReply = reply;
                continue;
            }

            if (options.Next.Contains(reply.ResponseCode) && Next is ForwardHandler)
            {
                return await NextAsync(context).ConfigureAwait(false);
            }

            Relay(context, reply);
            return PluginResult.Success;
        }

        if (failoverReply is not null)
        {
            // Every upstream answered with a failover rcode: the last answer is the honest one.
            Relay(context, failoverReply);
            return PluginResult.Success;
        }

        return new PluginResult(DnsResponseCode.ServFail, lastError is null ? _noHealthy : new PluginError("forward", lastError.Message, lastError));
    }

    /// <summary>Copies the upstream's answer into the response; the server writes the client's ID and question.</summary>
    private void Relay(DnsRequestContext context, DnsMessage reply)
    {
        var response = context.Response;
        response.ResponseCode = reply.ResponseCode;
        response.Flags = (reply.Flags & ~DnsHeaderFlags.Z) | DnsHeaderFlags.QR;
        response.Answers.AddRange(reply.Answers);
        response.Authorities.AddRange(reply.Authorities);
        response.Additionals.AddRange(reply.Additionals);
        if (context.HasEdns && reply.Edns is { } edns)
        {
            // Extended errors are about the answer and travel with it; cookies, padding and the like were between
            // us and the upstream and stay there.
            foreach (var option in edns.Options)
            {
                if (option.Code == (ushort)EdnsOptionCode.ExtendedDnsError)
                {
                    response.EnableEdns().Options.Add(option);
                }
            }
        }

        context.WriteResponse(Name);
    }

    private void WriteError(DnsRequestContext context, DnsResponseCode rcode, ExtendedDnsErrorCode code, string text)
    {
        var response = context.Response;
        response.ResponseCode = rcode;
        response.RecursionAvailable = true;
        if (context.HasEdns)
        {
            response.EnableEdns().Options.Add(EdnsOption.ExtendedError(code, text));
        }

        context.WriteResponse(Name);
    }

    [LoggerMessage(EventId = 5110, Level = LogLevel.Debug, Message = "Exchange with {Upstream} failed: {Reason}")]
    private static partial void LogExchangeFailed(ILogger logger, string upstream, string reason);
}
