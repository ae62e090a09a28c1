using System.Text;

namespace MeshDns.Protocol.Tests.Support;

/// <summary>
/// Structural equality of two <see cref="DnsMessage"/> objects, field by field, with a description of the first
/// difference. Names compare case-insensitively (compression may echo an earlier spelling, RFC 4343), except the
/// first question's name, which is the first name on the wire and so must keep its spelling exactly.
/// Records are compared with <see cref="ResourceRecord.Equals(ResourceRecord)"/> and, as a second opinion that does
/// not trust the record classes' own equality, by their presentation text.
/// </summary>
internal static class MessageEquality
{
    /// <summary>Null when the messages are equal, else what differs.</summary>
    /// <param name="expected">The message the other should equal.</param>
    /// <param name="actual">The message under test.</param>
    /// <param name="comparePresentation">Also compare records' presentation text (slow; the fuzz test checks octets instead).</param>
    public static string? Difference(DnsMessage expected, DnsMessage actual, bool comparePresentation = true)
    {
        if (expected.Id != actual.Id)
        {
            return $"id {expected.Id} != {actual.Id}";
        }

        if (expected.Flags != actual.Flags)
        {
            return $"flags {expected.Flags} != {actual.Flags}";
        }

        if (expected.OpCode != actual.OpCode)
        {
            return $"opcode {expected.OpCode} != {actual.OpCode}";
        }

        if (expected.ResponseCode != actual.ResponseCode)
        {
            return $"rcode {expected.ResponseCode} != {actual.ResponseCode}";
        }

        if (expected.Questions.Count != actual.Questions.Count)
        {
            return $"question count {expected.Questions.Count} != {actual.Questions.Count}";
        }

        for (var i = 0; i < expected.Questions.Count; i++)
        {
            if (!expected.Questions[i].Equals(actual.Questions[i]) || (i == 0 && !expected.Questions[i].Name.EqualsExact(actual.Questions[i].Name)))
            {
                return $"question {i}: {expected.Questions[i]} != {actual.Questions[i]}";
            }
        }

        return SectionDifference("answer", expected.Answers, actual.Answers, comparePresentation)
            ?? SectionDifference("authority", expected.Authorities, actual.Authorities, comparePresentation)
            ?? SectionDifference("additional", expected.Additionals, actual.Additionals, comparePresentation)
            ?? EdnsDifference(expected.Edns, actual.Edns);
    }

    public static bool RecordsEqual(ResourceRecord expected, ResourceRecord actual, bool comparePresentation = true) =>
        expected.Equals(actual) &&
        actual.Equals(expected) &&
        expected.GetHashCode() == actual.GetHashCode() &&
        (!comparePresentation || string.Equals(expected.ToString(), actual.ToString(), StringComparison.OrdinalIgnoreCase));

    private static string? SectionDifference(string section, List<ResourceRecord> expected, List<ResourceRecord> actual, bool comparePresentation)
    {
        if (expected.Count != actual.Count)
        {
            return $"{section} count {expected.Count} != {actual.Count}";
        }

        for (var i = 0; i < expected.Count; i++)
        {
            if (!RecordsEqual(expected[i], actual[i], comparePresentation))
            {
                return $"{section} {i}: {expected[i]} != {actual[i]}";
            }
        }

        return null;
    }

    private static string? EdnsDifference(Edns? expected, Edns? actual)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null ? null : $"OPT present {expected is not null} != {actual is not null}";
        }

        if (expected.UdpPayloadSize != actual.UdpPayloadSize || expected.Version != actual.Version ||
            expected.DnssecOk != actual.DnssecOk || expected.Z != actual.Z)
        {
            return $"OPT udp/version/do/z {expected.UdpPayloadSize}/{expected.Version}/{expected.DnssecOk}/{expected.Z} != " +
                $"{actual.UdpPayloadSize}/{actual.Version}/{actual.DnssecOk}/{actual.Z}";
        }

        if (expected.Options.Count != actual.Options.Count)
        {
            return $"OPT option count {expected.Options.Count} != {actual.Options.Count}";
        }

        for (var i = 0; i < expected.Options.Count; i++)
        {
            var e = expected.Options[i];
            var a = actual.Options[i];
            if (e.Code != a.Code || !e.Data.Span.SequenceEqual(a.Data.Span))
            {
                return $"OPT option {i}: {e.Code}:{Hex.Of(e.Data.Span)} != {a.Code}:{Hex.Of(a.Data.Span)}";
            }
        }

        return null;
    }
}

internal static class MessageAssert
{
    public static void Equal(DnsMessage expected, DnsMessage actual)
    {
        var difference = MessageEquality.Difference(expected, actual);
        if (difference is not null)
        {
            Assert.Fail(new StringBuilder()
                .AppendLine(difference)
                .AppendLine("expected:").AppendLine(expected.ToString())
                .AppendLine("actual:").AppendLine(actual.ToString())
                .ToString());
        }
    }

    /// <summary>Parses <paramref name="wire"/> and fails with the reader's error when it does not parse.</summary>
    public static DnsMessage Parses(ReadOnlySpan<byte> wire)
    {
        Assert.True(DnsMessage.TryParse(wire, out var message, out var error), $"parse failed with {error}: {Hex.Of(wire)}");
        Assert.Equal(DnsParseError.None, error);
        return message;
    }

    /// <summary>Asserts that <paramref name="wire"/> is rejected with <paramref name="expected"/>.</summary>
    public static void Rejects(ReadOnlySpan<byte> wire, DnsParseError expected)
    {
        var parsed = DnsMessage.TryParse(wire, out var message, out var error);
        Assert.False(parsed, $"expected {expected} but parsed: {message}");
        Assert.Null(message);
        Assert.Equal(expected, error);
    }

    public static void BytesEqual(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        if (!expected.SequenceEqual(actual))
        {
            var firstDifference = 0;
            while (firstDifference < expected.Length && firstDifference < actual.Length && expected[firstDifference] == actual[firstDifference])
            {
                firstDifference++;
            }

            Assert.Fail($"bytes differ at offset {firstDifference} (lengths {expected.Length} and {actual.Length})\nexpected {Hex.Of(expected)}\nactual   {Hex.Of(actual)}");
        }
    }
}
