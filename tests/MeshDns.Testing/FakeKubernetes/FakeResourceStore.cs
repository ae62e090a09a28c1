using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;

namespace MeshDns.Testing.FakeKubernetes;

/// <summary>A kind the fake serves.</summary>
public sealed record FakeResourceDefinition(
    string Kind,
    string Group,
    string Version,
    string Plural,
    bool Namespaced,
    string BookmarkBody)
{
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public string ListKind => Kind + "List";

    /// <summary>How RBAC names it: <c>services</c>, <c>endpointslices.discovery.k8s.io</c>.</summary>
    public string Resource => Group.Length == 0 ? Plural : Plural + "." + Group;

    public static FakeResourceDefinition Namespaces { get; } = new("Namespace", "", "v1", "namespaces", false, "\"spec\":{},\"status\":{}");

    public static FakeResourceDefinition Services { get; } = new("Service", "", "v1", "services", true, "\"spec\":{},\"status\":{\"loadBalancer\":{}}");

    public static FakeResourceDefinition EndpointSlices { get; } = new("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", true, "\"addressType\":\"\",\"endpoints\":null,\"ports\":null");

    public static FakeResourceDefinition Pods { get; } = new("Pod", "", "v1", "pods", true, "\"spec\":{\"containers\":null},\"status\":{}");

    public static FakeResourceDefinition ServiceExports { get; } = new("ServiceExport", "multicluster.x-k8s.io", "v1alpha1", "serviceexports", true, "\"spec\":{},\"status\":{}");

    public static FakeResourceDefinition GlobalTrafficPolicies { get; } = new("GlobalTrafficPolicy", "flomesh.io", "v1alpha1", "globaltrafficpolicies", true, "\"spec\":{\"lbType\":\"\",\"targets\":null},\"status\":{}");
}

/// <summary>One stored object: its etcd-style key, labels, and compact JSON as a LIST item (no kind/apiVersion).</summary>
internal sealed record StoredObject(string Key, string Namespace, string Name, string Uid, long ResourceVersion, IReadOnlyDictionary<string, string> Labels, byte[] ItemJson);

/// <summary>One change, as history for watches that resume from an older resourceVersion.</summary>
internal sealed record StoredEvent(long ResourceVersion, string Type, StoredObject Object, StoredObject? Previous);

/// <summary>Objects of one kind, the versions a continue token may point at, and the change history.</summary>
internal sealed class FakeResourceStore(FakeResourceDefinition definition, long floor)
{
    public FakeResourceDefinition Definition { get; } = definition;

    public ImmutableSortedDictionary<string, StoredObject> Current { get; private set; } = ImmutableSortedDictionary.Create<string, StoredObject>(StringComparer.Ordinal);

    /// <summary>Snapshots by the resourceVersion at which they became current (for paginated lists).</summary>
    public SortedList<long, ImmutableSortedDictionary<string, StoredObject>> Versions { get; } = new();

    public List<StoredEvent> History { get; } = [];

    /// <summary>Watches from a resourceVersion below this are answered 410 Expired: the history before it is gone.</summary>
    public long Floor { get; set; } = floor;

    /// <summary>Whether this kind has had any event since the server (re)started: real servers send no bookmarks otherwise.</summary>
    public bool HadEvents => History.Count > 0 || Floor > InitialFloor;

    public long InitialFloor { get; set; } = floor;

    public void Set(ImmutableSortedDictionary<string, StoredObject> current, long resourceVersion, int keepVersions)
    {
        Current = current;
        Versions[resourceVersion] = current;
        while (Versions.Count > keepVersions)
        {
            Versions.RemoveAt(0);
        }
    }

    public void AddEvent(StoredEvent change, int keepEvents)
    {
        History.Add(change);
        if (History.Count > keepEvents)
        {
            var drop = History.Count - keepEvents;
            Floor = History[drop - 1].ResourceVersion;
            History.RemoveRange(0, drop);
        }
    }

    /// <summary>The snapshot current at <paramref name="resourceVersion"/>, or null if compacted away.</summary>
    public ImmutableSortedDictionary<string, StoredObject>? At(long resourceVersion)
    {
        var index = -1;
        var keys = Versions.Keys;
        var low = 0;
        var high = keys.Count - 1;
        while (low <= high)
        {
            var mid = (low + high) / 2;
            if (keys[mid] <= resourceVersion)
            {
                index = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        if (index < 0)
        {
            return resourceVersion >= Floor && Versions.Count == 0 ? Current : null;
        }

        return Versions.Values[index];
    }

    public static string KeyOf(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : ns + "/" + name;

    /// <summary>The object as a watch event's object: with kind and apiVersion first.</summary>
    public byte[] EventObject(StoredObject stored)
    {
        var prefix = Encoding.UTF8.GetBytes($"{{\"kind\":\"{Definition.Kind}\",\"apiVersion\":\"{Definition.ApiVersion}\",");
        var result = new byte[prefix.Length + stored.ItemJson.Length - 1];
        prefix.CopyTo(result, 0);
        stored.ItemJson.AsSpan(1).CopyTo(result.AsSpan(prefix.Length));
        return result;
    }

    public static IReadOnlyDictionary<string, string> LabelsOf(JsonObject obj)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"]?["labels"] is JsonObject map)
        {
            foreach (var (key, value) in map)
            {
                labels[key] = value?.ToString() ?? string.Empty;
            }
        }

        return labels;
    }
}
