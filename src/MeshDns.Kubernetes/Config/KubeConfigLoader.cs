using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace MeshDns.Kubernetes;

/// <summary>
/// Reads kubeconfig files the way kubectl does: several files (KUBECONFIG's <c>a:b</c>) merge with the first definition
/// of a cluster, user or context winning, and the first <c>current-context</c> set being the default. Relative paths
/// are relative to the file that holds them. Everything a connection needs is read and checked here, so a broken
/// kubeconfig fails at start-up with the file, context and field named.
/// </summary>
public static class KubeConfigLoader
{
    /// <summary>Loads <paramref name="paths"/> (merged) and resolves <paramref name="context"/> (null = current-context).</summary>
    public static KubernetesConnectionOptions Load(IReadOnlyList<string> paths, string? context = null)
    {
        if (paths.Count == 0)
        {
            throw new KubeConfigException("kubeconfig: no file given");
        }

        var merged = new MergedConfig();
        foreach (var path in paths)
        {
            merged.Add(path, ReadFile(path));
        }

        return Resolve(merged, string.Join(":", paths), context);
    }

    /// <summary>Loads a KUBECONFIG-style list (<c>a:b</c> on Unix, <c>a;b</c> on Windows).</summary>
    public static KubernetesConnectionOptions Load(string pathList, string? context = null) =>
        Load(SplitPathList(pathList), context);

