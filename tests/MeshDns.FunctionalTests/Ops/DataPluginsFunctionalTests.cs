using System.Net;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using Xunit.Abstractions;

namespace MeshDns.FunctionalTests.Ops;

/// <summary>bind, hosts (with its file watched) and loadbalance over real UDP and TCP sockets.</summary>
public sealed class DataPluginsFunctionalTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshdns-hosts-").FullName;

    [Fact]
    public async Task Bind_Loopback_ListensThereOverUdpAndTcp()
    {
        await using var server = await TestDnsServer.StartAsync(".:0 {\n bind 127.0.0.1\n whoami\n}", output);

        var endpoints = server.Server.Host.Endpoints;
        var (address, bound) = Assert.Single(endpoints);
        Assert.Equal("dns://127.0.0.1:0", address);
        Assert.Equal(IPAddress.Loopback, Assert.Single(bound).Address);
        Assert.NotNull(await server.QueryAsync("example.org.", DnsRecordType.A));
        Assert.NotNull(await server.QueryAsync("example.org.", DnsRecordType.A, tcp: true));
    }

    [Fact]
    public async Task Hosts_FileEdited_NewAnswersOverUdpAndTcp()
    {
        var path = Path.Combine(_directory, "hosts");
        await File.WriteAllTextAsync(path, "10.0.0.1 www.example.org\n");
        await using var server = await TestDnsServer.StartAsync($".:0 {{\n bind 127.0.0.1\n hosts {path} example.org {{\n reload 100ms\n }}\n}}", output);
        RecordAssert.Response(await server.QueryAsync("www.example.org.", DnsRecordType.A), DnsResponseCode.NoError, ["www.example.org. 3600 IN A 10.0.0.1"]);
        RecordAssert.Response(await server.QueryAsync("new.example.org.", DnsRecordType.A, tcp: true), DnsResponseCode.NXDomain, []);

        await File.WriteAllTextAsync(path, "10.0.0.1 www.example.org\n10.0.0.7 new.example.org\n2001:db8::7 new.example.org\n");

        await OpsHelpers.WaitUntilAsync(async () => (await server.QueryAsync("new.example.org.", DnsRecordType.A)).Answers.Count == 1, "the edited file is served");
        RecordAssert.Response(await server.QueryAsync("new.example.org.", DnsRecordType.AAAA, tcp: true), DnsResponseCode.NoError, ["new.example.org. 3600 IN AAAA 2001:db8::7"]);
        RecordAssert.Response(await server.QueryAsync("7.0.0.10.in-addr.arpa.", DnsRecordType.PTR), DnsResponseCode.NoError, ["7.0.0.10.in-addr.arpa. 3600 IN PTR new.example.org."]);
        RecordAssert.Response(await server.QueryAsync("www.example.org.", DnsRecordType.MX), DnsResponseCode.NoError, []);
    }

    [Fact]
    public async Task LoadBalance_OverUdp_AddressOrderVaries()
    {
        await using var server = await TestDnsServer.StartAsync(
            ".:0 {\n bind 127.0.0.1\n loadbalance\n hosts {\n 10.0.0.1 www.example.org\n 10.0.0.2 www.example.org\n 10.0.0.3 www.example.org\n }\n}", output);
        var orders = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < 100 && orders.Count < 3; i++)
        {
            var reply = await server.QueryAsync("www.example.org.", DnsRecordType.A);
            Assert.Equal(3, reply.Answers.Count);
            orders.Add(string.Join(',', reply.Answers.Select(a => a.RDataToString())));
        }

        Assert.True(orders.Count >= 3, $"saw only {orders.Count} orders");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
