using Microsoft.Extensions.Logging;
using MeshDns.Protocol;

namespace MeshDns.Server;

/// <summary>Hooks for what happens outside any plugin: refused queries, panics. The prometheus plugin installs one.</summary>
public interface IServerObserver
{
    /// <summary>A query that no server block took (CoreDNS reports these under the zone label <c>dropped</c>).</summary>
    void OnRefusedNoZone(DnsRequestContext context, int responseSize);

    /// <summary>A plugin threw (CoreDNS's <c>coredns_panics_total</c>).</summary>
    void OnPanic(DnsRequestContext context, Exception exception);
}

/// <summary>
/// Runs one request through acceptance rules, zone routing and a plugin chain, and encodes the response.
/// One per listener; the router is swapped atomically on reload while requests keep flowing.
/// </summary>
public sealed partial class RequestProcessor : IDnsResolver
{
    /// <summary>How deep internal lookups may nest before the server gives up (CNAME chains, loops).</summary>
    public const int MaxResolveDepth = 8;

    private readonly ILogger _logger;
    private volatile ZoneRouter _router;
    private volatile IServerObserver? _observer;

    public RequestProcessor(string serverAddress, ZoneRouter router, ILogger logger, int maxUdpSize = ResponseEncoder.DefaultMaxUdpSize)
    {
        ServerAddress = serverAddress;
        _router = router;
        _logger = logger;
        MaxUdpSize = maxUdpSize;
    }

    /// <summary>CoreDNS's name for the listener (<c>dns://:53</c>).</summary>
    public string ServerAddress { get; }

    /// <summary>Largest UDP response (the EDNS size a client advertises is capped to this).</summary>
    public int MaxUdpSize { get; }

    /// <summary>The routing table in use. Replaced whole on reload.</summary>
    public ZoneRouter Router
    {
        get => _router;
        set => _router = value ?? throw new ArgumentNullException(nameof(value));
    }

    public IServerObserver? Observer
    {
        get => _observer;
        set => _observer = value;
    }

    /// <summary>
    /// Processes <paramref name="request"/> and writes the response into <paramref name="responseBuffer"/>.
    /// Returns the response length, or 0 when nothing must be sent. Completes synchronously when the chain does.
    /// </summary>
    public ValueTask<int> ProcessAsync(DnsRequestContext context, ReadOnlyMemory<byte> request, DnsTransport transport, Memory<byte> responseBuffer)
    {
        ArgumentNullException.ThrowIfNull(context);
        var disposition = context.Load(request, transport);
        context.ServerAddress = ServerAddress;
        context.Resolver = this;
        switch (disposition)
        {
            case RequestDisposition.Drop:
                return Completed(context, 0);
            case RequestDisposition.FormErr:
                return Completed(context, ResponseEncoder.EncodeError(context, DnsResponseCode.FormErr, responseBuffer.Span, includeQuestion: true));
            case RequestDisposition.NotImp:
                return Completed(context, ResponseEncoder.EncodeError(context, DnsResponseCode.NotImp, responseBuffer.Span, includeQuestion: false));
            case RequestDisposition.BadVers:
                return Completed(context, ResponseEncoder.EncodeError(context, DnsResponseCode.BadVers, responseBuffer.Span, includeQuestion: true));
            case RequestDisposition.Refused:
                return Completed(context, ResponseEncoder.EncodeError(context, DnsResponseCode.Refused, responseBuffer.Span, includeQuestion: true));
        }

        var block = _router.Route(context.QuestionNameLower, context.QuestionType, out var zone);
        if (block is null)
        {
            var size = ResponseEncoder.EncodeError(context, DnsResponseCode.Refused, responseBuffer.Span, includeQuestion: true);
            _observer?.OnRefusedNoZone(context, size);
            return Completed(context, size);
        }

        context.Block = block;
        context.Zone = zone;
        ValueTask<PluginResult> pending;
        try
        {
            pending = block.Chain.ServeAsync(context);
        }
        catch (Exception exception)
        {
            return Completed(context, Panic(context, exception, responseBuffer.Span));
        }

        if (pending.IsCompletedSuccessfully)
        {
            return Completed(context, Finish(context, pending.Result, responseBuffer.Span));
        }

        return AwaitChainAsync(context, pending, responseBuffer);
    }

