using System.Text;

namespace MeshDns.Testing.FakeKubernetes;

/// <summary>Writes kubeconfig files pointing at fake servers (for tests of every auth style).</summary>
public sealed class KubeconfigYaml
{
    private readonly StringBuilder _clusters = new();
    private readonly StringBuilder _users = new();
    private readonly StringBuilder _contexts = new();
    private string? _current;

    /// <summary>Adds a cluster entry; <paramref name="caPem"/> goes in as certificate-authority-data unless <paramref name="caFile"/> is given.</summary>
    public KubeconfigYaml Cluster(string name, Uri server, string? caPem = null, string? caFile = null, string? tlsServerName = null, bool insecure = false)
    {
        _clusters.Append("- name: ").Append(name).Append("\n  cluster:\n    server: ").Append(server.ToString().TrimEnd('/')).Append('\n');
        if (caFile is not null)
        {
            _clusters.Append("    certificate-authority: ").Append(caFile).Append('\n');
        }
        else if (caPem is not null)
        {
            _clusters.Append("    certificate-authority-data: ").Append(Base64(caPem)).Append('\n');
        }

        if (tlsServerName is not null)
        {
            _clusters.Append("    tls-server-name: ").Append(tlsServerName).Append('\n');
        }

        if (insecure)
        {
            _clusters.Append("    insecure-skip-tls-verify: true\n");
        }

        return this;
    }

    /// <summary>Adds a user with raw YAML lines for its <c>user:</c> map (indented by the caller's 4 spaces).</summary>
    public KubeconfigYaml User(string name, params string[] userLines)
    {
        _users.Append("- name: ").Append(name).Append("\n  user:");
        if (userLines.Length == 0)
        {
            _users.Append(" {}\n");
            return this;
        }

        _users.Append('\n');
        foreach (var line in userLines)
        {
            _users.Append("    ").Append(line).Append('\n');
        }

        return this;
    }

    public KubeconfigYaml Context(string name, string cluster, string? user, bool current = false)
    {
        _contexts.Append("- name: ").Append(name).Append("\n  context:\n    cluster: ").Append(cluster).Append('\n');
        if (user is not null)
        {
            _contexts.Append("    user: ").Append(user).Append('\n');
        }

        if (current)
        {
            _current = name;
        }

        return this;
    }

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    public override string ToString()
    {
        var builder = new StringBuilder("apiVersion: v1\nkind: Config\n");
        if (_current is not null)
        {
            builder.Append("current-context: ").Append(_current).Append('\n');
        }

        builder.Append(_clusters.Length == 0 ? "clusters: []\n" : "clusters:\n" + _clusters);
        builder.Append(_users.Length == 0 ? "users: []\n" : "users:\n" + _users);
        builder.Append(_contexts.Length == 0 ? "contexts: []\n" : "contexts:\n" + _contexts);
        return builder.ToString();
    }

    public string WriteTo(string path)
    {
        File.WriteAllText(path, ToString());
        return path;
    }
}
