namespace MeshDns.Protocol.Tests.Support;

/// <summary>
/// Walks a message with the raw <see cref="DnsMessageReader"/> only (no object model): header, questions, then every
/// record's header and RDATA skipped by RDLENGTH. Returns the reader's error, or None when the whole span was read.
/// </summary>
internal static class ReaderWalk
{
    public static DnsParseError Walk(ReadOnlySpan<byte> wire)
    {
        var reader = new DnsMessageReader(wire);
        if (!reader.TryReadHeader(out var header))
        {
            return reader.Error;
        }

        Span<byte> name = stackalloc byte[WireName.MaxLength];
        for (var i = 0; i < header.QuestionCount; i++)
        {
            if (!reader.TryReadQuestion(name, out var length, out _, out _))
            {
                return reader.Error;
            }

            if (!WireName.IsValid(name[..length]))
            {
                throw new InvalidOperationException("the reader returned a malformed name");
            }
        }

        var records = header.AnswerCount + header.AuthorityCount + header.AdditionalCount;
        for (var i = 0; i < records; i++)
        {
            if (!reader.TryReadRecordHeader(name, out var length, out var record))
            {
                return reader.Error;
            }

            if (!WireName.IsValid(name[..length]) || record.RDataOffset != reader.Position || record.RDataLength > reader.Remaining)
            {
                throw new InvalidOperationException("the reader returned an inconsistent record header");
            }

            if (!reader.TryReadBytes(record.RDataLength, out _))
            {
                return reader.Error;
            }
        }

        return reader.Remaining == 0 ? DnsParseError.None : DnsParseError.TrailingData;
    }
}
