using FsCheck;
using FsCheck.Fluent;
using MeshDns.Protocol;
using MeshDns.Server.Metrics;
using MeshDns.Testing.Allocation;

namespace MeshDns.Server.Tests.Metrics;

/// <summary>The per-(server, zone) shortcuts of <see cref="CoreDnsMetrics"/> label requests exactly as CoreDNS does.</summary>
public sealed class CoreDnsZoneSeriesTests
{
    private const string Server = "dns://:53";
    private const string Zone = "example.org.";

    private static DnsRequestContext Answered(DnsRecordType type)
    {
        var context = new DnsRequestContext();
        context.Load(DnsMessage.CreateQuery(DnsName.Parse("www.example.org."), type, 7).ToArray(), DnsTransport.Udp);
        return context;
    }

    [Fact]
    public void TypeIndex_EveryType_MonitoredTypesByNameOthersOther()
    {
        Prop.ForAll(Gen.Choose(0, ushort.MaxValue).ToArbitrary(), value =>
        {
            var type = (DnsRecordType)(ushort)value;
            var position = CoreDnsMetrics.MonitoredTypes.IndexOf(type);
            return CoreDnsMetrics.TypeIndex(type) == (position < 0 ? CoreDnsMetrics.MonitoredTypes.Length : position);
        }).QuickCheckThrowOnFailure();

        foreach (var type in CoreDnsMetrics.MonitoredTypes)
        {
            Assert.Equal(DnsTypeNames.TypeToString(type), CoreDnsMetrics.TypeLabel(CoreDnsMetrics.TypeIndex(type)));
        }

        Assert.Equal("other", CoreDnsMetrics.TypeLabel(CoreDnsMetrics.TypeIndex(DnsRecordType.None)));
        Assert.Equal("other", CoreDnsMetrics.TypeLabel(CoreDnsMetrics.TypeIndex((DnsRecordType)257)));
    }

    [Fact]
    public void Record_TypesAboveAndBelow256_LabelledByNameOrOther()
    {
        var registry = new MetricsRegistry();
        var series = new CoreDnsMetrics(registry).Series(Server, Zone);

        series.Record(Answered(DnsRecordType.AXFR), DnsResponseCode.NoError, "hosts", 60);
        series.Record(Answered((DnsRecordType)257), DnsResponseCode.NoError, "hosts", 60);

        var text = registry.Serialize();
        Assert.Contains("coredns_dns_requests_total{family=\"1\",proto=\"udp\",server=\"dns://:53\",type=\"AXFR\",view=\"\",zone=\"example.org.\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("coredns_dns_requests_total{family=\"1\",proto=\"udp\",server=\"dns://:53\",type=\"other\",view=\"\",zone=\"example.org.\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Record_SamePluginNameInAnotherString_OneSeries()
    {
        var registry = new MetricsRegistry();
        var metrics = new CoreDnsMetrics(registry);
        var context = Answered(DnsRecordType.A);
        var copy = new string("hosts".AsSpan());
        Assert.False(ReferenceEquals("hosts", copy));

        metrics.Series(Server, Zone).Record(context, DnsResponseCode.NoError, "hosts", 60);
        metrics.Series(new string(Server.AsSpan()), new string(Zone.AsSpan())).Record(context, DnsResponseCode.NoError, copy, 60);
        metrics.Record(context, Zone, DnsResponseCode.NoError, "hosts", 60);

        Assert.Contains("coredns_dns_responses_total{plugin=\"hosts\",rcode=\"NOERROR\",server=\"\",view=\"\",zone=\"example.org.\"} 1\n", registry.Serialize(), StringComparison.Ordinal);
        Assert.Contains("coredns_dns_responses_total{plugin=\"hosts\",rcode=\"NOERROR\",server=\"dns://:53\",view=\"\",zone=\"example.org.\"} 2\n", registry.Serialize(), StringComparison.Ordinal);
    }

    [Fact]
    public void Record_ExtendedRcodeAndManyPlugins_EachCountedUnderItsLabels()
    {
        var registry = new MetricsRegistry();
        var series = new CoreDnsMetrics(registry).Series(Server, Zone);
        var context = Answered(DnsRecordType.A);

        for (var round = 0; round < 2; round++)
        {
            series.Record(context, DnsResponseCode.BadVers, string.Empty, 23);
            for (var i = 0; i < 40; i++)
            {
                series.Record(context, DnsResponseCode.NXDomain, "p" + i, 60);
            }
        }

        var text = registry.Serialize();
        Assert.Contains("coredns_dns_responses_total{plugin=\"\",rcode=\"BADVERS\",server=\"dns://:53\",view=\"\",zone=\"example.org.\"} 2\n", text, StringComparison.Ordinal);
        for (var i = 0; i < 40; i++)
        {
            Assert.Contains($"coredns_dns_responses_total{{plugin=\"p{i}\",rcode=\"NXDOMAIN\",server=\"dns://:53\",view=\"\",zone=\"example.org.\"}} 2\n", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Record_WarmSeries_AllocatesNothing()
    {
        var series = new CoreDnsMetrics(new MetricsRegistry()).Series(Server, Zone);
        var context = Answered(DnsRecordType.AAAA);

        Assert.Equal(0, AllocationMeter.BytesPerRound(() => series.Record(context, DnsResponseCode.NoError, "hosts", 60), callsPerRound: 10_000));
    }
}
