using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace MeshDns.Protocol;

/// <summary>One question (RFC 1035 4.1.2).</summary>
public sealed record DnsQuestion(DnsName Name, DnsRecordType Type, DnsClass Class = DnsClass.IN)
{
    public override string ToString() => $"{Name} {DnsTypeNames.ClassToString(Class)} {DnsTypeNames.TypeToString(Type)}";
}

/// <summary>
/// A whole DNS message as objects. Used where convenience beats speed (forwarding, tests, tools) and, pooled
/// and cleared between uses, as the response a plugin fills in.
/// </summary>
public sealed class DnsMessage
{
    private Edns? _cachedEdns;

    public ushort Id { get; set; }

    /// <summary>Single-bit flags (QR, AA, TC, RD, RA, AD, CD).</summary>
    public DnsHeaderFlags Flags { get; set; }

    public DnsOpCode OpCode { get; set; }

    /// <summary>The full rcode; values above 15 need <see cref="Edns"/>.</summary>
    public DnsResponseCode ResponseCode { get; set; }

    public List<DnsQuestion> Questions { get; } = [];

    public List<ResourceRecord> Answers { get; } = [];

    public List<ResourceRecord> Authorities { get; } = [];

    /// <summary>Additional records, OPT excluded (see <see cref="Edns"/>).</summary>
    public List<ResourceRecord> Additionals { get; } = [];

    /// <summary>The OPT record, or null when the message has none.</summary>
    public Edns? Edns { get; set; }

    public bool IsResponse
    {
        get => (Flags & DnsHeaderFlags.QR) != 0;
        set => SetFlag(DnsHeaderFlags.QR, value);
    }

    public bool Authoritative
    {
        get => (Flags & DnsHeaderFlags.AA) != 0;
        set => SetFlag(DnsHeaderFlags.AA, value);
    }

    public bool Truncated
    {
        get => (Flags & DnsHeaderFlags.TC) != 0;
        set => SetFlag(DnsHeaderFlags.TC, value);
    }

    public bool RecursionDesired
    {
        get => (Flags & DnsHeaderFlags.RD) != 0;
        set => SetFlag(DnsHeaderFlags.RD, value);
    }

    public bool RecursionAvailable
    {
        get => (Flags & DnsHeaderFlags.RA) != 0;
        set => SetFlag(DnsHeaderFlags.RA, value);
    }

    public void SetFlag(DnsHeaderFlags flag, bool value) => Flags = value ? Flags | flag : Flags & ~flag;

    /// <summary>Gives the message an OPT record, reusing the one it had before <see cref="Clear"/>.</summary>
    public Edns EnableEdns()
    {
        if (Edns is null)
        {
            _cachedEdns ??= new Edns();
            _cachedEdns.Clear();
            Edns = _cachedEdns;
        }

        return Edns;
    }

    /// <summary>Empties the message for reuse without giving back list capacity.</summary>
    public void Clear()
    {
        Id = 0;
        Flags = DnsHeaderFlags.None;
        OpCode = DnsOpCode.Query;
        ResponseCode = DnsResponseCode.NoError;
        Questions.Clear();
        Answers.Clear();
        Authorities.Clear();
        Additionals.Clear();
        Edns = null;
    }

    /// <summary>A query for one name.</summary>
    public static DnsMessage CreateQuery(DnsName name, DnsRecordType type, ushort id = 0, bool recursionDesired = true, DnsClass @class = DnsClass.IN)
    {
        var message = new DnsMessage { Id = id, RecursionDesired = recursionDesired };
        message.Questions.Add(new DnsQuestion(name, type, @class));
        return message;
    }

    /// <summary>An empty response to <paramref name="query"/>: same ID, opcode, question, RD and CD.</summary>
    public static DnsMessage CreateResponse(DnsMessage query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var response = new DnsMessage
        {
            Id = query.Id,
            OpCode = query.OpCode,
            Flags = DnsHeaderFlags.QR | (query.Flags & (DnsHeaderFlags.RD | DnsHeaderFlags.CD)),
        };
        response.Questions.AddRange(query.Questions);
        return response;
    }

    /// <summary>Parses a whole message. Never throws on bad input.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, [NotNullWhen(true)] out DnsMessage? message, out DnsParseError error)
    {
        message = null;
        var reader = new DnsMessageReader(data);
        if (!reader.TryReadHeader(out var header))
        {
            error = reader.Error;
            return false;
        }

        var result = new DnsMessage
        {
            Id = header.Id,
            Flags = header.Flags,
            OpCode = header.OpCode,
            ResponseCode = (DnsResponseCode)header.Rcode,
        };
        Span<byte> name = stackalloc byte[WireName.MaxLength];
        for (var i = 0; i < header.QuestionCount; i++)
        {
            if (!reader.TryReadQuestion(name, out var length, out var type, out var @class))
            {
                error = reader.Error;
                return false;
            }

            result.Questions.Add(new DnsQuestion(DnsName.FromWire(name[..length]), type, @class));
        }

        if (!TryReadSection(ref reader, header.AnswerCount, result.Answers, null, out error) ||
            !TryReadSection(ref reader, header.AuthorityCount, result.Authorities, null, out error) ||
            !TryReadSection(ref reader, header.AdditionalCount, result.Additionals, result, out error))
        {
            return false;
        }

        if (reader.Remaining != 0)
        {
            error = DnsParseError.TrailingData;
            return false;
        }

        if (result.Edns is not null)
        {
            result.ResponseCode = (DnsResponseCode)(((ushort)result.Edns.ExtendedRcode << 4) | header.Rcode);
        }

        message = result;
        error = DnsParseError.None;
        return true;
    }

