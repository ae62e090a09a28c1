using MeshDns.Protocol;

namespace MeshDns.Testing.Upstream;

/// <summary>How a query reached a <see cref="FakeUpstreamServer"/>.</summary>
public enum FakeTransport
{
    Udp,
    Tcp,
    Tls,
}

/// <summary>One query as the fake upstream saw it.</summary>
public sealed record FakeQuery(DnsMessage Message, FakeTransport Transport, byte[] Raw)
{
    public DnsQuestion Question => Message.Questions[0];

    /// <summary>The question name in lower-case presentation form (<c>a.example.org.</c>).</summary>
    public string Name => Question.Name.ToString().ToLowerInvariant();

    public DnsRecordType Type => Question.Type;
}

/// <summary>
/// What the fake upstream does with a query: answer (possibly late, possibly after spoofed datagrams), send raw
/// bytes, say nothing, or break a stream connection in the middle of a message.
/// </summary>
public sealed record FakeReply
{
    /// <summary>The reply to encode (its ID is sent as set: use <see cref="For"/> to echo the query's).</summary>
    public DnsMessage? Message { get; init; }

    /// <summary>Bytes to send instead of <see cref="Message"/> (garbage, hand-made packets).</summary>
    public byte[]? Raw { get; init; }

    /// <summary>Wait this long before sending anything.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Messages sent before the reply itself (a spoofed answer with a wrong ID or question, say).</summary>
    public IReadOnlyList<byte[]> Before { get; init; } = [];

    /// <summary>Send nothing at all.</summary>
    public bool Drop { get; init; }

    /// <summary>On TCP/TLS: send the length prefix and half of the message, then close the connection.</summary>
    public bool CloseMidMessage { get; init; }

    /// <summary>On UDP: when the encoded reply is larger, send only header and question with TC set (as a real server does).</summary>
    public int? UdpSizeLimit { get; init; }

    public static FakeReply Nothing { get; } = new() { Drop = true };

    /// <summary>A response to <paramref name="query"/> with <paramref name="rcode"/> and the given records (presentation format).</summary>
    public static FakeReply For(FakeQuery query, DnsResponseCode rcode = DnsResponseCode.NoError, params string[] answers)
    {
        ArgumentNullException.ThrowIfNull(query);
        var reply = DnsMessage.CreateResponse(query.Message);
        reply.ResponseCode = rcode;
        reply.RecursionAvailable = true;
        foreach (var answer in answers)
        {
            reply.Answers.Add(ResourceRecord.Parse(answer));
        }

        if (query.Message.Edns is { } edns)
        {
            var opt = reply.EnableEdns();
            opt.UdpPayloadSize = 1232;
            opt.DnssecOk = edns.DnssecOk;
        }

        return new FakeReply { Message = reply };
    }

    /// <summary>The reply encoded with another ID (a spoof that guessed wrong).</summary>
    public static byte[] WithId(FakeReply reply, ushort id)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var bytes = reply.Message!.ToArray();
        bytes[0] = (byte)(id >> 8);
        bytes[1] = (byte)id;
        return bytes;
    }
}
