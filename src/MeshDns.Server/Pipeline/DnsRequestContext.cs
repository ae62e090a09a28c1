using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;

namespace MeshDns.Server;

/// <summary>How a query reached the server.</summary>
public enum DnsTransport : byte
{
    Udp,
    Tcp,
    Tls,
    /// <summary>A query the server asked itself (CNAME/ExternalName chasing through its own chain).</summary>
    Internal,
}

/// <summary>What the server does with a request before any plugin sees it (CoreDNS's accept rules).</summary>
public enum RequestDisposition : byte
{
    /// <summary>Well-formed query: route it.</summary>
    Accept,
    /// <summary>Not worth an answer (too short for a header, or QR set: never answer a response).</summary>
    Drop,
    /// <summary>FORMERR: malformed, or a section count a query cannot have.</summary>
    FormErr,
    /// <summary>NOTIMP: an opcode other than QUERY.</summary>
    NotImp,
    /// <summary>BADVERS: an EDNS version other than 0 (RFC 6891 6.1.3).</summary>
    BadVers,
    /// <summary>REFUSED: a class other than IN.</summary>
    Refused,
}

/// <summary>Called once the response is encoded (or the request dropped), with its size; log and prometheus use it.</summary>
public interface IRequestCompletionObserver
{
    void OnCompleted(DnsRequestContext context, int responseSize);
}

/// <summary>
/// Everything about one request while it moves through the chain: the parsed question, the client, the
/// response being built. Pooled and reused: nothing may keep a reference after the request completes.
/// </summary>
public sealed class DnsRequestContext
{
    private readonly byte[] _originalName = new byte[WireName.MaxLength];
    private readonly byte[] _name = new byte[WireName.MaxLength];
    private readonly byte[] _lowerName = new byte[WireName.MaxLength];
    private readonly byte[] _remoteAddress = new byte[16];
    private readonly byte[] _localAddress = new byte[16];
    private readonly List<IRequestCompletionObserver> _observers = [];
    private int _originalNameLength;
    private int _nameLength;
    private int _remoteAddressLength;
    private int _localAddressLength;
    private DnsName? _questionName;
    private IPAddress? _remoteIp;
    private Dictionary<string, object?>? _items;

    public DnsRequestContext()
    {
        Response = new DnsMessage();
    }

    // ---- The request ----

    /// <summary>The request as received (valid until the request completes).</summary>
    public ReadOnlyMemory<byte> RequestBytes { get; private set; }

    public ushort Id { get; private set; }

    /// <summary>The request's header flags (RD, CD, AD, ...).</summary>
    public DnsHeaderFlags RequestFlags { get; private set; }

    public DnsOpCode OpCode { get; private set; }

    /// <summary>The question name plugins work on, in wire form and the client's spelling (a rewrite may have changed it).</summary>
    public ReadOnlySpan<byte> QuestionName => _name.AsSpan(0, _nameLength);

    /// <summary><see cref="QuestionName"/> in lower case, for lookups.</summary>
    public ReadOnlySpan<byte> QuestionNameLower => _lowerName.AsSpan(0, _nameLength);

    /// <summary>The question exactly as the client sent it; the response's question section echoes this.</summary>
    public ReadOnlySpan<byte> OriginalQuestionName => _originalName.AsSpan(0, _originalNameLength);

    public DnsRecordType QuestionType { get; private set; }

    public DnsRecordType OriginalQuestionType { get; private set; }

    public DnsClass QuestionClass { get; private set; }

    /// <summary>True when the request carried an OPT record.</summary>
    public bool HasEdns { get; private set; }

    /// <summary>The client's advertised UDP payload size (512 without EDNS).</summary>
    public ushort EdnsUdpSize { get; private set; }

    public byte EdnsVersion { get; private set; }

    /// <summary>DNSSEC OK bit.</summary>
    public bool DnssecOk { get; private set; }

    /// <summary>The raw EDNS options of the request (may be empty).</summary>
    public ReadOnlyMemory<byte> EdnsOptions { get; private set; }

    /// <summary>Size of the request in octets.</summary>
    public int RequestSize => RequestBytes.Length;

    // ---- Where it came from ----

    public DnsTransport Transport { get; private set; }

