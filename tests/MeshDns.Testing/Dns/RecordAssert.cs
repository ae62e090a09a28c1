using MeshDns.Protocol;
using Xunit;

namespace MeshDns.Testing.Dns;

/// <summary>Assertions on record sections written in presentation format, as CoreDNS's test tables do.</summary>
public static class RecordAssert
{
    /// <summary>The section holds exactly these records (order ignored; TTLs compared).</summary>
    public static void Section(IEnumerable<ResourceRecord> actual, params string[] expected)
    {
        var want = expected.Select(ResourceRecord.Parse).Select(Normalize).OrderBy(s => s, StringComparer.Ordinal).ToArray();
        var got = actual.Select(Normalize).OrderBy(s => s, StringComparer.Ordinal).ToArray();
        Assert.True(want.SequenceEqual(got), $"expected:\n  {string.Join("\n  ", want)}\nactual:\n  {string.Join("\n  ", got)}");
    }

    /// <summary>The section holds exactly these records in this order.</summary>
    public static void SectionInOrder(IEnumerable<ResourceRecord> actual, params string[] expected)
    {
        var want = expected.Select(ResourceRecord.Parse).Select(Normalize).ToArray();
        var got = actual.Select(Normalize).ToArray();
        Assert.True(want.SequenceEqual(got), $"expected (in order):\n  {string.Join("\n  ", want)}\nactual:\n  {string.Join("\n  ", got)}");
    }

    /// <summary>Compares a whole response: rcode, and each section.</summary>
    public static void Response(DnsMessage message, DnsResponseCode rcode, string[] answer, string[]? authority = null, string[]? additional = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        Assert.True(rcode == message.ResponseCode, $"expected {DnsTypeNames.RcodeToString(rcode)}, got {DnsTypeNames.RcodeToString(message.ResponseCode)}\n{message}");
        Section(message.Answers, answer);
        if (authority is not null)
        {
            Section(message.Authorities, authority);
        }

        if (additional is not null)
        {
            Section(message.Additionals, additional);
        }
    }

    // Lower-case owner and RDATA names: DNS compares names without case, and tables are written in lower case.
    private static string Normalize(ResourceRecord record) => record.ToString().ToLowerInvariant();
}
