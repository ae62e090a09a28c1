using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using MeshDns.Kubernetes.Wire;
using Microsoft.Extensions.Logging;

namespace MeshDns.Kubernetes.Auth;

/// <summary>Thrown when credentials cannot be obtained; the message names the source, never the secret.</summary>
public sealed class KubernetesAuthException : Exception
{
    public KubernetesAuthException()
    {
    }

    public KubernetesAuthException(string message)
        : base(message)
    {
    }

    public KubernetesAuthException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Produces the Authorization header of each request, and forgets it after a 401.</summary>
internal interface ICredentialProvider
{
    /// <summary>The Authorization header value (e.g. "Bearer ..."), or null for none.</summary>
    ValueTask<string?> GetAuthorizationAsync(CancellationToken cancellationToken);

    /// <summary>The server said 401: whatever was cached is stale. Returns false if nothing can change (fixed token).</summary>
    bool Invalidate();

    /// <summary>A client certificate supplied by the credential source (exec plugins may return one).</summary>
    X509Certificate2? ClientCertificate { get; }
}

internal static class CredentialProvider
{
    public static ICredentialProvider Create(KubernetesConnectionOptions connection, TimeProvider time, ILogger logger) => connection.Auth switch
    {
        KubernetesAuth.BearerToken bearer => new StaticCredentialProvider("Bearer " + bearer.Token.Reveal()),
        KubernetesAuth.Basic basic => new StaticCredentialProvider(
            "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(basic.Username + ":" + basic.Password.Reveal()))),
        KubernetesAuth.TokenFile file => new TokenFileCredentialProvider(file.Path, time),
        KubernetesAuth.Exec exec => new ExecCredentialProvider(exec.Options, ExecCredentialProvider.ExecInfo(exec.Options, connection), time, logger),
        _ => new StaticCredentialProvider(null),
    };
}

internal sealed class StaticCredentialProvider(string? header) : ICredentialProvider
{
    public X509Certificate2? ClientCertificate => null;

    public ValueTask<string?> GetAuthorizationAsync(CancellationToken cancellationToken) => ValueTask.FromResult(header);

    public bool Invalidate() => false;
}

/// <summary>
/// A bearer token read from a file. Projected service account tokens are rewritten by the kubelet (about hourly),
/// so the file is checked again (modification time and length) at most once per <see cref="CheckInterval"/> and
/// re-read whenever it changed or a 401 came back.
/// </summary>
internal sealed class TokenFileCredentialProvider(string path, TimeProvider time) : ICredentialProvider
{
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private string? _header;
    private DateTime _lastWrite;
    private long _lastLength = -1;
    private long _lastCheck;
    private bool _stale = true;

    public X509Certificate2? ClientCertificate => null;

    public ValueTask<string?> GetAuthorizationAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (_header is not null && !_stale && time.GetElapsedTime(_lastCheck, now) < CheckInterval)
            {
                return ValueTask.FromResult<string?>(_header);
            }

            _lastCheck = now;
            _stale = false;
            try
            {
                var info = new FileInfo(path);
                if (_header is null || info.LastWriteTimeUtc != _lastWrite || info.Length != _lastLength)
                {
                    var token = File.ReadAllText(path).Trim();
                    if (token.Length == 0)
                    {
                        throw new KubernetesAuthException($"tokenFile {path} is empty");
                    }

                    _header = "Bearer " + token;
                    _lastWrite = info.LastWriteTimeUtc;
                    _lastLength = info.Length;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Keep using the last token if there is one: the kubelet swaps the file atomically, but be tolerant.
                if (_header is null)
                {
                    throw new KubernetesAuthException($"cannot read tokenFile {path}: {ex.Message}", ex);
                }
            }

            return ValueTask.FromResult<string?>(_header);
        }
    }

    public bool Invalidate()
    {
        lock (_lock)
        {
            _stale = true;
            _lastLength = -1;
            return true;
        }
    }
}

/// <summary>
/// Runs an exec credential plugin (client.authentication.k8s.io v1 or v1beta1) and caches what it prints until its
/// <c>expirationTimestamp</c>, or until a 401.
/// </summary>
internal sealed class ExecCredentialProvider(ExecCredentialOptions options, string execInfo, TimeProvider time, ILogger logger) : ICredentialProvider, IDisposable
{
    /// <summary>The KUBERNETES_EXEC_INFO value: an ExecCredential with spec.interactive false and, if asked for, spec.cluster.</summary>
    internal static string ExecInfo(ExecCredentialOptions options, KubernetesConnectionOptions connection)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", "ExecCredential");
            writer.WriteString("apiVersion", options.ApiVersion);
            writer.WriteStartObject("spec");
            if (options.ProvideClusterInfo)
            {
                writer.WriteStartObject("cluster");
                writer.WriteString("server", connection.Server.ToString().TrimEnd('/'));
                if (connection.TlsServerName is not null)
                {
                    writer.WriteString("tls-server-name", connection.TlsServerName);
                }

                if (connection.InsecureSkipTlsVerify)
                {
                    writer.WriteBoolean("insecure-skip-tls-verify", true);
                }

                if (connection.CertificateAuthorities is { Count: > 0 } authorities)
                {
                    var pem = string.Concat(authorities.Select(c => c.ExportCertificatePem() + "\n"));
                    writer.WriteString("certificate-authority-data", Convert.ToBase64String(Encoding.UTF8.GetBytes(pem)));
                }

                writer.WriteEndObject();
            }

