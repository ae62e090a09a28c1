using System.Buffers.Binary;

namespace MeshDns.Protocol;

/// <summary>The fixed part of a resource record that follows its owner name (RFC 1035 4.1.3).</summary>
public readonly record struct DnsRecordHeader(DnsRecordType Type, DnsClass Class, uint Ttl, ushort RDataLength, int RDataOffset);

/// <summary>
/// A forward-only reader over one DNS message. It never throws on bad input and never allocates:
/// every method returns false and sets <see cref="Error"/> when the message breaks a rule.
/// </summary>
/// <remarks>
/// Names are decompressed into a caller's buffer. A compression pointer must point strictly before the
/// start of the name (or name fragment) being read, so every jump goes backwards and loops are impossible
/// by construction (RFC 1035 4.1.4 only allows pointers to prior occurrences).
/// </remarks>
public ref struct DnsMessageReader
{
    private readonly ReadOnlySpan<byte> _message;
    private int _position;

    public DnsMessageReader(ReadOnlySpan<byte> message)
    {
        _message = message;
        _position = 0;
        Error = DnsParseError.None;
    }

    /// <summary>The whole message.</summary>
    public readonly ReadOnlySpan<byte> Message => _message;

    /// <summary>Offset of the next octet to read.</summary>
    public int Position
    {
        readonly get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, _message.Length);
            _position = value;
        }
    }

    /// <summary>Octets left after <see cref="Position"/>.</summary>
    public readonly int Remaining => _message.Length - _position;

    /// <summary>Why the last failed call failed.</summary>
    public DnsParseError Error { get; private set; }

    public bool TryReadHeader(out DnsHeader header)
    {
        if (!DnsHeader.TryRead(_message[_position..], out header))
        {
            return Fail(DnsParseError.Truncated);
        }

        _position += DnsHeader.Size;
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return Fail(DnsParseError.Truncated);
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(_message[_position..]);
        _position += 2;
        return true;
    }

    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return Fail(DnsParseError.Truncated);
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(_message[_position..]);
        _position += 4;
        return true;
    }

    public bool TryReadBytes(int count, out ReadOnlySpan<byte> bytes)
    {
        if (count < 0 || Remaining < count)
        {
            bytes = default;
            return Fail(DnsParseError.Truncated);
        }

        bytes = _message.Slice(_position, count);
        _position += count;
        return true;
    }

    /// <summary>
    /// Reads a possibly compressed name at <see cref="Position"/> and writes it uncompressed, with the spelling
    /// of the message, into <paramref name="destination"/> (255 octets always suffice).
    /// </summary>
    public bool TryReadName(scoped Span<byte> destination, out int written)
    {
        written = 0;
        var cursor = _position;
        var segmentStart = _position; // pointers must land strictly before this
        var afterName = -1;           // where reading continues once the name is done
        var length = 0;
        while (true)
        {
            if (cursor >= _message.Length)
            {
                return Fail(DnsParseError.Truncated);
            }

            var labelLength = _message[cursor];
            switch (labelLength & 0xC0)
            {
                case 0x00:
                    if (length + labelLength + 1 > WireName.MaxLength)
                    {
                        return Fail(DnsParseError.NameTooLong);
                    }

                    if (cursor + 1 + labelLength > _message.Length)
                    {
                        return Fail(DnsParseError.Truncated);
                    }

                    if (length + labelLength + 1 > destination.Length)
                    {
                        return Fail(DnsParseError.NameTooLong);
                    }

                    _message.Slice(cursor, labelLength + 1).CopyTo(destination[length..]);
                    length += labelLength + 1;
                    cursor += labelLength + 1;
                    if (labelLength == 0)
                    {
                        _position = afterName >= 0 ? afterName : cursor;
                        written = length;
                        return true;
                    }

                    break;

                case 0xC0:
                    if (cursor + 1 >= _message.Length)
                    {
                        return Fail(DnsParseError.Truncated);
                    }

                    var target = ((labelLength & 0x3F) << 8) | _message[cursor + 1];
                    if (target >= segmentStart)
                    {
                        return Fail(DnsParseError.BadPointer);
                    }

                    if (afterName < 0)
                    {
                        afterName = cursor + 2;
                    }

                    segmentStart = target;
                    cursor = target;
                    break;

                default:
                    // 0x40 (extended label types, RFC 6891 deprecated them) and 0x80 are not usable.
                    return Fail(DnsParseError.BadLabel);
            }
        }
    }

    /// <summary>Advances past a name, validating it exactly as <see cref="TryReadName"/> does.</summary>
    public bool TrySkipName()
    {
        Span<byte> scratch = stackalloc byte[WireName.MaxLength];
        return TryReadName(scratch, out _);
    }

    /// <summary>Reads one question: name into <paramref name="nameDestination"/>, then QTYPE and QCLASS.</summary>
    public bool TryReadQuestion(scoped Span<byte> nameDestination, out int nameLength, out DnsRecordType type, out DnsClass @class)
    {
        type = default;
        @class = default;
        if (!TryReadName(nameDestination, out nameLength))
        {
            return false;
        }

        if (!TryReadUInt16(out var t) || !TryReadUInt16(out var c))
        {
            return false;
        }

        type = (DnsRecordType)t;
        @class = (DnsClass)c;
        return true;
    }

    /// <summary>Reads a record's owner name and fixed fields; <see cref="Position"/> is left at the start of RDATA.</summary>
    public bool TryReadRecordHeader(scoped Span<byte> nameDestination, out int nameLength, out DnsRecordHeader header)
    {
        header = default;
        if (!TryReadName(nameDestination, out nameLength))
        {
            return false;
        }

        if (Remaining < 10)
        {
            return Fail(DnsParseError.Truncated);
        }

        var fixedPart = _message.Slice(_position, 10);
        var rdLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[8..]);
        header = new DnsRecordHeader(
            (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(fixedPart),
            (DnsClass)BinaryPrimitives.ReadUInt16BigEndian(fixedPart[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(fixedPart[4..]),
            rdLength,
            _position + 10);
        _position += 10;
        if (Remaining < rdLength)
        {
            return Fail(DnsParseError.Truncated);
        }

        return true;
    }

    /// <summary>Skips a whole record (owner, fixed fields and RDATA).</summary>
    public bool TrySkipRecord()
    {
        Span<byte> scratch = stackalloc byte[WireName.MaxLength];
        if (!TryReadRecordHeader(scratch, out _, out var header))
        {
            return false;
        }

        _position += header.RDataLength;
        return true;
    }

    internal bool Fail(DnsParseError error)
    {
        Error = error;
        return false;
    }
}
