using System.Collections.Immutable;

namespace MeshDns.Kubernetes;

/// <summary>
/// Which objects a cluster source keeps: CoreDNS's <c>namespaces</c>, <c>namespace_labels</c> and <c>labels</c>.
/// </summary>
public sealed record ClusterFilterOptions
{
    public static ClusterFilterOptions None { get; } = new();

    /// <summary>Only these namespaces (empty = all). With exactly one, informers watch that namespace only.</summary>
    public ImmutableHashSet<string> Namespaces { get; init; } = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>Only namespaces whose labels match; objects in other namespaces are excluded (and appear when labels change).</summary>
    public LabelSelector? NamespaceLabels { get; init; }

    /// <summary>Selector for services and endpoint slices, sent to the server as <c>labelSelector</c>.</summary>
    public LabelSelector? Labels { get; init; }

    internal string? SingleNamespace => Namespaces.Count == 1 ? Namespaces.First() : null;
}