    private static bool TryReadSection(ref DnsMessageReader reader, int count, List<ResourceRecord> into, DnsMessage? optOwner, out DnsParseError error)
    {
        Span<byte> name = stackalloc byte[WireName.MaxLength];
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryReadRecordHeader(name, out var length, out var header))
            {
                error = reader.Error;
                return false;
            }

            if (header.Type == DnsRecordType.OPT)
            {
                // RFC 6891 6.1.1: one OPT at most, in the additional section, owned by the root.
                if (optOwner is null || optOwner.Edns is not null || length != 1)
                {
                    error = DnsParseError.BadOpt;
                    return false;
                }

                var edns = new Edns();
                if (!Edns.TryRead(header, reader.Message.Slice(header.RDataOffset, header.RDataLength), edns))
                {
                    error = DnsParseError.BadOpt;
                    return false;
                }

                optOwner.Edns = edns;
                reader.Position = header.RDataOffset + header.RDataLength;
                continue;
            }

            if (!ResourceRecord.TryReadRData(ref reader, DnsName.FromWire(name[..length]), header, out var record))
            {
                error = reader.Error == DnsParseError.None ? DnsParseError.BadRData : reader.Error;
                return false;
            }

            into.Add(record!);
        }

        error = DnsParseError.None;
        return true;
    }

    /// <summary>
    /// Writes the message into <paramref name="destination"/>, no longer than <paramref name="maxSize"/>. RRsets that
    /// do not fit are left out whole and TC is set as RFC 2181 9 says. Returns the length, or -1 when even the
    /// header and question do not fit.
    /// </summary>
    public int Encode(Span<byte> destination, int maxSize = ushort.MaxValue, uint ttlDecrease = 0)
    {
        Span<ushort> compression = stackalloc ushort[DnsMessageEncoder.DefaultCompressionEntries];
        var writer = new DnsMessageWriter(destination, compression);
        var limit = Math.Min(destination.Length, maxSize);
        var optSize = Edns?.WireSize ?? 0;
        writer.Limit = Math.Max(0, limit - optSize); // below zero nothing fits: the header write fails and we return -1
        var header = new DnsHeader
        {
            Id = Id,
            Flags = Flags & ~DnsHeaderFlags.TC,
            OpCode = OpCode,
            Rcode = (byte)((ushort)ResponseCode & 0xF),
        };
        if (!writer.TryWriteHeader(header))
        {
            return -1;
        }

        foreach (var question in Questions)
        {
            if (!writer.TryWriteName(question.Name.Wire) || !writer.TryWriteUInt16((ushort)question.Type) || !writer.TryWriteUInt16((ushort)question.Class))
            {
                return -1;
            }
        }

        var counts = DnsMessageEncoder.WriteSections(ref writer, Answers, Authorities, Additionals, ttlDecrease);
        writer.Limit = limit;
        var additionals = counts.Additionals;
        if (Edns is not null && Edns.TryWrite(ref writer, ResponseCode))
        {
            additionals++;
        }

        writer.PatchCounts((ushort)Questions.Count, counts.Answers, counts.Authorities, additionals);
        if (counts.Truncated || Truncated)
        {
            writer.PatchFlagsWord((header with { Flags = header.Flags | DnsHeaderFlags.TC }).FlagsWord);
        }

        return writer.Position;
    }

    /// <summary>Encodes into a new array (tests, tools, forwarding).</summary>
    public byte[] ToArray(int maxSize = ushort.MaxValue)
    {
        var buffer = new byte[Math.Min(maxSize, ushort.MaxValue)];
        var length = Encode(buffer, maxSize);
        if (length < 0)
        {
            throw new InvalidOperationException("the message header and question do not fit in " + maxSize.ToString(CultureInfo.InvariantCulture) + " bytes");
        }

        return buffer[..length];
    }

    /// <summary>A dig-like rendering for logs and test failures.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $";; opcode: {DnsTypeNames.OpCodeToString(OpCode)}, status: {DnsTypeNames.RcodeToString(ResponseCode)}, id: {Id}\n");
        builder.Append(";; flags:");
        foreach (var (flag, text) in FlagNames)
        {
            if ((Flags & flag) != 0)
            {
                builder.Append(' ').Append(text);
            }
        }

        builder.Append(CultureInfo.InvariantCulture, $"; QUERY: {Questions.Count}, ANSWER: {Answers.Count}, AUTHORITY: {Authorities.Count}, ADDITIONAL: {Additionals.Count + (Edns is null ? 0 : 1)}\n");
        if (Edns is not null)
        {
            builder.Append(CultureInfo.InvariantCulture, $";; OPT: version {Edns.Version}, udp {Edns.UdpPayloadSize}{(Edns.DnssecOk ? ", do" : string.Empty)}, options {Edns.Options.Count}\n");
        }

        foreach (var question in Questions)
        {
            builder.Append(";QUESTION: ").Append(question).Append('\n');
        }

        AppendSection(builder, "ANSWER", Answers);
        AppendSection(builder, "AUTHORITY", Authorities);
        AppendSection(builder, "ADDITIONAL", Additionals);
        return builder.ToString();
    }

    private static readonly ImmutableArray<(DnsHeaderFlags Flag, string Text)> FlagNames =
    [
        (DnsHeaderFlags.QR, "qr"), (DnsHeaderFlags.AA, "aa"), (DnsHeaderFlags.TC, "tc"), (DnsHeaderFlags.RD, "rd"),
        (DnsHeaderFlags.RA, "ra"), (DnsHeaderFlags.AD, "ad"), (DnsHeaderFlags.CD, "cd"),
    ];

    private static void AppendSection(StringBuilder builder, string title, List<ResourceRecord> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        builder.Append(";; ").Append(title).Append(" SECTION:\n");
        foreach (var record in records)
        {
            builder.Append(record).Append('\n');
        }
    }
}
