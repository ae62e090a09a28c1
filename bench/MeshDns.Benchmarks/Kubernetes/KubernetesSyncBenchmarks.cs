using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using MeshDns.Kubernetes;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Benchmarks.Kubernetes;

/// <summary>
/// Lists and syncs 10,000 services + 10,000 endpoint slices from the fake API server over HTTPS with a client
/// certificate. <see cref="DownloadPagesOnly"/> is the baseline: the same pages read and thrown away (server + TLS +
/// transport cost); the difference to <see cref="ListAndSync"/> is the client's own decoding, trimming and indexing.
/// The fake server runs in the same process, so "Allocated" includes its share (about the baseline's).
/// GlobalSetup also prints the managed memory the synced cache holds per 1,000 objects.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class KubernetesSyncBenchmarks
{
    private const int Services = 10_000;

    private FakeKubernetesServer _server = null!;
    private KubernetesConnectionOptions _connection = null!;
    private HttpClient _raw = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = FakeKubernetesServer.StartAsync(new FakeKubernetesServerOptions { ClusterName = "bench", HistoryLimit = 100 }).GetAwaiter().GetResult();
        Seed(_server);
        var client = _server.Pki.IssueClientCertificate("bench", TestKeyFormat.EcPkcs8);
        _connection = new KubernetesConnectionOptions
        {
            Server = _server.BaseAddress,
            CertificateAuthorities = [_server.Pki.CaCertificate],
            ClientCertificate = X509Certificate2.CreateFromPem(client.CertificatePem, client.KeyPem),
        };
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [_connection.ClientCertificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 server && _server.Pki.Issued(server);
        _raw = new HttpClient(handler) { BaseAddress = _server.BaseAddress };
        ReportRetainedMemory();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _raw.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public async Task<long> DownloadPagesOnly()
    {
        long bytes = 0;
        var buffer = new byte[64 * 1024];
        foreach (var path in new[] { "/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices" })
        {
            string? continueToken = null;
            do
            {
                var url = path + "?limit=500" + (continueToken is null ? string.Empty : "&continue=" + Uri.EscapeDataString(continueToken));
                using var response = await _raw.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
                await using var stream = await response.Content.ReadAsStreamAsync();
                using var document = await System.Text.Json.JsonDocument.ParseAsync(stream);
                continueToken = document.RootElement.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
                bytes += document.RootElement.GetProperty("items").GetArrayLength();
            }
            while (continueToken is not null);
        }

        return bytes;
    }

    [Benchmark]
    public async Task<int> ListAndSync()
    {
        await using var source = NewSource();
        await source.StartAsync(CancellationToken.None);
        if (!await source.WaitForSyncAsync(TimeSpan.FromMinutes(2), CancellationToken.None))
        {
            throw new InvalidOperationException("not synced: " + source.Status);
        }

        return source.Snapshot.Services.Count + source.Snapshot.EndpointSlices.Count;
    }

    private KubernetesClusterSource NewSource() => new(new KubernetesClusterOptions
    {
        Name = "bench",
        Connection = _connection,
        WatchNamespaces = false,
        Limits = new ApiServerLimits { Qps = 0, MaxInflight = 0 },
    });

    /// <summary>
    /// Managed memory held by a synced source: heap after a full GC with the source alive, minus the heap before it was
    /// created (after two warm-up syncs, so pools, JIT and the fake server's buffers are already there). Includes the
    /// source's HTTP connection, so it slightly overstates the cache.
    /// </summary>
    private void ReportRetainedMemory()
    {
        SyncAndDispose();
        SyncAndDispose();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var holder = new KubernetesClusterSource?[1];
        var synced = Sync(holder);
        var with = GC.GetTotalMemory(forceFullCollection: true);
        var objects = Count(holder);
        DisposeHeld(holder);
        var held = with - before;
        Console.WriteLine(
            $"// KubernetesSync: sync of {objects} objects (10,000 services + 10,000 endpoint slices, 2 endpoints each) took {synced.TotalMilliseconds:F0} ms; " +
            $"managed memory held after sync: {held / 1024.0 / 1024.0:F1} MiB = {held * 1000.0 / objects / 1024.0:F0} KiB per 1,000 objects");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SyncAndDispose()
    {
        var holder = new KubernetesClusterSource?[1];
        Sync(holder);
        DisposeHeld(holder);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private TimeSpan Sync(KubernetesClusterSource?[] holder)
    {
        var stopwatch = Stopwatch.StartNew();
        var source = NewSource();
        source.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        if (!source.WaitForSyncAsync(TimeSpan.FromMinutes(2), CancellationToken.None).GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("not synced: " + source.Status);
        }

        holder[0] = source;
        return stopwatch.Elapsed;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Count(KubernetesClusterSource?[] holder) => holder[0]!.Snapshot.Services.Count + holder[0]!.Snapshot.EndpointSlices.Count;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DisposeHeld(KubernetesClusterSource?[] holder)
    {
        holder[0]!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        holder[0] = null;
    }

    internal static void Seed(FakeKubernetesServer server)
    {
        for (var i = 0; i < Services; i++)
        {
            var ns = $"ns-{i % 50}";
            var name = $"svc-{i}";
            server.Upsert(FakeObjects.Service(ns, name, $"10.96.{i / 250}.{(i % 250) + 1}",
                [new FakePort("http", 80), new FakePort("https", 443)], new Dictionary<string, string> { ["app"] = name }));
            server.Upsert(FakeObjects.EndpointSlice(ns, name + "-abcde", name,
                [
                    new FakeEndpoint($"10.244.{i / 250}.{(i % 250) + 1}", true, true, false, $"{name}-0", "node-1", "zone-a", $"{name}-0"),
                    new FakeEndpoint($"10.245.{i / 250}.{(i % 250) + 1}", true, true, false, $"{name}-1", "node-2", "zone-b", $"{name}-1"),
                ],
                [new FakePort("http", 8080), new FakePort("https", 8443)]));
        }
    }
}
