using System.Text.RegularExpressions;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Logging;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace MeshDns.FunctionalTests.Ops;

/// <summary><c>log</c> and <c>errors</c> over real sockets, their output compared line for line.</summary>
public sealed partial class QueryLogFunctionalTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Log_UdpAndTcp_CommonLogFormatLines()
    {
        var logs = new LogCapture();
        await using var server = await TestDnsServer.StartAsync(
            "example.org:0 {\n bind 127.0.0.1\n log\n hosts {\n 10.0.0.1 example.org\n }\n}", output, logging: b => b.AddProvider(logs));
        var query = DnsTestClient.CreateQuery("example.org.", DnsRecordType.A);

        var (reply, port, querySize, replySize) = await OpsHelpers.QueryFromKnownPortAsync(server.Endpoint, query);
        var tcpQuery = DnsTestClient.CreateQuery("example.org.", DnsRecordType.AAAA, edns: true, udpSize: 4096);
        var tcpReply = await DnsTestClient.QueryTcpAsync(server.Endpoint, tcpQuery);

        RecordAssert.Response(reply, DnsResponseCode.NoError, ["example.org. 3600 IN A 10.0.0.1"]);
        Assert.Empty(tcpReply.Answers);
        await logs.WaitForAsync(l => l.Contains("\"AAAA IN", StringComparison.Ordinal));
        var lines = logs.Lines.Where(l => l.StartsWith("[INFO] 127.0.0.1:", StringComparison.Ordinal)).Select(l => Duration().Replace(l, "<d>")).ToArray();
        Assert.Equal($"[INFO] 127.0.0.1:{port} - {query.Id} \"A IN example.org. udp {querySize} false 512\" NOERROR qr,aa,rd {replySize} <d>", lines[0]);
        Assert.Matches($"^\\[INFO\\] 127\\.0\\.0\\.1:\\d+ - {tcpQuery.Id} \"AAAA IN example\\.org\\. tcp {tcpQuery.ToArray().Length} false 65535\" NOERROR qr,aa,rd \\d+ <d>$", lines[1]);
    }

    [Fact]
    public async Task Errors_ChainFailsOverUdp_ErrorLineAndSERVFAIL()
    {
        var logs = new LogCapture();
        await using var server = await TestDnsServer.StartAsync(
            ".:0 {\n bind 127.0.0.1\n errors\n log . \"{rcode} {name} {>rflags}\"\n hosts {\n 10.0.0.1 known.example\n fallthrough\n }\n}", output, logging: b => b.AddProvider(logs));

        var reply = await server.QueryAsync("Unknown.Example.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, reply.ResponseCode);
        await logs.WaitForAsync(l => l.StartsWith("[INFO] SERVFAIL", StringComparison.Ordinal));
        Assert.Equal(["[ERROR] plugin/errors: 2 unknown.example. A: plugin/core: no next plugin found"], logs.LinesStartingWith("[ERROR] plugin/errors"));
        Assert.Equal(["[INFO] SERVFAIL unknown.example. qr,rd"], logs.LinesStartingWith("[INFO] SERVFAIL"));
    }

    [GeneratedRegex(@"\d+(\.\d+)?s$")]
    private static partial Regex Duration();
}
