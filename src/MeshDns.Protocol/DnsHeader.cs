using System.Buffers.Binary;

namespace MeshDns.Protocol;

/// <summary>
/// The fixed 12-octet message header (RFC 1035 4.1.1).
/// <code>
///                                 1  1  1  1  1  1
///   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                      ID                       |
/// |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
/// |                    QDCOUNT                    |
/// |                    ANCOUNT                    |
/// |                    NSCOUNT                    |
/// |                    ARCOUNT                    |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// </summary>
public readonly record struct DnsHeader
{
    public const int Size = 12;

    public ushort Id { get; init; }

    /// <summary>The single-bit flags; opcode and rcode live in their own properties.</summary>
    public DnsHeaderFlags Flags { get; init; }

    public DnsOpCode OpCode { get; init; }

    /// <summary>The low four bits of the RCODE as carried in the header.</summary>
    public byte Rcode { get; init; }

    public ushort QuestionCount { get; init; }

    public ushort AnswerCount { get; init; }

    public ushort AuthorityCount { get; init; }

    public ushort AdditionalCount { get; init; }

    public bool IsResponse => (Flags & DnsHeaderFlags.QR) != 0;

    public bool HasFlag(DnsHeaderFlags flag) => (Flags & flag) == flag;

    /// <summary>The second 16-bit word: flags, opcode and rcode together.</summary>
    public ushort FlagsWord => (ushort)(((ushort)Flags & 0x87F0) | (((int)OpCode & 0xF) << 11) | (Rcode & 0xF));

    public static bool TryRead(ReadOnlySpan<byte> message, out DnsHeader header)
    {
        if (message.Length < Size)
        {
            header = default;
            return false;
        }

        var word = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        header = new DnsHeader
        {
            Id = BinaryPrimitives.ReadUInt16BigEndian(message),
            Flags = (DnsHeaderFlags)(word & 0x87F0),
            OpCode = (DnsOpCode)((word >> 11) & 0xF),
            Rcode = (byte)(word & 0xF),
            QuestionCount = BinaryPrimitives.ReadUInt16BigEndian(message[4..]),
            AnswerCount = BinaryPrimitives.ReadUInt16BigEndian(message[6..]),
            AuthorityCount = BinaryPrimitives.ReadUInt16BigEndian(message[8..]),
            AdditionalCount = BinaryPrimitives.ReadUInt16BigEndian(message[10..]),
        };
        return true;
    }

    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, Id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], FlagsWord);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], QuestionCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], AnswerCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], AuthorityCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], AdditionalCount);
        return true;
    }
}
