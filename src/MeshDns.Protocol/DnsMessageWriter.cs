using System.Buffers.Binary;

namespace MeshDns.Protocol;

/// <summary>
/// Writes a DNS message into a caller's buffer, compressing names (RFC 1035 4.1.4). Never allocates and
/// never throws for lack of room: every Try method returns false and leaves the message as it was before
/// the call when it does not fit under <see cref="Limit"/>, so callers can truncate at RRset boundaries.
/// </summary>
/// <remarks>
/// The compression table records the offsets where each label of each written name begins; a new name is
/// compressed against the longest suffix already written. Offsets past 0x3FFF cannot be pointed to and are not recorded.
/// </remarks>
public ref struct DnsMessageWriter
{
    private const int MaxPointerOffset = 0x3FFF;

    private readonly Span<byte> _buffer;
    private readonly Span<ushort> _compression;
    private int _position;
    private int _compressionCount;
    private int _limit;

    /// <param name="buffer">Where the message goes.</param>
    /// <param name="compressionTable">Scratch space for compression offsets; empty disables compression. 64 entries suit most answers.</param>
    public DnsMessageWriter(Span<byte> buffer, Span<ushort> compressionTable)
    {
        _buffer = buffer;
        _compression = compressionTable;
        _position = 0;
        _compressionCount = 0;
        _limit = buffer.Length;
    }

    /// <summary>Offset of the next octet to write; also the length of the message so far.</summary>
    public readonly int Position => _position;

    /// <summary>The message written so far.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._position];

    /// <summary>Writes must end at or before this offset. Lowered to keep room in reserve (the OPT record), raised to use it.</summary>
    public int Limit
    {
        readonly get => _limit;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _limit = Math.Min(value, _buffer.Length);
        }
    }

    /// <summary>A point to return to with <see cref="Restore"/>.</summary>
    public readonly Checkpoint Save() => new(_position, _compressionCount);

    /// <summary>Forgets everything written since <paramref name="checkpoint"/>, compression entries included.</summary>
    public void Restore(Checkpoint checkpoint)
    {
        _position = checkpoint.Position;
        _compressionCount = checkpoint.CompressionCount;
    }

    public bool TryWriteHeader(in DnsHeader header)
    {
        if (_position + DnsHeader.Size > _limit)
        {
            return false;
        }

        header.TryWrite(_buffer[_position..]);
        _position += DnsHeader.Size;
        return true;
    }

    /// <summary>Overwrites the four section counts of the header at offset 0.</summary>
    public readonly void PatchCounts(ushort questions, ushort answers, ushort authorities, ushort additionals)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[4..], questions);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[6..], answers);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[8..], authorities);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[10..], additionals);
    }

    /// <summary>Overwrites the flags/opcode/rcode word of the header at offset 0.</summary>
    public readonly void PatchFlagsWord(ushort word) => BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], word);

    public bool TryWriteUInt8(byte value)
    {
        if (_position + 1 > _limit)
        {
            return false;
        }

        _buffer[_position++] = value;
        return true;
    }

    public bool TryWriteUInt16(ushort value)
    {
        if (_position + 2 > _limit)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], value);
        _position += 2;
        return true;
    }

    public bool TryWriteUInt32(uint value)
    {
        if (_position + 4 > _limit)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(_buffer[_position..], value);
        _position += 4;
        return true;
    }

    public bool TryWriteBytes(ReadOnlySpan<byte> bytes)
    {
        if (_position + bytes.Length > _limit)
        {
            return false;
        }

        bytes.CopyTo(_buffer[_position..]);
        _position += bytes.Length;
        return true;
    }

    /// <summary>Writes a length-prefixed character-string (RFC 1035 3.3); at most 255 octets.</summary>
    public bool TryWriteCharacterString(ReadOnlySpan<byte> text)
    {
        if (text.Length > 255 || _position + 1 + text.Length > _limit)
        {
            return false;
        }

        _buffer[_position++] = (byte)text.Length;
        text.CopyTo(_buffer[_position..]);
        _position += text.Length;
        return true;
    }

    /// <summary>
    /// Writes an uncompressed wire name, pointing to an earlier copy of its longest suffix when
    /// <paramref name="compress"/> is set; either way its labels become targets for later names.
    /// </summary>
    public bool TryWriteName(ReadOnlySpan<byte> name, bool compress = true)
    {
        var start = Save();
        var suffixOffset = 0; // offset within `name` of the suffix being tried
        while (name[suffixOffset] != 0)
        {
            if (compress && TryFindSuffix(name[suffixOffset..], out var pointer))
            {
                return TryWriteLabels(name[..suffixOffset], start) && TryWritePointer(pointer, start);
            }

            suffixOffset += name[suffixOffset] + 1;
        }

        // No suffix was found: all labels plus the root.
        return TryWriteLabels(name[..suffixOffset], start) && TryWriteRootLabel(start);
    }

    /// <summary>Writes a record: owner (compressed), TYPE, CLASS, TTL, RDLENGTH and the record's RDATA.</summary>
    public bool TryWriteRecord(ResourceRecord record, uint ttl)
    {
        ArgumentNullException.ThrowIfNull(record);
        var start = Save();
        if (!TryWriteName(record.Name.Wire) ||
            !TryWriteUInt16((ushort)record.Type) ||
            !TryWriteUInt16((ushort)record.Class) ||
            !TryWriteUInt32(ttl) ||
            !TryWriteUInt16(0))
        {
            Restore(start);
            return false;
        }

        var rdataStart = _position;
        if (!record.TryWriteRData(ref this))
        {
            Restore(start);
            return false;
        }

        var rdLength = _position - rdataStart;
        if (rdLength > ushort.MaxValue)
        {
            Restore(start);
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(rdataStart - 2)..], (ushort)rdLength);
        return true;
    }

    private bool TryWriteLabels(ReadOnlySpan<byte> labels, Checkpoint start)
    {
        if (_position + labels.Length > _limit)
        {
            Restore(start);
            return false;
        }

        var offset = 0;
        while (offset < labels.Length)
        {
            Remember(_position + offset);
            offset += labels[offset] + 1;
        }

        labels.CopyTo(_buffer[_position..]);
        _position += labels.Length;
        return true;
    }

    private bool TryWritePointer(int target, Checkpoint start)
    {
        if (_position + 2 > _limit)
        {
            Restore(start);
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], (ushort)(0xC000 | target));
        _position += 2;
        return true;
    }

    private bool TryWriteRootLabel(Checkpoint start)
    {
        if (_position + 1 > _limit)
        {
            Restore(start);
            return false;
        }

        _buffer[_position++] = 0;
        return true;
    }

    private void Remember(int offset)
    {
        if (offset <= MaxPointerOffset && _compressionCount < _compression.Length)
        {
            _compression[_compressionCount++] = (ushort)offset;
        }
    }

    private readonly bool TryFindSuffix(ReadOnlySpan<byte> suffix, out int pointer)
    {
        for (var i = 0; i < _compressionCount; i++)
        {
            if (NameAtEquals(_compression[i], suffix))
            {
                pointer = _compression[i];
                return true;
            }
        }

        pointer = 0;
        return false;
    }

    // Compares the (possibly compressed) name written at `offset` with `suffix`, ignoring case.
    private readonly bool NameAtEquals(int offset, ReadOnlySpan<byte> suffix)
    {
        var cursor = offset;
        var position = 0;
        while (true)
        {
            var label = _buffer[cursor];
            if ((label & 0xC0) == 0xC0)
            {
                cursor = ((label & 0x3F) << 8) | _buffer[cursor + 1];
                continue;
            }

            if (label != suffix[position])
            {
                return false;
            }

            if (label == 0)
            {
                return true;
            }

            if (!WireName.EqualsIgnoreCase(_buffer.Slice(cursor + 1, label), suffix.Slice(position + 1, label)))
            {
                return false;
            }

            cursor += label + 1;
            position += label + 1;
        }
    }

    /// <summary>A saved writer position.</summary>
    public readonly record struct Checkpoint(int Position, int CompressionCount);
}
