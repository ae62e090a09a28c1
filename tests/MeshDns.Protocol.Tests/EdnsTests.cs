using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests;

/// <summary>EDNS(0) (RFC 6891) and Extended DNS Errors (RFC 8914).</summary>
public sealed class EdnsTests
{
    [Fact]
    public void TryWrite_AllFields_LayOutAsRfc6891()
    {
        var message = new DnsMessage { Id = 1 };
        var edns = message.EnableEdns();
        edns.UdpPayloadSize = 4096;
        edns.Version = 2;
        edns.DnssecOk = true;
        edns.Z = 0x1234;
        edns.Options.Add(new EdnsOption(65001, Hex.Bytes("cafe")));
        edns.Options.Add(new EdnsOption(8, Hex.Bytes("0001 18 00 c00002")));

        var wire = message.ToArray();

        MessageAssert.BytesEqual(
            Hex.Bytes(
                "0001 0000 0000 0000 0000 0001",
                "00",             // root owner
                "0029",           // OPT
                "1000",           // CLASS: UDP payload size 4096
                "00",             // EXTENDED-RCODE
                "02",             // VERSION
                "9234",           // DO (0x8000) | Z (0x1234)
                "0011",           // RDLENGTH 17
                "fde9 0002 cafe", // an unknown option, kept as bytes
                "0008 0007 0001 18 00 c00002"), // CLIENT-SUBNET, also opaque here
            wire);
        Assert.Equal(wire.Length - 12, edns.WireSize);
        MessageAssert.Equal(message, MessageAssert.Parses(wire));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(1232)]
    [InlineData(65535)]
    public void TryParse_UdpPayloadSize_KeptAsSent(int size)
    {
        var wire = Hex.Bytes("0000 0000 0000 0000 0000 0001", "00 0029", size.ToString("x4", System.Globalization.CultureInfo.InvariantCulture), "00000000 0000");

        Assert.Equal(size, MessageAssert.Parses(wire).Edns!.UdpPayloadSize);
    }

    [Fact]
    public void ExtendedError_CodeAndText_WritesRfc8914Layout()
    {
        var option = EdnsOption.ExtendedError(ExtendedDnsErrorCode.Blocked, "policy \u00e9");

        Assert.Equal(15, option.Code);
        MessageAssert.BytesEqual(Hex.Bytes("000f 'policy '", "c3a9"), option.Data.Span); // INFO-CODE then UTF-8 EXTRA-TEXT
        Assert.True(option.TryGetExtendedError(out var code, out var text));
        Assert.Equal((ExtendedDnsErrorCode.Blocked, "policy \u00e9"), (code, text));
    }

    [Fact]
    public void ExtendedError_NoText_IsTwoOctets()
    {
        Assert.Equal(2, EdnsOption.ExtendedError(ExtendedDnsErrorCode.StaleAnswer).Data.Length);
        Assert.Equal(2, EdnsOption.ExtendedError(ExtendedDnsErrorCode.StaleAnswer, string.Empty).Data.Length);
    }

    [Theory]
    [InlineData(15, "00")]       // shorter than an INFO-CODE
    [InlineData(10, "0016")]     // not an EDE option
    public void TryGetExtendedError_NotAnExtendedError_ReturnsFalse(ushort code, string data)
    {
        Assert.False(new EdnsOption(code, Hex.Bytes(data)).TryGetExtendedError(out _, out _));
    }

    [Fact]
    public void Encode_ServFailWithSeveralEdeOptions_KeepsOrder()
    {
        var message = new DnsMessage { IsResponse = true, ResponseCode = DnsResponseCode.ServFail };
        var edns = message.EnableEdns();
        edns.Options.Add(EdnsOption.ExtendedError(ExtendedDnsErrorCode.NetworkError, "a"));
        edns.Options.Add(EdnsOption.ExtendedError(ExtendedDnsErrorCode.NoReachableAuthority, "b"));

        var parsed = MessageAssert.Parses(message.ToArray());

        Assert.Equal(
            [(ExtendedDnsErrorCode.NetworkError, "a"), (ExtendedDnsErrorCode.NoReachableAuthority, "b")],
            parsed.Edns!.Options.Select(o => o.TryGetExtendedError(out var c, out var t) ? (c, t) : default));
    }

    [Fact]
    public void TryWrite_DoesNotFit_RestoresWriter()
    {
        var edns = new Edns();
        edns.Options.Add(new EdnsOption(10, new byte[8]));
        var writer = new DnsMessageWriter(new byte[64], []) { Limit = edns.WireSize - 1 };

        Assert.False(edns.TryWrite(ref writer, DnsResponseCode.NoError));

        Assert.Equal(0, writer.Position);
    }

    [Fact]
    public void TryRead_RecordHeaderFields_FillEveryProperty()
    {
        var edns = new Edns { DnssecOk = true };
        edns.Options.Add(new EdnsOption(1, new byte[1]));
        var header = new DnsRecordHeader(DnsRecordType.OPT, (DnsClass)1400, 0x01_03_8001, 4, 0);

        Assert.True(Edns.TryRead(header, Hex.Bytes("000a 0000"), edns));

        Assert.Equal((1400, (byte)1, (byte)3, true, (ushort)1), (edns.UdpPayloadSize, edns.ExtendedRcode, edns.Version, edns.DnssecOk, edns.Z));
        Assert.Equal(10, Assert.Single(edns.Options).Code); // options from before were cleared
    }

    [Fact]
    public void ToString_MessageWithEdns_ShowsOptLine()
    {
        var message = new DnsMessage { IsResponse = true, ResponseCode = DnsResponseCode.BadVers };
        message.EnableEdns().DnssecOk = true;

        var text = message.ToString();

        Assert.Contains("status: BADVERS", text, StringComparison.Ordinal);
        Assert.Contains(";; OPT: version 0, udp 1232, do, options 0", text, StringComparison.Ordinal);
        Assert.Contains("ADDITIONAL: 1", text, StringComparison.Ordinal);
    }
}