    /// <summary>Splits a KUBECONFIG-style list, dropping empty entries.</summary>
    public static IReadOnlyList<string> SplitPathList(string pathList) =>
        pathList.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static KubeConfigFile ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"kubeconfig {path}: cannot read: {ex.Message}", ex);
        }

        try
        {
            var deserializer = new DeserializerBuilder().IgnoreUnmatchedProperties().Build();
            var file = deserializer.Deserialize<KubeConfigFile?>(text) ?? new KubeConfigFile();
            file.Directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            file.Path = path;
            return file;
        }
        catch (YamlException ex)
        {
            // YamlDotNet's message may quote the offending text, which could be a token: give only the position.
            throw new KubeConfigException($"kubeconfig {path}: malformed YAML at line {ex.Start.Line}, column {ex.Start.Column}", ex);
        }
    }

    private static KubernetesConnectionOptions Resolve(MergedConfig config, string files, string? contextName)
    {
        contextName ??= config.CurrentContext;
        if (string.IsNullOrEmpty(contextName))
        {
            throw new KubeConfigException($"kubeconfig {files}: no context named and no current-context set");
        }

        if (!config.Contexts.TryGetValue(contextName, out var contextEntry) || contextEntry.Item.Context is not { } context)
        {
            var known = config.Contexts.Count == 0 ? "none" : string.Join(", ", config.Contexts.Keys.Order(StringComparer.Ordinal));
            throw new KubeConfigException($"kubeconfig {files}: context \"{contextName}\" not found (contexts: {known})");
        }

        var where = $"kubeconfig {contextEntry.File.Path}, context \"{contextName}\"";
        if (string.IsNullOrEmpty(context.Cluster) || !config.Clusters.TryGetValue(context.Cluster, out var clusterEntry) || clusterEntry.Item.Cluster is not { } cluster)
        {
            throw new KubeConfigException($"{where}: cluster \"{context.Cluster}\" not found");
        }

        var clusterWhere = $"kubeconfig {clusterEntry.File.Path}, context \"{contextName}\", cluster \"{context.Cluster}\"";
        if (string.IsNullOrWhiteSpace(cluster.Server)
            || !Uri.TryCreate(cluster.Server, UriKind.Absolute, out var server)
            || (server.Scheme != Uri.UriSchemeHttps && server.Scheme != Uri.UriSchemeHttp))
        {
            throw new KubeConfigException($"{clusterWhere}: server: must be an https:// or http:// URL");
        }

        X509Certificate2Collection? authorities = null;
        if (!string.IsNullOrEmpty(cluster.CertificateAuthorityData))
        {
            authorities = PemLoader.LoadAuthorities(
                PemLoader.DecodeBase64(cluster.CertificateAuthorityData, $"{clusterWhere}: certificate-authority-data"),
                $"{clusterWhere}: certificate-authority-data");
        }
        else if (!string.IsNullOrEmpty(cluster.CertificateAuthority))
        {
            var path = Rooted(clusterEntry.File, cluster.CertificateAuthority);
            authorities = PemLoader.LoadAuthorities(
                PemLoader.ReadFile(path, clusterWhere, "certificate-authority"),
                $"{clusterWhere}: certificate-authority {path}");
        }

        var options = new KubernetesConnectionOptions
        {
            Server = server,
            CertificateAuthorities = authorities,
            InsecureSkipTlsVerify = cluster.InsecureSkipTlsVerify,
            TlsServerName = string.IsNullOrEmpty(cluster.TlsServerName) ? null : cluster.TlsServerName,
            Description = where,
            Namespace = string.IsNullOrEmpty(context.Namespace) ? null : context.Namespace,
        };

        if (string.IsNullOrEmpty(context.User))
        {
            return options;
        }

        if (!config.Users.TryGetValue(context.User, out var userEntry) || userEntry.Item.User is not { } user)
        {
            throw new KubeConfigException($"{where}: user \"{context.User}\" not found");
        }

        return ApplyUser(options, user, userEntry.File, $"kubeconfig {userEntry.File.Path}, context \"{contextName}\", user \"{context.User}\"");
    }

    private static KubernetesConnectionOptions ApplyUser(KubernetesConnectionOptions options, UserConfig user, KubeConfigFile file, string where)
    {
        if (user.AuthProvider is not null)
        {
            var name = user.AuthProvider.Name ?? "?";
            throw new KubeConfigException(
                $"{where}: auth-provider \"{name}\" is not supported; use an exec credential plugin instead " +
                "(gke-gcloud-auth-plugin for GKE, kubelogin for Azure/OIDC, aws eks get-token for EKS)");
        }

        string? certificatePem = null;
        string? keyPem = null;
        if (!string.IsNullOrEmpty(user.ClientCertificateData))
        {
            certificatePem = PemLoader.DecodeBase64(user.ClientCertificateData, $"{where}: client-certificate-data");
        }
        else if (!string.IsNullOrEmpty(user.ClientCertificate))
        {
            certificatePem = PemLoader.ReadFile(Rooted(file, user.ClientCertificate), where, "client-certificate");
        }

        if (!string.IsNullOrEmpty(user.ClientKeyData))
        {
            keyPem = PemLoader.DecodeBase64(user.ClientKeyData, $"{where}: client-key-data");
        }
        else if (!string.IsNullOrEmpty(user.ClientKey))
        {
            keyPem = PemLoader.ReadFile(Rooted(file, user.ClientKey), where, "client-key");
        }

        if ((certificatePem is null) != (keyPem is null))
        {
            throw new KubeConfigException(certificatePem is null
                ? $"{where}: client-key is set but client-certificate(-data) is not"
                : $"{where}: client-certificate is set but client-key(-data) is not");
        }

        if (certificatePem is not null)
        {
            options = options with
            {
                ClientCertificate = PemLoader.LoadClientCertificate(certificatePem, keyPem!, $"{where}: client-certificate/client-key"),
            };
        }

        KubernetesAuth auth = KubernetesAuth.None.Instance;
        if (user.Exec is { } exec)
        {
            auth = new KubernetesAuth.Exec(ReadExec(exec, file, where));
        }
        else if (!string.IsNullOrEmpty(user.Token))
        {
            auth = new KubernetesAuth.BearerToken(new SecretValue(user.Token));
        }
        else if (!string.IsNullOrEmpty(user.TokenFile))
        {
            var path = Rooted(file, user.TokenFile);
            if (!File.Exists(path))
            {
                throw new KubeConfigException($"{where}: tokenFile: {path} does not exist");
            }

            auth = new KubernetesAuth.TokenFile(path);
        }
        else if (!string.IsNullOrEmpty(user.Username) || !string.IsNullOrEmpty(user.Password))
        {
            if (string.IsNullOrEmpty(user.Username))
            {
                throw new KubeConfigException($"{where}: password is set but username is not");
            }

            auth = new KubernetesAuth.Basic(user.Username, new SecretValue(user.Password ?? string.Empty));
        }

        return options with { Auth = auth };
    }

    private static ExecCredentialOptions ReadExec(ExecConfig exec, KubeConfigFile file, string where)
    {
        if (string.IsNullOrWhiteSpace(exec.Command))
        {
            throw new KubeConfigException($"{where}: exec.command is empty");
        }

        var apiVersion = exec.ApiVersion ?? string.Empty;
        if (apiVersion is not (ExecCredentialOptions.ApiVersionV1 or ExecCredentialOptions.ApiVersionV1Beta1))
        {
            throw new KubeConfigException(
                $"{where}: exec.apiVersion \"{apiVersion}\" is not supported (use {ExecCredentialOptions.ApiVersionV1} or {ExecCredentialOptions.ApiVersionV1Beta1})");
        }

        // Like kubectl: a command with a path separator but not absolute is relative to the kubeconfig's folder;
        // a bare name is looked up on PATH when it runs.
        var command = exec.Command;
        if (!Path.IsPathRooted(command) && command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            command = Path.GetFullPath(Path.Combine(file.Directory, command));
        }

        var env = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var variable in exec.Env ?? [])
        {
            if (string.IsNullOrEmpty(variable.Name))
            {
                throw new KubeConfigException($"{where}: exec.env has an entry without a name");
            }

            env.Add(new(variable.Name, variable.Value ?? string.Empty));
        }

        return new ExecCredentialOptions
        {
            Command = command,
            Args = [.. exec.Args ?? []],
            Env = env.ToImmutable(),
            ApiVersion = apiVersion,
            InstallHint = exec.InstallHint,
            ProvideClusterInfo = exec.ProvideClusterInfo,
        };
    }

    private static string Rooted(KubeConfigFile file, string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(file.Directory, path));

    private sealed record Entry<T>(KubeConfigFile File, T Item);

    private sealed class MergedConfig
    {
        public Dictionary<string, Entry<NamedCluster>> Clusters { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Entry<NamedUser>> Users { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Entry<NamedContext>> Contexts { get; } = new(StringComparer.Ordinal);

        public string? CurrentContext { get; private set; }

        public void Add(string path, KubeConfigFile file)
        {
            if (string.IsNullOrEmpty(CurrentContext) && !string.IsNullOrEmpty(file.CurrentContext))
            {
                CurrentContext = file.CurrentContext;
            }

            foreach (var cluster in file.Clusters ?? [])
            {
                if (!string.IsNullOrEmpty(cluster.Name))
                {
                    Clusters.TryAdd(cluster.Name, new(file, cluster));
                }
            }

            foreach (var user in file.Users ?? [])
            {
                if (!string.IsNullOrEmpty(user.Name))
                {
                    Users.TryAdd(user.Name, new(file, user));
                }
            }

            foreach (var context in file.Contexts ?? [])
            {
                if (!string.IsNullOrEmpty(context.Name))
                {
                    Contexts.TryAdd(context.Name, new(file, context));
                }
            }
        }
    }
}

// YAML shapes of a kubeconfig (only what MeshDns reads). Public setters are what the YAML deserializer needs.
internal sealed class KubeConfigFile
{
    [YamlIgnore]
    public string Directory { get; set; } = ".";

    [YamlIgnore]
    public string Path { get; set; } = string.Empty;

    [YamlMember(Alias = "current-context")]
    public string? CurrentContext { get; set; }

    [YamlMember(Alias = "clusters")]
    public List<NamedCluster>? Clusters { get; set; }

    [YamlMember(Alias = "users")]
    public List<NamedUser>? Users { get; set; }

    [YamlMember(Alias = "contexts")]
    public List<NamedContext>? Contexts { get; set; }
}

internal sealed class NamedCluster
{
    [YamlMember(Alias = "name")]
    public string? Name { get; set; }

    [YamlMember(Alias = "cluster")]
    public ClusterConfig? Cluster { get; set; }
}

internal sealed class ClusterConfig
{
    [YamlMember(Alias = "server")]
    public string? Server { get; set; }

    [YamlMember(Alias = "certificate-authority")]
    public string? CertificateAuthority { get; set; }

    [YamlMember(Alias = "certificate-authority-data")]
    public string? CertificateAuthorityData { get; set; }

    [YamlMember(Alias = "insecure-skip-tls-verify")]
    public bool InsecureSkipTlsVerify { get; set; }

    [YamlMember(Alias = "tls-server-name")]
    public string? TlsServerName { get; set; }
}

internal sealed class NamedContext
{
    [YamlMember(Alias = "name")]
    public string? Name { get; set; }

    [YamlMember(Alias = "context")]
    public ContextConfig? Context { get; set; }
}

internal sealed class ContextConfig
{
    [YamlMember(Alias = "cluster")]
    public string? Cluster { get; set; }

    [YamlMember(Alias = "user")]
    public string? User { get; set; }

    [YamlMember(Alias = "namespace")]
    public string? Namespace { get; set; }
}

internal sealed class NamedUser
{
    [YamlMember(Alias = "name")]
    public string? Name { get; set; }

    [YamlMember(Alias = "user")]
    public UserConfig? User { get; set; }
}

internal sealed class UserConfig
{
    [YamlMember(Alias = "client-certificate")]
    public string? ClientCertificate { get; set; }

    [YamlMember(Alias = "client-certificate-data")]
    public string? ClientCertificateData { get; set; }

    [YamlMember(Alias = "client-key")]
    public string? ClientKey { get; set; }

    [YamlMember(Alias = "client-key-data")]
    public string? ClientKeyData { get; set; }

    [YamlMember(Alias = "token")]
    public string? Token { get; set; }

    [YamlMember(Alias = "tokenFile")]
    public string? TokenFile { get; set; }

    [YamlMember(Alias = "username")]
    public string? Username { get; set; }

    [YamlMember(Alias = "password")]
    public string? Password { get; set; }

    [YamlMember(Alias = "exec")]
    public ExecConfig? Exec { get; set; }

    [YamlMember(Alias = "auth-provider")]
    public AuthProviderConfig? AuthProvider { get; set; }
}

internal sealed class ExecConfig
{
    [YamlMember(Alias = "apiVersion")]
    public string? ApiVersion { get; set; }

    [YamlMember(Alias = "command")]
    public string? Command { get; set; }

    [YamlMember(Alias = "args")]
    public List<string>? Args { get; set; }

    [YamlMember(Alias = "env")]
    public List<ExecEnvConfig>? Env { get; set; }

    [YamlMember(Alias = "installHint")]
    public string? InstallHint { get; set; }

    [YamlMember(Alias = "provideClusterInfo")]
    public bool ProvideClusterInfo { get; set; }
}

internal sealed class ExecEnvConfig
{
    [YamlMember(Alias = "name")]
    public string? Name { get; set; }

    [YamlMember(Alias = "value")]
    public string? Value { get; set; }
}

internal sealed class AuthProviderConfig
{
    [YamlMember(Alias = "name")]
    public string? Name { get; set; }
}
