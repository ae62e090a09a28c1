namespace MeshDns.Protocol.Tests.Issues;

/// <summary>
/// Regression: labels may hold any octet (RFC 2181 11). System.Text.Ascii's case helpers stop at or reject bytes
/// above 0x7F, which left a lower-cased name half-written (found by the pipeline fuzzer, seed 133630490).
/// </summary>
public sealed class NonAsciiLabelTests
{
    // www.eXam\xC1\xFFe.org.
    private static readonly byte[] Mixed = [3, (byte)'w', (byte)'w', (byte)'w', 7, (byte)'e', (byte)'X', (byte)'a', (byte)'m', 0xC1, 0xFF, (byte)'e', 3, (byte)'o', (byte)'r', (byte)'g', 0];

    [Fact]
    public void ToLower_LabelWithHighBytes_LowersEveryAsciiLetterAndKeepsOtherBytes()
    {
        var lower = new byte[Mixed.Length];
        var written = WireName.ToLower(Mixed, lower);
        Assert.Equal(Mixed.Length, written);
        Assert.Equal((byte)'x', lower[6]);
        Assert.Equal(0xC1, lower[9]);
        Assert.Equal(0xFF, lower[10]);
        Assert.Equal(3, WireName.CountLabels(lower));
    }

    [Fact]
    public void EqualsIgnoreCase_SameHighBytesDifferentCase_AreEqual()
    {
        var upper = (byte[])Mixed.Clone();
        upper[1] = (byte)'W';
        Assert.True(WireName.EqualsIgnoreCase(Mixed, upper));
        Assert.Equal(WireName.GetHashCode(Mixed), WireName.GetHashCode(upper));
    }

    [Fact]
    public void EqualsIgnoreCase_HighBytesDifferingInBit0x20_AreNotEqual()
    {
        var other = (byte[])Mixed.Clone();
        other[9] = 0xE1; // 0xC1 | 0x20: not a letter, so not the same name
        Assert.False(WireName.EqualsIgnoreCase(Mixed, other));
    }

    [Fact]
    public void WriteName_CompressionAgainstHighByteName_RoundTrips()
    {
        var message = DnsMessage.CreateQuery(DnsName.FromWire(Mixed), DnsRecordType.A, 1);
        message.Answers.Add(new ARecord(DnsName.FromWire(Mixed), 5, System.Net.IPAddress.Loopback));
        var bytes = message.ToArray();
        Assert.True(DnsMessage.TryParse(bytes, out var parsed, out _));
        Assert.True(parsed.Answers[0].Name.EqualsExact(DnsName.FromWire(Mixed)));
    }
}
