using System.Globalization;
using System.Text;
using System.Text.Json;
using MeshDns.Kubernetes;
using Microsoft.AspNetCore.Http;

namespace MeshDns.Testing.FakeKubernetes;

public sealed partial class FakeKubernetesServer
{
    // The real server's /version is indented for every client.
    private const string VersionJson = """
        {
          "major": "1",
          "minor": "24+",
          "gitVersion": "v1.24.0-fake",
          "gitCommit": "fake",
          "gitTreeState": "clean",
          "buildDate": "2021-12-23T00:00:00Z",
          "goVersion": "go1.19.8",
          "compiler": "gc",
          "platform": "linux/amd64"
        }
        """;

    private const string LoggedKey = "fake-k8s-logged";

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var query = request.QueryString.Value ?? string.Empty;
        var isWatch = request.Query["watch"] is var watch && (watch == "true" || watch == "1");
        var route = Route(path);
        var verb = route is null ? "get" : isWatch ? "watch" : "list";
        var resourceName = route?.Definition.Resource ?? path;
        var user = Authenticate(context, out var authFailed);
        try
        {
            if (authFailed || (user is null && _options.RequireAuthentication))
            {
                await WriteStatusAsync(context, 401, "Unauthorized", "Unauthorized", null);
                return;
            }

            if (request.Method != "GET")
            {
                await WriteStatusAsync(context, 405, "MethodNotAllowed", "the fake serves GET only", null);
                return;
            }

            if (path == "/version")
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(VersionJson, context.RequestAborted);
                return;
            }

            if (route is null)
            {
                await WriteStatusAsync(context, 404, "NotFound", "the server could not find the requested resource", "{}");
                return;
            }

            var definition = route.Definition;
            if (user is not null && IsForbidden(user, verb, definition))
            {
                var scope = route.Namespace is null ? "at the cluster scope" : $"in the namespace \"{route.Namespace}\"";
                var message = $"{definition.Resource} is forbidden: User \"{user}\" cannot {verb} resource \"{definition.Plural}\" in API group \"{definition.Group}\" {scope}";
                var details = definition.Group.Length == 0
                    ? $"{{\"kind\":\"{definition.Plural}\"}}"
                    : $"{{\"group\":\"{definition.Group}\",\"kind\":\"{definition.Plural}\"}}";
                await WriteStatusAsync(context, 403, "Forbidden", message, details);
                return;
            }

            BeforeRequest?.Invoke(verb, definition.Resource, query);
            if (TryTakeFault(verb, definition, out var fault))
            {
                await WriteFaultAsync(context, fault, definition, isWatch);
                return;
            }

            if (!LabelSelector.TryParse(request.Query["labelSelector"], out var selector, out var selectorError))
            {
                await WriteStatusAsync(context, 400, "BadRequest", $"unable to parse requirement: {selectorError}", null);
                return;
            }