    public AddressFamily RemoteFamily { get; private set; }

    public int RemotePort { get; private set; }

    /// <summary>The client's address in network order (4 or 16 octets), without allocating.</summary>
    public ReadOnlySpan<byte> RemoteAddressBytes => _remoteAddress.AsSpan(0, _remoteAddressLength);

    /// <summary>The address the query was sent to (4 or 16 octets), when known.</summary>
    public ReadOnlySpan<byte> LocalAddressBytes => _localAddress.AsSpan(0, _localAddressLength);

    public int LocalPort { get; private set; }

    /// <summary>The client's address as an object (allocates once per request on first use).</summary>
    public IPAddress RemoteAddress => _remoteIp ??= _remoteAddressLength == 0 ? IPAddress.None : new IPAddress(RemoteAddressBytes);

    // ---- Where it is going ----

    /// <summary>The listener's name in CoreDNS's form (<c>dns://:53</c>), the <c>server</c> label of metrics.</summary>
    public string ServerAddress { get; internal set; } = string.Empty;

    /// <summary>The server block that took the request, set by zone routing.</summary>
    public ServerBlockRuntime? Block { get; internal set; }

    /// <summary>The zone of <see cref="Block"/> that matched (the <c>zone</c> label of metrics).</summary>
    public string Zone { get; internal set; } = string.Empty;

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the request arrived.</summary>
    public long StartTimestamp { get; internal set; }

    /// <summary>Cancelled when the server gives up on the request (shutdown, client gone).</summary>
    public CancellationToken RequestAborted { get; internal set; }

    /// <summary>How many internal lookups deep this request is (loop guard for CNAME chasing).</summary>
    public int Depth { get; internal set; }

    /// <summary>Resolves a name through this server's own routing and chains, for plugins that chase CNAMEs.</summary>
    public IDnsResolver? Resolver { get; internal set; }

    // ---- The response ----

    /// <summary>The response being built. Header ID, opcode, RD and CD are preset; the question is written from the request.</summary>
    public DnsMessage Response { get; }

    /// <summary>True once a plugin has committed the response.</summary>
    public bool IsResponseWritten { get; private set; }

    /// <summary>
    /// Seconds to subtract from every record's TTL when the response is encoded (never below 0). A cache answers
    /// with the records it stored and sets this to their age, so TTLs count down without new record objects.
    /// </summary>
    public uint TtlDecrease { get; set; }

    /// <summary>True when a plugin decided not to answer at all.</summary>
    public bool IsDropped { get; private set; }

    /// <summary>Per-request values plugins share (CoreDNS's metadata). Allocated on first use.</summary>
    public IDictionary<string, object?> Items => _items ??= new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>The question name as an object, created once per request on first use.</summary>
    public DnsName GetQuestionName() => _questionName ??= DnsName.FromWire(QuestionName);

    /// <summary>The plugin that wrote the response (the <c>plugin</c> label of <c>coredns_dns_responses_total</c>).</summary>
    public string ResponderPlugin { get; private set; } = string.Empty;

    /// <summary>Commits <see cref="Response"/> as the answer, written by <paramref name="plugin"/>.</summary>
    public void WriteResponse(string plugin)
    {
        IsResponseWritten = true;
        ResponderPlugin = plugin ?? string.Empty;
    }

    /// <summary>Sends nothing to the client (the server does not write an error either).</summary>
    public void Drop() => IsDropped = true;

    /// <summary>Replaces the question plugins see (rewrite); the client still gets its own question back.</summary>
    public void SetQuestion(ReadOnlySpan<byte> wireName, DnsRecordType type)
    {
        if (!WireName.IsValid(wireName))
        {
            throw new ArgumentException("not a valid wire name", nameof(wireName));
        }

        wireName.CopyTo(_name);
        _nameLength = wireName.Length;
        WireName.ToLower(wireName, _lowerName);
        QuestionType = type;
        _questionName = null;
    }

    /// <summary>Asks to be told when the response has been encoded (log and metrics plugins).</summary>
    public void OnCompleted(IRequestCompletionObserver observer) => _observers.Add(observer);

