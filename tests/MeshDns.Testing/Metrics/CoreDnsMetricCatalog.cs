using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using MeshDns.Server.Metrics;

namespace MeshDns.Testing.Metrics;

/// <summary>One CoreDNS metric family from coredns-metrics.txt. <see cref="Labels"/> is in CoreDNS's declaration order.</summary>
public sealed record CoreDnsMetric(string Name, MetricType Type, ImmutableArray<string> Labels);

/// <summary>
/// Reads coredns-metrics.txt (the families CoreDNS 1.11/1.12 exposes for what MeshDns implements) and checks a
/// registry against it: every <c>coredns_</c> family MeshDns registers must exist in CoreDNS with the same type
/// and the same label set (order is irrelevant: the exposition sorts labels by name).
/// </summary>
public sealed class CoreDnsMetricCatalog
{
    public const string FileName = "coredns-metrics.txt";

    private CoreDnsMetricCatalog(ImmutableDictionary<string, CoreDnsMetric> metrics) => Metrics = metrics;

    public ImmutableDictionary<string, CoreDnsMetric> Metrics { get; }

    /// <summary>Loads the catalog that sits next to this source file.</summary>
    public static CoreDnsMetricCatalog Load() => Parse(File.ReadAllText(DefaultPath()));

    public static CoreDnsMetricCatalog Parse(string text)
    {
        var metrics = ImmutableDictionary.CreateBuilder<string, CoreDnsMetric>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length is < 2 or > 3)
            {
                throw new FormatException(Where(i, $"expected 'name type [labels]', got '{line}'"));
            }

            MetricType type = fields[1] switch
            {
                "counter" => MetricType.Counter,
                "gauge" => MetricType.Gauge,
                "histogram" => MetricType.Histogram,
                "untyped" => MetricType.Untyped,
                _ => throw new FormatException(Where(i, $"unknown type '{fields[1]}'")),
            };

            ImmutableArray<string> labels = fields.Length == 3 ? [.. fields[2].Split(',')] : [];
            if (!metrics.TryAdd(fields[0], new CoreDnsMetric(fields[0], type, labels)))
            {
                throw new FormatException(Where(i, $"'{fields[0]}' is listed twice"));
            }
        }

        return new CoreDnsMetricCatalog(metrics.ToImmutable());
    }

    /// <summary>
    /// One message per <c>coredns_</c> family of <paramref name="registry"/> that CoreDNS does not have, or has
    /// with another type or label set. Other families (process_*, dotnet_*, meshdns_*) are not checked.
    /// </summary>
    public IReadOnlyList<string> FindMismatches(MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return FindMismatches(registry.Describe().Select(d => (d.Name, d.Type, (IEnumerable<string>)d.LabelNames)));
    }

    /// <summary>
    /// The same check for families described some other way, for example read back from a scrape of
    /// <c>/metrics</c> (name, type from <c># TYPE</c>, label names of the samples without <c>le</c>).
    /// </summary>
    public IReadOnlyList<string> FindMismatches(IEnumerable<(string Name, MetricType Type, IEnumerable<string> Labels)> families)
    {
        ArgumentNullException.ThrowIfNull(families);
        var problems = new List<string>();
        foreach ((string name, MetricType type, IEnumerable<string> labels) in families)
        {
            if (!name.StartsWith("coredns_", StringComparison.Ordinal))
            {
                continue;
            }

            if (!Metrics.TryGetValue(name, out CoreDnsMetric? expected))
            {
                problems.Add($"{name}: CoreDNS has no such metric");
                continue;
            }

            if (type != expected.Type)
            {
                problems.Add($"{name}: type {Lower(type)}, CoreDNS has {Lower(expected.Type)}");
            }

            string ours = string.Join(",", labels.Order(StringComparer.Ordinal));
            string theirs = string.Join(",", expected.Labels.Order(StringComparer.Ordinal));
            if (ours != theirs)
            {
                problems.Add($"{name}: labels [{ours}], CoreDNS has [{theirs}]");
            }
        }

        return problems;
    }

    private static string Lower(MetricType type) => type.ToString().ToLowerInvariant();

    private static string Where(int lineIndex, string message) =>
        string.Create(CultureInfo.InvariantCulture, $"{FileName}:{lineIndex + 1}: {message}");

    // The file is read from the source tree (found through the compiler-recorded path of this file), so the
    // test project needs no copy-to-output item; the output folder is the fallback.
    private static string DefaultPath([CallerFilePath] string sourceFile = "")
    {
        string besideSource = Path.Combine(Path.GetDirectoryName(sourceFile) ?? ".", FileName);
        return File.Exists(besideSource) ? besideSource : Path.Combine(AppContext.BaseDirectory, "Metrics", FileName);
    }
}
