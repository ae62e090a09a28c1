using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using MeshDns.Kubernetes.Wire;

namespace MeshDns.Kubernetes;

/// <summary>Which service labels and annotations the cache keeps (prefix match). Everything else is dropped.</summary>
public sealed record ObjectTrimOptions
{
    public static ObjectTrimOptions Default { get; } = new();

    /// <summary>
    /// Annotation prefixes kept on services. Default: <c>meshdns.io/</c>, <c>multicluster.kubernetes.io/</c>,
    /// <c>service.cilium.io/</c> and <c>io.cilium/</c> (Cilium's global-service markers, new and old, read by clusterset).
    /// </summary>
    public ImmutableArray<string> ServiceAnnotationPrefixes { get; init; } = ["meshdns.io/", "multicluster.kubernetes.io/", "service.cilium.io/", "io.cilium/"];

    /// <summary>Label prefixes kept on services. Default: <c>meshdns.io/</c>, <c>multicluster.kubernetes.io/</c> and <c>service.kubernetes.io/</c>.</summary>
    public ImmutableArray<string> ServiceLabelPrefixes { get; init; } = ["meshdns.io/", "multicluster.kubernetes.io/", "service.kubernetes.io/"];
}

/// <summary>Turns wire DTOs into the trimmed immutable records. Returns null for objects without a name (bookmarks).</summary>
internal static class ObjectTrimmer
{
    internal const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>Set by the endpoint slice controller: when the change the slice reflects was triggered.</summary>
    internal const string LastChangeTriggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time";

    internal static NamespaceInfo? Trim(NamespaceDto dto, StringPool pool)
    {
        var meta = dto.Metadata;
        if (meta?.Name is not { Length: > 0 } name)
        {
            return null;
        }

        return new NamespaceInfo(pool.Get(name, name), ToImmutable(meta.Labels, null, pool), meta.ResourceVersion ?? string.Empty);
    }

    internal static ServiceInfo? Trim(ServiceDto dto, ObjectTrimOptions options, StringPool pool)
    {
        var meta = dto.Metadata;
        if (meta?.Name is not { Length: > 0 } name)
        {
            return null;
        }

        var spec = dto.Spec;
        var type = spec?.Type switch
        {
            "NodePort" => ServiceType.NodePort,
            "LoadBalancer" => ServiceType.LoadBalancer,
            "ExternalName" => ServiceType.ExternalName,
            _ => ServiceType.ClusterIP,
        };

        var headless = false;
        var clusterIPs = ImmutableArray<IPAddress>.Empty;
        if (type != ServiceType.ExternalName)
        {
            var raw = spec?.ClusterIPs is { Count: > 0 } list ? list : (spec?.ClusterIP is { } single ? [single] : null);
            if (raw is not null)
            {
                var builder = ImmutableArray.CreateBuilder<IPAddress>(raw.Count);
                foreach (var text in raw)
                {
                    if (string.Equals(text, "None", StringComparison.Ordinal))
                    {
                        headless = true;
                    }
                    else if (IPAddress.TryParse(text, out var address))
                    {
                        builder.Add(address);
                    }
                }

                clusterIPs = builder.DrainToImmutable();
            }
        }

        var ports = ImmutableArray<ServicePortInfo>.Empty;
        if (spec?.Ports is { Count: > 0 } specPorts)
        {
            var builder = ImmutableArray.CreateBuilder<ServicePortInfo>(specPorts.Count);
            foreach (var port in specPorts)
            {
                builder.Add(new ServicePortInfo(pool.Get(port.Name), pool.Get(port.Protocol) ?? "TCP", port.Port));
            }

            ports = pool.Share(builder.MoveToImmutable(), p => $"{p.Name}/{p.Protocol}/{p.Port}");
        }

        var external = ImmutableArray<string>.Empty;
        if (spec?.ExternalIPs is { Count: > 0 } || dto.Status?.LoadBalancer?.Ingress is { Count: > 0 })
        {
            var builder = ImmutableArray.CreateBuilder<string>();
            foreach (var ip in spec?.ExternalIPs ?? [])
            {
                builder.Add(ip);
            }

            foreach (var ingress in dto.Status?.LoadBalancer?.Ingress ?? [])
            {
                if (ingress.IP is { Length: > 0 } ip)
                {
                    builder.Add(ip);
                }
                else if (ingress.Hostname is { Length: > 0 } host)
                {
                    builder.Add(host);
                }
            }

            external = builder.DrainToImmutable();
        }

        return new ServiceInfo(
            pool.Get(meta.Namespace) ?? string.Empty,
            name,
            type,
            clusterIPs,
            headless,
            ports,
            type == ServiceType.ExternalName ? spec?.ExternalName : null,
            external,
            spec?.PublishNotReadyAddresses ?? false,
            ToImmutable(meta.Labels, options.ServiceLabelPrefixes, pool),
            ToImmutable(meta.Annotations, options.ServiceAnnotationPrefixes, pool),
            meta.ResourceVersion ?? string.Empty);
    }

