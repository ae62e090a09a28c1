namespace MeshDns.Protocol.Tests.Regressions;

/// <summary>
/// Bug: <see cref="DnsMessage.Encode"/> reserved the OPT record's room by setting the writer's limit to
/// <c>maxSize - OPT size</c>, which is negative when maxSize is smaller than the OPT record, and the writer's
/// <see cref="DnsMessageWriter.Limit"/> setter threw instead of Encode returning -1 as documented.
/// </summary>
public sealed class EncodeLimitBelowOptSizeTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(12)]
    [InlineData(22)]
    public void Encode_MaxSizeTooSmallForHeaderAndOpt_ReturnsMinusOne(int maxSize)
    {
        var message = DnsMessage.CreateQuery(DnsName.Parse("a."), DnsRecordType.A);
        message.EnableEdns().Options.Add(new EdnsOption(10, new byte[8])); // OPT = 11 + 12 octets

        Assert.Equal(-1, message.Encode(new byte[512], maxSize));
    }

    [Fact]
    public void Encode_DestinationSmallerThanOpt_ReturnsMinusOne()
    {
        var message = new DnsMessage();
        message.EnableEdns();

        Assert.Equal(-1, message.Encode(new byte[10]));
    }

    [Fact]
    public void Encode_MaxSizeExactlyHeaderQuestionAndOpt_Fits()
    {
        var message = DnsMessage.CreateQuery(DnsName.Parse("a."), DnsRecordType.A);
        message.EnableEdns();

        Assert.Equal(12 + 7 + 11, message.Encode(new byte[512], 30));
        Assert.Equal(-1, message.Encode(new byte[512], 29));
    }
}
