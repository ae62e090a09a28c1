using MeshDns.Plugins.LoadBalance;
using MeshDns.Plugins.Tests.Support;
using MeshDns.Protocol;
using MeshDns.Testing.Allocation;

namespace MeshDns.Plugins.Tests.LoadBalance;

public sealed class LoadBalanceTests
{
    public static TheoryData<string[], int, int, int, int> Sections => new()
    {
        {
            [
                "cname1.region2.skydns.test. 300 IN CNAME cname2.region2.skydns.test.",
                "cname2.region2.skydns.test. 300 IN CNAME cname3.region2.skydns.test.",
                "cname5.region2.skydns.test. 300 IN CNAME cname6.region2.skydns.test.",
                "cname6.region2.skydns.test. 300 IN CNAME endpoint.region2.skydns.test.",
                "endpoint.region2.skydns.test. 300 IN A 10.240.0.1",
                "mx.region2.skydns.test. 300 IN MX 1 mx1.region2.skydns.test.",
                "mx.region2.skydns.test. 300 IN MX 2 mx2.region2.skydns.test.",
                "mx.region2.skydns.test. 300 IN MX 3 mx3.region2.skydns.test.",
            ],
            4, 1, 3, 0
        },
        {
            [
                "region2.skydns.test. 300 IN NS ns1.region2.skydns.test.",
                "region2.skydns.test. 300 IN NS ns2.region2.skydns.test.",
                "region2.skydns.test. 300 IN NS ns3.region2.skydns.test.",
                "region2.skydns.test. 300 IN NS ns4.region2.skydns.test.",
            ],
            0, 0, 0, 4
        },
        {
            [
                "endpoint.region2.skydns.test. 300 IN A 10.240.0.1",
                "mx.region2.skydns.test. 300 IN MX 1 mx1.region2.skydns.test.",
                "cname.region2.skydns.test. 300 IN CNAME endpoint.region2.skydns.test.",
            ],
            1, 1, 1, 0
        },
        {
            [
                "mx.region2.skydns.test. 300 IN MX 1 mx1.region2.skydns.test.",
                "endpoint.region2.skydns.test. 300 IN A 10.240.0.1",
                "endpoint.region2.skydns.test. 300 IN AAAA ::1",
                "mx.region2.skydns.test. 300 IN MX 1 mx2.region2.skydns.test.",
                "cname2.region2.skydns.test. 300 IN CNAME cname3.region2.skydns.test.",
                "endpoint.region2.skydns.test. 300 IN TXT \"txt\"",
                "endpoint.region2.skydns.test. 300 IN A 10.240.0.3",
                "region2.skydns.test. 300 IN NS ns1.region2.skydns.test.",
                "mx.region2.skydns.test. 300 IN MX 1 mx3.region2.skydns.test.",
            ],
            1, 3, 3, 1
        },
    };

    [Theory]
    [MemberData(nameof(Sections))]
    public void RoundRobin_Section_CnamesFirstThenOthersAddressesMxNs(string[] records, int cnames, int addresses, int mxs, int nss)
    {
        for (var run = 0; run < 20; run++)
        {
            var section = records.Select(ResourceRecord.Parse).ToList();

            LoadBalanceHandler.RoundRobin(section);

            Assert.Equal(records.Select(ResourceRecord.Parse).Order(Comparer).Select(r => r.ToString()), section.Order(Comparer).Select(r => r.ToString()));
            var groups = section.Select(r => Group(r.Type)).ToArray();
            Assert.Equal(groups.Order(), groups);
            Assert.Equal(cnames, groups.Count(g => g == 0));
            Assert.Equal(addresses, groups.Count(g => g == 2));
            Assert.Equal(mxs, groups.Count(g => g == 3));
            Assert.Equal(nss, groups.Count(g => g == 4));

            // CNAMEs and other types keep their relative order.
            Assert.Equal(records.Where(r => Group(ResourceRecord.Parse(r).Type) < 2), section.Where(r => Group(r.Type) < 2).Select(r => Find(records, r)));
        }
    }

    [Fact]
    public void RoundRobin_ThreeAddresses_EveryOrderShowsUp()
    {
        var records = new[] { "a.example. 5 IN A 10.0.0.1", "a.example. 5 IN A 10.0.0.2", "a.example. 5 IN A 10.0.0.3" }.Select(ResourceRecord.Parse).ToArray();
        var seen = new HashSet<string>();
        for (var run = 0; run < 2000 && seen.Count < 6; run++)
        {
            var section = records.ToList();
            LoadBalanceHandler.RoundRobin(section);
            seen.Add(string.Join(',', section.Select(r => r.RDataToString())));
        }

        Assert.Equal(6, seen.Count);
    }

    [Theory]
    [InlineData(DnsRecordType.AXFR)]
    [InlineData(DnsRecordType.IXFR)]
    public async Task Serve_ZoneTransfer_Untouched(DnsRecordType type)
    {
        await using var harness = await PluginHarness.StartAsync(
            ". {\n loadbalance\n erratic {\n answer \"skydns.test. 30 IN SOA ns.dns.skydns.test. hostmaster.skydns.test. 1 7200 1800 86400 30\" \"b.skydns.test. 300 IN A 10.0.0.2\" \"a.skydns.test. 300 IN A 10.0.0.1\" \"skydns.test. 30 IN SOA ns.dns.skydns.test. hostmaster.skydns.test. 1 7200 1800 86400 30\"\n }\n}");

        var reply = await harness.QueryAsync("skydns.test.", type, tcp: true);

        Assert.Equal(DnsRecordType.SOA, reply.Answers[0].Type);
        Assert.Equal(DnsRecordType.SOA, reply.Answers[^1].Type);
        Assert.Equal(["10.0.0.2", "10.0.0.1"], reply.Answers.Skip(1).Take(2).Select(r => r.RDataToString()));
    }