    internal static EndpointSliceInfo? Trim(EndpointSliceDto dto, StringPool pool)
    {
        var meta = dto.Metadata;
        if (meta?.Name is not { Length: > 0 } name)
        {
            return null;
        }

        var ns = pool.Get(meta.Namespace) ?? string.Empty;
        var addressType = dto.AddressType switch
        {
            "IPv6" => EndpointAddressType.IPv6,
            "FQDN" => EndpointAddressType.Fqdn,
            _ => EndpointAddressType.IPv4,
        };

        var endpoints = ImmutableArray<EndpointInfo>.Empty;
        if (dto.Endpoints is { Count: > 0 } wireEndpoints)
        {
            var builder = ImmutableArray.CreateBuilder<EndpointInfo>(wireEndpoints.Count);
            foreach (var endpoint in wireEndpoints)
            {
                var addresses = ImmutableArray<IPAddress>.Empty;
                if (endpoint.Addresses is { Count: > 0 } wireAddresses)
                {
                    var addressBuilder = ImmutableArray.CreateBuilder<IPAddress>(wireAddresses.Count);
                    foreach (var text in wireAddresses)
                    {
                        // FQDN slices carry names, not addresses; DNS cannot serve them as A/AAAA, so they are dropped.
                        if (IPAddress.TryParse(text, out var address))
                        {
                            addressBuilder.Add(address);
                        }
                    }

                    addresses = addressBuilder.DrainToImmutable();
                }

                var conditions = endpoint.Conditions;
                var ready = conditions?.Ready ?? true;
                // A StatefulSet pod's hostname is its name: keep one string for both.
                var hostname = endpoint.Hostname;
                var target = endpoint.TargetRef is { Name: { Length: > 0 } targetName } reference
                    ? new EndpointTarget(
                        pool.Get(reference.Kind) ?? "Pod",
                        reference.Namespace is null || reference.Namespace == ns ? ns : pool.Get(reference.Namespace, reference.Namespace),
                        string.Equals(targetName, hostname, StringComparison.Ordinal) ? hostname! : targetName)
                    : null;
                builder.Add(new EndpointInfo(
                    addresses,
                    hostname,
                    pool.Get(endpoint.NodeName),
                    pool.Get(endpoint.Zone),
                    target,
                    ready,
                    conditions?.Serving ?? ready,
                    conditions?.Terminating ?? false));
            }

            endpoints = builder.MoveToImmutable();
        }

        var ports = ImmutableArray<EndpointPortInfo>.Empty;
        if (dto.Ports is { Count: > 0 } wirePorts)
        {
            var builder = ImmutableArray.CreateBuilder<EndpointPortInfo>(wirePorts.Count);
            foreach (var port in wirePorts)
            {
                // A port with no number means "all ports" (headless services without ports); DNS has nothing to say about it.
                if (port.Port is { } number)
                {
                    builder.Add(new EndpointPortInfo(pool.Get(port.Name), pool.Get(port.Protocol) ?? "TCP", number, pool.Get(port.AppProtocol)));
                }
            }

            ports = pool.Share(builder.DrainToImmutable(), p => $"{p.Name}/{p.Protocol}/{p.Port}/{p.AppProtocol}");
        }

        string? serviceName = null;
        meta.Labels?.TryGetValue(ServiceNameLabel, out serviceName);
        DateTimeOffset? triggered = null;
        if (meta.Annotations?.TryGetValue(LastChangeTriggerTimeAnnotation, out var triggerText) == true
            && DateTimeOffset.TryParse(triggerText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var triggerTime))
        {
            triggered = triggerTime;
        }

        return new EndpointSliceInfo(ns, name, serviceName, addressType, endpoints, ports, meta.ResourceVersion ?? string.Empty)
        {
            LastChangeTriggerTime = triggered,
        };
    }

