namespace MeshDns.Server.Metrics;

/// <summary>The metric types of the Prometheus text format that MeshDns writes.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
    Untyped,
}

internal static class MetricTypeExtensions
{
    public static string ToExpositionName(this MetricType type) => type switch
    {
        MetricType.Counter => "counter",
        MetricType.Gauge => "gauge",
        MetricType.Histogram => "histogram",
        MetricType.Untyped => "untyped",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown metric type."),
    };
}
