using MeshDns.Protocol;

namespace MeshDns.Server.Tests.Pipeline;

public sealed class ZoneRouterTests
{
    private static ZoneRouter Router(params string[] zones) =>
        new(zones.Select(z => new ServerBlockRuntime(z, [DnsName.Parse(z)], new ChainTerminator(), [])));

    [Theory]
    [InlineData("www.example.org.", "example.org.")]
    [InlineData("a.sub.example.org.", "sub.example.org.")]
    [InlineData("sub.example.org.", "sub.example.org.")]
    [InlineData("other.net.", ".")]
    public void Route_LongestSuffixWins(string name, string expected)
    {
        var router = Router("example.org.", "sub.example.org.", ".");
        var lower = new byte[255];
        var length = WireName.ToLower(DnsName.Parse(name).Wire, lower);
        var block = router.Route(lower.AsSpan(0, length), DnsRecordType.A, out var zone);
        Assert.NotNull(block);
        Assert.Equal(expected, zone);
    }

    [Fact]
    public void Route_NoMatchAndNoRoot_IsNull()
    {
        var router = Router("example.org.");
        Assert.Null(router.Route(DnsName.Parse("example.net.").Wire, DnsRecordType.A, out _));
    }

    [Fact]
    public void Route_NameWithHighBytes_RoutesWithoutReadingPastTheName()
    {
        // Regression (pipeline fuzzer): www.exam\xC1\xFFe.org. must route like any other name under org.
        byte[] name = [3, (byte)'w', (byte)'w', (byte)'w', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', 0xC1, 0xFF, (byte)'e', 3, (byte)'o', (byte)'r', (byte)'g', 0];
        var router = Router("org.");
        Assert.NotNull(router.Route(name, DnsRecordType.A, out var zone));
        Assert.Equal("org.", zone);
    }
}
