using System.Text.Json.Nodes;

namespace MeshDns.Testing.FakeKubernetes;

/// <summary>
/// The real kube-apiserver recordings in <c>shared/recordings</c> (found beside the repository or any folder above
/// it, or at <c>$MESHDNS_SHARED</c>), and the objects they were seeded with.
/// </summary>
public static class Recordings
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The recordings folder.</summary>
    public static string Directory => Root.Value;

    public static string Read(string name) => File.ReadAllText(Path.Combine(Directory, name));

    public static byte[] ReadBytes(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    /// <summary>
    /// The objects of recorded cluster <paramref name="cluster"/> ('a', 'b' or 'c'): the fixtures' namespace, services
    /// and endpoint slices, the system namespaces and the <c>kubernetes</c> service, and the fixture pods with the
    /// addresses they had in the recordings.
    /// </summary>
    public static IReadOnlyList<JsonObject> SeedObjects(char cluster)
    {
        var n = cluster switch { 'a' => "96", 'b' => "97", 'c' => "98", _ => throw new ArgumentOutOfRangeException(nameof(cluster)) };
        var p = cluster switch { 'a' => "244", 'b' => "245", _ => "246" };
        var yaml = Read("fixtures/seed.yaml.tmpl").Replace("@C@", cluster.ToString(), StringComparison.Ordinal)
            .Replace("@N@", n, StringComparison.Ordinal).Replace("@P@", p, StringComparison.Ordinal);
        var served = new HashSet<string>(StringComparer.Ordinal) { "Namespace", "Service", "EndpointSlice" };
        var objects = new List<JsonObject>();
        foreach (var system in new[] { "default", "kube-node-lease", "kube-public", "kube-system" })
        {
            objects.Add(FakeObjects.Namespace(system));
        }

        foreach (var obj in FakeObjects.FromYaml(yaml))
        {
            if (served.Contains((string?)obj["kind"] ?? string.Empty))
            {
                if ((string?)obj["kind"] == "Namespace" && obj["metadata"] is JsonObject meta && meta["labels"] is JsonObject labels)
                {
                    labels["kubernetes.io/metadata.name"] = (string?)meta["name"];
                }

                objects.Add(obj);
            }
        }

        objects.Add(FakeObjects.Service("default", "kubernetes", $"10.{n}.0.1", [new FakePort("https", 443)],
            new Dictionary<string, string> { ["component"] = "apiserver", ["provider"] = "kubernetes" }));
        var pods = new[] { ("web-0", "web", "1.11"), ("web-1", "web", "2.12"), ("db-0", "db", "1.21"), ("db-1", "db", "1.22"), ("db-2", "db", "2.23") };
        foreach (var (name, app, suffix) in pods)
        {
            objects.Add(FakeObjects.Pod("dns-test", name, $"10.{p}.{suffix}", new Dictionary<string, string> { ["app"] = app }));
        }

        return objects;
    }

    private static string FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("MESHDNS_SHARED");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(Path.Combine(fromEnvironment, "recordings", "README.md")))
        {
            return Path.Combine(fromEnvironment, "recordings");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "recordings");
            if (File.Exists(Path.Combine(candidate, "README.md")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("shared/recordings not found above " + AppContext.BaseDirectory + " (set MESHDNS_SHARED)");
    }
}
