using System.Buffers.Binary;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;

namespace MeshDns.Server.Tests.Pipeline;

public sealed class RequestProcessorTests
{
    private static ProcessorHarness Erratic(ErraticOptions options) => new(([".", "example.org."], new ErraticTestHandler(options)));

    private static byte[] Query(string name = "example.org.", DnsRecordType type = DnsRecordType.A, ushort id = 0x1234) =>
        DnsMessage.CreateQuery(DnsName.Parse(name), type, id).ToArray();

    [Fact]
    public void Process_WellFormedQuery_AnswersWithSameIdAndQuestion()
    {
        var harness = Erratic(new ErraticOptions { Records = 2 });
        var response = harness.Query("www.Example.ORG.", DnsRecordType.A);
        Assert.True(response.IsResponse);
        Assert.True(response.Authoritative);
        Assert.Equal(2, response.Answers.Count);
        Assert.True(response.Answers[0].Name.EqualsExact(DnsName.Parse("www.Example.ORG.")), "answer owner must echo the client's spelling");
    }

    [Fact]
    public void Process_ShorterThanHeader_IsDropped()
    {
        var harness = Erratic(new ErraticOptions());
        Assert.Empty(harness.Process([0x12, 0x34, 0x01]));
        Assert.Empty(harness.Process([]));
    }

    [Fact]
    public void Process_ResponseBitSet_IsDropped()
    {
        var packet = Query();
        packet[2] |= 0x80;
        Assert.Empty(Erratic(new ErraticOptions()).Process(packet));
    }

    [Theory]
    [InlineData(DnsOpCode.IQuery)]
    [InlineData(DnsOpCode.Status)]
    [InlineData(DnsOpCode.Notify)]
    [InlineData(DnsOpCode.Update)]
    public void Process_OpcodeOtherThanQuery_IsNotImp(DnsOpCode opCode)
    {
        var packet = Query(id: 77);
        packet[2] = (byte)((packet[2] & 0x87) | ((int)opCode << 3));
        var response = Erratic(new ErraticOptions()).Process(packet);
        Assert.True(DnsMessage.TryParse(response, out var message, out _));
        Assert.Equal(DnsResponseCode.NotImp, message.ResponseCode);
        Assert.Equal(77, message.Id);
        Assert.Equal(opCode, message.OpCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Process_QuestionCountNotOne_IsFormErr(ushort count)
    {
        var packet = Query();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), count);
        var response = Erratic(new ErraticOptions()).Process(packet);
        Assert.True(DnsMessage.TryParse(response, out var message, out _));
        Assert.Equal(DnsResponseCode.FormErr, message.ResponseCode);
    }

    [Fact]
    public void Process_TruncatedQuestion_IsFormErr()
    {
        var packet = Query();
        var response = Erratic(new ErraticOptions()).Process(packet[..(packet.Length - 3)]);
        Assert.True(DnsMessage.TryParse(response, out var message, out _));
        Assert.Equal(DnsResponseCode.FormErr, message.ResponseCode);
        Assert.Empty(message.Questions);
    }

