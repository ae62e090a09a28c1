using MeshDns.Protocol;
using MeshDns.Server.Metrics;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Metrics;
using Xunit.Abstractions;

namespace MeshDns.Plugins.Tests.Meta;

/// <summary>
/// Starts a real server with every operational plugin plus prometheus, sends queries, scrapes <c>/metrics</c>
/// over HTTP and checks that each <c>coredns_*</c> family exposed exists in CoreDNS (coredns-metrics.txt) with
/// the same type and labels: dashboards and alerts written for CoreDNS keep working.
/// </summary>
public sealed class MetricNamesTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshdns-meta-").FullName;

    [Fact]
    public async Task Scrape_EveryPlugin_FamiliesMatchCoreDns()
    {
        var hosts = Path.Combine(_directory, "hosts");
        await File.WriteAllTextAsync(hosts, "10.0.0.1 a.example.org\n10.0.0.2 a.example.org\n");
        var corefile = $$"""
            example.org:0 {
                bind 127.0.0.1
                errors
                log
                health 127.0.0.1:0
                ready 127.0.0.1:0
                prometheus 127.0.0.1:0
                reload
                loadbalance
                hosts {{hosts}} {
                    fallthrough
                }
                whoami
            }
            .:0 {
                bind 127.0.0.1
                prometheus 127.0.0.1:0
                whoami
            }
            """;
        await using var server = await TestDnsServer.StartAsync(corefile, output);
        var endpoint = server.Server.Host.Endpoints.Values.First()[0];
        foreach (var (name, type, tcp) in new[] { ("a.example.org.", DnsRecordType.A, false), ("b.example.org.", DnsRecordType.AAAA, true), ("x.other.", DnsRecordType.TXT, false) })
        {
            await DnsTestClient.QueryAsync(endpoint, name, type, tcp);
        }

        var uri = new Uri(server.Server.Services.Http.GetBoundUris("127.0.0.1:0")[0], "/metrics");
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        var text = await client.GetStringAsync(uri);

        var families = ReadFamilies(text);
        var problems = CoreDnsMetricCatalog.Load().FindMismatches(families.Select(f => (f.Key, f.Value.Type, (IEnumerable<string>)f.Value.Labels)));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal)
            {
                "coredns_build_info", "coredns_plugin_enabled", "coredns_dns_requests_total", "coredns_dns_responses_total",
                "coredns_dns_request_duration_seconds", "coredns_dns_request_size_bytes", "coredns_dns_response_size_bytes",
                "coredns_health_request_duration_seconds", "coredns_health_request_failures_total", "coredns_hosts_entries",
                "coredns_hosts_reload_timestamp_seconds", "coredns_reload_failed_total", "coredns_reload_version_info", "coredns_panics_total",
            },
            families.Keys.ToHashSet(StringComparer.Ordinal));
    }

    [Fact]
    public void ReadFamilies_HistogramAndEscapes_LabelsWithoutLe()
    {
        var families = ReadFamilies(
            "# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"0.1\",server=\"a\"} 1\nx_seconds_sum{server=\"a\"} 0.05\nx_seconds_count{server=\"a\"} 1\n" +
            "# TYPE y_total counter\ny_total{name=\"q\\\"x,y=\\\\\",zone=\"z\"} 2\n# TYPE z gauge\nz 1\n");

        Assert.Equal(MetricType.Histogram, families["x_seconds"].Type);
        Assert.Equal(["server"], families["x_seconds"].Labels);
        Assert.Equal(["name", "zone"], families["y_total"].Labels.Order(StringComparer.Ordinal));
        Assert.Empty(families["z"].Labels);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Families of an exposition: type from <c># TYPE</c>, label names from the samples (<c>le</c> left out).</summary>
    private static Dictionary<string, (MetricType Type, HashSet<string> Labels)> ReadFamilies(string text)
    {
        var families = new Dictionary<string, (MetricType Type, HashSet<string> Labels)>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                var type = parts[3] switch
                {
                    "counter" => MetricType.Counter,
                    "gauge" => MetricType.Gauge,
                    "histogram" => MetricType.Histogram,
                    _ => MetricType.Untyped,
                };
                families[parts[2]] = (type, new HashSet<string>(StringComparer.Ordinal));
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var sample = brace >= 0 && brace < space ? line[..brace] : line[..space];
            var family = families.ContainsKey(sample) ? sample : FamilyOf(sample, families);
            if (brace >= 0 && brace < space)
            {
                foreach (var label in LabelNames(line[(brace + 1)..]))
                {
                    if (label != "le")
                    {
                        families[family].Labels.Add(label);
                    }
                }
            }
        }

        return families;
    }

    private static string FamilyOf(string sample, Dictionary<string, (MetricType Type, HashSet<string> Labels)> families)
    {
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && families.ContainsKey(sample[..^suffix.Length]))
            {
                return sample[..^suffix.Length];
            }
        }

        throw new FormatException($"sample {sample} has no # TYPE line");
    }

    private static List<string> LabelNames(string rest)
    {
        var names = new List<string>();
        var i = 0;
        while (i < rest.Length && rest[i] != '}')
        {
            var equals = rest.IndexOf('=', i);
            names.Add(rest[i..equals]);
            i = equals + 2; // skip ="
            while (rest[i] != '"')
            {
                i += rest[i] == '\\' ? 2 : 1;
            }

            i++; // closing quote
            if (i < rest.Length && rest[i] == ',')
            {
                i++;
            }
        }

        return names;
    }
}
