namespace MeshDns.Kubernetes;

/// <summary>
/// The in-cluster connection: the service account's token (re-read as kubelet rotates it), its CA, and the API server
/// from <c>KUBERNETES_SERVICE_HOST</c>/<c>KUBERNETES_SERVICE_PORT</c>.
/// </summary>
public static class InClusterConfig
{
    public const string DefaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>True when the environment says we run in a pod with a mounted service account.</summary>
    public static bool IsAvailable(string serviceAccountDirectory = DefaultServiceAccountDirectory, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        return !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST"))
            && !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_PORT"))
            && File.Exists(Path.Combine(serviceAccountDirectory, "token"));
    }

    /// <param name="serviceAccountDirectory">Where token, ca.crt and namespace are mounted.</param>
    /// <param name="environment">Reads an environment variable (tests pass their own).</param>
    public static KubernetesConnectionOptions Load(string serviceAccountDirectory = DefaultServiceAccountDirectory, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        const string where = "in-cluster config";
        var host = environment("KUBERNETES_SERVICE_HOST");
        var port = environment("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new KubeConfigException($"{where}: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a pod?)");
        }

        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            host = "[" + host + "]";
        }

        if (!Uri.TryCreate($"https://{host}:{port}", UriKind.Absolute, out var server))
        {
            throw new KubeConfigException($"{where}: KUBERNETES_SERVICE_HOST/PORT do not form a URL");
        }

        var tokenPath = Path.Combine(serviceAccountDirectory, "token");
        if (!File.Exists(tokenPath))
        {
            throw new KubeConfigException($"{where}: {tokenPath} does not exist (is a service account mounted?)");
        }

        var caPath = Path.Combine(serviceAccountDirectory, "ca.crt");
        var authorities = PemLoader.LoadAuthorities(PemLoader.ReadFile(caPath, where, "ca.crt"), $"{where}: {caPath}");
        var namespacePath = Path.Combine(serviceAccountDirectory, "namespace");
        var ns = File.Exists(namespacePath) ? File.ReadAllText(namespacePath).Trim() : null;
        return new KubernetesConnectionOptions
        {
            Server = server,
            CertificateAuthorities = authorities,
            Auth = new KubernetesAuth.TokenFile(tokenPath),
            Description = where,
            Namespace = string.IsNullOrEmpty(ns) ? null : ns,
        };
    }
}