    [Fact]
    public async Task Serve_ErrorResponse_Untouched()
    {
        await using var harness = await PluginHarness.StartAsync(
            ". {\n loadbalance\n erratic {\n rcode NXDOMAIN\n authority \"b.example. 300 IN NS ns2.example.\" \"a.example. 300 IN NS ns1.example.\" \"x.example. 300 IN CNAME y.example.\"\n }\n}");

        for (var run = 0; run < 10; run++)
        {
            var reply = await harness.QueryAsync("example.", DnsRecordType.A);
            Assert.Equal([DnsRecordType.NS, DnsRecordType.NS, DnsRecordType.CNAME], reply.Authorities.Select(r => r.Type));
        }
    }

    [Fact]
    public async Task Serve_AnswerAndAdditional_CnameFirstAddressesShuffled()
    {
        await using var harness = await PluginHarness.StartAsync(
            ". {\n loadbalance round_robin\n erratic {\n delay 1ms\n answer \"a.example. 5 IN A 10.0.0.1\" \"a.example. 5 IN A 10.0.0.2\" \"www.example. 5 IN CNAME a.example.\"\n additional \"ns.example. 5 IN AAAA ::1\" \"ns.example. 5 IN AAAA ::2\"\n }\n}");
        var orders = new HashSet<string>();

        for (var run = 0; run < 200 && orders.Count < 2; run++)
        {
            var reply = await harness.QueryAsync("www.example.", DnsRecordType.A);
            Assert.Equal(DnsRecordType.CNAME, reply.Answers[0].Type);
            orders.Add(string.Join(',', reply.Answers.Skip(1).Select(r => r.RDataToString())));
        }

        Assert.Equal(2, orders.Count);
    }

    [Fact]
    public async Task LimitAnswers_KeepsFirstAfterShuffle()
    {
        await using var harness = await PluginHarness.StartAsync(
            ". {\n loadbalance round_robin {\n limit_answers 2\n }\n hosts {\n 10.0.0.1 www.example.org\n 10.0.0.2 www.example.org\n 10.0.0.3 www.example.org\n }\n}");

        var reply = await harness.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(2, reply.Answers.Count);
        Assert.Equal(2, reply.Answers.Select(r => r.RDataToString()).Distinct().Count());
    }

    [Theory]
    [InlineData("loadbalance", "")]
    [InlineData("loadbalance round_robin", "")]
    [InlineData("loadbalance round_robin {\n limit_answers 1\n }", "")]
    [InlineData("loadbalance round_robin extra", "Corefile:2 - plugin/loadbalance: unknown property for round_robin")]
    [InlineData("loadbalance random", "Corefile:2 - plugin/loadbalance: unknown policy: random")]
    [InlineData("loadbalance weighted db.example.com.weights", "Corefile:2 - plugin/loadbalance: the 'weighted' policy is not supported by MeshDns yet; use round_robin")]
    [InlineData("loadbalance {\n prefer 10.0.0.0/8\n }", "Corefile:3 - plugin/loadbalance: 'prefer' is not supported by MeshDns yet")]
    [InlineData("loadbalance {\n limit_answers 0\n }", "Corefile:3 - plugin/loadbalance: limit_answers needs a positive number, got '0'")]
    [InlineData("loadbalance {\n limit_answers\n }", "Corefile:3 - plugin/loadbalance: Wrong argument count or unexpected line ending after 'limit_answers'")]
    [InlineData("loadbalance {\n reload 10s\n }", "Corefile:3 - plugin/loadbalance: unknown property 'reload'")]
    public void Setup_Table(string directive, string expected)
    {
        Assert.Equal(expected, string.Join('\n', PluginHarness.SetupErrors($". {{\n{directive}\n}}")));
    }

    [Fact]
    public void RoundRobin_Warm_AllocatesNothing()
    {
        var section = new[] { "w.example. 5 IN CNAME a.example.", "a.example. 5 IN A 10.0.0.1", "a.example. 5 IN A 10.0.0.2", "a.example. 5 IN MX 1 mx.example." }.Select(ResourceRecord.Parse).ToList();
        Assert.Equal(0, AllocationMeter.BytesPerRound(() => LoadBalanceHandler.RoundRobin(section)));
    }

    private static readonly Comparer<ResourceRecord> Comparer = Comparer<ResourceRecord>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));

    private static int Group(DnsRecordType type) => type switch
    {
        DnsRecordType.CNAME => 0,
        DnsRecordType.A or DnsRecordType.AAAA => 2,
        DnsRecordType.MX => 3,
        DnsRecordType.NS => 4,
        _ => 1,
    };

    private static string Find(string[] records, ResourceRecord record) => records.First(r => ResourceRecord.Parse(r).ToString() == record.ToString());
}
