using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MeshDns.Kubernetes.Snapshots;
using MeshDns.Kubernetes.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDns.Kubernetes;

/// <summary>A cluster read from a folder of YAML manifests (<c>manifests DIR</c>).</summary>
public sealed record ManifestClusterOptions
{
    public required string Name { get; init; }

    /// <summary>The folder; every <c>*.yaml</c> and <c>*.yml</c> in it (not in sub-folders) is read.</summary>
    public required string Directory { get; init; }

    /// <summary>How often the files' sizes and modification times are checked (FileSystemWatcher is unreliable in containers).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    public ClusterFilterOptions Filter { get; init; } = ClusterFilterOptions.None;

    public ObjectTrimOptions Trim { get; init; } = ObjectTrimOptions.Default;

    public TimeSpan CoalesceInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// Reads multi-document YAML files holding Namespace, Service, EndpointSlice, Pod, ServiceExport and GlobalTrafficPolicy objects (and
/// <c>kind: List</c>), decodes them with the same wire types and trimming as the API-server source, and reloads when
/// the files change. Other kinds are ignored with a log line. A broken file is logged with its name and the reason,
/// and the last good snapshot stays; at start a broken folder fails <see cref="StartAsync"/>.
/// </summary>
public sealed class ManifestClusterSource : IClusterSource
{
    private static readonly ResourceKind[] Kinds = Enum.GetValues<ResourceKind>();

    private readonly ManifestClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ClusterStateStore _store;
    private readonly StringPool _pool = new();
    private readonly Lock _lifecycle = new();
    private readonly BackgroundLoops _loops = new();
    private string? _fingerprint;
    private volatile InformerStatus[] _statuses;

    public ManifestClusterSource(ManifestClusterOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("MeshDns.Kubernetes.Manifests");
        _store = new ClusterStateStore(options.Name, options.Filter, Kinds, options.CoalesceInterval, _time, _logger);
        _statuses = [.. Kinds.Select(k => new InformerStatus { Kind = k, Resource = "manifests:" + k.ToString().ToLowerInvariant() })];
    }

    public string Name => _options.Name;

    public ClusterSnapshot Snapshot => _store.Snapshot;

    public bool HasSynced => _store.HasSynced;

    public ClusterSourceStatus Status
    {
        get
        {
            var snapshot = _store.Snapshot;
            var informers = _statuses.Select(s => s with { ObjectCount = snapshot.ObjectCount(s.Kind) }).ToImmutableArray();
            return ClusterSourceStatus.Aggregate(Name, informers, snapshot.HasSynced);
        }
    }

    /// <summary>Reads the folder, publishes the first snapshot (so <see cref="Snapshot"/> holds it on return) and starts polling.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lifecycle)
        {
            if (_loops.IsRunning)
            {
                return;
            }

            // The first load fails loudly: there is no last good snapshot to keep.
            var (fingerprint, files) = Fingerprint();
            var loaded = Load(files, out var error);
            if (loaded is null)
            {
                throw new KubeConfigException($"manifests {_options.Directory}: {error}");
            }

            _fingerprint = fingerprint;
            Publish(loaded, files.Count);
            _loops.TryStart([_store.RunAsync, PollAsync]);
        }

        await _store.SyncedTask.WaitAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        _loops.StopAsync(cancellationToken, () => _statuses = [.. _statuses.Select(s => s with { State = SyncState.Stopped })]);

    public async Task<bool> WaitForSyncAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _store.SyncedTask.WaitAsync(timeout, _time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public IDisposable Subscribe(Action<ClusterChange> handler) => _store.Subscribe(handler);

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.PollInterval, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var (fingerprint, files) = Fingerprint();
                if (fingerprint == _fingerprint)
                {
                    continue;
                }

                _fingerprint = fingerprint;
                var loaded = Load(files, out _);
                if (loaded is not null)
                {
                    Publish(loaded, files.Count);
                }
                else
                {
                    var message = "a manifest is broken; kept the last good snapshot";
                    _statuses = [.. _statuses.Select(s => s with { State = SyncState.Retrying, LastError = message, LastErrorTime = _time.GetUtcNow() })];
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.ManifestBroken(_logger, _options.Directory, "(folder)", ex.Message);
            }
        }
    }

    private void Publish(Dictionary<ResourceKind, List<IKubernetesObject>> loaded, int files)
    {
        _store.ReplaceMany(loaded.ToDictionary(p => p.Key, p => (IReadOnlyList<IKubernetesObject>)p.Value));

        var now = _time.GetUtcNow();
        _statuses = [.. _statuses.Select(s => s with { State = SyncState.Synced, HasSynced = true, LastError = null, LastEventTime = now })];
        Log.ManifestsLoaded(_logger, _options.Directory, files, loaded.Values.Sum(l => l.Count));
    }

    private (string Fingerprint, List<string> Files) Fingerprint()
    {
        var files = System.IO.Directory.EnumerateFiles(_options.Directory)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        var builder = new StringBuilder();
        foreach (var file in files)
        {
            var info = new FileInfo(file);
            builder.Append(file).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }

        return (builder.ToString(), files);
    }

    /// <summary>Reads every file; null (and each problem logged) if any file is broken.</summary>
    private Dictionary<ResourceKind, List<IKubernetesObject>>? Load(List<string> files, out string? error)
    {
        error = null;
        var result = Kinds.ToDictionary(k => k, _ => new List<IKubernetesObject>());
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            try
            {
                LoadFile(file, name, result);
            }
            catch (Exception ex) when (ex is YamlException or JsonException or IOException or FormatException or InvalidOperationException or ManifestException)
            {
                var reason = ex switch
                {
                    YamlException yaml => $"malformed YAML at line {yaml.Start.Line}, column {yaml.Start.Column}",
                    _ => ex.Message,
                };
                Log.ManifestBroken(_logger, _options.Directory, name, reason);
                error ??= $"{name}: {reason}";
            }
        }