    /// <summary>Builds the request as a message object (forwarding needs one; allocates).</summary>
    public DnsMessage CreateRequestMessage()
    {
        var message = new DnsMessage { Id = Id, OpCode = OpCode, Flags = RequestFlags & ~DnsHeaderFlags.QR };
        message.Questions.Add(new DnsQuestion(GetQuestionName(), QuestionType, QuestionClass));
        if (HasEdns)
        {
            var edns = message.EnableEdns();
            edns.UdpPayloadSize = EdnsUdpSize;
            edns.DnssecOk = DnssecOk;
            var options = EdnsOptions.Span;
            while (options.Length >= 4)
            {
                var code = BinaryPrimitives.ReadUInt16BigEndian(options);
                var length = BinaryPrimitives.ReadUInt16BigEndian(options[2..]);
                if (options.Length < 4 + length)
                {
                    break;
                }

                edns.Options.Add(new EdnsOption(code, options.Slice(4, length).ToArray()));
                options = options[(4 + length)..];
            }
        }

        return message;
    }

    /// <summary>
    /// Parses <paramref name="request"/> into this context and applies the server's acceptance rules. Nothing is
    /// allocated. The memory must stay valid until the request completes.
    /// </summary>
    public RequestDisposition Load(ReadOnlyMemory<byte> request, DnsTransport transport)
    {
        Reset();
        RequestBytes = request;
        Transport = transport;
        StartTimestamp = Stopwatch.GetTimestamp();
        var span = request.Span;
        var reader = new DnsMessageReader(span);
        if (!reader.TryReadHeader(out var header))
        {
            return RequestDisposition.Drop;
        }

        Id = header.Id;
        RequestFlags = header.Flags;
        OpCode = header.OpCode;
        Response.Id = header.Id;
        Response.OpCode = header.OpCode;
        Response.Flags = DnsHeaderFlags.QR | (header.Flags & (DnsHeaderFlags.RD | DnsHeaderFlags.CD));

        // The rules of miekg/dns's DefaultMsgAcceptFunc, which CoreDNS serves with.
        if (header.IsResponse)
        {
            return RequestDisposition.Drop;
        }

        if (header.OpCode != DnsOpCode.Query)
        {
            return RequestDisposition.NotImp;
        }

        if (header.QuestionCount != 1 || header.AnswerCount > 1 || header.AuthorityCount > 1 || header.AdditionalCount > 2)
        {
            return RequestDisposition.FormErr;
        }

        if (!reader.TryReadQuestion(_originalName, out _originalNameLength, out var type, out var @class))
        {
            _originalNameLength = 0; // a half-read question is not echoed
            return RequestDisposition.FormErr;
        }

        _originalName.AsSpan(0, _originalNameLength).CopyTo(_name);
        _nameLength = _originalNameLength;
        WireName.ToLower(QuestionName, _lowerName);
        QuestionType = OriginalQuestionType = type;
        QuestionClass = @class;

        // Walk the other sections to find OPT and to reject malformed records.
        Span<byte> scratch = stackalloc byte[WireName.MaxLength];
        var records = header.AnswerCount + header.AuthorityCount;
        for (var i = 0; i < records; i++)
        {
            if (!reader.TrySkipRecord())
            {
                return RequestDisposition.FormErr;
            }
        }

        for (var i = 0; i < header.AdditionalCount; i++)
        {
            if (!reader.TryReadRecordHeader(scratch, out var ownerLength, out var record))
            {
                return RequestDisposition.FormErr;
            }

            if (record.Type == DnsRecordType.OPT)
            {
                if (HasEdns || ownerLength != 1)
                {
                    return RequestDisposition.FormErr; // RFC 6891 6.1.1: one OPT, owned by the root
                }

                HasEdns = true;
                EdnsUdpSize = (ushort)record.Class;
                EdnsVersion = (byte)(record.Ttl >> 16);
                DnssecOk = (record.Ttl & 0x8000) != 0;
                EdnsOptions = request.Slice(record.RDataOffset, record.RDataLength);
            }

            reader.Position = record.RDataOffset + record.RDataLength;
        }

        if (reader.Remaining != 0)
        {
            return RequestDisposition.FormErr;
        }

        if (HasEdns && EdnsVersion != 0)
        {
            return RequestDisposition.BadVers;
        }

        return @class != DnsClass.IN ? RequestDisposition.Refused : RequestDisposition.Accept;
    }

