using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDns.Testing.FakeKubernetes;

/// <summary>One endpoint of a fake EndpointSlice. Null conditions are omitted from the JSON, as the API server does.</summary>
public sealed record FakeEndpoint(
    string Address,
    bool? Ready = true,
    bool? Serving = null,
    bool? Terminating = null,
    string? Hostname = null,
    string? NodeName = null,
    string? Zone = null,
    string? PodName = null);

/// <summary>A port: name, number, protocol.</summary>
public sealed record FakePort(string? Name, int Port, string Protocol = "TCP");

/// <summary>Builds Kubernetes objects as JSON, in the field order and shape the API server writes them.</summary>
public static class FakeObjects
{
    public static JsonObject Namespace(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var allLabels = new Dictionary<string, string>(labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["kubernetes.io/metadata.name"] = name,
        };
        return new JsonObject
        {
            ["kind"] = "Namespace",
            ["apiVersion"] = "v1",
            ["metadata"] = Metadata(null, name, allLabels),
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        };
    }

    public static JsonObject Service(
        string ns,
        string name,
        string? clusterIP = null,
        IEnumerable<FakePort>? ports = null,
        IReadOnlyDictionary<string, string>? labels = null,
        string type = "ClusterIP",
        string? externalName = null,
        bool publishNotReadyAddresses = false,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        var spec = new JsonObject();
        if (type != "ExternalName")
        {
            var portArray = new JsonArray();
            foreach (var port in ports ?? [])
            {
                var item = new JsonObject();
                if (port.Name is not null)
                {
                    item["name"] = port.Name;
                }

                item["protocol"] = port.Protocol;
                item["port"] = port.Port;
                item["targetPort"] = port.Port;
                portArray.Add(item);
            }

            spec["ports"] = portArray;
            spec["clusterIP"] = clusterIP ?? "None";
            spec["clusterIPs"] = new JsonArray((clusterIP ?? "None").Split(',').Select(ip => (JsonNode)JsonValue.Create(ip)).ToArray());
        }

        spec["type"] = type;
        spec["sessionAffinity"] = "None";
        if (externalName is not null)
        {
            spec["externalName"] = externalName;
        }

        if (publishNotReadyAddresses)
        {
            spec["publishNotReadyAddresses"] = true;
        }

        if (type != "ExternalName")
        {
            spec["ipFamilies"] = new JsonArray(clusterIP?.Contains(':', StringComparison.Ordinal) == true ? "IPv6" : "IPv4");
            spec["ipFamilyPolicy"] = "SingleStack";
        }

        spec["internalTrafficPolicy"] = "Cluster";
        return new JsonObject
        {
            ["kind"] = "Service",
            ["apiVersion"] = "v1",
            ["metadata"] = Metadata(ns, name, labels, annotations),
            ["spec"] = spec,
            ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() },
        };
    }

    public static JsonObject EndpointSlice(
        string ns,
        string name,
        string serviceName,
        IEnumerable<FakeEndpoint> endpoints,
        IEnumerable<FakePort>? ports = null,
        string addressType = "IPv4",
        IReadOnlyDictionary<string, string>? labels = null)
    {
        var allLabels = new Dictionary<string, string>(labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["endpointslice.kubernetes.io/managed-by"] = "fake.meshdns.io",
            ["kubernetes.io/service-name"] = serviceName,
        };
        var endpointArray = new JsonArray();
        foreach (var endpoint in endpoints)
        {
            var conditions = new JsonObject();
            if (endpoint.Ready is { } ready)
            {
                conditions["ready"] = ready;
            }

            if (endpoint.Serving is { } serving)
            {
                conditions["serving"] = serving;
            }

            if (endpoint.Terminating is { } terminating)
            {
                conditions["terminating"] = terminating;
            }

            var item = new JsonObject { ["addresses"] = new JsonArray(endpoint.Address), ["conditions"] = conditions };
            if (endpoint.Hostname is not null)
            {
                item["hostname"] = endpoint.Hostname;
            }

            if (endpoint.PodName is not null)
            {
                item["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = ns, ["name"] = endpoint.PodName };
            }

            if (endpoint.NodeName is not null)
            {
                item["nodeName"] = endpoint.NodeName;
            }

            if (endpoint.Zone is not null)
            {
                item["zone"] = endpoint.Zone;
            }

            endpointArray.Add(item);
        }

        var portArray = new JsonArray();
        foreach (var port in ports ?? [])
        {
            var item = new JsonObject();
            if (port.Name is not null)
            {
                item["name"] = port.Name;
            }

            item["protocol"] = port.Protocol;
            item["port"] = port.Port;
            portArray.Add(item);
        }

        return new JsonObject
        {
            ["kind"] = "EndpointSlice",
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["metadata"] = Metadata(ns, name, allLabels),
            ["addressType"] = addressType,
            ["endpoints"] = endpointArray,
            ["ports"] = portArray,
        };
    }

    public static JsonObject Pod(string ns, string name, string? ip, IReadOnlyDictionary<string, string>? labels = null, bool deleting = false)
    {
        var metadata = Metadata(ns, name, labels);
        if (deleting)
        {
            metadata["deletionTimestamp"] = "2026-11-22T01:30:00Z";
            metadata["deletionGracePeriodSeconds"] = 30;
        }

        var status = new JsonObject { ["phase"] = "Running" };
        if (ip is not null)
        {
            status["podIP"] = ip;
            status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip });
        }

        return new JsonObject
        {
            ["kind"] = "Pod",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "registry.invalid/none:0" }),
                ["restartPolicy"] = "Always",
                ["dnsPolicy"] = "ClusterFirst",
            },
            ["status"] = status,
        };
    }

    public static JsonObject ServiceExport(string ns, string name) => new()
    {
        ["kind"] = "ServiceExport",
        ["apiVersion"] = "multicluster.x-k8s.io/v1alpha1",
        ["metadata"] = Metadata(ns, name, null),
        ["spec"] = new JsonObject(),
    };

    /// <summary>A flomesh.io/v1alpha1 GlobalTrafficPolicy (FSM): <paramref name="lbType"/> and target cluster keys.</summary>
    public static JsonObject GlobalTrafficPolicy(string ns, string name, string lbType, params string[] clusterKeys) => new()
    {
        ["kind"] = "GlobalTrafficPolicy",
        ["apiVersion"] = "flomesh.io/v1alpha1",
        ["metadata"] = Metadata(ns, name, null),
        ["spec"] = new JsonObject
        {
            ["lbType"] = lbType,
            ["targets"] = new JsonArray([.. clusterKeys.Select(k => (JsonNode)new JsonObject { ["clusterKey"] = k })]),
        },
    };

    /// <summary>Parses multi-document YAML into JSON objects (plain scalars typed as YAML 1.2 core schema).</summary>
    public static IReadOnlyList<JsonObject> FromYaml(string yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml))
        {
            stream.Load(reader);
        }

        var result = new List<JsonObject>();
        foreach (var document in stream.Documents)
        {
            if (ToJson(document.RootNode) is JsonObject obj)
            {
                result.Add(obj);
            }
        }

        return result;
    }

    private static JsonObject Metadata(string? ns, string name, IReadOnlyDictionary<string, string>? labels, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }

        if (labels is { Count: > 0 })
        {
            metadata["labels"] = ToObject(labels);
        }

        if (annotations is { Count: > 0 })
        {
            metadata["annotations"] = ToObject(annotations);
        }

        return metadata;
    }

    private static JsonObject ToObject(IReadOnlyDictionary<string, string> map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            obj[key] = value;
        }

        return obj;
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value ?? string.Empty, ToJson(p.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar when scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded
            => JsonValue.Create(scalar.Value ?? string.Empty),
        YamlScalarNode scalar => scalar.Value switch
        {
            null or "" or "~" or "null" => null,
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            var text when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            var text => JsonValue.Create(text),
        },
        _ => null,
    };
}
