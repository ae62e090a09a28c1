using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MeshDns.Kubernetes.Auth;
using MeshDns.Kubernetes.Wire;
using Microsoft.Extensions.Logging;

namespace MeshDns.Kubernetes.Http;

/// <summary>
/// One API server: an HttpClient over its own SocketsHttpHandler (TLS trust, client certificate), credentials,
/// rate limits and metrics. LIST pages are decoded straight from the response stream into DTOs; WATCH responses
/// are handed back as a line reader over the open stream.
/// </summary>
internal sealed class KubernetesApiClient : IDisposable
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly string _cluster;
    private readonly KubernetesConnectionOptions _connection;
    private readonly IKubernetesMetricsSink _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly TokenBucket _bucket;
    private readonly SemaphoreSlim? _inflight;
    private readonly string _host;
    private volatile string? _lastTlsFailure;

    public KubernetesApiClient(
        string cluster,
        KubernetesConnectionOptions connection,
        ApiServerLimits limits,
        IKubernetesMetricsSink metrics,
        ILogger logger,
        TimeProvider time)
    {
        _cluster = cluster;
        _connection = connection;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _host = connection.Server.Authority;
        Credentials = CredentialProvider.Create(connection, time, logger);
        _bucket = new TokenBucket(limits.Qps, limits.Burst, time);
        _inflight = limits.MaxInflight > 0 ? new SemaphoreSlim(limits.MaxInflight, limits.MaxInflight) : null;
        if (connection.InsecureSkipTlsVerify && connection.Server.Scheme == Uri.UriSchemeHttps)
        {
            Log.InsecureSkipTlsVerify(logger, cluster, connection.Description);
        }

        _http = new HttpClient(CreateHandler(), disposeHandler: true)
        {
            BaseAddress = connection.Server,
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(connection.UserAgent);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    internal ICredentialProvider Credentials { get; }

    public string Host => _host;

    /// <summary>GET /version: proves TLS, credentials and reachability. Returns gitVersion.</summary>
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connection.RequestTimeout);
        using var response = await SendAsync("/version", "GET", "version", timeout.Token);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token), default, timeout.Token);
        return document.RootElement.TryGetProperty("gitVersion", out var version) ? version.GetString() ?? "?" : "?";
    }

    /// <summary>One page of a LIST.</summary>
    public async Task<ListDto<T>> ListPageAsync<T>(
        string path,
        string resource,
        string? labelSelector,
        int limit,
        string? continueToken,
        JsonTypeInfo<ListDto<T>> type,
        CancellationToken cancellationToken)
    {
        var query = new StringBuilder(path).Append("?limit=").Append(limit);
        if (!string.IsNullOrEmpty(continueToken))
        {
            query.Append("&continue=").Append(Uri.EscapeDataString(continueToken));
        }

        if (!string.IsNullOrEmpty(labelSelector))
        {
            query.Append("&labelSelector=").Append(Uri.EscapeDataString(labelSelector));
        }

        if (_inflight is not null)
        {
            await _inflight.WaitAsync(cancellationToken);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_connection.RequestTimeout);
            using var response = await SendAsync(query.ToString(), "LIST", resource, timeout.Token);
            EnsureJson(response, "LIST", resource);
            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            try
            {
                return await JsonSerializer.DeserializeAsync(stream, type, timeout.Token)
                    ?? throw new KubernetesProtocolException($"LIST {resource}: the response body is JSON null");
            }
            catch (JsonException ex)
            {
                throw new KubernetesProtocolException($"LIST {resource}: malformed or truncated JSON (line {ex.LineNumber}, byte {ex.BytePositionInLine})", ex);
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"LIST {resource}: no complete answer within {_connection.RequestTimeout}", ex);
        }
        finally
        {
            _inflight?.Release();
        }
    }

    /// <summary>Opens a WATCH; the caller reads lines from the returned stream and disposes it.</summary>
    public async Task<WatchResponse> WatchAsync(
        string path,
        string resource,
        string? labelSelector,
        string resourceVersion,
        int timeoutSeconds,
        CancellationToken cancellationToken)
    {
        var query = new StringBuilder(path)
            .Append("?watch=true&allowWatchBookmarks=true&timeoutSeconds=").Append(timeoutSeconds)
            .Append("&resourceVersion=").Append(Uri.EscapeDataString(resourceVersion));
        if (!string.IsNullOrEmpty(labelSelector))
        {
            query.Append("&labelSelector=").Append(Uri.EscapeDataString(labelSelector));
        }

        HttpResponseMessage? response = null;
        try
        {
            // Connecting and getting the headers must not take the whole watch timeout.
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connect.CancelAfter(_connection.RequestTimeout);
            response = await SendAsync(query.ToString(), "WATCH", resource, connect.Token);
            EnsureJson(response, "WATCH", resource);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var result = new WatchResponse(response, stream);
            response = null;
            return result;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"WATCH {resource}: no response headers within {_connection.RequestTimeout}", ex);
        }
        finally
        {
            response?.Dispose();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string pathAndQuery, string verb, string resource, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var wait = _bucket.Reserve();
            if (wait > TimeSpan.Zero)
            {
                _metrics.RateLimited(_cluster, _host, verb, wait);
                await Task.Delay(wait, _time, cancellationToken);
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
            var authorization = await Credentials.GetAuthorizationAsync(cancellationToken);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                _metrics.RequestCompleted(_cluster, _host, verb, resource, 0, Stopwatch.GetElapsedTime(started));
                if (ex.InnerException is AuthenticationException or IOException { InnerException: AuthenticationException }
                    || ex.HttpRequestError == HttpRequestError.SecureConnectionError)
                {
                    var reason = _lastTlsFailure ?? ex.InnerException?.Message ?? ex.Message;
                    throw new HttpRequestException(HttpRequestError.SecureConnectionError, $"{verb} {resource}: TLS handshake with {_host} failed: {reason}", ex);
                }

                throw new HttpRequestException(ex.HttpRequestError, $"{verb} {resource}: {ex.Message}", ex);
            }

            _metrics.RequestCompleted(_cluster, _host, verb, resource, (int)response.StatusCode, Stopwatch.GetElapsedTime(started));
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0 && Credentials.Invalidate())
                {
                    Log.Unauthorized(_logger, _cluster);
                    continue;
                }

                throw await ToExceptionAsync(response, verb, resource, cancellationToken);
            }
        }
    }

    private static void EnsureJson(HttpResponseMessage response, string verb, string resource)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            response.Dispose();
            throw new KubernetesProtocolException($"{verb} {resource}: expected JSON, got {mediaType}");
        }
    }

    private static async Task<KubernetesApiException> ToExceptionAsync(HttpResponseMessage response, string verb, string resource, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        TimeSpan? retryAfter = response.Headers.RetryAfter?.Delta;
        if (retryAfter is null && response.Headers.RetryAfter?.Date is { } date)
        {
            retryAfter = date - DateTimeOffset.UtcNow;
        }

        string? reason = response.ReasonPhrase;
        string? message = null;
        try
        {
            var body = await ReadLimitedAsync(response.Content, cancellationToken);
            var status = TryParseStatus(body);
            if (status is not null)
            {
                reason = status.Reason ?? reason;
                message = status.Message;
                if (retryAfter is null && status.Details?.RetryAfterSeconds is { } seconds)
                {
                    retryAfter = TimeSpan.FromSeconds(seconds);
                }
            }
            else if (body.Length > 0)
            {
                message = "(non-Status body, " + body.Length + " bytes)";
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            message = "(body unreadable: " + ex.Message + ")";
        }

        return new KubernetesApiException(verb, resource, code, reason, message, retryAfter);
    }

    internal static StatusDto? TryParseStatus(ReadOnlySpan<byte> body)
    {
        try
        {
            var status = JsonSerializer.Deserialize(body, KubernetesJsonContext.Default.StatusDto);
            return status?.Kind == "Status" || status?.Code is not null ? status : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while (buffer.Length < MaxErrorBodyBytes && (read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            // A half-dead HTTP/2 connection is found by pings, not by waiting for the watch timeout.
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            EnableMultipleHttp2Connections = true,
            AutomaticDecompression = DecompressionMethods.GZip,
            UseProxy = false,
            UseCookies = false,
        };

        if (_connection.Server.Scheme != Uri.UriSchemeHttps)
        {
            return handler;
        }

        var ssl = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = ValidateServerCertificate,
        };
        if (_connection.ClientCertificate is not null || Credentials is ExecCredentialProvider)
        {
            // Exec plugins may hand out a certificate later, so the certificate is chosen per handshake.
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => Credentials.ClientCertificate ?? _connection.ClientCertificate!;
        }

        handler.SslOptions = ssl;
        return handler;
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_connection.InsecureSkipTlsVerify)
        {
            return true;
        }

        if (certificate is null)
        {
            _lastTlsFailure = "the server sent no certificate";
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        var expectedName = _connection.TlsServerName ?? _connection.Server.IdnHost;
        if (!leaf.MatchesHostname(expectedName))
        {
            _lastTlsFailure = $"the server certificate ({leaf.Subject}) is not valid for \"{expectedName}\"" +
                (_connection.TlsServerName is null ? string.Empty : " (tls-server-name)");
            return false;
        }

        if (_connection.CertificateAuthorities is not { Count: > 0 } authorities)
        {
            var chainErrors = errors & ~SslPolicyErrors.RemoteCertificateNameMismatch;
            if (chainErrors != SslPolicyErrors.None)
            {
                _lastTlsFailure = $"the server certificate ({leaf.Subject}) does not verify against the system's trusted roots ({chainErrors})";
                return false;
            }

            return true;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (custom.Build(leaf))
        {
            return true;
        }

        var status = string.Join("; ", custom.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        _lastTlsFailure = $"the server certificate ({leaf.Subject}, issued by {leaf.Issuer}) does not verify against the certificate-authority of {_connection.Description}: {status}";
        return false;
    }

    public void Dispose()
    {
        _http.Dispose();
        _inflight?.Dispose();
        (Credentials as IDisposable)?.Dispose();
    }
}

/// <summary>An open watch response. Disposing it closes the connection's stream.</summary>
internal sealed class WatchResponse(HttpResponseMessage response, Stream stream) : IDisposable
{
    public Stream Stream => stream;

    public void Dispose()
    {
        stream.Dispose();
        response.Dispose();
    }
}