    /// <summary>
    /// Makes this (freshly loaded) context continue a chain on behalf of <paramref name="parent"/> outside any client
    /// request: a cache prefetch runs the rest of its chain with it. Server, block, zone, resolver and client endpoints
    /// are the parent's; the request is one level deeper and is aborted by <paramref name="requestAborted"/>.
    /// </summary>
    public void InheritRouting(DnsRequestContext parent, CancellationToken requestAborted)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ServerAddress = parent.ServerAddress;
        Block = parent.Block;
        Zone = parent.Zone;
        Resolver = parent.Resolver;
        Depth = parent.Depth + 1;
        RequestAborted = requestAborted;
        SetEndpoints(parent.RemoteFamily, parent.RemoteAddressBytes, parent.RemotePort, parent.LocalAddressBytes, parent.LocalPort);
    }

    /// <summary>Records where the request came from and went to (socket address bytes in network order).</summary>
    public void SetEndpoints(AddressFamily family, ReadOnlySpan<byte> remoteAddress, int remotePort, ReadOnlySpan<byte> localAddress, int localPort)
    {
        RemoteFamily = family;
        remoteAddress.CopyTo(_remoteAddress);
        _remoteAddressLength = remoteAddress.Length;
        RemotePort = remotePort;
        localAddress.CopyTo(_localAddress);
        _localAddressLength = localAddress.Length;
        LocalPort = localPort;
        _remoteIp = null;
    }

    /// <summary>Records where the request came from, from endpoint objects (TCP, tests).</summary>
    public void SetEndpoints(IPEndPoint remote, IPEndPoint? local)
    {
        ArgumentNullException.ThrowIfNull(remote);
        Span<byte> remoteBytes = stackalloc byte[16];
        Span<byte> localBytes = stackalloc byte[16];
        var remoteAddress = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        remoteAddress.TryWriteBytes(remoteBytes, out var remoteLength);
        var localLength = 0;
        if (local is not null)
        {
            var localAddress = local.Address.IsIPv4MappedToIPv6 ? local.Address.MapToIPv4() : local.Address;
            localAddress.TryWriteBytes(localBytes, out localLength);
        }

        SetEndpoints(remoteAddress.AddressFamily, remoteBytes[..remoteLength], remote.Port, localBytes[..localLength], local?.Port ?? 0);
        _remoteIp = remoteAddress;
    }

    /// <summary>Calls the completion observers (the server does this once per request).</summary>
    internal void Complete(int responseSize)
    {
        foreach (var observer in _observers)
        {
            observer.OnCompleted(this, responseSize);
        }
    }

    /// <summary>Forgets the previous request; keeps buffers and list capacity.</summary>
    internal void Reset()
    {
        RequestBytes = default;
        Id = 0;
        RequestFlags = DnsHeaderFlags.None;
        OpCode = DnsOpCode.Query;
        _originalNameLength = 0;
        _nameLength = 0;
        QuestionType = OriginalQuestionType = DnsRecordType.None;
        QuestionClass = DnsClass.IN;
        HasEdns = false;
        EdnsUdpSize = 512;
        EdnsVersion = 0;
        DnssecOk = false;
        EdnsOptions = default;
        Block = null;
        Zone = string.Empty;
        Depth = 0;
        RequestAborted = CancellationToken.None;
        Response.Clear();
        IsResponseWritten = false;
        TtlDecrease = 0;
        ResponderPlugin = string.Empty;
        IsDropped = false;
        _questionName = null;
        _items?.Clear();
        _observers.Clear();
    }
}

/// <summary>Resolves names through the server's own routing and plugin chains.</summary>
public interface IDnsResolver
{
    /// <summary>
    /// Runs a query for <paramref name="name"/> through the server as if a client had asked it, one level deeper
    /// than <paramref name="parent"/>; returns a copy of the response. Fails with SERVFAIL past the depth limit.
    /// </summary>
    ValueTask<DnsMessage> ResolveAsync(DnsRequestContext parent, DnsName name, DnsRecordType type, CancellationToken cancellationToken);
}
