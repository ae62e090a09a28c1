using MeshDns.Plugins.Hosts;
using MeshDns.Plugins.Tests.Support;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Hosting;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Time;
using MeshDns.Testing.Allocation;

namespace MeshDns.Plugins.Tests.Hosts;

public sealed class HostsTests : IDisposable
{
    private const string Example = """
        127.0.0.1 localhost localhost.domain
        ::1 localhost localhost.domain
        10.0.0.1 example.org
        ::FFFF:10.0.0.2 example.com
        10.0.0.3 EXAMPLE.net # comment
        # 10.0.0.4 commented.example
        not-an-address bad.example
        10.0.0.5
        fe80::1%eth0 zoned.example
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("meshdns-hosts-").FullName;

    public static TheoryData<string, DnsRecordType, DnsResponseCode, string[]> Cases => new()
    {
        { "example.org.", DnsRecordType.A, DnsResponseCode.NoError, ["example.org. 3600 IN A 10.0.0.1"] },
        { "EXAMPLE.org.", DnsRecordType.A, DnsResponseCode.NoError, ["example.org. 3600 IN A 10.0.0.1"] },
        { "example.com.", DnsRecordType.A, DnsResponseCode.NoError, ["example.com. 3600 IN A 10.0.0.2"] },
        { "example.net.", DnsRecordType.A, DnsResponseCode.NoError, ["example.net. 3600 IN A 10.0.0.3"] },
        { "localhost.", DnsRecordType.AAAA, DnsResponseCode.NoError, ["localhost. 3600 IN AAAA ::1"] },
        { "zoned.example.", DnsRecordType.AAAA, DnsResponseCode.NoError, ["zoned.example. 3600 IN AAAA fe80::1"] },
        { "1.0.0.10.in-addr.arpa.", DnsRecordType.PTR, DnsResponseCode.NoError, ["1.0.0.10.in-addr.arpa. 3600 IN PTR example.org."] },
        { "2.0.0.10.in-addr.arpa.", DnsRecordType.PTR, DnsResponseCode.NoError, ["2.0.0.10.in-addr.arpa. 3600 IN PTR example.com."] },
        { "1.0.0.127.in-addr.arpa.", DnsRecordType.PTR, DnsResponseCode.NoError, ["1.0.0.127.in-addr.arpa. 3600 IN PTR localhost.", "1.0.0.127.in-addr.arpa. 3600 IN PTR localhost.domain."] },
        { "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.", DnsRecordType.PTR, DnsResponseCode.NoError, ["1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. 3600 IN PTR localhost.", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. 3600 IN PTR localhost.domain."] },
        { "example.org.", DnsRecordType.AAAA, DnsResponseCode.NoError, [] },
        { "example.org.", DnsRecordType.MX, DnsResponseCode.NoError, [] },
        { "unknown.example.", DnsRecordType.A, DnsResponseCode.NXDomain, [] },
        { "bad.example.", DnsRecordType.A, DnsResponseCode.NXDomain, [] },
        { "commented.example.", DnsRecordType.A, DnsResponseCode.NXDomain, [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Lookup_HostsFile_Table(string name, DnsRecordType type, DnsResponseCode rcode, string[] answer)
    {
        await using var harness = await PluginHarness.StartAsync($". {{\n hosts {Write(Example)}\n}}");

        var reply = await harness.QueryAsync(name, type);

        RecordAssert.Response(reply, rcode, answer, authority: []);
        Assert.True(reply.Authoritative);
    }

    [Fact]
    public async Task Lookup_UnknownAddress_PtrGoesToNextPlugin()
    {
        await using var harness = await PluginHarness.StartAsync($". {{\n hosts {Write(Example)}\n erratic {{\n answer \"9.9.9.9.in-addr.arpa. 5 IN PTR next.example.\"\n }}\n}}");

        var reply = await harness.QueryAsync("9.9.9.9.in-addr.arpa.", DnsRecordType.PTR);

        RecordAssert.Response(reply, DnsResponseCode.NoError, ["9.9.9.9.in-addr.arpa. 5 IN PTR next.example."]);
    }

    [Fact]
    public async Task Lookup_OutsideZones_NextPluginButPtrAnswered()
    {
        await using var harness = await PluginHarness.StartAsync(
            $". {{\n hosts {Write(Example)} example.org {{\n }}\n erratic {{\n answer \"next.example. 5 IN A 192.0.2.1\"\n }}\n}}");

        RecordAssert.Response(await harness.QueryAsync("example.org.", DnsRecordType.A), DnsResponseCode.NoError, ["example.org. 3600 IN A 10.0.0.1"]);
        RecordAssert.Response(await harness.QueryAsync("example.com.", DnsRecordType.A), DnsResponseCode.NoError, ["next.example. 5 IN A 192.0.2.1"]);
        RecordAssert.Response(await harness.QueryAsync("1.0.0.10.in-addr.arpa.", DnsRecordType.PTR), DnsResponseCode.NoError, ["1.0.0.10.in-addr.arpa. 3600 IN PTR example.org."]);

        // Names outside the zones were never loaded, so their addresses have no PTR either.
        RecordAssert.Response(await harness.QueryAsync("2.0.0.10.in-addr.arpa.", DnsRecordType.PTR), DnsResponseCode.NoError, ["next.example. 5 IN A 192.0.2.1"]);
    }

    [Theory]
    [InlineData("fallthrough", "unknown.example.", true)]
    [InlineData("fallthrough", "example.org.", false)]
    [InlineData("fallthrough other.example", "unknown.example.", false)]
    [InlineData("fallthrough other.example", "x.other.example.", true)]
    public async Task Fallthrough_UnknownName_NextPluginOnlyInFallthroughZones(string option, string name, bool next)
    {
        await using var harness = await PluginHarness.StartAsync(
            $". {{\n hosts {Write(Example)} {{\n {option}\n }}\n erratic {{\n answer \"next.example. 5 IN A 192.0.2.1\"\n }}\n}}");

        var reply = await harness.QueryAsync(name, DnsRecordType.A);

        Assert.Equal(next, reply.Answers.Any(a => a.Name.ToString() == "next.example."));
    }

    [Fact]
    public async Task Inline_WithFile_FileEntriesFirstThenInline()
    {
        await using var harness = await PluginHarness.StartAsync(
            $". {{\n hosts {Write(Example)} {{\n 10.9.9.9 example.org\n 10.0.0.1 example.org\n 2001:db8::1 inline.example\n ttl 60\n }}\n}}");

        var reply = await harness.QueryAsync("example.org.", DnsRecordType.A);

        RecordAssert.SectionInOrder(reply.Answers, "example.org. 60 IN A 10.0.0.1", "example.org. 60 IN A 10.9.9.9");
        RecordAssert.Response(await harness.QueryAsync("inline.example.", DnsRecordType.AAAA), DnsResponseCode.NoError, ["inline.example. 60 IN AAAA 2001:db8::1"]);
    }

    [Fact]
    public async Task NoReverse_NoPtrRecords()
    {
        await using var harness = await PluginHarness.StartAsync(
            ". {\n hosts /nonexistent/hosts {\n 10.0.0.1 example.org\n no_reverse\n }\n erratic {\n rcode REFUSED\n }\n}");

        Assert.Equal(DnsResponseCode.Refused, (await harness.QueryAsync("1.0.0.10.in-addr.arpa.", DnsRecordType.PTR)).ResponseCode);
        RecordAssert.Response(await harness.QueryAsync("example.org.", DnsRecordType.A), DnsResponseCode.NoError, ["example.org. 3600 IN A 10.0.0.1"]);
        Assert.Equal(["[WARNING] plugin/hosts: File does not exist: /nonexistent/hosts"], harness.Logs.LinesStartingWith("[WARNING] plugin/hosts"));
    }

    [Theory]
    [InlineData("hosts \n hosts", "Corefile:3 - plugin/hosts: this plugin can only be used once per Server Block")]
    [InlineData("hosts /etc/hosts {\n ttl\n }", "Corefile:3 - plugin/hosts: ttl needs a time in second")]
    [InlineData("hosts /etc/hosts {\n ttl abc\n }", "Corefile:3 - plugin/hosts: ttl needs a number of second")]
    [InlineData("hosts /etc/hosts {\n ttl 0\n }", "Corefile:3 - plugin/hosts: ttl provided is invalid")]
    [InlineData("hosts /etc/hosts {\n ttl 65536\n }", "Corefile:3 - plugin/hosts: ttl provided is invalid")]
    [InlineData("hosts /etc/hosts {\n reload\n }", "Corefile:3 - plugin/hosts: reload needs a duration (zero seconds to disable)")]
    [InlineData("hosts /etc/hosts {\n reload abc\n }", "Corefile:3 - plugin/hosts: invalid duration for reload 'abc'")]
    [InlineData("hosts /etc/hosts {\n fallthrough\n 10.0.0.1 after.fallthrough\n }", "Corefile:4 - plugin/hosts: unknown property '10.0.0.1'")]
    public void Setup_Invalid_ReportsCoreDnsErrors(string directive, string expected)
    {
        Assert.Equal([expected], PluginHarness.SetupErrors($". {{\n{directive}\n}}"));
    }

    [Fact]
    public void Setup_Defaults_EtcHostsBlockZonesTtl3600Reload5s()
    {
        var source = Options("example.org example.net {\n hosts\n}");

        Assert.Equal("/etc/hosts", source.Path);
        Assert.Equal(["example.org.", "example.net."], source.Zones.Select(z => z.ToString()));
        Assert.Equal(3600u, source.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(5), source.ReloadInterval);
        Assert.True(source.AutoReverse);
        Assert.False(source.Fallthrough.IsEnabled);
    }

    [Fact]
    public void Setup_Options_Read()
    {
        var source = Options(". {\n hosts /tmp/h EXAMPLE.org 10.0.0.0/24 {\n 10.0.0.1 a.example.org\n ttl 60\n reload 0\n no_reverse\n fallthrough in-addr.arpa\n }\n}");

        Assert.Equal("/tmp/h", source.Path);
        Assert.Equal(["example.org.", "0.0.10.in-addr.arpa."], source.Zones.Select(z => z.ToString()));
        Assert.Equal(["10.0.0.1 a.example.org"], source.Inline);
        Assert.Equal(60u, source.Ttl);
        Assert.Equal(TimeSpan.Zero, source.ReloadInterval);
        Assert.False(source.AutoReverse);
        Assert.Equal(["in-addr.arpa."], source.Fallthrough.Zones.Select(z => z.ToString()));
    }

    [Fact]
    public async Task Reload_FileChanged_NewAnswersMetricsAndNameChanges()
    {
        var path = Write("10.0.0.1 a.example\n10.0.0.2 b.example\n");
        var time = new ManualTimeProvider();
        await using var harness = await PluginHarness.StartAsync($". {{\n hosts {path} {{\n reload 2s\n }}\n}}", time);
        var changes = new List<NameChange>();
        using var subscription = harness.Services.NameChanges.Subscribe(change =>
        {
            lock (changes)
            {
                changes.Add(change);
            }
        });
        Assert.Contains("coredns_hosts_entries 4\n", harness.Metrics.Serialize(), StringComparison.Ordinal);

        File.WriteAllText(path, "10.0.0.1 a.example\n10.0.0.9 b.example\n10.0.0.3 c.example\n192.0.2.1 long-enough-to-change-the-size.example\n");
        File.SetLastWriteTimeUtc(path, new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(async () => (await harness.QueryAsync("c.example.", DnsRecordType.A)).Answers.Count == 1);

        RecordAssert.Response(await harness.QueryAsync("b.example.", DnsRecordType.A), DnsResponseCode.NoError, ["b.example. 3600 IN A 10.0.0.9"]);
        var text = harness.Metrics.Serialize();
        Assert.Contains("coredns_hosts_entries 8\n", text, StringComparison.Ordinal);
        Assert.Contains($"coredns_hosts_reload_timestamp_seconds {new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero).ToUnixTimeSeconds()}\n", text, StringComparison.Ordinal);
        NameChange change;
        lock (changes)
        {
            change = Assert.Single(changes);
        }

        Assert.Equal(
            ["1.2.0.192.in-addr.arpa.", "2.0.0.10.in-addr.arpa.", "3.0.0.10.in-addr.arpa.", "9.0.0.10.in-addr.arpa.", "b.example.", "c.example.", "long-enough-to-change-the-size.example."],
            change.Names.Select(n => n.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Reload_FileRemoved_KeepsLastEntries()
    {
        var path = Write("10.0.0.1 a.example\n");
        var time = new ManualTimeProvider();
        await using var harness = await PluginHarness.StartAsync($". {{\n hosts {path}\n}}", time);

        File.Delete(path);
        time.Advance(TimeSpan.FromSeconds(5));

        RecordAssert.Response(await harness.QueryAsync("a.example.", DnsRecordType.A), DnsResponseCode.NoError, ["a.example. 3600 IN A 10.0.0.1"]);
    }

    [Fact]
    public async Task Lookup_ManyNames_AnswersWithoutAllocating()
    {
        var lines = string.Join('\n', Enumerable.Range(0, 10_000).Select(i => $"10.{i / 256 % 256}.{i % 256}.1 host{i}.example"));
        var source = new HostsSource(
            new HostsOptions { Path = Write(lines), ReloadInterval = TimeSpan.Zero },
            new MeshDnsServices(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, new MeshDns.Server.Metrics.MetricsRegistry(), TimeProvider.System, new ServerOptions()));
        await source.StartAsync(CancellationToken.None);
        Assert.Equal(20_000, source.Current.EntryCount);
        var handler = new HostsHandler(new ChainTerminator(), source);
        var context = new DnsRequestContext();
        var query = DnsTestClient.CreateQuery("HOST4242.example.", DnsRecordType.A).ToArray();
        context.Load(query, DnsTransport.Udp);
        Assert.True(Completed(handler.ServeAsync(context)));
        RecordAssert.Section(context.Response.Answers, "host4242.example. 3600 IN A 10.16.146.1");

        Assert.Equal(0, AllocationMeter.BytesPerRound(() =>
        {
            context.Load(query, DnsTransport.Udp);
            Completed(handler.ServeAsync(context));
        }));
    }

    [Fact]
    public void ReverseName_V4AndV6()
    {
        Assert.Equal("4.3.2.1.in-addr.arpa.", HostsMap.ReverseName(System.Net.IPAddress.Parse("1.2.3.4")).ToString());
        Assert.Equal(
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            HostsMap.ReverseName(System.Net.IPAddress.Parse("2001:db8::1")).ToString());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static bool Completed(ValueTask<PluginResult> pending) => pending.IsCompletedSuccessfully;

    private static HostsOptions Options(string corefile)
    {
        var capture = new CapturingHostsSetup();
        var harness = PluginHarness.Build(corefile, registry: PluginHarness.Registry(capture));
        harness.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return capture.Options!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            await Task.Delay(5, cts.Token);
        }
    }

    private string Write(string text)
    {
        var path = Path.Combine(_directory, "hosts");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Parses a hosts directive as the real setup does and keeps the options.</summary>
    private sealed class CapturingHostsSetup : MeshDns.Server.Plugins.IPluginSetup
    {
        public string Name => "hosts";

        public HostsOptions? Options { get; private set; }

        public void Setup(MeshDns.Server.Plugins.PluginSetupContext context) => Options = HostsSetup.Parse(context);
    }
}
