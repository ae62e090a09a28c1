using System.Net;
using MeshDns.Plugins.Forward;
using MeshDns.Protocol;
using MeshDns.Server.Corefile;

namespace MeshDns.Plugins.Tests.Forward;

public sealed class ForwardParserTests
{
    [Theory]
    [InlineData("forward . 127.0.0.1", ".", "127.0.0.1:53")]
    [InlineData("forward example.org 127.0.0.1:9005", "example.org.", "127.0.0.1:9005")]
    [InlineData("forward . dns://10.0.0.1", ".", "10.0.0.1:53")]
    [InlineData("forward . tls://9.9.9.9", ".", "9.9.9.9:853")]
    [InlineData("forward . tls://9.9.9.9:10853", ".", "9.9.9.9:10853")]
    [InlineData("forward . [2003::1]:53", ".", "[2003::1]:53")]
    [InlineData("forward . 2003::1", ".", "[2003::1]:53")]
    [InlineData("forward EXAMPLE.org. 10.0.0.10:53 10.0.0.11:1053", "example.org.", "10.0.0.10:53,10.0.0.11:1053")]
    [InlineData("forward 10.0.0.0/24 10.0.0.1", "0.0.10.in-addr.arpa.", "10.0.0.1:53")]
    [InlineData("forward . nlb-1234.elb.eu-west-1.amazonaws.com", ".", "nlb-1234.elb.eu-west-1.amazonaws.com:53")]
    [InlineData("forward . tls://dns.peer.example:8853", ".", "dns.peer.example:8853")]
    public void TryParse_To_GivesCoreDnsLabels(string line, string from, string labels)
    {
        var options = ForwardTestHost.Parse(line);

        Assert.Equal(from, options.From.ToString());
        Assert.Equal(labels, string.Join(',', options.Upstreams.Select(u => u.Label)));
    }

