using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.FunctionalTests.Kubernetes;

/// <summary>
/// Fake API servers (HTTPS, shapes of the real recordings) and a kubeconfig reaching each with another auth style:
/// a client certificate, a projected service account token file, an RBAC-limited bearer token.
/// </summary>
internal sealed class FakeClusters : IAsyncDisposable
{
    private readonly List<FakeKubernetesServer> _servers = [];

    private FakeClusters(string directory) => Directory = directory;

    public string Directory { get; }

    public IReadOnlyList<FakeKubernetesServer> Servers => _servers;

    public string Kubeconfig => Path.Combine(Directory, "kubeconfig");

    /// <summary>Starts one fake API server per name; context i uses auth style i % 3.</summary>
    public static async Task<FakeClusters> StartAsync(IReadOnlyList<string> names, Func<int, Uri, Uri>? address = null)
    {
        var clusters = new FakeClusters(System.IO.Directory.CreateTempSubdirectory("meshdns-k8s-").FullName);
        try
        {
            var kubeconfig = new KubeconfigYaml();
            for (var i = 0; i < names.Count; i++)
            {
                var server = await FakeKubernetesServer.StartAsync(new() { ClusterName = names[i] });
                clusters._servers.Add(server);
                kubeconfig.Cluster(names[i], address?.Invoke(i, server.BaseAddress) ?? server.BaseAddress, server.Pki.CaPem);
                switch (i % 3)
                {
                    case 0:
                        var certificate = server.Pki.IssueClientCertificate("meshdns", TestKeyFormat.EcSec1, "dns-readers");
                        kubeconfig.User(names[i], $"client-certificate-data: {KubeconfigYaml.Base64(certificate.CertificatePem)}", $"client-key-data: {KubeconfigYaml.Base64(certificate.KeyPem)}");
                        break;
                    case 1:
                        var tokenFile = Path.Combine(clusters.Directory, $"token-{i}");
                        await File.WriteAllTextAsync(tokenFile, $"sa-token-{i}\n");
                        server.AddToken($"sa-token-{i}", "system:serviceaccount:kube-system:meshdns");
                        kubeconfig.User(names[i], $"tokenFile: {tokenFile}");
                        break;
                    default:
                        server.AddToken($"reader-token-{i}", "dns-reader");
                        server.AllowOnly("dns-reader",
                        [
                            ("list", "namespaces"), ("watch", "namespaces"), ("list", "services"), ("watch", "services"),
                            ("list", "pods"), ("watch", "pods"),
                            ("list", "endpointslices.discovery.k8s.io"), ("watch", "endpointslices.discovery.k8s.io"),
                        ]);
                        kubeconfig.User(names[i], $"token: reader-token-{i}");
                        break;
                }

                kubeconfig.Context(names[i], names[i], names[i]);
            }

            kubeconfig.WriteTo(clusters.Kubeconfig);
            return clusters;
        }
        catch
        {
            await clusters.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Polls DNS with a deadline instead of sleeping.</summary>
internal static class Poll
{
    /// <summary>Asks until <paramref name="done"/> holds; returns the time it took. Fails at the deadline.</summary>
    public static async Task<TimeSpan> UntilAsync(IPEndPoint server, string name, DnsRecordType type, Func<DnsMessage, bool> done, TimeSpan deadline, bool tcp = false)
    {
        var watch = Stopwatch.StartNew();
        DnsMessage? last = null;
        while (watch.Elapsed < deadline)
        {
            try
            {
                last = await DnsTestClient.QueryAsync(server, name, type, tcp, edns: true, udpSize: 4096);
                if (done(last))
                {
                    return watch.Elapsed;
                }
            }
            catch (TimeoutException)
            {
            }

            await Task.Delay(5);
        }

        throw new TimeoutException($"{name} {type} did not reach the expected answer within {deadline}; last answer:\n{last}");
    }
}

/// <summary>
/// A TCP relay in front of an API server, to kill it (listener closed, every connection reset) and start it again on
/// the same port, as when the API server process dies and comes back.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly List<Socket> _connections = [];
    private readonly Lock _gate = new();
    private Socket? _listener;
    private CancellationTokenSource? _running;

    public TcpRelay(IPEndPoint target)
    {
        _target = target;
        Start(0);
    }

    public int Port { get; private set; }

    public bool IsUp => _listener is not null;

    public void Start() => Start(Port);

    public void Kill()
    {
        lock (_gate)
        {
            _running?.Cancel();
            _listener?.Dispose();
            _listener = null;
            foreach (var socket in _connections)
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0); // reset, as a dying process's connections are
                    socket.Dispose();
                }
                catch (ObjectDisposedException)
                {
                }
            }

            _connections.Clear();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    private void Start(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(64);
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var running = new CancellationTokenSource();
        lock (_gate)
        {
            _listener = listener;
            _running = running;
        }

        _ = AcceptAsync(listener, running.Token);
    }

    private async Task AcceptAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await upstream.ConnectAsync(_target, cancellationToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            lock (_gate)
            {
                _connections.Add(client);
                _connections.Add(upstream);
            }

            _ = PumpAsync(client, upstream, cancellationToken);
            _ = PumpAsync(upstream, client, cancellationToken);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
