using System.Diagnostics;
using System.Globalization;
using System.Net;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Benchmarks.Kubernetes;

/// <summary>
/// Event-to-answer latency, end to end: a real MeshDns (kubernetai over HTTPS with a client certificate) watching the
/// fake API server, which holds 2,000 services. For each of N EndpointSlice changes (a StatefulSet member gets a new
/// address), the time from the watch event being written by the API server to (a) the answer table holding the new
/// address, read directly, and (b) a UDP query to the server answering with it, polled as fast as the client can.
/// Two passes: changes 25 ms apart (each event alone, the usual case), then back to back (each change right after
/// the previous one was seen: the cluster store then publishes at most one snapshot per 10 ms, its coalescing
/// interval, which the numbers include).
/// <code>dotnet run -c Release --project bench/MeshDns.Benchmarks -- kubernetes-latency [changes]</code>
/// </summary>
public static class KubernetesLatency
{
    public const string Command = "kubernetes-latency";

    public static async Task<int> RunAsync(string[] args)
    {
        var changes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        await using var api = await FakeKubernetesServer.StartAsync(new FakeKubernetesServerOptions { ClusterName = "bench", HistoryLimit = 10_000 });
        api.Upsert(FakeObjects.Namespace("db"));
        for (var i = 0; i < 2000; i++)
        {
            api.Upsert(FakeObjects.Service("db", $"svc-{i}", $"10.96.{i / 250}.{(i % 250) + 1}", [new FakePort("cql", 9042)]));
            api.Upsert(FakeObjects.EndpointSlice("db", $"svc-{i}-abcde", $"svc-{i}", [new FakeEndpoint($"10.244.{i / 250}.{(i % 250) + 1}")], [new FakePort("cql", 9042)]));
        }

        api.Upsert(FakeObjects.Service("db", "cassandra", null, [new FakePort("cql", 9042)]));
        api.Upsert(Members(0));
        var directory = Directory.CreateTempSubdirectory("meshdns-latency-").FullName;
        try
        {
            var certificate = api.Pki.IssueClientCertificate("meshdns", TestKeyFormat.EcPkcs8);
            var kubeconfig = new KubeconfigYaml()
                .Cluster("bench", api.BaseAddress, api.Pki.CaPem)
                .User("meshdns", $"client-certificate-data: {KubeconfigYaml.Base64(certificate.CertificatePem)}", $"client-key-data: {KubeconfigYaml.Base64(certificate.KeyPem)}")
                .Context("bench", "bench", "meshdns", current: true)
                .WriteTo(Path.Combine(directory, "kubeconfig"));
            await using var dns = await TestDnsServer.StartAsync($".:0 {{\n    bind 127.0.0.1\n    kubernetai aws-euwest1.local {{\n        kubeconfig {kubeconfig}\n        startup_timeout 30s\n    }}\n}}");
            var cluster = dns.Server.Current!.Readiness.OfType<ClusterAnswers>().Single();
            var name = DnsName.Parse("cassandra-0.cassandra.db.svc.aws-euwest1.local.");
            var query = DnsTestClient.CreateQuery(name.ToString(), DnsRecordType.A).ToArray();
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            socket.Connect(dns.Endpoint);

            var generation = 0;
            foreach (var spacing in new[] { TimeSpan.FromMilliseconds(25), TimeSpan.Zero })
            {
                var (table, udp) = await MeasureAsync(api, cluster, socket, query, name, changes, spacing, () => ++generation);
                if (table.Count < changes)
                {
                    return 1;
                }

                var pass = spacing > TimeSpan.Zero ? $"changes {spacing.TotalMilliseconds:0} ms apart" : "back to back";
                Report($"{pass}: watch event -> answer table", table);
                Report($"{pass}: watch event -> UDP answer", udp);
            }

            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>One pass: N changes (after 50 uncounted warm-up changes), each timed until the table and a UDP answer show it.</summary>
    private static async Task<(List<double> Table, List<double> Udp)> MeasureAsync(
        FakeKubernetesServer api, ClusterAnswers cluster, System.Net.Sockets.Socket socket, byte[] query, DnsName name, int changes, TimeSpan spacing, Func<int> nextGeneration)
    {
        var table = new List<double>(changes);
        var udp = new List<double>(changes);
        var reply = new byte[512];
        for (var i = 1; i <= changes + 50; i++)
        {
            if (spacing > TimeSpan.Zero)
            {
                await Task.Delay(spacing);
            }

            var generation = nextGeneration();
            var expected = Address(generation);
            var started = Stopwatch.GetTimestamp();
            api.Upsert(Members(generation));
            double? tableSeen = null;
            while (true)
            {
                if (tableSeen is null && Holds(cluster.Table.Find(name.Wire)?.A, expected))
                {
                    tableSeen = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }

                socket.Send(query);
                var length = socket.Receive(reply);
                if (DnsMessage.TryParse(reply.AsSpan(0, length), out var message, out _) && Holds(message.Answers, expected))
                {
                    tableSeen ??= Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (i > 50)
                    {
                        udp.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        table.Add(tableSeen.Value);
                    }

                    break;
                }

                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(10))
                {
                    Console.Error.WriteLine($"change {generation} not seen after 10 s");
                    return (table, udp);
                }
            }
        }

        return (table, udp);
    }

    private static IPAddress Address(int generation) => new([10, 250, (byte)(generation / 250 % 250), (byte)((generation % 250) + 1)]);

    private static System.Text.Json.Nodes.JsonObject Members(int generation) =>
        FakeObjects.EndpointSlice("db", "cassandra-x7k2p", "cassandra",
        [
            new FakeEndpoint(Address(generation).ToString(), Hostname: "cassandra-0"),
            new FakeEndpoint("10.251.0.2", Hostname: "cassandra-1"),
            new FakeEndpoint("10.251.0.3", Hostname: "cassandra-2"),
        ], [new FakePort("cql", 9042)]);

    private static bool Holds(IEnumerable<ResourceRecord>? records, IPAddress address) =>
        records?.Any(r => r is ARecord a && a.Address.Equals(address)) == true;

    private static void Report(string what, List<double> samples)
    {
        samples.Sort();
        double Percentile(double p) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(p / 100 * samples.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {samples.Count} changes, p50 {Percentile(50):0.00} ms, p90 {Percentile(90):0.00} ms, p99 {Percentile(99):0.00} ms, max {samples[^1]:0.00} ms"));
    }
}
