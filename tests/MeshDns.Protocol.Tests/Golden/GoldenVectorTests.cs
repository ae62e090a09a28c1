using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Golden;

public sealed class GoldenVectorTests
{
    [Theory]
    [MemberData(nameof(GoldenVectors.Names), MemberType = typeof(GoldenVectors))]
    public void TryParse_GoldenVector_MatchesModel(string name)
    {
        var vector = GoldenVectors.Get(name);

        var parsed = MessageAssert.Parses(vector.Wire);

        MessageAssert.Equal(vector.Model(), parsed);
    }

    [Theory]
    [MemberData(nameof(GoldenVectors.Names), MemberType = typeof(GoldenVectors))]
    public void Encode_GoldenModel_ProducesExactBytes(string name)
    {
        var vector = GoldenVectors.Get(name);

        var encoded = vector.Model().ToArray();

        MessageAssert.BytesEqual(vector.Wire, encoded);
    }

    [Theory]
    [MemberData(nameof(GoldenVectors.CaptureNames), MemberType = typeof(GoldenVectors))]
    public void GoldenVector_LaidOutPerField_EqualsRawCapture(string name)
    {
        var vector = GoldenVectors.Get(name);

        MessageAssert.BytesEqual(Convert.FromHexString(vector.RawCapture!), vector.Wire);
    }

    [Fact]
    public void Hex_QuotedLabelsAndSpaces_BecomeBytes()
    {
        Assert.Equal([0x03, (byte)'w', (byte)'w', (byte)'w', 0x00, 0xc0, 0x0c], Hex.Bytes("03'www' 00", "c0 0c"));
    }

    [Fact]
    public void TryParse_CaseEchoVector_AnswerOwnersReadWithQuestionSpelling()
    {
        // The owners were written as "www.example.org." but are pointers to the question, so a client sees its own spelling.
        var parsed = MessageAssert.Parses(GoldenVectors.Get("knot_a_case_echo_edns").Wire);

        Assert.All(parsed.Answers, answer => Assert.Equal("WwW.ExAmple.ORG.", answer.Name.ToString()));
    }

    [Fact]
    public void TryParse_BadversVector_CombinesHeaderAndOptRcode()
    {
        var parsed = MessageAssert.Parses(GoldenVectors.Get("knot_badvers").Wire);

        Assert.Equal(DnsResponseCode.BadVers, parsed.ResponseCode);
        Assert.Equal(1, parsed.Edns!.ExtendedRcode);
    }

    [Fact]
    public void TryParse_RefusedVector_ExposesExtendedError()
    {
        var parsed = MessageAssert.Parses(GoldenVectors.Get("knot_refused_ede").Wire);

        var option = Assert.Single(parsed.Edns!.Options);
        Assert.True(option.TryGetExtendedError(out var code, out var text));
        Assert.Equal(ExtendedDnsErrorCode.NotAuthoritative, code);
        Assert.Equal(string.Empty, text);
    }

    [Fact]
    public void TryParse_KdigPaddingVector_KeepsOptionsAsOpaqueBytes()
    {
        var parsed = MessageAssert.Parses(GoldenVectors.Get("kdig_aaaa_nsid_padding").Wire);

        Assert.Collection(
            parsed.Edns!.Options,
            nsid => Assert.Equal((3, 0), (nsid.Code, nsid.Data.Length)),
            padding => Assert.Equal((12, 64), (padding.Code, padding.Data.Length)));
        Assert.Equal(4096, parsed.Edns.UdpPayloadSize);
    }
}
