using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MeshDns.Kubernetes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshDns.Testing.FakeKubernetes;

/// <summary>
/// A kube-apiserver stand-in on loopback (Kestrel, HTTPS with a test CA, HTTP/1.1 and HTTP/2) serving Namespaces,
/// Services, EndpointSlices, Pods, ServiceExports and GlobalTrafficPolicies with LIST (limit/continue, resourceVersion, labelSelector) and
/// WATCH (resume from a resourceVersion, bookmarks, 410 Expired as an ERROR event) in the exact JSON shapes of
/// shared/recordings, plus fault injection. See README.md beside this file.
/// </summary>
public sealed partial class FakeKubernetesServer : IAsyncDisposable
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    private readonly FakeKubernetesServerOptions _options;
    private readonly bool _ownsPki;
    private readonly Lock _lock = new();
    private readonly Dictionary<FakeResourceDefinition, FakeResourceStore> _stores = [];
    private readonly List<Watcher> _watchers = [];
    private readonly ConcurrentDictionary<string, (string User, string[] Groups)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _basicUsers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string User, string Verb, string Resource), bool> _forbidden = new();
    private readonly List<Fault> _faults = [];
    private readonly ConcurrentDictionary<string, HashSet<(string Verb, string Resource)>> _grants = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private long _resourceVersion;
    private (TimeSpan Delay, int ChunkBytes)? _slowBodies;

    private FakeKubernetesServer(FakeKubernetesServerOptions options)
    {
        _options = options;
        _ownsPki = options.Pki is null;
        Pki = options.Pki ?? TestPki.Create(options.ClusterName + "-ca");
        _resourceVersion = options.InitialResourceVersion;
        var definitions = new List<FakeResourceDefinition>
        {
            FakeResourceDefinition.Namespaces,
            FakeResourceDefinition.Services,
            FakeResourceDefinition.EndpointSlices,
            FakeResourceDefinition.Pods,
        };
        if (options.ServiceExportsInstalled)
        {
            definitions.Add(FakeResourceDefinition.ServiceExports);
        }

        if (options.GlobalTrafficPoliciesInstalled)
        {
            definitions.Add(FakeResourceDefinition.GlobalTrafficPolicies);
        }

        foreach (var definition in definitions)
        {
            _stores[definition] = new FakeResourceStore(definition, _resourceVersion);
        }
    }

    public TestPki Pki { get; }

    public X509Certificate2? ServerCertificate { get; private set; }

    /// <summary>https://127.0.0.1:PORT (or http://).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public string ClusterName => _options.ClusterName;

    /// <summary>The store's current resourceVersion.</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_lock)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>Called before each authenticated request is served, with (verb, resource, query): lets a test act at an exact moment (e.g. compact between two pages).</summary>
    public Action<string, string, string>? BeforeRequest { get; set; }

    /// <summary>Every request served so far, oldest first.</summary>
    public IReadOnlyList<FakeRequest> Requests => [.. _requests];

    public static async Task<FakeKubernetesServer> StartAsync(FakeKubernetesServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var server = new FakeKubernetesServer(options ?? new FakeKubernetesServerOptions());
        await server.StartCoreAsync(cancellationToken);
        return server;
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (_options.UseHttps)
        {
            ServerCertificate = Pki.IssueServerCertificate([.. _options.ServerCertificateNames]);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = _options.Protocols;
                if (_options.UseHttps)
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = ServerCertificate,
                        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                        // Checked per request against the test CA (an unknown certificate is simply anonymous).
                        ClientCertificateValidation = (_, _, _) => true,
                    });
                }
            });
        });

        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync(cancellationToken);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        DropWatches();
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token);
            await _app.DisposeAsync();
        }

        _stopping.Dispose();
        ServerCertificate?.Dispose();
        if (_ownsPki)
        {
            Pki.Dispose();
        }
    }

    // ---------------------------------------------------------------- authentication and authorization

    /// <summary>Accept <c>Authorization: Bearer {token}</c> as <paramref name="user"/>.</summary>
    public void AddToken(string token, string user, params string[] groups) => _tokens[token] = (user, groups);

    public void RemoveToken(string token) => _tokens.TryRemove(token, out _);

    public void AddBasicUser(string user, string password) => _basicUsers[user] = password;

    /// <summary>Answer 403 to <paramref name="user"/> for <paramref name="verb"/> (list, watch) on <paramref name="resource"/> (plural, e.g. "pods").</summary>
    public void Forbid(string user, string verb, string resource) => _forbidden[(user, verb, resource)] = true;

    public void Allow(string user, string verb, string resource) => _forbidden.TryRemove((user, verb, resource), out _);

    /// <summary>
    /// RBAC allow-list for <paramref name="user"/>: only these (verb, resource) pairs are permitted, resource as RBAC
    /// names it (<c>services</c>, <c>endpointslices.discovery.k8s.io</c>). Everything else is 403.
    /// </summary>
    public void AllowOnly(string user, IEnumerable<(string Verb, string Resource)> grants) => _grants[user] = [.. grants];

    private bool IsForbidden(string user, string verb, FakeResourceDefinition definition) =>
        _forbidden.ContainsKey((user, verb, definition.Plural))
        || (_grants.TryGetValue(user, out var grants) && !grants.Contains((verb, definition.Resource)));

    // ---------------------------------------------------------------- objects

    /// <summary>Creates or replaces an object (kind/apiVersion/metadata as in a manifest). Returns its new resourceVersion.</summary>
    public long Upsert(JsonObject obj)
    {
        var definition = DefinitionOf(obj);
        var metadata = obj["metadata"] as JsonObject ?? throw new ArgumentException("object has no metadata");
        var name = (string?)metadata["name"] ?? throw new ArgumentException("object has no metadata.name");
        var ns = definition.Namespaced ? (string?)metadata["namespace"] ?? "default" : null;
        lock (_lock)
        {
            var store = _stores[definition];
            var key = FakeResourceStore.KeyOf(ns, name);
            var old = store.Current.GetValueOrDefault(key);
            var rv = ++_resourceVersion;
            var stored = Store(definition, obj, ns, name, old?.Uid ?? Guid.NewGuid().ToString(), rv);
            store.Set(store.Current.SetItem(key, stored), rv, _options.HistoryLimit);
            Publish(store, new StoredEvent(rv, old is null ? "ADDED" : "MODIFIED", stored, old));
            return rv;
        }
    }

    /// <summary>Applies every object of a multi-document YAML text.</summary>
    public IReadOnlyList<long> Apply(string yaml) => [.. FakeObjects.FromYaml(yaml).Select(Upsert)];

    /// <summary>Deletes an object by kind ("Service", "EndpointSlice", ...). Returns false if it did not exist.</summary>
    public bool Delete(string kind, string? ns, string name)
    {
        var definition = _stores.Keys.First(d => d.Kind == kind);
        lock (_lock)
        {
            var store = _stores[definition];
            var key = FakeResourceStore.KeyOf(definition.Namespaced ? ns ?? "default" : null, name);
            if (!store.Current.TryGetValue(key, out var old))
            {
                return false;
            }

            var rv = ++_resourceVersion;
            var final = Restamp(old, rv);
            store.Set(store.Current.Remove(key), rv, _options.HistoryLimit);
            Publish(store, new StoredEvent(rv, "DELETED", final, old));
            return true;
        }
    }

    /// <summary>The objects of a kind as (namespace, name, resourceVersion), sorted by key.</summary>
    public IReadOnlyList<(string Namespace, string Name, long ResourceVersion)> Keys(string kind)
    {
        var definition = _stores.Keys.First(d => d.Kind == kind);
        lock (_lock)
        {
            return [.. _stores[definition].Current.Values.Select(o => (o.Namespace, o.Name, o.ResourceVersion))];
        }
    }

    /// <summary>An object as stored (a LIST item: no kind/apiVersion), or null.</summary>
    public JsonObject? Get(string kind, string? ns, string name)
    {
        var definition = _stores.Keys.First(d => d.Kind == kind);
        lock (_lock)
        {
            return _stores[definition].Current.TryGetValue(FakeResourceStore.KeyOf(definition.Namespaced ? ns ?? "default" : null, name), out var stored)
                ? JsonNode.Parse(stored.ItemJson)!.AsObject()
                : null;
        }
    }

    private FakeResourceDefinition DefinitionOf(JsonObject obj)
    {
        var kind = (string?)obj["kind"];
        var apiVersion = (string?)obj["apiVersion"];
        return _stores.Keys.FirstOrDefault(d => d.Kind == kind && d.ApiVersion == apiVersion)
            ?? throw new ArgumentException($"the fake does not serve {apiVersion}/{kind}");
    }

    private static StoredObject Store(FakeResourceDefinition definition, JsonObject source, string? ns, string name, string uid, long rv)
    {
        var input = (JsonObject)source.DeepClone();
        var inputMeta = (JsonObject)input["metadata"]!;
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }

        metadata["uid"] = uid;
        metadata["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
        metadata["creationTimestamp"] = (string?)inputMeta["creationTimestamp"] ?? "2026-11-22T01:06:41Z";
        foreach (var field in new[] { "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations" })
        {
            if (inputMeta[field] is { } value)
            {
                metadata[field] = value.DeepClone();
            }
        }

        // Real objects carry a large managedFields block; clients must skip it cheaply.
        metadata["managedFields"] = new JsonArray(new JsonObject
        {
            ["manager"] = "fake-seed",
            ["operation"] = "Apply",
            ["apiVersion"] = definition.ApiVersion,
            ["time"] = "2026-11-22T01:06:41Z",
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = new JsonObject { ["f:metadata"] = new JsonObject { ["f:labels"] = new JsonObject() }, ["f:spec"] = new JsonObject() },
        });
        var item = new JsonObject { ["metadata"] = metadata };
        foreach (var (key, value) in input)
        {
            if (key is not ("kind" or "apiVersion" or "metadata"))
            {
                item[key] = value?.DeepClone();
            }
        }

        var labels = FakeResourceStore.LabelsOf(item);
        return new StoredObject(FakeResourceStore.KeyOf(ns, name), ns ?? string.Empty, name, uid, rv, labels, JsonSerializer.SerializeToUtf8Bytes(item));
    }

    private static StoredObject Restamp(StoredObject stored, long rv)
    {
        var item = JsonNode.Parse(stored.ItemJson)!.AsObject();
        item["metadata"]!["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return stored with { ResourceVersion = rv, ItemJson = JsonSerializer.SerializeToUtf8Bytes(item) };
    }

    // ---------------------------------------------------------------- faults

    /// <summary>Aborts open watches (the client sees the connection/stream reset).</summary>
    public void DropWatches(string? resource = null)
    {
        foreach (var watcher in TakeWatchers(resource))
        {
            watcher.Abort();
        }
    }

    /// <summary>Open watches stop sending anything, and keep the connection open (until the client gives up).</summary>
    public void StallWatches(string? resource = null)
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers.Where(w => Matches(w.Store.Definition, resource)))
            {
                watcher.Stalled = true;
            }
        }
    }

    /// <summary>Ends open watches cleanly, as timeoutSeconds does.</summary>
    public void EndWatches(string? resource = null)
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers.Where(w => Matches(w.Store.Definition, resource)))
            {
                watcher.Lines.Writer.TryComplete();
            }
        }
    }

    /// <summary>Writes a line that is not a watch event into open watches.</summary>
    public void InjectGarbageLine(string? resource = null, string line = "<html><body>502 Bad Gateway</body></html>")
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers.Where(w => Matches(w.Store.Definition, resource)))
            {
                watcher.Lines.Writer.TryWrite(Encoding.UTF8.GetBytes(line));
            }
        }
    }

    /// <summary>The next <paramref name="count"/> matching requests get <paramref name="statusCode"/> with a Status body (and Retry-After if given).</summary>
    public void FailNextRequests(int statusCode, int count = 1, string? verb = null, string? resource = null, int? retryAfterSeconds = null)
    {
        lock (_lock)
        {
            _faults.Add(new Fault(FaultKind.Status, count, verb, resource, statusCode, retryAfterSeconds, default));
        }
    }

    /// <summary>The next <paramref name="count"/> matching requests get a broken body.</summary>
    public void BreakNextResponses(FakeBrokenBody body, int count = 1, string? verb = null, string? resource = null)
    {
        lock (_lock)
        {
            _faults.Add(new Fault(FaultKind.Broken, count, verb, resource, 0, null, body));
        }
    }

    /// <summary>The next <paramref name="count"/> WATCH requests get HTTP 200 and an ERROR event 410 Expired, as for a too-old resourceVersion.</summary>
    public void ExpireNextWatches(int count = 1, string? resource = null)
    {
        lock (_lock)
        {
            _faults.Add(new Fault(FaultKind.ExpiredWatch, count, "watch", resource, 410, null, default));
        }
    }

    /// <summary>Response bodies are written in chunks of <paramref name="chunkBytes"/> with <paramref name="delay"/> between them (null to stop).</summary>
    public void SlowBodies(TimeSpan? delay, int chunkBytes = 1024) => _slowBodies = delay is { } d ? (d, chunkBytes) : null;

    public void ClearFaults()
    {
        lock (_lock)
        {
            _faults.Clear();
        }

        _slowBodies = null;
    }

    /// <summary>Forgets all history: watches from any older resourceVersion and old continue tokens get 410.</summary>
    public void CompactHistory()
    {
        lock (_lock)
        {
            foreach (var store in _stores.Values)
            {
                store.History.Clear();
                store.Floor = _resourceVersion;
                store.Versions.Clear();
                store.Versions[_resourceVersion] = store.Current;
            }
        }
    }

    /// <summary>
    /// Restarts the "API server": every watch is dropped. With <paramref name="newResourceVersionBase"/>, the store
    /// comes back with new resourceVersions (every object restamped from that base, history gone), as after an etcd
    /// restore: lower versions make old watches silent, higher ones make them 410.
    /// </summary>
    public void Restart(long? newResourceVersionBase = null)
    {
        if (newResourceVersionBase is { } newBase)
        {
            lock (_lock)
            {
                _resourceVersion = newBase;
                foreach (var store in _stores.Values)
                {
                    var current = store.Current;
                    foreach (var (key, stored) in store.Current)
                    {
                        current = current.SetItem(key, Restamp(stored, ++_resourceVersion));
                    }

                    store.History.Clear();
                    store.Versions.Clear();
                    store.Set(current, _resourceVersion, _options.HistoryLimit);
                }

                foreach (var store in _stores.Values)
                {
                    store.Floor = _resourceVersion;
                    store.InitialFloor = _resourceVersion;
                }
            }
        }

        DropWatches();
    }

    /// <summary>Open watches (optionally of one resource, by plural).</summary>
    public int ActiveWatches(string? resource = null)
    {
        lock (_lock)
        {
            return _watchers.Count(w => Matches(w.Store.Definition, resource));
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> watches of <paramref name="resource"/> are open.</summary>
    public async Task WaitForWatchesAsync(string? resource, int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (ActiveWatches(resource) < count)
        {
            await Task.Delay(10, cts.Token);
        }
    }

    private List<Watcher> TakeWatchers(string? resource)
    {
        lock (_lock)
        {
            return [.. _watchers.Where(w => Matches(w.Store.Definition, resource))];
        }
    }

    private static bool Matches(FakeResourceDefinition definition, string? resource) =>
        resource is null || resource == definition.Plural || resource == definition.Resource;

    private bool TryTakeFault(string verb, FakeResourceDefinition? definition, out Fault fault)
    {
        lock (_lock)
        {
            for (var i = 0; i < _faults.Count; i++)
            {
                var candidate = _faults[i];
                if ((candidate.Verb is null || candidate.Verb == verb)
                    && (candidate.Resource is null || (definition is not null && Matches(definition, candidate.Resource))))
                {
                    candidate.Remaining--;
                    if (candidate.Remaining <= 0)
                    {
                        _faults.RemoveAt(i);
                    }

                    fault = candidate;
                    return true;
                }
            }
        }

        fault = null!;
        return false;
    }

    private enum FaultKind
    {
        Status,
        Broken,
        ExpiredWatch,
    }

    private sealed class Fault(FaultKind kind, int remaining, string? verb, string? resource, int statusCode, int? retryAfter, FakeBrokenBody body)
    {
        public FaultKind Kind { get; } = kind;

        public int Remaining { get; set; } = remaining;

        public string? Verb { get; } = verb;

        public string? Resource { get; } = resource;

        public int StatusCode { get; } = statusCode;

        public int? RetryAfterSeconds { get; } = retryAfter;

        public FakeBrokenBody Body { get; } = body;
    }

    private sealed class Watcher(FakeResourceStore store, string? ns, LabelSelector selector, long startRv, HttpContext context)
    {
        public FakeResourceStore Store { get; } = store;

        public string? Namespace { get; } = ns;

        public LabelSelector Selector { get; } = selector;

        public long StartResourceVersion { get; } = startRv;

        public Channel<byte[]> Lines { get; } = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

        public volatile bool Stalled;

        public void Abort()
        {
            Lines.Writer.TryComplete();
            try
            {
                context.Abort();
            }
            catch (ObjectDisposedException)
            {
                // The request already finished.
            }
        }
    }
}
