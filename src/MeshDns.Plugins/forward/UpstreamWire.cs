using System.Buffers.Binary;
using System.Security.Cryptography;
using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Forward;

/// <summary>What a datagram or frame from an upstream turned out to be.</summary>
internal enum ReplyMatch
{
    /// <summary>A response with our ID and our question: parsed.</summary>
    Match,
    /// <summary>Not ours (wrong ID or question, not a response): ignored, as RFC 5452 9.1 asks.</summary>
    Mismatch,
    /// <summary>Our ID and question, but the rest does not parse.</summary>
    Malformed,
}

/// <summary>Builds upstream queries and checks replies, on the project's codec, without allocating.</summary>
internal static class UpstreamWire
{
    /// <summary>Largest DNS message (TCP length prefix).</summary>
    public const int MaxMessageSize = ushort.MaxValue;

    /// <summary>A query ID from a cryptographic generator: with a fresh random source port it is what an off-path spoofer must guess (RFC 5452 9.2).</summary>
    public static ushort NewId()
    {
        Span<byte> bytes = stackalloc byte[2];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt16BigEndian(bytes);
    }

    /// <summary>Gives an encoded query a new ID.</summary>
    public static void SetId(Span<byte> query, ushort id) => BinaryPrimitives.WriteUInt16BigEndian(query, id);

    public static ushort GetId(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message);

    /// <summary>
    /// Writes the request as the chain sees it now (a rewrite may have changed the question): RD, CD and AD of the
    /// client, its EDNS record (payload size, DO bit, options) passed through. Returns the length.
    /// </summary>
    public static int WriteQuery(DnsRequestContext context, ushort id, Span<byte> destination)
    {
        Span<ushort> compression = stackalloc ushort[1];
        var writer = new DnsMessageWriter(destination, compression);
        writer.TryWriteHeader(new DnsHeader
        {
            Id = id,
            Flags = context.RequestFlags & (DnsHeaderFlags.RD | DnsHeaderFlags.CD | DnsHeaderFlags.AD),
            OpCode = DnsOpCode.Query,
            QuestionCount = 1,
            AdditionalCount = (ushort)(context.HasEdns ? 1 : 0),
        });
        writer.TryWriteName(context.QuestionName, compress: false);
        writer.TryWriteUInt16((ushort)context.QuestionType);
        writer.TryWriteUInt16((ushort)context.QuestionClass);
        if (context.HasEdns)
        {
            var options = context.EdnsOptions.Span;
            writer.TryWriteUInt8(0);
            writer.TryWriteUInt16((ushort)DnsRecordType.OPT);
            writer.TryWriteUInt16(Math.Max(context.EdnsUdpSize, Edns.MinimumPayloadSize));
            writer.TryWriteUInt32(context.DnssecOk ? 0x8000u : 0u);
            writer.TryWriteUInt16((ushort)options.Length);
            writer.TryWriteBytes(options);
        }

        return writer.Position;
    }

    /// <summary>The health check: <c>DOMAIN IN NS</c>, RD as configured.</summary>
    public static int WriteHealthQuery(DnsName domain, bool recursionDesired, ushort id, Span<byte> destination)
    {
        Span<ushort> compression = stackalloc ushort[1];
        var writer = new DnsMessageWriter(destination, compression);
        writer.TryWriteHeader(new DnsHeader
        {
            Id = id,
            Flags = recursionDesired ? DnsHeaderFlags.RD : DnsHeaderFlags.None,
            OpCode = DnsOpCode.Query,
            QuestionCount = 1,
        });
        writer.TryWriteName(domain.Wire, compress: false);
        writer.TryWriteUInt16((ushort)DnsRecordType.NS);
        writer.TryWriteUInt16((ushort)DnsClass.IN);
        return writer.Position;
    }

    /// <summary>
    /// Decides whether <paramref name="reply"/> answers <paramref name="query"/>: QR set, same ID, opcode QUERY, one
    /// question with the same name (case aside), type and class. Only then is the whole reply parsed.
    /// </summary>
    public static ReplyMatch Check(ReadOnlySpan<byte> query, ReadOnlySpan<byte> reply, out DnsMessage? message)
    {
        message = null;
        var replyReader = new DnsMessageReader(reply);
        if (!replyReader.TryReadHeader(out var header) || !header.IsResponse || header.Id != GetId(query) ||
            header.OpCode != DnsOpCode.Query || header.QuestionCount != 1)
        {
            return ReplyMatch.Mismatch;
        }

        Span<byte> replyName = stackalloc byte[WireName.MaxLength];
        if (!replyReader.TryReadQuestion(replyName, out var replyNameLength, out var replyType, out var replyClass))
        {
            return ReplyMatch.Mismatch;
        }

        var queryReader = new DnsMessageReader(query);
        Span<byte> queryName = stackalloc byte[WireName.MaxLength];
        if (!queryReader.TryReadHeader(out _) || !queryReader.TryReadQuestion(queryName, out var queryNameLength, out var queryType, out var queryClass))
        {
            return ReplyMatch.Mismatch;
        }

        if (replyType != queryType || replyClass != queryClass ||
            !WireName.EqualsIgnoreCase(replyName[..replyNameLength], queryName[..queryNameLength]))
        {
            return ReplyMatch.Mismatch;
        }

        return DnsMessage.TryParse(reply, out message, out _) ? ReplyMatch.Match : ReplyMatch.Malformed;
    }
}
