using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MeshDns.Kubernetes.Http;
using MeshDns.Kubernetes.Wire;

namespace MeshDns.Kubernetes.Informers;

/// <summary>
/// Everything an informer needs to know about one resource: where it lives, how its JSON decodes and how it is
/// trimmed. Adding a kind is a DTO, a trim function and one of these.
/// </summary>
internal abstract class ResourceType
{
    protected ResourceType(ResourceKind kind, string group, string version, string plural, bool namespaced, bool optional)
    {
        Kind = kind;
        Group = group;
        Version = version;
        Plural = plural;
        Namespaced = namespaced;
        Optional = optional;
        RbacName = group.Length == 0 ? plural : plural + "." + group;
    }

    public ResourceKind Kind { get; }

    public string Group { get; }

    public string Version { get; }

    public string Plural { get; }

    public bool Namespaced { get; }

    /// <summary>404 means "not installed", not an error (CRDs).</summary>
    public bool Optional { get; }

    /// <summary>How RBAC and logs name it: <c>services</c>, <c>endpointslices.discovery.k8s.io</c>.</summary>
    public string RbacName { get; }

    public string Path(string? singleNamespace)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        return Namespaced && !string.IsNullOrEmpty(singleNamespace)
            ? $"{root}/namespaces/{Uri.EscapeDataString(singleNamespace)}/{Plural}"
            : $"{root}/{Plural}";
    }

    public abstract Task<ListPage> ListPageAsync(KubernetesApiClient client, string path, string? labelSelector, int limit, string? continueToken, CancellationToken cancellationToken);

    /// <summary>Decodes a watch event's object: the trimmed object (null if it has no name, as bookmarks) and its resourceVersion.</summary>
    public abstract (IKubernetesObject? Object, string? ResourceVersion) Decode(ReadOnlySpan<byte> json);
}

internal sealed record ListPage(List<IKubernetesObject> Items, string ResourceVersion, string? Continue);

internal sealed class ResourceType<TDto>(
    ResourceKind kind,
    string group,
    string version,
    string plural,
    bool namespaced,
    bool optional,
    JsonTypeInfo<ListDto<TDto>> listType,
    JsonTypeInfo<TDto> itemType,
    Func<TDto, ObjectMetaDto?> metadata,
    Func<TDto, IKubernetesObject?> trim) : ResourceType(kind, group, version, plural, namespaced, optional)
    where TDto : class
{
    public override async Task<ListPage> ListPageAsync(KubernetesApiClient client, string path, string? labelSelector, int limit, string? continueToken, CancellationToken cancellationToken)
    {
        var list = await client.ListPageAsync(path, RbacName, labelSelector, limit, continueToken, listType, cancellationToken);
        var items = new List<IKubernetesObject>(list.Items?.Count ?? 0);
        foreach (var dto in list.Items ?? [])
        {
            if (trim(dto) is { } item)
            {
                items.Add(item);
            }
        }

        var resourceVersion = list.Metadata?.ResourceVersion;
        if (string.IsNullOrEmpty(resourceVersion))
        {
            throw new KubernetesProtocolException($"LIST {RbacName}: the list has no metadata.resourceVersion");
        }

        return new ListPage(items, resourceVersion, string.IsNullOrEmpty(list.Metadata?.Continue) ? null : list.Metadata.Continue);
    }

    public override (IKubernetesObject? Object, string? ResourceVersion) Decode(ReadOnlySpan<byte> json)
    {
        var dto = JsonSerializer.Deserialize(json, itemType) ?? throw new JsonException("the event's object is null");
        return (trim(dto), metadata(dto)?.ResourceVersion);
    }
}

/// <summary>The resources MeshDns knows. Each cluster gets its own instances (they share the cluster's string pool).</summary>
internal static class ResourceTypes
{
    private static readonly KubernetesJsonContext Json = KubernetesJsonContext.Default;

    public static ResourceType Namespaces(StringPool pool) => new ResourceType<NamespaceDto>(
        ResourceKind.Namespace, string.Empty, "v1", "namespaces", namespaced: false, optional: false,
        Json.ListDtoNamespaceDto, Json.NamespaceDto, d => d.Metadata, d => ObjectTrimmer.Trim(d, pool));

    public static ResourceType Services(ObjectTrimOptions trim, StringPool pool) => new ResourceType<ServiceDto>(
        ResourceKind.Service, string.Empty, "v1", "services", namespaced: true, optional: false,
        Json.ListDtoServiceDto, Json.ServiceDto, d => d.Metadata, d => ObjectTrimmer.Trim(d, trim, pool));

    public static ResourceType EndpointSlices(StringPool pool) => new ResourceType<EndpointSliceDto>(
        ResourceKind.EndpointSlice, "discovery.k8s.io", "v1", "endpointslices", namespaced: true, optional: false,
        Json.ListDtoEndpointSliceDto, Json.EndpointSliceDto, d => d.Metadata, d => ObjectTrimmer.Trim(d, pool));

    public static ResourceType Pods(StringPool pool) => new ResourceType<PodDto>(
        ResourceKind.Pod, string.Empty, "v1", "pods", namespaced: true, optional: false,
        Json.ListDtoPodDto, Json.PodDto, d => d.Metadata, d => ObjectTrimmer.Trim(d, pool));

    public static ResourceType ServiceExports(StringPool pool) => new ResourceType<MetadataOnlyDto>(
        ResourceKind.ServiceExport, "multicluster.x-k8s.io", "v1alpha1", "serviceexports", namespaced: true, optional: true,
        Json.ListDtoMetadataOnlyDto, Json.MetadataOnlyDto, d => d.Metadata, d => ObjectTrimmer.Trim(d, pool));

    public static ResourceType GlobalTrafficPolicies(StringPool pool) => new ResourceType<GlobalTrafficPolicyDto>(
        ResourceKind.GlobalTrafficPolicy, "flomesh.io", "v1alpha1", "globaltrafficpolicies", namespaced: true, optional: true,
        Json.ListDtoGlobalTrafficPolicyDto, Json.GlobalTrafficPolicyDto, d => d.Metadata, d => ObjectTrimmer.Trim(d, pool));
}
