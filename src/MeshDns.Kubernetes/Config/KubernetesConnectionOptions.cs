using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;

namespace MeshDns.Kubernetes;

/// <summary>How requests authenticate, beside an optional client certificate.</summary>
public abstract record KubernetesAuth
{
    private KubernetesAuth()
    {
    }

    /// <summary>No Authorization header (client certificate only, or an anonymous API server).</summary>
    public sealed record None : KubernetesAuth
    {
        public static None Instance { get; } = new();
    }

    /// <summary>A fixed bearer token (<c>token</c> in kubeconfig).</summary>
    public sealed record BearerToken(SecretValue Token) : KubernetesAuth;

    /// <summary>A bearer token read from a file and re-read when the file changes (<c>tokenFile</c>, projected service account tokens).</summary>
    public sealed record TokenFile(string Path) : KubernetesAuth;

    /// <summary>HTTP basic authentication (<c>username</c>/<c>password</c>).</summary>
    public sealed record Basic(string Username, SecretValue Password) : KubernetesAuth;

    /// <summary>An exec credential plugin (<c>user.exec</c>): EKS's <c>aws eks get-token</c>, GKE's <c>gke-gcloud-auth-plugin</c>, ...</summary>
    public sealed record Exec(ExecCredentialOptions Options) : KubernetesAuth;
}

/// <summary>kubeconfig's <c>user.exec</c>.</summary>
public sealed record ExecCredentialOptions
{
    public const string ApiVersionV1 = "client.authentication.k8s.io/v1";
    public const string ApiVersionV1Beta1 = "client.authentication.k8s.io/v1beta1";

    /// <summary>The program: an absolute path, a name looked up on PATH, or a path relative to the kubeconfig's folder.</summary>
    public required string Command { get; init; }

    public ImmutableArray<string> Args { get; init; } = [];

    /// <summary>Extra environment variables for the plugin (added to MeshDns's own environment).</summary>
    public ImmutableArray<KeyValuePair<string, string>> Env { get; init; } = [];

    public string ApiVersion { get; init; } = ApiVersionV1;

    /// <summary>Shown when the program cannot be started (e.g. "install gke-gcloud-auth-plugin ...").</summary>
    public string? InstallHint { get; init; }

    /// <summary>Pass the cluster (server, CA, tls-server-name) to the plugin in KUBERNETES_EXEC_INFO (<c>provideClusterInfo</c>).</summary>
    public bool ProvideClusterInfo { get; init; }

    /// <summary>How long a run may take before it is killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Everything needed to reach one API server: address, TLS trust, client identity and auth. Built from a kubeconfig
/// (<see cref="KubeConfigLoader"/>), from the in-cluster service account (<see cref="InClusterConfig"/>), or from
/// CoreDNS's <c>endpoint URL</c> + <c>tls CERT KEY CACERT</c> (<see cref="FromEndpoint"/>).
/// </summary>
public sealed record KubernetesConnectionOptions
{
    /// <summary>The API server, <c>https://</c> or <c>http://</c>.</summary>
    public required Uri Server { get; init; }

    /// <summary>Roots to trust instead of the system store (<c>certificate-authority(-data)</c>); null = system trust.</summary>
    public X509Certificate2Collection? CertificateAuthorities { get; init; }

    /// <summary>Skip server certificate checks (<c>insecure-skip-tls-verify</c>). Honoured, and warned about at start.</summary>
    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The name the server certificate is checked against, instead of the URL's host (<c>tls-server-name</c>).</summary>
    public string? TlsServerName { get; init; }

    /// <summary>Client certificate with its private key (<c>client-certificate(-data)</c> + <c>client-key(-data)</c>).</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    public KubernetesAuth Auth { get; init; } = KubernetesAuth.None.Instance;

    /// <summary>Where this came from, for messages: "kubeconfig /etc/kube/a.yaml, context prod".</summary>
    public string Description { get; init; } = "options";

    /// <summary>The default namespace of the kubeconfig context, if any (informational).</summary>
    public string? Namespace { get; init; }

    /// <summary>Time limit of one non-watch request (a list page, /version).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string UserAgent { get; init; } = "meshdns/0.1";

    /// <summary>CoreDNS's <c>endpoint URL</c> with optional <c>tls CERT KEY CACERT</c> (file paths).</summary>
    public static KubernetesConnectionOptions FromEndpoint(string endpoint, string? certFile = null, string? keyFile = null, string? caFile = null)
    {
        var description = $"endpoint {endpoint}";
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var server) || (server.Scheme != Uri.UriSchemeHttps && server.Scheme != Uri.UriSchemeHttp))
        {
            throw new KubeConfigException($"{description}: endpoint must be an http:// or https:// URL");
        }

        X509Certificate2? client = null;
        if (certFile is not null || keyFile is not null)
        {
            if (certFile is null || keyFile is null)
            {
                throw new KubeConfigException($"{description}: tls needs both CERT and KEY");
            }

            client = PemLoader.LoadClientCertificate(
                PemLoader.ReadFile(certFile, description, "tls CERT"),
                PemLoader.ReadFile(keyFile, description, "tls KEY"),
                $"{description}: tls CERT {certFile} / KEY {keyFile}");
        }

        var authorities = caFile is null
            ? null
            : PemLoader.LoadAuthorities(PemLoader.ReadFile(caFile, description, "tls CACERT"), $"{description}: tls CACERT {caFile}");
        return new KubernetesConnectionOptions
        {
            Server = server,
            ClientCertificate = client,
            CertificateAuthorities = authorities,
            Description = description,
        };
    }
}

/// <summary>A configuration error found at start-up: names the file, the context and the field.</summary>
public sealed class KubeConfigException : Exception
{
    public KubeConfigException()
    {
    }

    public KubeConfigException(string message)
        : base(message)
    {
    }

    public KubeConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
