using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Upstream;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace MeshDns.Plugins.Tests.Forward;

/// <summary>DNS over TLS (RFC 7858) to an upstream with a certificate from a test CA.</summary>
public sealed class ForwardTlsTests(ITestOutputHelper output) : IDisposable
{
    private const string Www = "www.example.org. 300 IN A 192.0.2.1";
    private readonly TestCertificates _certificates = TestCertificates.Create();

    [Fact]
    public async Task ServeAsync_TlsWithCaAndServerName_AnswersAndReusesConnection()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(FakeUpstreamServer.ZoneHandler(Www), _certificates.Server);
        await using var host = await ForwardTestHost.StartAsync(
            $"forward . tls://{upstream.TlsAddress} {{\n tls {_certificates.AuthorityPemPath}\n tls_servername {TestCertificates.ServerName}\n}}", output);

        var first = await host.QueryAsync("www.example.org.", DnsRecordType.A);
        var second = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(first.Response, DnsResponseCode.NoError, [Www]);
        RecordAssert.Response(second.Response, DnsResponseCode.NoError, [Www]);
        Assert.All(upstream.ClientQueries, q => Assert.Equal(FakeTransport.Tls, q.Transport));
        Assert.Equal(1, upstream.ConnectionsAccepted);
        Assert.Equal(1, host.Engine.Metrics.ConnCacheHits.WithLabels("forward", upstream.TlsAddress, "tcp-tls").Value);
    }

    [Fact]
    public async Task ServeAsync_TlsVerifiesIpAddressWithoutServerName()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(FakeUpstreamServer.ZoneHandler(Www), _certificates.Server);
        await using var host = await ForwardTestHost.StartAsync($"forward . tls://{upstream.TlsAddress} {{\n tls {_certificates.AuthorityPemPath}\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(result.Response, DnsResponseCode.NoError, [Www]);
    }

    [Fact]
    public async Task ServeAsync_UntrustedCertificate_FailsAndLogsOnce()
    {
        using var untrusted = TestCertificates.CreateUntrustedServer();
        await using var upstream = await FakeUpstreamServer.StartAsync(FakeUpstreamServer.ZoneHandler(Www), untrusted);
        await using var host = await ForwardTestHost.StartAsync($"forward . tls://{upstream.TlsAddress} {{\n tls_servername {TestCertificates.ServerName}\n max_fails 0\n}}", output);

        var first = await host.QueryAsync("www.example.org.", DnsRecordType.A);
        var second = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, first.Result.Rcode);
        Assert.Equal(DnsResponseCode.ServFail, second.Result.Rcode);
        Assert.StartsWith("tls: ", first.Result.Error!.Message, StringComparison.Ordinal);
        Assert.Empty(upstream.ClientQueries);
        Assert.Single(host.Logs.At(LogLevel.Error), m => m.Contains("TLS with upstream", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServeAsync_WrongServerName_Fails()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(FakeUpstreamServer.ZoneHandler(Www), _certificates.Server);
        await using var host = await ForwardTestHost.StartAsync(
            $"forward . tls://{upstream.TlsAddress} {{\n tls {_certificates.AuthorityPemPath}\n tls_servername not-the-peer.test\n}}", output);

        var result = await host.QueryAsync("www.example.org.", DnsRecordType.A);

        Assert.Equal(DnsResponseCode.ServFail, result.Result.Rcode);
        Assert.Empty(upstream.ClientQueries);
    }

    [Fact]
    public async Task HealthCheck_TlsUpstreamWithBadCertificate_IsMarkedDown()
    {
        using var untrusted = TestCertificates.CreateUntrustedServer();
        await using var upstream = await FakeUpstreamServer.StartAsync(FakeUpstreamServer.ZoneHandler(Www), untrusted);
        await using var host = await ForwardTestHost.StartAsync($"forward . tls://{upstream.TlsAddress} {{\n max_fails 1\n health_check 50ms\n}}", output);

        await host.QueryAsync("www.example.org.", DnsRecordType.A);

        await ForwardFaultTests.WaitUntilAsync(() => host.Engine.Upstreams[0].IsDown);
    }

    public void Dispose() => _certificates.Dispose();
}
