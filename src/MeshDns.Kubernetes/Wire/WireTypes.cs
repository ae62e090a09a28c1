using System.Text.Json.Serialization;

namespace MeshDns.Kubernetes.Wire;

// Only the fields DNS needs. Everything else (managedFields, spec.containers, ...) is skipped by the reader
// without being materialised. Names follow the API's JSON exactly.

internal sealed class ObjectMetaDto
{
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public string? ResourceVersion { get; set; }
    public string? DeletionTimestamp { get; set; }

    [JsonConverter(typeof(ShortStringMapConverter))]
    public Dictionary<string, string>? Labels { get; set; }

    [JsonConverter(typeof(ShortStringMapConverter))]
    public Dictionary<string, string>? Annotations { get; set; }
}

internal sealed class ListMetaDto
{
    public string? ResourceVersion { get; set; }
    public string? Continue { get; set; }
    public long? RemainingItemCount { get; set; }
}

internal sealed class ListDto<T>
{
    public ListMetaDto? Metadata { get; set; }
    public List<T>? Items { get; set; }
}

internal sealed class NamespaceDto
{
    public ObjectMetaDto? Metadata { get; set; }
}

internal sealed class ServicePortDto
{
    public string? Name { get; set; }
    public string? Protocol { get; set; }
    public int Port { get; set; }
}

internal sealed class ServiceSpecDto
{
    public string? Type { get; set; }

    [JsonPropertyName("clusterIP")]
    public string? ClusterIP { get; set; }

    [JsonPropertyName("clusterIPs")]
    public List<string>? ClusterIPs { get; set; }

    public List<ServicePortDto>? Ports { get; set; }
    public string? ExternalName { get; set; }

    [JsonPropertyName("externalIPs")]
    public List<string>? ExternalIPs { get; set; }

    public bool? PublishNotReadyAddresses { get; set; }
}

internal sealed class LoadBalancerIngressDto
{
    [JsonPropertyName("ip")]
    public string? IP { get; set; }

    public string? Hostname { get; set; }
}

internal sealed class LoadBalancerStatusDto
{
    public List<LoadBalancerIngressDto>? Ingress { get; set; }
}

internal sealed class ServiceStatusDto
{
    public LoadBalancerStatusDto? LoadBalancer { get; set; }
}

internal sealed class ServiceDto
{
    public ObjectMetaDto? Metadata { get; set; }
    public ServiceSpecDto? Spec { get; set; }
    public ServiceStatusDto? Status { get; set; }
}

internal sealed class EndpointConditionsDto
{
    public bool? Ready { get; set; }
    public bool? Serving { get; set; }
    public bool? Terminating { get; set; }
}

internal sealed class ObjectReferenceDto
{
    public string? Kind { get; set; }
    public string? Namespace { get; set; }
    public string? Name { get; set; }
}

internal sealed class EndpointDto
{
    public List<string>? Addresses { get; set; }
    public EndpointConditionsDto? Conditions { get; set; }
    public string? Hostname { get; set; }
    public string? NodeName { get; set; }
    public string? Zone { get; set; }
    public ObjectReferenceDto? TargetRef { get; set; }
}

internal sealed class EndpointPortDto
{
    public string? Name { get; set; }
    public string? Protocol { get; set; }
    public int? Port { get; set; }
    public string? AppProtocol { get; set; }
}

internal sealed class EndpointSliceDto
{
    public ObjectMetaDto? Metadata { get; set; }
    public string? AddressType { get; set; }
    public List<EndpointDto>? Endpoints { get; set; }
    public List<EndpointPortDto>? Ports { get; set; }
}

internal sealed class PodIPDto
{
    [JsonPropertyName("ip")]
    public string? IP { get; set; }
}

internal sealed class PodStatusDto
{
    [JsonPropertyName("podIP")]
    public string? PodIP { get; set; }

    [JsonPropertyName("podIPs")]
    public List<PodIPDto>? PodIPs { get; set; }
}

internal sealed class PodDto
{
    public ObjectMetaDto? Metadata { get; set; }
    public PodStatusDto? Status { get; set; }
}

/// <summary>Any object of which only metadata matters (ServiceExport, other CRDs).</summary>
internal sealed class MetadataOnlyDto
{
    public ObjectMetaDto? Metadata { get; set; }
}

internal sealed class TrafficTargetDto
{
    public string? ClusterKey { get; set; }
    public int? Weight { get; set; }
}

internal sealed class GlobalTrafficPolicySpecDto
{
    public string? LbType { get; set; }
    public List<TrafficTargetDto>? Targets { get; set; }
}

/// <summary>flomesh.io/v1alpha1 GlobalTrafficPolicy.</summary>
internal sealed class GlobalTrafficPolicyDto
{
    public ObjectMetaDto? Metadata { get; set; }
    public GlobalTrafficPolicySpecDto? Spec { get; set; }
}

internal sealed class StatusCauseDto
{
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public string? Field { get; set; }
}

internal sealed class StatusDetailsDto
{
    public string? Name { get; set; }
    public string? Group { get; set; }
    public string? Kind { get; set; }
    public List<StatusCauseDto>? Causes { get; set; }
    public int? RetryAfterSeconds { get; set; }
}

/// <summary>A meta/v1 Status: the body of every API error, and the object of a watch ERROR event.</summary>
internal sealed class StatusDto
{
    public string? Kind { get; set; }
    public string? Status { get; set; }
    public string? Message { get; set; }
    public string? Reason { get; set; }
    public StatusDetailsDto? Details { get; set; }
    public int? Code { get; set; }
}

internal sealed class ExecEnvVarDto
{
    public string? Name { get; set; }
    public string? Value { get; set; }
}

internal sealed class ExecCredentialStatusDto
{
    public string? Token { get; set; }
    public string? ClientCertificateData { get; set; }
    public string? ClientKeyData { get; set; }
    public DateTimeOffset? ExpirationTimestamp { get; set; }
}

internal sealed class ExecCredentialSpecDto
{
    public bool Interactive { get; set; }
}

/// <summary>client.authentication.k8s.io ExecCredential: what an exec plugin prints, and what it is given in KUBERNETES_EXEC_INFO.</summary>
internal sealed class ExecCredentialDto
{
    public string? Kind { get; set; }
    public string? ApiVersion { get; set; }
    public ExecCredentialSpecDto? Spec { get; set; }
    public ExecCredentialStatusDto? Status { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(ListDto<NamespaceDto>))]
[JsonSerializable(typeof(ListDto<ServiceDto>))]
[JsonSerializable(typeof(ListDto<EndpointSliceDto>))]
[JsonSerializable(typeof(ListDto<PodDto>))]
[JsonSerializable(typeof(ListDto<MetadataOnlyDto>))]
[JsonSerializable(typeof(ListDto<GlobalTrafficPolicyDto>))]
[JsonSerializable(typeof(NamespaceDto))]
[JsonSerializable(typeof(ServiceDto))]
[JsonSerializable(typeof(EndpointSliceDto))]
[JsonSerializable(typeof(PodDto))]
[JsonSerializable(typeof(MetadataOnlyDto))]
[JsonSerializable(typeof(GlobalTrafficPolicyDto))]
[JsonSerializable(typeof(StatusDto))]
[JsonSerializable(typeof(ExecCredentialDto))]
internal sealed partial class KubernetesJsonContext : JsonSerializerContext;