            if (isWatch)
            {
                await WatchAsync(context, route, selector);
            }
            else
            {
                await ListAsync(context, route, selector);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away or the server is stopping.
        }
        catch (IOException)
        {
        }
        finally
        {
            if (!context.Items.ContainsKey(LoggedKey))
            {
                _requests.Enqueue(new FakeRequest(verb, resourceName, path, query, context.Response.StatusCode, user));
            }
        }
    }

    private sealed record RouteMatch(FakeResourceDefinition Definition, string? Namespace);

    private RouteMatch? Route(string path)
    {
        var parts = path.Trim('/').Split('/');
        string group;
        string version;
        int rest;
        if (parts.Length >= 3 && parts[0] == "api")
        {
            (group, version, rest) = (string.Empty, parts[1], 2);
        }
        else if (parts.Length >= 4 && parts[0] == "apis")
        {
            (group, version, rest) = (parts[1], parts[2], 3);
        }
        else
        {
            return null;
        }

        string? ns = null;
        string plural;
        if (parts.Length == rest + 1)
        {
            plural = parts[rest];
        }
        else if (parts.Length == rest + 3 && parts[rest] == "namespaces")
        {
            ns = Uri.UnescapeDataString(parts[rest + 1]);
            plural = parts[rest + 2];
        }
        else
        {
            return null;
        }

        var definition = _stores.Keys.FirstOrDefault(d => d.Group == group && d.Version == version && d.Plural == plural);
        return definition is null || (ns is not null && !definition.Namespaced) ? null : new RouteMatch(definition, ns);
    }

    private string? CurrentUser(HttpContext context) => Authenticate(context, out _);

    private string? Authenticate(HttpContext context, out bool failed)
    {
        failed = false;
        if (context.Connection.ClientCertificate is { } certificate && Pki.Issued(certificate))
        {
            return certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false);
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            if (_tokens.TryGetValue(header["Bearer ".Length..], out var identity))
            {
                return identity.User;
            }

            failed = true;
            return null;
        }

        if (header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && _basicUsers.TryGetValue(pair[..colon], out var password) && password == pair[(colon + 1)..])
                {
                    return pair[..colon];
                }
            }
            catch (FormatException)
            {
            }

            failed = true;
        }

        return null;
    }

    // ---------------------------------------------------------------- LIST

    private async Task ListAsync(HttpContext context, RouteMatch route, LabelSelector selector)
    {
        var request = context.Request;
        var rvParam = request.Query["resourceVersion"].ToString();
        var match = request.Query["resourceVersionMatch"].ToString();
        var continueToken = request.Query["continue"].ToString();
        _ = int.TryParse(request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var limit);
        var store = _stores[route.Definition];
        long listRv;
        string start = string.Empty;
        System.Collections.Immutable.ImmutableSortedDictionary<string, StoredObject>? snapshot;
        long? tooLarge = null;
        lock (_lock)
        {
            if (continueToken.Length > 0)
            {
                if (!TryDecodeContinue(continueToken, out listRv, out start))
                {
                    snapshot = null;
                    listRv = -2;
                }
                else
                {
                    snapshot = store.At(listRv);
                }
            }
            else if (rvParam == "0")
            {
                snapshot = store.Current;
                listRv = _resourceVersion;
                limit = 0; // served from the watch cache: limit is ignored (list-pods-rv0-limit2-limit-ignored.json)
            }
            else if (rvParam.Length > 0 && long.TryParse(rvParam, NumberStyles.None, CultureInfo.InvariantCulture, out var requested))
            {
                if (requested > _resourceVersion)
                {
                    tooLarge = requested;
                    snapshot = null;
                    listRv = _resourceVersion;
                }
                else if (match == "Exact")
                {
                    snapshot = store.At(requested);
                    listRv = requested;
                }
                else
                {
                    snapshot = store.Current;
                    listRv = _resourceVersion;
                }
            }
            else
            {
                snapshot = store.Current;
                listRv = _resourceVersion;
            }
        }

        if (tooLarge is { } future)
        {
            await Task.Delay(_options.TooLargeResourceVersionDelay, context.RequestAborted);
            context.Response.Headers.RetryAfter = "1";
            await WriteStatusAsync(
                context, 504, "Timeout", $"Timeout: Too large resource version: {future}, current: {listRv}",
                "{\"causes\":[{\"reason\":\"ResourceVersionTooLarge\",\"message\":\"Too large resource version\"}],\"retryAfterSeconds\":1}");
            return;
        }

        if (listRv == -2)
        {
            await WriteStatusAsync(context, 400, "BadRequest", "continue key is not valid: illegal base64 data", null);
            return;
        }

        if (snapshot is null)
        {
            if (continueToken.Length > 0)
            {
                var fresh = EncodeContinue(-1, start);
                await WriteStatusAsync(
                    context, 410, "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                    null, $"{{\"continue\":\"{fresh}\"}}");
            }
            else
            {
                await WriteStatusAsync(context, 410, "Expired", "The resourceVersion for the provided list is too old.", null);
            }

            return;
        }

        var items = new List<StoredObject>();
        var remaining = 0;
        foreach (var (key, stored) in snapshot)
        {
            if (start.Length > 0 && string.CompareOrdinal(key, start) < 0)
            {
                continue;
            }

            if ((route.Namespace is not null && stored.Namespace != route.Namespace) || !selector.Matches(stored.Labels))
            {
                continue;
            }

            if (limit > 0 && items.Count >= limit)
            {
                remaining++;
                continue;
            }

            items.Add(stored);
        }

        var definition = route.Definition;
        var body = new MemoryStream();
        body.Write(Encoding.UTF8.GetBytes($"{{\"kind\":\"{definition.ListKind}\",\"apiVersion\":\"{definition.ApiVersion}\",\"metadata\":{{\"resourceVersion\":\"{listRv}\""));
        if (remaining > 0)
        {
            body.Write(Encoding.UTF8.GetBytes($",\"continue\":\"{EncodeContinue(listRv, items[^1].Key + "\u0000")}\""));
            if (selector.IsEmpty)
            {
                body.Write(Encoding.UTF8.GetBytes($",\"remainingItemCount\":{remaining}"));
            }
        }

        body.Write("},\"items\":["u8);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                body.WriteByte((byte)',');
            }

            body.Write(items[i].ItemJson);
        }

        body.Write("]}"u8);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await WriteBodyAsync(context, body.GetBuffer().AsMemory(0, (int)body.Length));
    }

    private static string EncodeContinue(long rv, string start)
    {
        var json = $"{{\"v\":\"meta.k8s.io/v1\",\"rv\":{rv},\"start\":{JsonSerializer.Serialize(start)}}}";
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static bool TryDecodeContinue(string token, out long rv, out string start)
    {
        rv = 0;
        start = string.Empty;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            using var document = JsonDocument.Parse(Convert.FromBase64String(base64));
            rv = document.RootElement.GetProperty("rv").GetInt64();
            start = document.RootElement.GetProperty("start").GetString() ?? string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    // ---------------------------------------------------------------- WATCH

    private async Task WatchAsync(HttpContext context, RouteMatch route, LabelSelector selector)
    {
        var request = context.Request;
        var rvParam = request.Query["resourceVersion"].ToString();
        var bookmarks = request.Query["allowWatchBookmarks"] == "true";
        var timeout = int.TryParse(request.Query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromMinutes(30);
        if (_options.MaxWatchDuration is { } max && max < timeout)
        {
            timeout = max;
        }

        var store = _stores[route.Definition];
        Watcher watcher;
        string? expired = null;
        lock (_lock)
        {
            long start;
            var initial = new List<byte[]>();
            if (rvParam is "" or "0")
            {
                start = _resourceVersion;
                foreach (var stored in store.Current.Values)
                {
                    if ((route.Namespace is null || stored.Namespace == route.Namespace) && selector.Matches(stored.Labels))
                    {
                        initial.Add(EventLine(store, "ADDED", stored));
                    }
                }
            }
            else if (!long.TryParse(rvParam, NumberStyles.None, CultureInfo.InvariantCulture, out start))
            {
                start = -1;
                expired = null;
            }
            else if (start < store.Floor)
            {
                expired = $"too old resource version: {start} ({_resourceVersion})";
            }
            else
            {
                foreach (var change in store.History)
                {
                    if (change.ResourceVersion > start && Filter(store.Definition, change, route.Namespace, selector) is { } line)
                    {
                        initial.Add(line);
                    }
                }
            }

            watcher = new Watcher(store, route.Namespace, selector, Math.Max(start, 0), context);
            foreach (var line in initial)
            {
                watcher.Lines.Writer.TryWrite(line);
            }

            if (expired is null && start >= 0)
            {
                _watchers.Add(watcher);
            }
        }

        if (rvParam is not ("" or "0") && !long.TryParse(rvParam, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            await WriteStatusAsync(context, 400, "BadRequest", $"invalid resource version: {rvParam}", null);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);

        // Log a watch when it starts, not when it ends: tests look at open watches.
        context.Items[LoggedKey] = true;
        _requests.Enqueue(new FakeRequest("watch", route.Definition.Resource, request.Path.Value ?? string.Empty, request.QueryString.Value ?? string.Empty, 200, CurrentUser(context)));
        if (expired is not null)
        {
            // A too-old resourceVersion on a WATCH is HTTP 200 with one ERROR event (watch-services-too-old-rv-410.jsonl).
            await WriteLineAsync(context, Encoding.UTF8.GetBytes(
                $"{{\"type\":\"ERROR\",\"object\":{StatusJson(410, "Expired", expired, null, null)}}}"));
            return;
        }

        try
        {
            await PumpAsync(context, watcher, timeout, bookmarks);
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    private async Task PumpAsync(HttpContext context, Watcher watcher, TimeSpan timeout, bool bookmarks)
    {
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        ends.CancelAfter(timeout);
        using var bookmarkTimer = bookmarks ? StartBookmarks(watcher, timeout, ends.Token) : null;
        var reader = watcher.Lines.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ends.Token))
            {
                while (reader.TryRead(out var line))
                {
                    if (watcher.Stalled)
                    {
                        // A stalled server: nothing more is sent, and the stream does not end at the timeout either.
                        await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token).Token);
                    }

                    await WriteLineAsync(context, line);
                }
            }
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            // timeoutSeconds reached: end the stream (a zero-length chunk), no final event.
        }

        if (watcher.Stalled && !context.RequestAborted.IsCancellationRequested)
        {
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token).Token);
        }
    }

    private Timer StartBookmarks(Watcher watcher, TimeSpan timeout, CancellationToken ends)
    {
        var interval = _options.BookmarkInterval;
        // Like kube-apiserver: a bookmark shortly before the watch times out, unless an interval is configured.
        var first = interval ?? (timeout - TimeSpan.FromMilliseconds(Math.Min(1000, timeout.TotalMilliseconds / 4)));
        return new Timer(
            _ =>
            {
                if (ends.IsCancellationRequested)
                {
                    return;
                }

                lock (_lock)
                {
                    if (watcher.Store.HadEvents)
                    {
                        var definition = watcher.Store.Definition;
                        var line = $"{{\"type\":\"BOOKMARK\",\"object\":{{\"kind\":\"{definition.Kind}\",\"apiVersion\":\"{definition.ApiVersion}\",\"metadata\":{{\"resourceVersion\":\"{_resourceVersion}\",\"creationTimestamp\":null}},{definition.BookmarkBody}}}}}";
                        watcher.Lines.Writer.TryWrite(Encoding.UTF8.GetBytes(line));
                    }
                }
            },
            null,
            first,
            interval ?? Timeout.InfiniteTimeSpan);
    }

    /// <summary>Sends a change to every watch of the store (called under the lock, so order is the store's order).</summary>
    private void Publish(FakeResourceStore store, StoredEvent change)
    {
        store.AddEvent(change, _options.HistoryLimit);
        foreach (var watcher in _watchers)
        {
            if (watcher.Store == store && change.ResourceVersion > watcher.StartResourceVersion
                && Filter(store.Definition, change, watcher.Namespace, watcher.Selector) is { } line)
            {
                watcher.Lines.Writer.TryWrite(line);
            }
        }
    }

    /// <summary>The line a watch with this namespace and selector sees for a change, if any (selector moves become ADDED/DELETED).</summary>
    private static byte[]? Filter(FakeResourceDefinition definition, StoredEvent change, string? ns, LabelSelector selector)
    {
        if (ns is not null && change.Object.Namespace != ns)
        {
            return null;
        }

        var matchesNew = selector.Matches(change.Object.Labels);
        var matchesOld = change.Previous is not null && selector.Matches(change.Previous.Labels);
        var type = change.Type switch
        {
            "ADDED" => matchesNew ? "ADDED" : null,
            "DELETED" => matchesOld || matchesNew ? "DELETED" : null,
            _ => (matchesNew, matchesOld) switch
            {
                (true, true) => "MODIFIED",
                (true, false) => "ADDED",
                (false, true) => "DELETED",
                _ => null,
            },
        };
        return type is null ? null : Line(type, definition, change.Object);
    }

    private static byte[] EventLine(FakeResourceStore store, string type, StoredObject stored) => Line(type, store.Definition, stored);

    private static byte[] Line(string type, FakeResourceDefinition definition, StoredObject stored)
    {
        var prefix = Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"object\":{{\"kind\":\"{definition.Kind}\",\"apiVersion\":\"{definition.ApiVersion}\",");
        var line = new byte[prefix.Length + stored.ItemJson.Length];
        prefix.CopyTo(line, 0);
        stored.ItemJson.AsSpan(1).CopyTo(line.AsSpan(prefix.Length));
        line[^1] = (byte)'}';
        return line;
    }

    // ---------------------------------------------------------------- writing

    private async Task WriteFaultAsync(HttpContext context, Fault fault, FakeResourceDefinition definition, bool isWatch)
    {
        switch (fault.Kind)
        {
            case FaultKind.ExpiredWatch when isWatch:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await WriteLineAsync(context, Encoding.UTF8.GetBytes(
                    $"{{\"type\":\"ERROR\",\"object\":{StatusJson(410, "Expired", $"too old resource version: 1 ({ResourceVersion})", null, null)}}}"));
                return;
            case FaultKind.Status:
                if (fault.RetryAfterSeconds is { } retry)
                {
                    context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
                }

                var (reason, message) = fault.StatusCode switch
                {
                    429 => ("TooManyRequests", "Too many requests, please try again later."),
                    500 => ("InternalError", "Internal error occurred: fake failure"),
                    503 => ("ServiceUnavailable", "The server is currently unable to handle the request"),
                    504 => ("Timeout", "Timeout: request did not complete within the allowed duration"),
                    410 => ("Expired", "The resourceVersion for the provided list is too old."),
                    404 => ("NotFound", "the server could not find the requested resource"),
                    403 => ("Forbidden", $"{definition.Resource} is forbidden"),
                    401 => ("Unauthorized", "Unauthorized"),
                    _ => ("InternalError", "fake failure"),
                };
                var details = fault.RetryAfterSeconds is { } seconds ? $"{{\"retryAfterSeconds\":{seconds}}}" : null;
                await WriteStatusAsync(context, fault.StatusCode, reason, message, details);
                return;
            default:
                switch (fault.Body)
                {
                    case FakeBrokenBody.Html:
                        context.Response.StatusCode = 502;
                        context.Response.ContentType = "text/html";
                        await context.Response.WriteAsync("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n");
                        return;
                    case FakeBrokenBody.NotJson:
                        context.Response.StatusCode = 200;
                        context.Response.ContentType = "application/json";
                        await context.Response.WriteAsync("this is not JSON at all\n");
                        return;
                    default:
                        context.Response.StatusCode = 200;
                        context.Response.ContentType = "application/json";
                        await context.Response.WriteAsync(
                            $"{{\"kind\":\"{definition.ListKind}\",\"apiVersion\":\"{definition.ApiVersion}\",\"metadata\":{{\"resourceVersion\":\"{ResourceVersion}\"}},\"items\":[{{\"metadata\":{{\"name\":\"trunc");
                        return;
                }
        }
    }

    private async Task WriteBodyAsync(HttpContext context, ReadOnlyMemory<byte> body)
    {
        if (_slowBodies is { } slow)
        {
            for (var offset = 0; offset < body.Length; offset += slow.ChunkBytes)
            {
                await context.Response.Body.WriteAsync(body.Slice(offset, Math.Min(slow.ChunkBytes, body.Length - offset)), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(slow.Delay, context.RequestAborted);
            }

            return;
        }

        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static async Task WriteLineAsync(HttpContext context, byte[] line)
    {
        // One newline-terminated event per chunk, as kube-apiserver writes them.
        var buffer = new byte[line.Length + 1];
        line.CopyTo(buffer, 0);
        buffer[^1] = Newline[0];
        await context.Response.Body.WriteAsync(buffer, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task WriteStatusAsync(HttpContext context, int code, string reason, string message, string? detailsJson, string? metadataJson = "{}")
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        var body = Encoding.UTF8.GetBytes(StatusJson(code, reason, message, detailsJson, metadataJson));
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>A meta/v1 Status in kube-apiserver's field order.</summary>
    private static string StatusJson(int code, string reason, string message, string? detailsJson, string? metadataJson) =>
        $"{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{metadataJson ?? "{}"},\"status\":\"Failure\",\"message\":{JsonSerializer.Serialize(message)},\"reason\":\"{reason}\"{(detailsJson is null ? string.Empty : ",\"details\":" + detailsJson)},\"code\":{code}}}";
}