    [Fact]
    public void TryParse_Defaults_MatchCoreDns()
    {
        var options = ForwardTestHost.Parse("forward . 127.0.0.1");

        Assert.Equal(TimeSpan.FromSeconds(10), options.Expire);
        Assert.Equal(2, options.MaxFails);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.HealthCheckInterval);
        Assert.Equal(UpstreamPolicy.Random, options.Policy);
        Assert.True(options.HealthCheckRecursionDesired);
        Assert.True(options.HealthCheckDomain.IsRoot);
        Assert.Equal(0, options.MaxConcurrent);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Timeouts.Read);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeouts.Request);
    }

    [Fact]
    public void TryParse_EveryOption_IsRead()
    {
        var options = ForwardTestHost.Parse("""
            forward . tls://127.0.0.1 tls://127.0.0.2:8853 {
                except internal.example.org Other.Example.
                force_tcp
                prefer_udp
                expire 30s
                max_fails 5
                max_idle_conns 4
                tls_servername dns.peer.test
                policy fastest
                health_check 2s no_rec domain Example.COM
                max_concurrent 1000
                next NXDOMAIN SERVFAIL
                failover SERVFAIL REFUSED
                failfast_all_unhealthy_upstreams
                resolver 10.0.0.53 [fd00::53]:5353
            }
            """);

        Assert.Equal(["internal.example.org.", "other.example."], options.Except.Select(e => e.ToString()));
        Assert.True(options.ForceTcp);
        Assert.True(options.PreferUdp);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Expire);
        Assert.Equal(5, options.MaxFails);
        Assert.Equal(4, options.MaxIdleConnections);
        Assert.Equal("dns.peer.test", options.Tls!.ServerName);
        Assert.Equal(UpstreamPolicy.Fastest, options.Policy);
        Assert.Equal(TimeSpan.FromSeconds(2), options.HealthCheckInterval);
        Assert.False(options.HealthCheckRecursionDesired);
        Assert.Equal("example.com.", options.HealthCheckDomain.ToString());
        Assert.Equal(1000, options.MaxConcurrent);
        Assert.Equal([DnsResponseCode.NXDomain, DnsResponseCode.ServFail], options.Next.ToArray());
        Assert.Equal([DnsResponseCode.ServFail, DnsResponseCode.Refused], options.Failover.ToArray());
        Assert.True(options.FailFastWhenAllDown);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("10.0.0.53"), 53), new IPEndPoint(IPAddress.Parse("fd00::53"), 5353)], options.Resolvers.ToArray());
        Assert.All(options.Upstreams, u => Assert.Equal(UpstreamTransport.Tls, u.Transport));
    }

    [Fact]
    public void TryParse_TlsPerHostServerName_KeepsNameAndPort()
    {
        var options = ForwardTestHost.Parse("forward . tls://9.9.9.9%dns.quad9.net tls://1.1.1.1%cloudflare-dns.com:10853");

        Assert.Equal(("9.9.9.9:853", "dns.quad9.net"), (options.Upstreams[0].Label, options.Upstreams[0].TlsServerName));
        Assert.Equal(("1.1.1.1:10853", "cloudflare-dns.com"), (options.Upstreams[1].Label, options.Upstreams[1].TlsServerName));
    }

    [Fact]
    public void TryParse_ResolvConfFile_ReadsNameServers()
    {
        var path = Path.Combine(Path.GetTempPath(), "meshdns-resolv-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, "# comment\nsearch example.org\nnameserver 10.0.0.1\nnameserver 2001:db8::1 ; trailing\noptions ndots:5\n");
        try
        {
            var options = ForwardTestHost.Parse($"forward . {path} 10.0.0.9");

            Assert.Equal(["10.0.0.1:53", "[2001:db8::1]:53", "10.0.0.9:53"], options.Upstreams.Select(u => u.Label));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("forward .", "Wrong argument count or unexpected line ending after '.'")]
    [InlineData("forward", "Wrong argument count or unexpected line ending after 'forward'")]
    [InlineData("forward . https://9.9.9.9", "'https' is not supported as a destination protocol in forward: 9.9.9.9")]
    [InlineData("forward . /no/such/resolv.conf", "not an IP address or file: \"/no/such/resolv.conf\"")]
    [InlineData("forward . 10.0.0.1:99999", "invalid port in \"10.0.0.1:99999\"")]
    [InlineData("forward . 1.2.3", "not an IP address or file: \"1.2.3\"")]
    [InlineData("forward . 127.0.0.1 {\n bogus\n}", "unknown property 'bogus'")]
    [InlineData("forward . 127.0.0.1 {\n policy fastest_ever\n}", "unknown policy 'fastest_ever'")]
    [InlineData("forward . 127.0.0.1 {\n max_concurrent -1\n}", "max_concurrent can't be negative: -1")]
    [InlineData("forward . 127.0.0.1 {\n expire -1s\n}", "expire can't be negative: -1s")]
    [InlineData("forward . 127.0.0.1 {\n health_check -1s\n}", "health_check can't be negative: -1s")]
    [InlineData("forward . 127.0.0.1 {\n health_check 1s bogus\n}", "health_check: unknown option bogus")]
    [InlineData("forward . 127.0.0.1 {\n health_check 1s domain\n}", "Wrong argument count or unexpected line ending after 'domain'")]
    [InlineData("forward . 127.0.0.1 {\n failover NOERROR\n}", "NoError cannot be used in failover")]
    [InlineData("forward . 127.0.0.1 {\n next BOGUS\n}", "BOGUS is not a valid rcode")]
    [InlineData("forward . 127.0.0.1 {\n force_tcp yes\n}", "Wrong argument count or unexpected line ending after 'force_tcp'")]
    [InlineData("forward . 127.0.0.1 {\n tls a b c d\n}", "Wrong argument count or unexpected line ending after 'd'")]
    [InlineData("forward . 127.0.0.1 {\n tls /no/such/ca.pem\n}", "open /no/such/ca.pem: no such file or directory")]
    [InlineData("forward . 127.0.0.1 {\n resolver dns.google\n}", "resolver: must specify an IP address: `dns.google'")]
    [InlineData("forward . tls://9.9.9.9%dns.quad9.net {\n tls_servername other.example\n}", "both forward ('other.example') and proxy level ('dns.quad9.net') TLS servernames are set for upstream proxy 'tls://9.9.9.9%dns.quad9.net'")]
    [InlineData("forward . 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9 1.1.1.10 1.1.1.11 1.1.1.12 1.1.1.13 1.1.1.14 1.1.1.15 1.1.1.16", "more than 15 TOs configured: 16")]
    public void TryParse_BadInput_ReportsCoreDnsError(string line, string expected)
    {
        var document = CorefileParser.Parse($". {{\n{line}\n}}\n", "Corefile");
        var errors = new List<string>();

        var ok = ForwardParser.TryParse(document.ServerBlocks[0].Directives[0], (_, message) => errors.Add(message), out _);

        Assert.False(ok);
        Assert.Contains(expected, errors);
    }

    [Fact]
    public void ParseNameServers_IgnoresCommentsAndOtherKeywords()
    {
        var servers = ResolvConf.ParseNameServers("nameserver 1.1.1.1\n#nameserver 9.9.9.9\n  nameserver\t8.8.8.8\r\nnameserver bogus\ndomain x\n");

        Assert.Equal([IPAddress.Parse("1.1.1.1"), IPAddress.Parse("8.8.8.8")], servers);
    }
}
