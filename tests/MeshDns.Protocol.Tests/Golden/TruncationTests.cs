using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Golden;

/// <summary>
/// Every strict prefix of a valid message is a message cut short (a short UDP read, a partial TCP frame): the reader
/// must say so with <see cref="DnsParseError.Truncated"/> and never throw or read past the span.
/// </summary>
public sealed class TruncationTests
{
    [Theory]
    [MemberData(nameof(GoldenVectors.Names), MemberType = typeof(GoldenVectors))]
    public void TryParse_EveryStrictPrefix_FailsTruncated(string name)
    {
        var wire = GoldenVectors.Get(name).Wire;
        for (var length = 0; length < wire.Length; length++)
        {
            // A fresh array of exactly this length: reading past it would throw, not quietly see the rest.
            var prefix = wire.AsSpan(0, length).ToArray();

            var parsed = DnsMessage.TryParse(prefix, out var message, out var error);

            Assert.False(parsed, $"prefix of {length} octets parsed: {message}");
            Assert.True(error == DnsParseError.Truncated, $"prefix of {length} octets failed with {error}");
        }
    }

    [Theory]
    [MemberData(nameof(GoldenVectors.Names), MemberType = typeof(GoldenVectors))]
    public void ReaderWalk_EveryStrictPrefix_StopsWithTruncated(string name)
    {
        var wire = GoldenVectors.Get(name).Wire;
        for (var length = 0; length < wire.Length; length++)
        {
            var prefix = wire.AsSpan(0, length).ToArray();

            var error = ReaderWalk.Walk(prefix);

            Assert.True(error == DnsParseError.Truncated, $"prefix of {length} octets: {error}");
        }
    }

    [Theory]
    [MemberData(nameof(GoldenVectors.Names), MemberType = typeof(GoldenVectors))]
    public void ReaderWalk_WholeVector_Succeeds(string name)
    {
        Assert.Equal(DnsParseError.None, ReaderWalk.Walk(GoldenVectors.Get(name).Wire));
    }

    [Fact]
    public void TryParse_ElevenOctetHeader_FailsTruncated()
    {
        MessageAssert.Rejects(Hex.Bytes("1234 0100 0001 0000 0000 00"), DnsParseError.Truncated);
    }

    [Fact]
    public void TryParse_QuestionWithoutClass_FailsTruncated()
    {
        MessageAssert.Rejects(Hex.Bytes("1234 0100 0001 0000 0000 0000", "03'www' 00", "0001"), DnsParseError.Truncated);
    }

    [Fact]
    public void TryParse_QuestionCountPastEnd_FailsTruncated()
    {
        MessageAssert.Rejects(Hex.Bytes("1234 0100 0002 0000 0000 0000", "03'www' 00 0001 0001"), DnsParseError.Truncated);
    }
}
