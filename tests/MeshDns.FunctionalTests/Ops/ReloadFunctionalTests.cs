using System.Net;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Logging;
using Microsoft.Extensions.Logging;
using MeshDns.Testing.Time;
using Xunit.Abstractions;

namespace MeshDns.FunctionalTests.Ops;

/// <summary>The reload plugin against a real server, its Corefile on disk and its clock in the test's hands.</summary>
public sealed class ReloadFunctionalTests(ITestOutputHelper output) : IDisposable
{
    private const string Original = ".:0 {\n bind 127.0.0.1\n reload 2s 1s\n hosts {\n 10.0.0.1 www.example.org\n }\n}\n";
    private const string Changed = ".:0 {\n bind 127.0.0.1\n reload 2s 1s\n hosts {\n 10.0.0.2 www.example.org\n }\n}\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("meshdns-reload-").FullName;

    [Fact]
    public async Task Reload_ValidChangeWhileQueriesFlow_NewAnswersAndNoQueryLost()
    {
        var path = Path.Combine(_directory, "Corefile");
        await File.WriteAllTextAsync(path, Original);
        var time = new ManualTimeProvider();
        var logs = new LogCapture();
        await using var server = await TestDnsServer.StartAsync(Original, output, corefilePath: path, logging: b => b.AddProvider(logs), time: time);
        var endpoint = server.Endpoint;
        var before = server.Server.Current!;

        using var stop = new CancellationTokenSource();
        var traffic = new Traffic();
        var flowing = Task.Run(() => QueryContinuouslyAsync(endpoint, traffic, stop.Token));
        await OpsHelpers.WaitUntilAsync(() => traffic.Count("10.0.0.1") >= 20, "queries flow");
        await File.WriteAllTextAsync(path, Changed);
        time.Advance(TimeSpan.FromSeconds(3));
        await OpsHelpers.WaitUntilAsync(() => !ReferenceEquals(server.Server.Current, before), "the new configuration serves");
        await OpsHelpers.WaitUntilAsync(() => traffic.Count("10.0.0.2") >= 20, "queries flow on the new configuration");
        await stop.CancelAsync();
        await flowing;

        Assert.Equal(0, traffic.Lost);
        RecordAssert.Response(await server.QueryAsync("www.example.org.", DnsRecordType.A), DnsResponseCode.NoError, ["www.example.org. 3600 IN A 10.0.0.2"]);
        Assert.Equal(2, logs.LinesStartingWith("[INFO] plugin/reload: Running configuration SHA512 = ").Count);
        Assert.Equal(endpoint, server.Endpoint);
    }

    [Fact]
    public async Task Reload_BrokenChange_KeepsRunningConfigurationAndCountsFailure()
    {
        var path = Path.Combine(_directory, "Corefile");
        await File.WriteAllTextAsync(path, Original);
        var time = new ManualTimeProvider();
        var logs = new LogCapture();
        await using var server = await TestDnsServer.StartAsync(Original, output, corefilePath: path, logging: b => b.AddProvider(logs), time: time);
        var failures = server.Server.Services.Metrics.Counter("coredns_reload_failed_total", "Counter of the number of failed reload attempts.");
        var running = server.Server.Current;

        await File.WriteAllTextAsync(path, ".:0 {\n bind 127.0.0.1\n reload 2s 1s\n hosts {\n ttl 0\n }\n}\n");
        time.Advance(TimeSpan.FromSeconds(3));
        await OpsHelpers.WaitUntilAsync(() => failures.Value == 1, "the failed reload is counted");

        // The same broken content is not tried again.
        time.Advance(TimeSpan.FromSeconds(3));
        time.Advance(TimeSpan.FromSeconds(3));
        await Task.Delay(100);
        Assert.Equal(1, failures.Value);
        Assert.Same(running, server.Server.Current);
        RecordAssert.Response(await server.QueryAsync("www.example.org.", DnsRecordType.A), DnsResponseCode.NoError, ["www.example.org. 3600 IN A 10.0.0.1"]);
        Assert.Contains(logs.Lines, l => l.StartsWith("[ERROR] Restart failed, keeping the running configuration: Corefile:5 - plugin/hosts: ttl provided is invalid", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task QueryContinuouslyAsync(IPEndPoint endpoint, Traffic traffic, CancellationToken stop)
    {
        for (var sent = 0; !stop.IsCancellationRequested && sent < 20_000; sent++)
        {
            try
            {
                var reply = await DnsTestClient.QueryUdpAsync(endpoint, DnsTestClient.CreateQuery("www.example.org.", DnsRecordType.A), TimeSpan.FromSeconds(2));
                traffic.Add(reply.ResponseCode == DnsResponseCode.NoError && reply.Answers.Count == 1 ? reply.Answers[0].RDataToString() : null);
            }
            catch (TimeoutException)
            {
                traffic.Add(null);
            }
        }
    }

    /// <summary>Answers seen by the query loop, by address; null answers are lost queries.</summary>
    private sealed class Traffic
    {
        private readonly Dictionary<string, int> _answers = new(StringComparer.Ordinal);
        private int _lost;

        public int Lost => Volatile.Read(ref _lost);

        public void Add(string? answer)
        {
            if (answer is null)
            {
                Interlocked.Increment(ref _lost);
                return;
            }

            lock (_answers)
            {
                _answers[answer] = _answers.GetValueOrDefault(answer) + 1;
            }
        }

        public int Count(string answer)
        {
            lock (_answers)
            {
                return _answers.GetValueOrDefault(answer);
            }
        }
    }
}
