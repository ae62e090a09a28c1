using System.Net;
using System.Net.NetworkInformation;
using MeshDns.Plugins.Tests.Support;

namespace MeshDns.Plugins.Tests.Bind;

public sealed class BindTests
{
    [Theory]
    [InlineData("bind 1.2.3.4", "1.2.3.4")]
    [InlineData("bind 1.2.3.4 ::5", "1.2.3.4 ::5")]
    [InlineData("bind ::1 1.2.3.4 ::5 127.9.9.0", "::1 1.2.3.4 ::5 127.9.9.0")]
    [InlineData("bind 1.2.3.4\n bind ::5", "1.2.3.4 ::5")]
    [InlineData("bind 1.2.3.4 1.2.3.4", "1.2.3.4")]
    [InlineData("bind 1.2.3.4 ::5 {\n except ::5\n }", "1.2.3.4")]
    [InlineData("bind 1.2.3.4 {\n except ::5\n }\n bind ::5", "1.2.3.4 ::5")]
    public void Setup_Addresses_BindListOfTheBlock(string directive, string expected)
    {
        Assert.Equal(expected, string.Join(' ', Addresses($". {{\n{directive}\n whoami\n}}")));
    }

    [Fact]
    public void Setup_InterfaceName_ExpandsToItsAddresses()
    {
        var loopback = NetworkInterface.GetAllNetworkInterfaces().Single(i => i.Name == "lo");
        var expected = loopback.GetIPProperties().UnicastAddresses.Select(u => u.Address.ToString()).ToArray();

        Assert.Equal(["1.2.3.4", .. expected], Addresses(". {\n bind 1.2.3.4 lo\n whoami\n}"));
        Assert.Contains("127.0.0.1", expected);
    }

    [Fact]
    public void Setup_InterfaceWithExcept_LeavesTheExceptedAddressOut()
    {
        var addresses = Addresses(". {\n bind lo {\n except 127.0.0.1\n }\n whoami\n}");

        Assert.DoesNotContain("127.0.0.1", addresses);
        Assert.Equal(
            NetworkInterface.GetAllNetworkInterfaces().Single(i => i.Name == "lo").GetIPProperties().UnicastAddresses.Count - 1,
            addresses.Count);
    }

    [Fact]
    public void Setup_Bind_ListenerNamedAfterTheAddress()
    {
        using var _ = new Disposer(PluginHarness.Build(". {\n bind 127.0.0.1 ::1\n whoami\n}"), out var harness);

        Assert.Equal(["dns://127.0.0.1:0", "dns://[::1]:0"], harness.Instance.Listeners.Select(l => l.ServerAddress).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("bind", "Corefile:2 - plugin/bind: at least one address or interface name is expected")]
    [InlineData("bind 1.2.3.invalid", "Corefile:2 - plugin/bind: not a valid IP address or interface name: \"1.2.3.invalid\"")]
    [InlineData("bind 1.2.3", "Corefile:2 - plugin/bind: not a valid IP address or interface name: \"1.2.3\"")]
    [InlineData("bind ::1 1.2.3.4 ::5 127.9.9.0 noone", "Corefile:2 - plugin/bind: not a valid IP address or interface name: \"noone\"")]
    [InlineData("bind 1.2.3.4 {\n except\n }", "Corefile:3 - plugin/bind: at least one address or interface must be given to except subdirective")]
    [InlineData("bind 1.2.3.4 {\n except noone\n }", "Corefile:3 - plugin/bind: not a valid IP address or interface name: \"noone\"")]
    [InlineData("bind 1.2.3.4 {\n exclude 1.2.3.4\n }", "Corefile:3 - plugin/bind: invalid option \"exclude\"")]
    public void Setup_Invalid_ReportsCoreDnsErrors(string directive, string expected)
    {
        Assert.Equal([expected], PluginHarness.SetupErrors($". {{\n{directive}\n whoami\n}}"));
    }

    private static List<string> Addresses(string corefile)
    {
        using var _ = new Disposer(PluginHarness.Build(corefile), out var harness);
        return harness.Instance.Listeners.Select(l => l.BindAddress).OfType<IPAddress>().Select(a => a.ToString()).ToList();
    }

    private sealed class Disposer : IDisposable
    {
        private readonly PluginHarness _harness;

        public Disposer(PluginHarness harness, out PluginHarness value)
        {
            _harness = harness;
            value = harness;
        }

        public void Dispose() => _harness.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