    internal static PodInfo? Trim(PodDto dto, StringPool pool)
    {
        var meta = dto.Metadata;
        if (meta?.Name is not { Length: > 0 } name)
        {
            return null;
        }

        var ips = ImmutableArray<IPAddress>.Empty;
        var status = dto.Status;
        if (status?.PodIPs is { Count: > 0 } podIPs)
        {
            var builder = ImmutableArray.CreateBuilder<IPAddress>(podIPs.Count);
            foreach (var item in podIPs)
            {
                if (IPAddress.TryParse(item.IP, out var address))
                {
                    builder.Add(address);
                }
            }

            ips = builder.DrainToImmutable();
        }
        else if (IPAddress.TryParse(status?.PodIP, out var single))
        {
            ips = [single];
        }

        return new PodInfo(pool.Get(meta.Namespace) ?? string.Empty, name, ips, meta.DeletionTimestamp is not null, meta.ResourceVersion ?? string.Empty);
    }

    internal static ServiceExportInfo? Trim(MetadataOnlyDto dto, StringPool pool)
    {
        var meta = dto.Metadata;
        return meta?.Name is { Length: > 0 } name
            ? new ServiceExportInfo(pool.Get(meta.Namespace) ?? string.Empty, name, meta.ResourceVersion ?? string.Empty)
            : null;
    }

    internal static GlobalTrafficPolicyInfo? Trim(GlobalTrafficPolicyDto dto, StringPool pool)
    {
        var meta = dto.Metadata;
        if (meta?.Name is not { Length: > 0 } name)
        {
            return null;
        }

        var targets = ImmutableArray.CreateBuilder<TrafficTargetInfo>();
        foreach (var target in dto.Spec?.Targets ?? [])
        {
            if (!string.IsNullOrEmpty(target.ClusterKey))
            {
                targets.Add(new TrafficTargetInfo(pool.Get(target.ClusterKey, target.ClusterKey), target.Weight));
            }
        }

        return new GlobalTrafficPolicyInfo(pool.Get(meta.Namespace) ?? string.Empty, name, dto.Spec?.LbType ?? string.Empty, targets.DrainToImmutable(), meta.ResourceVersion ?? string.Empty);
    }

    private static ImmutableDictionary<string, string> ToImmutable(Dictionary<string, string>? source, ImmutableArray<string>? keepPrefixes, StringPool pool)
    {
        if (source is null || source.Count == 0)
        {
            return ImmutableDictionary<string, string>.Empty;
        }

        var builder = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in source)
        {
            if (keepPrefixes is not { } prefixes || Matches(prefixes, key))
            {
                builder[pool.Get(key, key)] = pool.Get(value, value);
            }
        }

        return builder.Count == 0 ? ImmutableDictionary<string, string>.Empty : builder.ToImmutable();
    }

    private static bool Matches(ImmutableArray<string> prefixes, string key)
    {
        foreach (var prefix in prefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
