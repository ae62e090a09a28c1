using System.Collections.Immutable;

namespace MeshDns.Server.Metrics;

/// <summary>
/// What a registered metric family is: used by lint tests (names, types and labels compared with CoreDNS's).
/// <see cref="Buckets"/> is empty for anything but histograms; it never contains <c>+Inf</c>.
/// </summary>
public sealed record MetricDescriptor(
    string Name,
    string Help,
    MetricType Type,
    ImmutableArray<string> LabelNames,
    ImmutableArray<double> Buckets);
