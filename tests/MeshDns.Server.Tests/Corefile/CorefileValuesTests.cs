using MeshDns.Server.Corefile;

namespace MeshDns.Server.Tests.Corefile;

public sealed class CorefileValuesTests
{
    private const long Ns = 1;
    private const long Us = 1_000 * Ns;
    private const long Ms = 1_000 * Us;
    private const long S = 1_000 * Ms;
    private const long M = 60 * S;
    private const long H = 60 * M;

    // Go's own table (time/time_test.go), in nanoseconds.
    public static TheoryData<string, long> GoDurations => new()
    {
        { "0", 0 },
        { "5s", 5 * S },
        { "30s", 30 * S },
        { "1478s", 1478 * S },
        { "-5s", -5 * S },
        { "+5s", 5 * S },
        { "-0", 0 },
        { "+0", 0 },
        { "5.0s", 5 * S },
        { "5.6s", (5 * S) + (600 * Ms) },
        { "5.s", 5 * S },
        { ".5s", 500 * Ms },
        { "1.0s", 1 * S },
        { "1.00s", 1 * S },
        { "1.004s", (1 * S) + (4 * Ms) },
        { "1.0040s", (1 * S) + (4 * Ms) },
        { "100.00100s", (100 * S) + (1 * Ms) },
        { "10ns", 10 * Ns },
        { "11us", 11 * Us },
        { "12\u00b5s", 12 * Us },
        { "12\u03bcs", 12 * Us },
        { "13ms", 13 * Ms },
        { "14s", 14 * S },
        { "15m", 15 * M },
        { "16h", 16 * H },
        { "3h30m", (3 * H) + (30 * M) },
        { "10.5s4m", (4 * M) + (10 * S) + (500 * Ms) },
        { "-2m3.4s", -((2 * M) + (3 * S) + (400 * Ms)) },
        { "1h2m3s4ms5us6ns", (1 * H) + (2 * M) + (3 * S) + (4 * Ms) + (5 * Us) + (6 * Ns) },
        { "39h9m14.425s", (39 * H) + (9 * M) + (14 * S) + (425 * Ms) },
        { "52763797000ns", 52763797000 * Ns },
        { "0.3333333333333333333h", 20 * M },
        { "9007199254740993ns", (1L << 53) + 1 },
        { "9223372036854775807ns", long.MaxValue },
        { "9223372036854775.807us", long.MaxValue },
        { "9223372036s854ms775us807ns", long.MaxValue },
        { "-9223372036854775808ns", long.MinValue },
        { "-9223372036s854ms775us808ns", long.MinValue },
        { "-2562047h47m16.854775808s", long.MinValue },
        { "0.100000000000000000000h", 6 * M },
        { "0.830103483285477580700h", (49 * M) + (48 * S) + 372539827 },
        { "2h45m", (2 * H) + (45 * M) },
        { "1.5h", 90 * M },
        { "300ms", 300 * Ms },
    };

    [Theory]
    [MemberData(nameof(GoDurations))]
    public void TryParseDuration_GoSyntax_MatchesGo(string text, long nanoseconds)
    {
        Assert.True(CorefileValues.TryParseDuration(text, out var value, out var error), error);
        Assert.Null(error);
        Assert.Equal(TimeSpan.FromTicks(nanoseconds / 100), value);
    }