    private async ValueTask<int> AwaitChainAsync(DnsRequestContext context, ValueTask<PluginResult> pending, Memory<byte> responseBuffer)
    {
        int size;
        try
        {
            var result = await pending.ConfigureAwait(false);
            size = Finish(context, result, responseBuffer.Span);
        }
        catch (Exception exception)
        {
            size = Panic(context, exception, responseBuffer.Span);
        }

        context.Complete(size);
        return size;
    }

    private static ValueTask<int> Completed(DnsRequestContext context, int size)
    {
        context.Complete(size);
        return ValueTask.FromResult(size);
    }

    private int Finish(DnsRequestContext context, PluginResult result, Span<byte> buffer)
    {
        if (context.IsDropped)
        {
            return 0;
        }

        if (context.IsResponseWritten)
        {
            return ResponseEncoder.Encode(context, buffer, ResponseEncoder.SizeLimit(context, MaxUdpSize), (ushort)MaxUdpSize, context.TtlDecrease);
        }

        if (!result.ServerMustWrite)
        {
            // A plugin claimed success but wrote nothing; CoreDNS would leave the client waiting. Answer instead.
            LogNothingWritten(_logger, context.Block?.Key ?? ServerAddress, DnsTypeNames.RcodeToString(result.Rcode));
        }

        return ResponseEncoder.EncodeError(context, result.ServerMustWrite ? result.Rcode : DnsResponseCode.ServFail, buffer, includeQuestion: true);
    }

    private int Panic(DnsRequestContext context, Exception exception, Span<byte> buffer)
    {
        LogPanic(_logger, exception, WireName.ToPresentation(context.QuestionName), DnsTypeNames.TypeToString(context.QuestionType));
        _observer?.OnPanic(context, exception);
        return ResponseEncoder.EncodeError(context, DnsResponseCode.ServFail, buffer, includeQuestion: true);
    }

    /// <inheritdoc />
    public async ValueTask<DnsMessage> ResolveAsync(DnsRequestContext parent, DnsName name, DnsRecordType type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(name);
        var query = DnsMessage.CreateQuery(name, type, parent.Id);
        var result = new DnsMessage { Id = parent.Id, Flags = DnsHeaderFlags.QR, ResponseCode = DnsResponseCode.ServFail };
        result.Questions.Add(new DnsQuestion(name, type));
        if (parent.Depth + 1 > MaxResolveDepth)
        {
            return result;
        }

        var context = new DnsRequestContext();
        var packet = query.ToArray();
        if (context.Load(packet, DnsTransport.Internal) != RequestDisposition.Accept)
        {
            return result;
        }

        context.Depth = parent.Depth + 1;
        context.ServerAddress = ServerAddress;
        context.Resolver = this;
        context.RequestAborted = cancellationToken;
        context.SetEndpoints(parent.RemoteFamily, parent.RemoteAddressBytes, parent.RemotePort, parent.LocalAddressBytes, parent.LocalPort);
        var block = _router.Route(context.QuestionNameLower, type, out var zone);
        if (block is null)
        {
            result.ResponseCode = DnsResponseCode.Refused;
            return result;
        }

        context.Block = block;
        context.Zone = zone;
        PluginResult outcome;
        try
        {
            outcome = await block.Chain.ServeAsync(context).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogPanic(_logger, exception, name.ToString(), DnsTypeNames.TypeToString(type));
            return result;
        }

        if (!context.IsResponseWritten)
        {
            result.ResponseCode = outcome.ServerMustWrite ? outcome.Rcode : DnsResponseCode.ServFail;
            return result;
        }

        var response = context.Response;
        result.ResponseCode = response.ResponseCode;
        result.Flags = response.Flags;
        CopyAged(response.Answers, result.Answers, context.TtlDecrease);
        CopyAged(response.Authorities, result.Authorities, context.TtlDecrease);
        CopyAged(response.Additionals, result.Additionals, context.TtlDecrease);
        return result;
    }

    // The copy leaves the request, so the TTL decrease the encoder would have applied goes into the records.
    private static void CopyAged(List<ResourceRecord> from, List<ResourceRecord> to, uint ttlDecrease)
    {
        foreach (var record in from)
        {
            to.Add(ttlDecrease == 0 ? record : record.WithTtl(record.Ttl > ttlDecrease ? record.Ttl - ttlDecrease : 0));
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Recovered from panic in server: {Name} {Type}")]
    private static partial void LogPanic(ILogger logger, Exception exception, string name, string type);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "A plugin of {Block} returned {Rcode} without writing a response; answering SERVFAIL")]
    private static partial void LogNothingWritten(ILogger logger, string block, string rcode);
}
