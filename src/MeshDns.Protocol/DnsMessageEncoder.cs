namespace MeshDns.Protocol;

/// <summary>What <see cref="DnsMessageEncoder.WriteSections"/> managed to write.</summary>
public readonly record struct SectionCounts(ushort Answers, ushort Authorities, ushort Additionals, bool Truncated);

/// <summary>
/// Writes answer, authority and additional sections under a size limit, whole RRsets at a time.
/// </summary>
/// <remarks>
/// RFC 2181 9: a response that cannot hold an RRset of the answer or authority section is truncated (TC) and
/// carries no partial RRset; dropping additional data alone does not set TC. The OPT record is never dropped:
/// callers reserve its room by lowering <see cref="DnsMessageWriter.Limit"/> first.
/// </remarks>
public static class DnsMessageEncoder
{
    /// <summary>Compression-table entries that comfortably cover answers of a few dozen records.</summary>
    public const int DefaultCompressionEntries = 128;

    /// <summary>Writes the three sections, TTLs reduced by <paramref name="ttlDecrease"/> (never below 0).</summary>
    public static SectionCounts WriteSections(
        ref DnsMessageWriter writer,
        List<ResourceRecord> answers,
        List<ResourceRecord> authorities,
        List<ResourceRecord> additionals,
        uint ttlDecrease)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(authorities);
        ArgumentNullException.ThrowIfNull(additionals);
        var answerCount = WriteSection(ref writer, answers, ttlDecrease, out var complete);
        if (!complete)
        {
            return new SectionCounts(answerCount, 0, 0, Truncated: true);
        }

        var authorityCount = WriteSection(ref writer, authorities, ttlDecrease, out complete);
        if (!complete)
        {
            return new SectionCounts(answerCount, authorityCount, 0, Truncated: true);
        }

        var additionalCount = WriteSection(ref writer, additionals, ttlDecrease, out _);
        return new SectionCounts(answerCount, authorityCount, additionalCount, Truncated: false);
    }

    /// <summary>Writes records until one RRset does not fit; that RRset is removed again.</summary>
    private static ushort WriteSection(ref DnsMessageWriter writer, List<ResourceRecord> records, uint ttlDecrease, out bool complete)
    {
        var written = 0;
        var rrsetStart = writer.Save();
        var rrsetFirstIndex = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (i > 0 && !SameRRset(records[i - 1], record))
            {
                rrsetStart = writer.Save();
                rrsetFirstIndex = i;
            }

            var ttl = record.Ttl > ttlDecrease ? record.Ttl - ttlDecrease : 0;
            if (written >= ushort.MaxValue || !writer.TryWriteRecord(record, ttl))
            {
                writer.Restore(rrsetStart);
                complete = false;
                return (ushort)rrsetFirstIndex;
            }

            written++;
        }

        complete = true;
        return (ushort)written;
    }

    private static bool SameRRset(ResourceRecord a, ResourceRecord b) =>
        a.Type == b.Type && a.Class == b.Class && (ReferenceEquals(a.Name, b.Name) || a.Name.Equals(b.Name));
}