    [Theory]
    [InlineData("", "invalid duration \"\"")]
    [InlineData("3", "missing unit in duration \"3\"")]
    [InlineData("-", "invalid duration \"-\"")]
    [InlineData("s", "invalid duration \"s\"")]
    [InlineData(".", "invalid duration \".\"")]
    [InlineData("-.", "invalid duration \"-.\"")]
    [InlineData(".s", "invalid duration \".s\"")]
    [InlineData("+.s", "invalid duration \"+.s\"")]
    [InlineData("1d", "unknown unit \"d\" in duration \"1d\"")]
    [InlineData("5 s", "unknown unit \" s\" in duration \"5 s\"")]
    [InlineData("1S", "unknown unit \"S\" in duration \"1S\"")]
    [InlineData("1h-5m", "unknown unit \"h-\" in duration \"1h-5m\"")]
    [InlineData("\uFFFD", "invalid duration \"\uFFFD\"")]
    [InlineData("9223372036854775810ns", "invalid duration \"9223372036854775810ns\"")]
    [InlineData("9223372036854775808ns", "invalid duration \"9223372036854775808ns\"")]
    [InlineData("-9223372036854775809ns", "invalid duration \"-9223372036854775809ns\"")]
    [InlineData("9223372036854776us", "invalid duration \"9223372036854776us\"")]
    [InlineData("3000000h", "invalid duration \"3000000h\"")]
    [InlineData("9223372036854775.808us", "invalid duration \"9223372036854775.808us\"")]
    [InlineData("9223372036854ms775us808ns", "invalid duration \"9223372036854ms775us808ns\"")]
    public void TryParseDuration_Invalid_FailsWithGoLikeMessage(string text, string message)
    {
        Assert.False(CorefileValues.TryParseDuration(text, out var value, out var error));
        Assert.Equal(message, error);
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Theory]
    [InlineData("0", 0, 10, 0)]
    [InlineData("10", 0, 10, 10)]
    [InlineData("+7", 0, 10, 7)]
    [InlineData("-3", -5, 5, -3)]
    [InlineData("007", 0, 10, 7)]
    [InlineData("9223372036854775807", long.MinValue, long.MaxValue, long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue, long.MaxValue, long.MinValue)]
    public void TryParseInt_InRange_Parses(string text, long min, long max, long expected)
    {
        Assert.True(CorefileValues.TryParseInt(text, min, max, out var value, out var error), error);
        Assert.Equal(expected, value);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("", 0, 10, "invalid integer ''")]
    [InlineData("-", 0, 10, "invalid integer '-'")]
    [InlineData("1.5", 0, 10, "invalid integer '1.5'")]
    [InlineData("1_000", 0, 10000, "invalid integer '1_000'")]
    [InlineData(" 1", 0, 10, "invalid integer ' 1'")]
    [InlineData("0x10", 0, 100, "invalid integer '0x10'")]
    [InlineData("11", 0, 10, "value '11' is out of range [0, 10]")]
    [InlineData("-1", 0, 10, "value '-1' is out of range [0, 10]")]
    [InlineData("9223372036854775808", 0, long.MaxValue, "value '9223372036854775808' is out of range [0, 9223372036854775807]")]
    public void TryParseInt_Invalid_FailsWithMessage(string text, long min, long max, string message)
    {
        Assert.False(CorefileValues.TryParseInt(text, min, max, out var value, out var error));
        Assert.Equal(message, error);
        Assert.Equal(0, value);
    }

    // CoreDNS's TestHostNormalizeExact cases, plus the kubernetes-style forms plugins see.
    public static TheoryData<string[], string[]> ZoneCases => new()
    {
        { [".:53"], ["."] },
        { ["example.org:53"], ["example.org."] },
        { ["example.org.:53"], ["example.org."] },
        { ["Cluster.Local"], ["cluster.local."] },
        { ["dns://example.org"], ["example.org."] },
        { ["tls://example.org:853"], ["example.org."] },
        { ["10.0.0.0/8:53"], ["10.in-addr.arpa."] },
        { ["10.0.0.0/15"], ["0.10.in-addr.arpa.", "1.10.in-addr.arpa."] },
        { ["10.9.3.0/18"], Enumerable.Range(0, 64).Select(static i => $"{i}.9.10.in-addr.arpa.").ToArray() },
        {
            ["2001:db8::/29"],
            new[] { "8", "9", "a", "b", "c", "d", "e", "f" }.Select(static n => $"{n}.b.d.0.1.0.0.2.ip6.arpa.").ToArray()
        },
        { ["2001:db8::/30"], new[] { "8", "9", "a", "b" }.Select(static n => $"{n}.b.d.0.1.0.0.2.ip6.arpa.").ToArray() },
        {
            ["2001:db8::/115"],
            [
                "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
                "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            ]
        },
        {
            ["2001:db8::/113"],
            Enumerable.Range(0, 8).Select(static i => $"{i}.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.").ToArray()
        },
        { ["2001:db8::/112"], ["0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."] },
        { ["2001:db8::/108"], ["0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."] },
        {
            ["cluster.local", "10.0.0.0/24", "ip6.arpa"],
            ["cluster.local.", "0.0.10.in-addr.arpa.", "ip6.arpa."]
        },
        { [], [] },
    };

    [Theory]
    [MemberData(nameof(ZoneCases))]
    public void TryNormalizeZones_LikeCoreDnsNormalizeExact(string[] args, string[] expected)
    {
        Assert.True(CorefileValues.TryNormalizeZones(args, out var zones, out var error), error);
        Assert.Equal(expected, zones);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("::fFFF:B:F/115", "invalid CIDR ::fFFF:B:F/115")]
    [InlineData("example..org", "zone is not a valid domain name: example..org")]
    [InlineData("10.0.0.0/40", "invalid CIDR 10.0.0.0/40")]
    [InlineData("foo://example.org", "unsupported transport 'foo' in 'foo://example.org' (expecting dns, tls, https, grpc or quic)")]
    public void TryNormalizeZones_BadArgument_Fails(string arg, string message)
    {
        Assert.False(CorefileValues.TryNormalizeZones(["good.example", arg], out var zones, out var error));
        Assert.Equal(message, error);
        Assert.Empty(zones);
    }
}
