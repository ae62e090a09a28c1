using System.Collections.Concurrent;
using MeshDns.Testing.FakeKubernetes;
using Microsoft.Extensions.Logging;

namespace MeshDns.Kubernetes.Tests;

/// <summary>Short timings so fault tests finish in seconds.</summary>
internal static class Fast
{
    public static InformerOptions Informers { get; } = new()
    {
        PageSize = 500,
        WatchTimeout = TimeSpan.FromSeconds(20),
        DeadWatchBound = TimeSpan.FromSeconds(1.5),
        BackoffBase = TimeSpan.FromMilliseconds(20),
        BackoffCap = TimeSpan.FromMilliseconds(300),
        QuietWatchesBeforeRelist = 3,
        AbsentRecheckInterval = TimeSpan.FromSeconds(1),
    };

    public static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(20);

    public static KubernetesConnectionOptions ClientCertificate(FakeKubernetesServer server, string user = "admin", TestKeyFormat format = TestKeyFormat.EcPkcs8)
    {
        var client = server.Pki.IssueClientCertificate(user, format, "system:masters");
        return new KubernetesConnectionOptions
        {
            Server = server.BaseAddress,
            CertificateAuthorities = [server.Pki.CaCertificate],
            ClientCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(client.CertificatePem, client.KeyPem),
            Description = "test " + server.ClusterName,
        };
    }

    public static KubernetesClusterSource Source(
        FakeKubernetesServer server,
        Func<KubernetesClusterOptions, KubernetesClusterOptions>? configure = null,
        ILoggerFactory? logs = null,
        IKubernetesMetricsSink? metrics = null,
        KubernetesConnectionOptions? connection = null)
    {
        var options = new KubernetesClusterOptions
        {
            Name = server.ClusterName,
            Connection = connection ?? ClientCertificate(server),
            Informers = Informers,
            Limits = new ApiServerLimits { Qps = 0, MaxInflight = 0 },
        };
        return new KubernetesClusterSource(configure is null ? options : configure(options), logs, metrics);
    }

    public static async Task<KubernetesClusterSource> StartSyncedAsync(
        FakeKubernetesServer server,
        Func<KubernetesClusterOptions, KubernetesClusterOptions>? configure = null,
        ILoggerFactory? logs = null,
        IKubernetesMetricsSink? metrics = null,
        KubernetesConnectionOptions? connection = null)
    {
        var source = Source(server, configure, logs, metrics, connection);
        await source.StartAsync(CancellationToken.None);
        Assert.True(await source.WaitForSyncAsync(SyncTimeout, CancellationToken.None), "not synced: " + source.Status);
        return source;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task Eventually(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("timed out waiting for: " + what);
            }

            await Task.Delay(10);
        }
    }

    /// <summary>The fake server's objects of a kind as "ns/name@rv" strings, for comparison with a snapshot.</summary>
    public static IReadOnlyList<string> ServerState(FakeKubernetesServer server, string kind) =>
        [.. server.Keys(kind).Select(k => $"{(k.Namespace.Length == 0 ? k.Name : k.Namespace + "/" + k.Name)}@{k.ResourceVersion}").Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> CacheState<T>(IEnumerable<T> objects)
        where T : IKubernetesObject =>
        [.. objects.Select(o => $"{o.Key}@{o.ResourceVersion}").Order(StringComparer.Ordinal)];
}

/// <summary>A temporary folder, removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => System.IO.Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "meshdns-k8s-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name, string content)
    {
        var path = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Keeps every log line (formatted, with exception text) for assertions.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Text)> _lines = new();

    public IReadOnlyList<(LogLevel Level, int EventId, string Text)> Lines => [.. _lines];

    public string AllText => string.Join("\n", _lines.Select(l => l.Text));

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue((logLevel, eventId.Id, formatter(state, exception) + (exception is null ? string.Empty : " | " + exception)));
    }
}
