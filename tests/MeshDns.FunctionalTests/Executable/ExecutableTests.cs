using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;

namespace MeshDns.FunctionalTests.Executable;

/// <summary>The meshdns executable as users run it: CoreDNS's flags, exit codes, error output and signals.</summary>
public sealed class ExecutableTests : IDisposable
{
    private const int SigTerm = 15;
    private const int SigUsr1 = 10;
    private readonly string _directory = Directory.CreateTempSubdirectory("meshdns-exe-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static int FreePort()
    {
        for (var attempt = 0; ; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
            }
        }
    }

    private string WriteCorefile(string text, string name = "Corefile")
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Version_PrintsNameVersionPlatformAndExitsZero()
    {
        var (code, stdout, _) = await MeshDnsProcess.RunAsync(_directory, "-version");
        Assert.Equal(0, code);
        Assert.Matches(@"^MeshDns-\d+\.\d+\.\d+\nlinux/x64, \.NET 10\.", stdout);
    }

    [Fact]
    public async Task Plugins_ListsEveryPluginInCoreDnsForm()
    {
        var (code, stdout, _) = await MeshDnsProcess.RunAsync(_directory, "-plugins");
        Assert.Equal(0, code);
        foreach (var plugin in new[] { "errors", "log", "health", "ready", "prometheus", "reload", "bind", "hosts", "loadbalance", "cache", "rewrite", "forward", "loop", "whoami" })
        {
            Assert.Contains($"  dns.{plugin}\n", stdout);
        }
    }

    [Fact]
    public async Task BadCorefile_PrintsEveryErrorWithFileLineAndDirective_ExitsOne()
    {
        var path = WriteCorefile(".:53 {\n    health :notaport\n    frobnicate\n    cache -5\n}\n");
        var (code, stdout, stderr) = await MeshDnsProcess.RunAsync(_directory, "-conf", path);
        Assert.Equal(1, code);
        Assert.Contains("Corefile:2 - plugin/health:", stderr);
        Assert.Contains("Corefile:3 - Error during parsing: Unknown directive 'frobnicate'", stderr);
        Assert.Contains("Corefile:4 - plugin/cache:", stderr);
        Assert.DoesNotContain("MeshDns-", stdout);
    }

    [Fact]
    public async Task MissingCorefile_ExitsOneAndSaysSo()
    {
        var (code, _, stderr) = await MeshDnsProcess.RunAsync(_directory, "-conf", Path.Combine(_directory, "nope"));
        Assert.Equal(1, code);
        Assert.Contains("not found", stderr);
    }

    [Fact]
    public async Task PortInUse_ExitsOneWithTheAddress()
    {
        using var blocker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        blocker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)blocker.LocalEndPoint!).Port;
        var path = WriteCorefile($".:{port} {{\n    bind 127.0.0.1\n    whoami\n}}\n");
        var (code, _, stderr) = await MeshDnsProcess.RunAsync(_directory, "-conf", path);
        Assert.Equal(1, code);
        Assert.Contains($"dns://127.0.0.1:{port}", stderr);
    }

    [Fact]
    public async Task Serve_GoStyleFlags_DnsPortAndPidfile_ThenSigTermAfterLameduck_ExitsZero()
    {
        var port = FreePort();
        var pidFile = Path.Combine(_directory, "meshdns.pid");
        var path = WriteCorefile(". {\n    bind 127.0.0.1\n    health 127.0.0.1:0 {\n        lameduck 1s\n    }\n    whoami\n}\n");
        using var process = MeshDnsProcess.Start(_directory, $"-conf={path}", "-dns.port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-pidfile", pidFile);
        await process.WaitForOutputAsync("MeshDns-", TimeSpan.FromSeconds(30));
        Assert.Contains($".:{port}", process.Stdout);
        Assert.Equal(process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(pidFile).Trim());

        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        Assert.Equal(2, (await DnsTestClient.QueryAsync(endpoint, "before.example.", DnsRecordType.A)).Additionals.Count);

        process.Signal(SigTerm);
        await Task.Delay(300);
        // Lameduck: still answering after SIGTERM.
        Assert.Equal(2, (await DnsTestClient.QueryAsync(endpoint, "during.example.", DnsRecordType.A)).Additionals.Count);

        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("lameduck", process.Stdout);
        Assert.False(File.Exists(pidFile), "the pid file is removed on exit");
    }

    [Fact]
    public async Task SigUsr1_ReloadsTheCorefile_BrokenEditKeepsServing()
    {
        var port = FreePort();
        var path = WriteCorefile($".:{port} {{\n    bind 127.0.0.1\n    hosts {{\n        10.0.0.1 a.example.\n    }}\n}}\n");
        using var process = MeshDnsProcess.Start(_directory, "-conf", path, "-quiet");
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        await WaitAnsweringAsync(endpoint);
        Assert.Equal("10.0.0.1", ((ARecord)(await DnsTestClient.QueryAsync(endpoint, "a.example.", DnsRecordType.A)).Answers[0]).Address.ToString());

        File.WriteAllText(path, $".:{port} {{\n    bind 127.0.0.1\n    hosts {{\n        10.0.0.2 a.example.\n    }}\n}}\n");
        process.Signal(SigUsr1);
        await WaitForAsync(async () => ((ARecord)(await DnsTestClient.QueryAsync(endpoint, "a.example.", DnsRecordType.A)).Answers[0]).Address.ToString() == "10.0.0.2");

        File.WriteAllText(path, $".:{port} {{\n    bind 127.0.0.1\n    hosts {{\n        not-an-address a.example.\n    }}\n    nonsense\n}}\n");
        process.Signal(SigUsr1);
        await process.WaitForOutputAsync("Restart failed", TimeSpan.FromSeconds(15));
        Assert.Equal("10.0.0.2", ((ARecord)(await DnsTestClient.QueryAsync(endpoint, "a.example.", DnsRecordType.A)).Answers[0]).Address.ToString());
    }

    [Fact]
    public async Task NoCorefile_ServesWhoamiOnTheDefaultPortFlag()
    {
        var port = FreePort();
        using var process = MeshDnsProcess.Start(_directory, "-dns.port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        await WaitAnsweringAsync(endpoint);
        var reply = await DnsTestClient.QueryAsync(endpoint, "who.example.", DnsRecordType.A);
        Assert.Contains(reply.Additionals, r => r is SrvRecord);
    }

    private static async Task WaitAnsweringAsync(IPEndPoint endpoint) =>
        await WaitForAsync(async () => await DnsTestClient.SendUdpAsync(endpoint, DnsTestClient.CreateQuery("probe.", DnsRecordType.A).ToArray(), TimeSpan.FromMilliseconds(300)) is not null);

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is TimeoutException or SocketException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(100);
        }
    }
}
