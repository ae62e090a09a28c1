using System.Collections.Immutable;

namespace MeshDns.Server.Metrics;

/// <summary>Name rules of the Prometheus data model (the legacy, non-UTF-8 character set every scraper accepts).</summary>
internal static class MetricNames
{
    /// <summary><c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    public static bool IsValidMetricName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = char.IsAsciiLetter(c) || c == '_' || c == ':' || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>[a-zA-Z_][a-zA-Z0-9_]*</c>, and not starting with <c>__</c> (reserved for Prometheus itself).</summary>
    public static bool IsValidLabelName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.StartsWith("__", StringComparison.Ordinal))
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = char.IsAsciiLetter(c) || c == '_' || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    public static void ValidateMetricName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidMetricName(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid metric name: it must match [a-zA-Z_:][a-zA-Z0-9_:]*.", nameof(name));
        }
    }

    public static void ValidateHelp(string metricName, string help)
    {
        ArgumentNullException.ThrowIfNull(help);
        if (string.IsNullOrWhiteSpace(help))
        {
            throw new ArgumentException($"Metric '{metricName}' needs a help text.", nameof(help));
        }
    }

    public static ImmutableArray<string> ValidateLabelNames(string metricName, IReadOnlyList<string>? labelNames, bool isHistogram)
    {
        if (labelNames is null || labelNames.Count == 0)
        {
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<string>(labelNames.Count);
        foreach (string label in labelNames)
        {
            if (!IsValidLabelName(label))
            {
                throw new ArgumentException(
                    $"Metric '{metricName}': '{label}' is not a valid label name: it must match [a-zA-Z_][a-zA-Z0-9_]* and not start with '__'.",
                    nameof(labelNames));
            }

            if (isHistogram && label == "le")
            {
                throw new ArgumentException(
                    $"Metric '{metricName}': 'le' is reserved for histogram buckets.", nameof(labelNames));
            }

            if (builder.Contains(label))
            {
                throw new ArgumentException(
                    $"Metric '{metricName}': label '{label}' is given twice.", nameof(labelNames));
            }

            builder.Add(label);
        }

        return builder.MoveToImmutable();
    }
}
