using MeshDns.Protocol;

namespace MeshDns.Server;

/// <summary>Turns a context's response into wire bytes, sized for the client.</summary>
public static class ResponseEncoder
{
    /// <summary>UDP responses never exceed this without EDNS (RFC 1035 4.2.1).</summary>
    public const int ClassicUdpSize = 512;

    /// <summary>The largest UDP payload MeshDns sends by default: the DNS flag day 2020 value that avoids IP fragmentation.</summary>
    public const int DefaultMaxUdpSize = 1232;

    /// <summary>The size budget for this request: 65535 on streams; on UDP 512, or the client's EDNS size capped at <paramref name="maxUdpSize"/>.</summary>
    public static int SizeLimit(DnsRequestContext context, int maxUdpSize)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Transport != DnsTransport.Udp)
        {
            return ushort.MaxValue;
        }

        return context.HasEdns ? Math.Clamp(context.EdnsUdpSize, ClassicUdpSize, Math.Max(maxUdpSize, ClassicUdpSize)) : ClassicUdpSize;
    }

    /// <summary>
    /// Encodes <see cref="DnsRequestContext.Response"/>: the client's own question (its spelling), the plugin's sections
    /// truncated at RRset boundaries with TC, and an OPT record when the request had one. Returns the length.
    /// </summary>
    public static int Encode(DnsRequestContext context, Span<byte> destination, int maxSize, ushort advertisedUdpSize, uint ttlDecrease = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        Edns? edns = null;
        if (context.HasEdns)
        {
            // Like CoreDNS's SizeAndDo: version 0, our size, the client's DO bit; options the plugin set (EDE) stay.
            edns = response.EnableEdns();
            edns.Version = 0;
            edns.UdpPayloadSize = advertisedUdpSize;
            edns.DnssecOk = context.DnssecOk;
            edns.Z = 0;
        }
        else
        {
            response.Edns = null;
        }

        var rcode = response.ResponseCode;
        if ((ushort)rcode > 15 && edns is null)
        {
            rcode = DnsResponseCode.ServFail; // an extended rcode cannot travel without OPT
        }

        Span<ushort> compression = stackalloc ushort[DnsMessageEncoder.DefaultCompressionEntries];
        var writer = new DnsMessageWriter(destination, compression);
        var limit = Math.Min(destination.Length, maxSize);
        writer.Limit = limit - (edns?.WireSize ?? 0);
        var header = new DnsHeader
        {
            Id = context.Id,
            Flags = (response.Flags | DnsHeaderFlags.QR) & ~DnsHeaderFlags.TC,
            OpCode = context.OpCode,
            Rcode = (byte)((ushort)rcode & 0xF),
        };
        writer.TryWriteHeader(header);
        ushort questions = 0;
        if (context.OriginalQuestionName.Length > 0)
        {
            if (!writer.TryWriteName(context.OriginalQuestionName) ||
                !writer.TryWriteUInt16((ushort)context.OriginalQuestionType) ||
                !writer.TryWriteUInt16((ushort)context.QuestionClass))
            {
                return EncodeError(context, DnsResponseCode.ServFail, destination, includeQuestion: false);
            }

            questions = 1;
        }

        var counts = DnsMessageEncoder.WriteSections(ref writer, response.Answers, response.Authorities, response.Additionals, ttlDecrease);
        writer.Limit = limit;
        var additionals = counts.Additionals;
        if (edns is not null && edns.TryWrite(ref writer, rcode))
        {
            additionals++;
        }

        writer.PatchCounts(questions, counts.Answers, counts.Authorities, additionals);
        if (counts.Truncated || response.Truncated)
        {
            writer.PatchFlagsWord((header with { Flags = header.Flags | DnsHeaderFlags.TC }).FlagsWord);
        }

        return writer.Position;
    }

    /// <summary>
    /// An answer with only a header (and the question when it was readable): what the server sends for FORMERR,
    /// NOTIMP, REFUSED and for SERVFAIL when a plugin failed without writing.
    /// </summary>
    public static int EncodeError(DnsRequestContext context, DnsResponseCode rcode, Span<byte> destination, bool includeQuestion)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        response.Answers.Clear();
        response.Authorities.Clear();
        response.Additionals.Clear();
        response.ResponseCode = rcode;
        response.Flags = DnsHeaderFlags.QR | (context.RequestFlags & (DnsHeaderFlags.RD | DnsHeaderFlags.CD));
        Span<ushort> compression = stackalloc ushort[4];
        var writer = new DnsMessageWriter(destination, compression);
        var withEdns = context.HasEdns && rcode == DnsResponseCode.BadVers;
        Edns? edns = null;
        if (withEdns)
        {
            edns = response.EnableEdns();
            edns.Version = 0;
            edns.UdpPayloadSize = DefaultMaxUdpSize;
            edns.DnssecOk = context.DnssecOk;
        }

        writer.TryWriteHeader(new DnsHeader
        {
            Id = context.Id,
            Flags = response.Flags,
            OpCode = context.OpCode,
            Rcode = (byte)((ushort)rcode & 0xF),
        });
        ushort questions = 0;
        if (includeQuestion && context.OriginalQuestionName.Length > 0 &&
            writer.TryWriteName(context.OriginalQuestionName) &&
            writer.TryWriteUInt16((ushort)context.OriginalQuestionType) &&
            writer.TryWriteUInt16((ushort)context.QuestionClass))
        {
            questions = 1;
        }

        ushort additionals = 0;
        if (edns is not null && edns.TryWrite(ref writer, rcode))
        {
            additionals = 1;
        }

        writer.PatchCounts(questions, 0, 0, additionals);
        return writer.Position;
    }
}