    [Fact]
    public void Process_CompressionLoopInQuestion_IsFormErrNotHang()
    {
        // Header + question name that is a pointer to itself (offset 12).
        byte[] packet = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1];
        var message = Parse(Erratic(new ErraticOptions()).Process(packet));
        Assert.Equal(DnsResponseCode.FormErr, message.ResponseCode);
    }

    [Fact]
    public void Process_ForwardPointer_IsFormErr()
    {
        byte[] packet = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 16, 0, 1, 0, 1, 1, (byte)'a', 0];
        Assert.Equal(DnsResponseCode.FormErr, Parse(Erratic(new ErraticOptions()).Process(packet)).ResponseCode);
    }

    [Fact]
    public void Process_LabelOver63_IsFormErr()
    {
        var packet = new List<byte> { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64 };
        packet.AddRange(Enumerable.Repeat((byte)'a', 64));
        packet.AddRange([0, 0, 1, 0, 1]);
        Assert.Equal(DnsResponseCode.FormErr, Parse(Erratic(new ErraticOptions()).Process([.. packet])).ResponseCode);
    }

    [Fact]
    public void Process_NameOver255_IsFormErr()
    {
        var packet = new List<byte> { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        for (var i = 0; i < 5; i++)
        {
            packet.Add(63);
            packet.AddRange(Enumerable.Repeat((byte)'a', 63));
        }

        packet.AddRange([0, 0, 1, 0, 1]);
        Assert.Equal(DnsResponseCode.FormErr, Parse(Erratic(new ErraticOptions()).Process([.. packet])).ResponseCode);
    }

    [Fact]
    public void Process_OptRdLengthPastEnd_IsFormErr()
    {
        var query = DnsTestClient.CreateQuery("example.org.", DnsRecordType.A, edns: true);
        var packet = query.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(packet.Length - 2), 40); // RDLENGTH of the OPT record
        Assert.Equal(DnsResponseCode.FormErr, Parse(Erratic(new ErraticOptions()).Process(packet)).ResponseCode);
    }

    [Fact]
    public void Process_TrailingGarbage_IsFormErr()
    {
        byte[] packet = [.. Query(), 1, 2, 3];
        Assert.Equal(DnsResponseCode.FormErr, Parse(Erratic(new ErraticOptions()).Process(packet)).ResponseCode);
    }

    [Fact]
    public void Process_EdnsVersion1_IsBadVersWithOpt()
    {
        var query = DnsTestClient.CreateQuery("example.org.", DnsRecordType.A, edns: true);
        query.Edns!.Version = 1;
        var response = Erratic(new ErraticOptions()).Query(query);
        Assert.Equal(DnsResponseCode.BadVers, response.ResponseCode);
        Assert.NotNull(response.Edns);
        Assert.Equal(0, response.Edns!.Version);
        Assert.Single(response.Questions);
    }

    [Theory]
    [InlineData(DnsClass.CH)]
    [InlineData(DnsClass.HS)]
    [InlineData(DnsClass.ANY)]
    public void Process_ClassOtherThanIn_IsRefused(DnsClass @class)
    {
        var query = DnsMessage.CreateQuery(DnsName.Parse("version.bind."), DnsRecordType.TXT, 9, @class: @class);
        var harness = Erratic(new ErraticOptions());
        var response = harness.Query(query);
        Assert.Equal(DnsResponseCode.Refused, response.ResponseCode);
    }

    [Fact]
    public void Process_PluginThrows_ServFailAndPanicCounted()
    {
        var harness = Erratic(new ErraticOptions { Throw = true });
        var response = harness.Query("example.org.", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.ServFail, response.ResponseCode);
        Assert.Equal(1, harness.Observer.Panics);
    }

    [Fact]
    public void Process_PluginThrowsAfterAwait_ServFailAndPanicCounted()
    {
        var harness = Erratic(new ErraticOptions { Throw = true, Delay = TimeSpan.FromMilliseconds(5) });
        Assert.Equal(DnsResponseCode.ServFail, harness.Query("example.org.", DnsRecordType.A).ResponseCode);
        Assert.Equal(1, harness.Observer.Panics);
    }

    [Theory]
    [InlineData(DnsResponseCode.ServFail)]
    [InlineData(DnsResponseCode.Refused)]
    [InlineData(DnsResponseCode.FormErr)]
    [InlineData(DnsResponseCode.NotImp)]
    public void Process_PluginReturnsErrorRcodeWithoutWriting_ServerWritesIt(DnsResponseCode rcode)
    {
        var response = Erratic(new ErraticOptions { Rcode = rcode }).Query("example.org.", DnsRecordType.A);
        Assert.Equal(rcode, response.ResponseCode);
        Assert.Single(response.Questions);
        Assert.Empty(response.Answers);
    }

    [Fact]
    public void Process_PluginClaimsSuccessWithoutWriting_ServFailInsteadOfSilence()
    {
        Assert.Equal(DnsResponseCode.ServFail, Erratic(new ErraticOptions { Silent = true }).Query("example.org.", DnsRecordType.A).ResponseCode);
    }

    [Fact]
    public void Process_PluginDrops_NothingSent()
    {
        Assert.Empty(Erratic(new ErraticOptions { Drop = true }).Process(Query()));
    }

    [Fact]
    public void Process_NoBlockForZone_RefusedAndCounted()
    {
        var harness = new ProcessorHarness((["example.org."], new NamedAnswerHandler("org")));
        var response = harness.Query("example.net.", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.Refused, response.ResponseCode);
        Assert.Equal(1, harness.Observer.Refused);
    }

    [Theory]
    [InlineData("a.b.example.org.", "b.example.org")]
    [InlineData("b.example.org.", "b.example.org")]
    [InlineData("c.example.org.", "example.org")]
    [InlineData("example.org.", "example.org")]
    [InlineData("EXAMPLE.ORG.", "example.org")]
    [InlineData("example.net.", "root")]
    public void Process_LongestMatchingZoneWins(string name, string expectedBlock)
    {
        var harness = new ProcessorHarness(
            (["example.org."], new NamedAnswerHandler("example.org")),
            (["b.example.org."], new NamedAnswerHandler("b.example.org")),
            (["."], new NamedAnswerHandler("root")));
        var response = harness.Query(name, DnsRecordType.A);
        Assert.Equal(expectedBlock, ((TxtRecord)response.Answers[0]).Texts[0]);
    }

    [Fact]
    public void Process_DsQueryAtZoneCut_GoesToParentBlock()
    {
        var harness = new ProcessorHarness(
            (["example.org."], new NamedAnswerHandler("parent")),
            (["b.example.org."], new NamedAnswerHandler("child")));
        Assert.Equal("parent", ((TxtRecord)harness.Query("b.example.org.", DnsRecordType.DS).Answers[0]).Texts[0]);
        Assert.Equal("child", ((TxtRecord)harness.Query("b.example.org.", DnsRecordType.A).Answers[0]).Texts[0]);
    }

    [Fact]
    public void Process_UdpWithoutEdns_TruncatesAt512WithTcAndWholeRRsets()
    {
        var harness = Erratic(new ErraticOptions { Records = 40 }); // 40 A records ≈ 29 + 40*16 octets
        var raw = harness.Process(DnsTestClient.CreateQuery("example.org.", DnsRecordType.A).ToArray());
        Assert.True(raw.Length <= 512);
        var message = Parse(raw);
        Assert.True(message.Truncated);
        Assert.Empty(message.Answers); // one RRset: it goes whole or not at all
    }

    [Fact]
    public void Process_UdpWithEdns_UsesAdvertisedSizeCappedAt1232()
    {
        var harness = Erratic(new ErraticOptions { Records = 60 }); // ≈ 990 octets
        var small = Parse(harness.Process(DnsTestClient.CreateQuery("example.org.", DnsRecordType.A, edns: true, udpSize: 600).ToArray()));
        Assert.True(small.Truncated);
        var fits = harness.Process(DnsTestClient.CreateQuery("example.org.", DnsRecordType.A, edns: true, udpSize: 4096).ToArray());
        Assert.False(Parse(fits).Truncated);
        Assert.Equal(60, Parse(fits).Answers.Count);

        var big = Erratic(new ErraticOptions { Records = 100 }); // ≈ 1630 octets: over the 1232 cap even when the client offers 4096
        var capped = big.Process(DnsTestClient.CreateQuery("example.org.", DnsRecordType.A, edns: true, udpSize: 4096).ToArray());
        Assert.True(capped.Length <= 1232);
        Assert.True(Parse(capped).Truncated);
        Assert.NotNull(Parse(capped).Edns);
    }

    [Fact]
    public void Process_Tcp_SendsWholeAnswer()
    {
        var harness = Erratic(new ErraticOptions { Records = 1000 });
        var message = harness.Query("example.org.", DnsRecordType.A, DnsTransport.Tcp);
        Assert.False(message.Truncated);
        Assert.Equal(1000, message.Answers.Count);
    }

    [Fact]
    public void Process_AdditionalOverflow_DropsGlueWithoutTc()
    {
        var harness = Erratic(new ErraticOptions { Records = 1, Additional = 40 });
        var message = Parse(harness.Process(DnsTestClient.CreateQuery("example.org.", DnsRecordType.A).ToArray()));
        Assert.False(message.Truncated);
        Assert.Single(message.Answers);
        Assert.True(message.Additionals.Count < 40);
    }

    [Fact]
    public void Process_EdnsQuery_ResponseCarriesOptWithDoEchoed()
    {
        var query = DnsTestClient.CreateQuery("example.org.", DnsRecordType.A, edns: true, dnssecOk: true);
        var response = Erratic(new ErraticOptions()).Query(query);
        Assert.NotNull(response.Edns);
        Assert.True(response.Edns!.DnssecOk);
        Assert.Equal(1232, response.Edns.UdpPayloadSize);
    }

    [Fact]
    public void Process_QueryWithoutEdns_ResponseHasNoOpt()
    {
        Assert.Null(Erratic(new ErraticOptions()).Query("example.org.", DnsRecordType.A).Edns);
    }

    private static DnsMessage Parse(byte[] raw)
    {
        Assert.True(DnsMessage.TryParse(raw, out var message, out var error), $"unparseable response: {error}");
        return message;
    }
}
