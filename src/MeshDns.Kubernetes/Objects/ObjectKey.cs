namespace MeshDns.Kubernetes;

/// <summary>Identity of a Kubernetes object: namespace (empty for cluster-scoped kinds) and name.</summary>
public readonly record struct ObjectKey(string Namespace, string Name) : IComparable<ObjectKey>
{
    public int CompareTo(ObjectKey other)
    {
        var byNamespace = string.CompareOrdinal(Namespace, other.Namespace);
        return byNamespace != 0 ? byNamespace : string.CompareOrdinal(Name, other.Name);
    }

    public override string ToString() => Namespace.Length == 0 ? Name : Namespace + "/" + Name;

    public static bool operator <(ObjectKey left, ObjectKey right) => left.CompareTo(right) < 0;

    public static bool operator <=(ObjectKey left, ObjectKey right) => left.CompareTo(right) <= 0;

    public static bool operator >(ObjectKey left, ObjectKey right) => left.CompareTo(right) > 0;

    public static bool operator >=(ObjectKey left, ObjectKey right) => left.CompareTo(right) >= 0;
}

/// <summary>The kinds of object a cluster source keeps.</summary>
public enum ResourceKind
{
    Namespace,
    Service,
    EndpointSlice,
    Pod,
    ServiceExport,
    GlobalTrafficPolicy,
}

/// <summary>Anything the cache keeps: trimmed, immutable, with its key and the server's resourceVersion.</summary>
public interface IKubernetesObject
{
    ObjectKey Key { get; }

    /// <summary>The server's resourceVersion (opaque), or a content hash for objects read from manifests.</summary>
    string ResourceVersion { get; }
}
