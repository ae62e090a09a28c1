using System.Security.Cryptography;
using System.Text;
using MeshDns.Plugins.Reload;
using MeshDns.Plugins.Tests.Support;
using MeshDns.Server.Hosting;
using MeshDns.Testing.Time;

namespace MeshDns.Plugins.Tests.Reload;

public sealed class ReloadTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshdns-reload-").FullName;

    [Theory]
    [InlineData("reload", 30, 15)]
    [InlineData("reload 10s", 10, 5)]
    [InlineData("reload 5s", 5, 2.5)]
    [InlineData("reload 5s 2s", 5, 2)]
    [InlineData("reload 1m 10s", 60, 10)]
    [InlineData("reload 2s 1s", 2, 1)]
    public void Setup_Valid_IntervalWithJitterWindow(string directive, double interval, double jitter)
    {
        var loop = Loop($". {{\n{directive}\n whoami\n}}");

        Assert.Equal(TimeSpan.FromSeconds(interval), loop.ConfiguredInterval);
        Assert.Equal(TimeSpan.FromSeconds(jitter), loop.ConfiguredJitter);
        Assert.InRange(loop.Interval, loop.ConfiguredInterval - (loop.ConfiguredJitter / 2), loop.ConfiguredInterval + (loop.ConfiguredJitter / 2));
    }

    [Theory]
    [InlineData("reload 1s", "Corefile:2 - plugin/reload: interval value must be greater or equal to 2s")]
    [InlineData("reload 5s 500ms", "Corefile:2 - plugin/reload: jitter value must be greater or equal to 1s")]
    [InlineData("reload 0s", "Corefile:2 - plugin/reload: interval value must be greater or equal to 2s")]
    [InlineData("reload abc", "Corefile:2 - plugin/reload: invalid duration \"abc\"")]
    [InlineData("reload 10s abc", "Corefile:2 - plugin/reload: invalid duration \"abc\"")]
    [InlineData("reload 10s 2s 3s", "Corefile:2 - plugin/reload: Wrong argument count or unexpected line ending after '3s'")]
    [InlineData("reload\n reload", "Corefile:3 - plugin/reload: this plugin can only be used once per Server Block")]
    public void Setup_Invalid_ReportsCoreDnsErrors(string directive, string expected)
    {
        Assert.Equal([expected], PluginHarness.SetupErrors($". {{\n{directive}\n}}"));
    }

    [Fact]
    public async Task Start_LogsDigestAndSetsVersionInfo()
    {
        const string Corefile = ". {\n reload\n whoami\n}";
        await using var harness = await PluginHarness.StartAsync(Corefile, new ManualTimeProvider());
        var hash = Sha512(Corefile);

        Assert.Equal([$"[INFO] plugin/reload: Running configuration SHA512 = {hash}"], harness.Logs.LinesStartingWith("[INFO] plugin/reload"));
        Assert.Contains($"coredns_reload_version_info{{hash=\"sha512\",value=\"{hash}\"}} 1\n", harness.Metrics.Serialize(), StringComparison.Ordinal);
        Assert.Equal("coredns_reload_failed_total", harness.Metrics.Describe().Single(d => d.Name == "coredns_reload_failed_total").Name);
    }

    [Fact]
    public async Task Tick_CorefileChanged_AsksForReloadOncePerContent()
    {
        const string Corefile = ". {\n reload 2s 1s\n whoami\n}";
        var path = Write(Corefile);
        var time = new ManualTimeProvider();
        var reloader = new RecordingReloader(succeeds: false);
        var capture = new CapturingReloadSetup();
        await using var harness = await PluginHarness.StartAsync(Corefile, time, path, reloader, PluginHarness.Registry(capture));

        time.Advance(TimeSpan.FromSeconds(3));
        await Task.Delay(50);
        Assert.Equal(0, reloader.Calls);

        File.WriteAllText(path, Corefile + "\n# changed\n");
        time.Advance(TimeSpan.FromSeconds(3));
        await WaitUntilAsync(() => reloader.Calls == 1);

        // The reload failed; the same content is not tried again.
        time.Advance(TimeSpan.FromSeconds(3));
        time.Advance(TimeSpan.FromSeconds(3));
        await Task.Delay(50);
        Assert.Equal(1, reloader.Calls);

        File.WriteAllText(path, Corefile + "\n# changed again\n");
        time.Advance(TimeSpan.FromSeconds(3));
        await WaitUntilAsync(() => reloader.Calls == 2);
        Assert.Equal(["reload", "reload"], reloader.Reasons);
    }

    [Fact]
    public async Task CheckOnce_NoCorefilePath_DoesNothing()
    {
        var reloader = new RecordingReloader(succeeds: true);
        var capture = new CapturingReloadSetup();
        await using var harness = await PluginHarness.StartAsync(". {\n reload\n whoami\n}", new ManualTimeProvider(), corefilePath: null, reloader, PluginHarness.Registry(capture));

        Assert.False(await capture.Loop!.CheckOnceAsync());
        Assert.Equal(0, reloader.Calls);
    }

    [Fact]
    public async Task CheckOnce_CorefileUnreadable_WarnsAndKeepsGoing()
    {
        var path = Path.Combine(_directory, "missing");
        var reloader = new RecordingReloader(succeeds: true);
        var capture = new CapturingReloadSetup();
        await using var harness = await PluginHarness.StartAsync(". {\n reload\n whoami\n}", new ManualTimeProvider(), path, reloader, PluginHarness.Registry(capture));

        Assert.False(await capture.Loop!.CheckOnceAsync());
        Assert.Single(harness.Logs.LinesStartingWith("[WARNING] plugin/reload: Corefile " + path + " could not be read"));
    }

    [Fact]
    public async Task Stop_LoopEnds()
    {
        var time = new ManualTimeProvider();
        var capture = new CapturingReloadSetup();
        var harness = await PluginHarness.StartAsync(". {\n reload\n whoami\n}", time, registry: PluginHarness.Registry(capture));

        await harness.DisposeAsync();

        await capture.Loop!.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ReloadLoop Loop(string corefile)
    {
        var capture = new CapturingReloadSetup();
        var harness = PluginHarness.Build(corefile, registry: PluginHarness.Registry(capture));
        harness.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return capture.Loop!;
    }

    private static string Sha512(string text) => Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(text)));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, cts.Token);
        }
    }

    private string Write(string text)
    {
        var path = Path.Combine(_directory, "Corefile");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The real reload setup, keeping the loop it created so tests can look at it.</summary>
    private sealed class CapturingReloadSetup : MeshDns.Server.Plugins.IPluginSetup
    {
        private readonly ReloadSetup _inner = new();

        public string Name => _inner.Name;

        public ReloadLoop? Loop { get; private set; }

        public void Setup(MeshDns.Server.Plugins.PluginSetupContext context)
        {
            _inner.Setup(context);
            Loop = context.GetOrAddShared<ReloadLoop>("reload", () => throw new InvalidOperationException("setup made no loop"));
        }
    }

    private sealed class RecordingReloader(bool succeeds) : IConfigReloader
    {
        private readonly List<string> _reasons = [];

        public int Calls
        {
            get
            {
                lock (_reasons)
                {
                    return _reasons.Count;
                }
            }
        }

        public IReadOnlyList<string> Reasons
        {
            get
            {
                lock (_reasons)
                {
                    return _reasons.ToArray();
                }
            }
        }

        public Task<bool> ReloadAsync(string reason, CancellationToken cancellationToken)
        {
            lock (_reasons)
            {
                _reasons.Add(reason);
            }

            return Task.FromResult(succeeds);
        }
    }
}