        return error is null ? result : null;
    }

    private void LoadFile(string path, string name, Dictionary<ResourceKind, List<IKubernetesObject>> result)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        var index = 0;
        foreach (var document in yaml.Documents)
        {
            index++;
            if (document.RootNode is YamlScalarNode { Value: null or "" or "~" or "null" })
            {
                continue;
            }

            if (ToJson(document.RootNode) is not JsonObject root)
            {
                throw new ManifestException($"document {index} is not a mapping");
            }

            AddObject(root, name, index, result);
        }
    }

    private void AddObject(JsonObject root, string file, int document, Dictionary<ResourceKind, List<IKubernetesObject>> result)
    {
        var kind = (string?)root["kind"];
        var apiVersion = (string?)root["apiVersion"];
        if (kind is "List" && root["items"] is JsonArray items)
        {
            foreach (var item in items)
            {
                if (item is JsonObject child)
                {
                    AddObject(child, file, document, result);
                }
            }

            return;
        }

        var metadata = root["metadata"] as JsonObject;
        var objectName = (string?)metadata?["name"];
        if (string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(objectName))
        {
            throw new ManifestException($"document {document} has no kind or metadata.name");
        }

        var group = apiVersion is null ? string.Empty : apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : string.Empty;
        ResourceKind? resource = (kind, group) switch
        {
            ("Namespace", "") => ResourceKind.Namespace,
            ("Service", "") => ResourceKind.Service,
            ("EndpointSlice", "discovery.k8s.io") => ResourceKind.EndpointSlice,
            ("Pod", "") => ResourceKind.Pod,
            ("ServiceExport", "multicluster.x-k8s.io") => ResourceKind.ServiceExport,
            ("GlobalTrafficPolicy", "flomesh.io") => ResourceKind.GlobalTrafficPolicy,
            _ => null,
        };
        if (resource is not { } resourceKind)
        {
            Log.ManifestKindIgnored(_logger, _options.Directory, file, $"{apiVersion}/{kind}", objectName);
            return;
        }

        if (resourceKind != ResourceKind.Namespace && string.IsNullOrEmpty((string?)metadata!["namespace"]))
        {
            metadata["namespace"] = "default";
        }

        var json = root.ToJsonString();
        if (string.IsNullOrEmpty((string?)metadata!["resourceVersion"]))
        {
            // Manifests have no resourceVersion; a content hash lets reloads tell changed objects from unchanged ones.
            metadata["resourceVersion"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
        }

        var context = KubernetesJsonContext.Default;
        var labels = _options.Filter.Labels;
        IKubernetesObject? trimmed;
        switch (resourceKind)
        {
            case ResourceKind.Namespace:
                trimmed = ObjectTrimmer.Trim(root.Deserialize(context.NamespaceDto)!, _pool);
                break;
            case ResourceKind.Service:
                var service = root.Deserialize(context.ServiceDto)!;
                trimmed = MatchesLabels(labels, service.Metadata) ? ObjectTrimmer.Trim(service, _options.Trim, _pool) : null;
                break;
            case ResourceKind.EndpointSlice:
                var slice = root.Deserialize(context.EndpointSliceDto)!;
                trimmed = MatchesLabels(labels, slice.Metadata) ? ObjectTrimmer.Trim(slice, _pool) : null;
                break;
            case ResourceKind.Pod:
                trimmed = ObjectTrimmer.Trim(root.Deserialize(context.PodDto)!, _pool);
                break;
            case ResourceKind.GlobalTrafficPolicy:
                trimmed = ObjectTrimmer.Trim(root.Deserialize(context.GlobalTrafficPolicyDto)!, _pool);
                break;
            default:
                trimmed = ObjectTrimmer.Trim(root.Deserialize(context.MetadataOnlyDto)!, _pool);
                break;
        }

        if (trimmed is not null)
        {
            if (result[resourceKind].Any(o => o.Key == trimmed.Key))
            {
                throw new ManifestException($"document {document}: {kind} {trimmed.Key} is defined twice");
            }

            result[resourceKind].Add(trimmed);
        }
    }

    private static bool MatchesLabels(LabelSelector? selector, ObjectMetaDto? metadata) =>
        selector is null || selector.Matches(metadata?.Labels ?? (IReadOnlyDictionary<string, string>)ImmutableDictionary<string, string>.Empty);

    /// <summary>YAML → JSON with YAML 1.2 core-schema typing of plain scalars (quoted scalars stay strings).</summary>
    internal static JsonNode? ToJson(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? throw new ManifestException($"a mapping key at line {key.Start.Line} is not a scalar");
                    obj[name] = ToJson(value);
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var child in sequence.Children)
                {
                    array.Add(ToJson(child));
                }

                return array;
            case YamlScalarNode scalar:
                var text = scalar.Value ?? string.Empty;
                if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
                {
                    return JsonValue.Create(text);
                }

                return text switch
                {
                    "" or "~" or "null" or "Null" or "NULL" => null,
                    "true" or "True" or "TRUE" => JsonValue.Create(true),
                    "false" or "False" or "FALSE" => JsonValue.Create(false),
                    _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
                    _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && char.IsAsciiDigit(text[^1]) => JsonValue.Create(real),
                    _ => JsonValue.Create(text),
                };
            default:
                throw new ManifestException($"unsupported YAML node at line {node.Start.Line}");
        }
    }
}

/// <summary>A manifest that is valid YAML but not a usable object.</summary>
internal sealed class ManifestException : Exception
{
    public ManifestException()
    {
    }

    public ManifestException(string message)
        : base(message)
    {
    }

    public ManifestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
