using System.Net;

namespace MeshDns.Plugins.Forward;

/// <summary>Reads the <c>nameserver</c> lines of a resolv.conf-style file (resolv.conf(5)); the port is always 53.</summary>
public static class ResolvConf
{
    public const string DefaultPath = "/etc/resolv.conf";

    /// <summary>The name servers listed in <paramref name="text"/>, in order. Comments (<c>#</c>, <c>;</c>) and other keywords are ignored.</summary>
    public static IReadOnlyList<IPAddress> ParseNameServers(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var servers = new List<IPAddress>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine;
            var comment = line.IndexOfAny(['#', ';']);
            if (comment >= 0)
            {
                line = line[..comment];
            }

            var fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0] != "nameserver")
            {
                continue;
            }

            // A scoped IPv6 address (fe80::1%eth0) keeps its scope.
            if (IPAddress.TryParse(fields[1], out var address))
            {
                servers.Add(address);
            }
        }

        return servers;
    }

    /// <summary>Reads <paramref name="path"/>; throws <see cref="IOException"/> when it cannot be read.</summary>
    public static IReadOnlyList<IPAddress> ReadNameServers(string path) => ParseNameServers(File.ReadAllText(path));
}
