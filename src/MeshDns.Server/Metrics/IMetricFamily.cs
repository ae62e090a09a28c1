namespace MeshDns.Server.Metrics;

/// <summary>A registered family as the registry sees it: its definition and how to write it.</summary>
internal interface IMetricFamily
{
    MetricDescriptor Descriptor { get; }

    /// <summary>Writes HELP, TYPE and the samples; writes nothing when a labelled family has no children.</summary>
    void WriteTo(ExpositionWriter writer);
}
