using System.Reflection;

namespace MeshDns.Server;

/// <summary>Version and source revision of this build (for <c>-version</c> and <c>coredns_build_info</c>).</summary>
public static class BuildInfo
{
    /// <summary>The product version (<c>0.1.0</c>).</summary>
    public static string Version { get; } = typeof(BuildInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The git revision the build came from, or <c>unknown</c>.</summary>
    public static string Revision { get; } = ReadRevision();

    /// <summary>The runtime, standing in for CoreDNS's <c>goversion</c> label.</summary>
    public static string Runtime { get; } = ".NET " + Environment.Version;

    private static string ReadRevision()
    {
        var informational = typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var plus = informational?.IndexOf('+', StringComparison.Ordinal) ?? -1;
        return plus >= 0 ? informational![(plus + 1)..] : "unknown";
    }
}