            writer.WriteBoolean("interactive", false);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Cached? _cached;

    public X509Certificate2? ClientCertificate => _cached?.Certificate;

    public async ValueTask<string?> GetAuthorizationAsync(CancellationToken cancellationToken)
    {
        var cached = _cached;
        if (cached is not null && !cached.IsExpired(time))
        {
            return cached.Header;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            cached = _cached;
            if (cached is not null && !cached.IsExpired(time))
            {
                return cached.Header;
            }

            cached = await RunAsync(cancellationToken);
            _cached = cached;
            Log.ExecCredentialRefreshed(logger, options.Command, cached.Expiry?.ToString("O") ?? "a 401");
            return cached.Header;
        }
        finally
        {
            _gate.Release();
        }
    }

    public bool Invalidate()
    {
        _cached = null;
        return true;
    }

    public void Dispose() => _gate.Dispose();

    private async Task<Cached> RunAsync(CancellationToken cancellationToken)
    {
        var where = $"exec credential plugin \"{options.Command}\"";
        var start = new ProcessStartInfo(options.Command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in options.Args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in options.Env)
        {
            start.Environment[name] = value;
        }

        start.Environment["KUBERNETES_EXEC_INFO"] = execInfo;

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new KubernetesAuthException($"{where}: could not be started");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            var hint = string.IsNullOrWhiteSpace(options.InstallHint) ? string.Empty : " " + options.InstallHint.Trim();
            throw new KubernetesAuthException($"{where}: cannot run it ({ex.Message}).{hint}", ex);
        }

        using (process)
        {
            process.StandardInput.Close();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Timeout);
            var stdoutTask = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderrTask = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                await Task.WhenAll(stdoutTask, stderrTask);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                TryKill(process);
                throw new KubernetesAuthException($"{where}: did not finish within {options.Timeout}");
            }
            catch (OperationCanceledException)
            {
                TryKill(process);
                throw;
            }

            var stdout = await stdoutTask;
            if (process.ExitCode != 0)
            {
                // stderr is the plugin's explanation; stdout (where a credential would be) is never shown.
                var stderr = (await stderrTask).Trim();
                if (stderr.Length > 500)
                {
                    stderr = stderr[..500] + "...";
                }

                throw new KubernetesAuthException($"{where}: exited with code {process.ExitCode}: {stderr}");
            }

            return Parse(stdout, where);
        }
    }

    private Cached Parse(string stdout, string where)
    {
        ExecCredentialDto? credential;
        try
        {
            credential = JsonSerializer.Deserialize(stdout, KubernetesJsonContext.Default.ExecCredentialDto);
        }
        catch (JsonException ex)
        {
            throw new KubernetesAuthException($"{where}: output is not an ExecCredential JSON object (line {ex.LineNumber})");
        }

        if (credential is null || credential.Kind != "ExecCredential")
        {
            throw new KubernetesAuthException($"{where}: output is not an ExecCredential (kind \"{credential?.Kind}\")");
        }

        if (credential.ApiVersion != options.ApiVersion)
        {
            throw new KubernetesAuthException($"{where}: printed apiVersion \"{credential.ApiVersion}\", but the kubeconfig asks for \"{options.ApiVersion}\"");
        }

        var status = credential.Status ?? throw new KubernetesAuthException($"{where}: ExecCredential has no status");
        X509Certificate2? certificate = null;
        if (!string.IsNullOrEmpty(status.ClientCertificateData) || !string.IsNullOrEmpty(status.ClientKeyData))
        {
            if (string.IsNullOrEmpty(status.ClientCertificateData) || string.IsNullOrEmpty(status.ClientKeyData))
            {
                throw new KubernetesAuthException($"{where}: status has only one of clientCertificateData and clientKeyData");
            }

            try
            {
                certificate = PemLoader.LoadClientCertificate(status.ClientCertificateData, status.ClientKeyData, where);
            }
            catch (KubeConfigException ex)
            {
                throw new KubernetesAuthException(ex.Message, ex);
            }
        }

        if (string.IsNullOrEmpty(status.Token) && certificate is null)
        {
            throw new KubernetesAuthException($"{where}: status has neither token nor clientCertificateData");
        }

        return new Cached(string.IsNullOrEmpty(status.Token) ? null : "Bearer " + status.Token, certificate, status.ExpirationTimestamp);
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private sealed record Cached(string? Header, X509Certificate2? Certificate, DateTimeOffset? Expiry)
    {
        public bool IsExpired(TimeProvider time) => Expiry is { } expiry && time.GetUtcNow() >= expiry;

        // Header holds the token: never print it.
        public override string ToString() => $"Cached(expiry {Expiry})";
    }
}
