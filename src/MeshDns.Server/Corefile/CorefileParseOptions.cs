namespace MeshDns.Server.Corefile;

/// <summary>Knobs for <see cref="CorefileParser"/>; the defaults read the real environment and disk.</summary>
public sealed record CorefileParseOptions
{
    /// <summary>Port for keys without one and without a transport (CoreDNS's <c>-dns.port</c>).</summary>
    public int DefaultPort { get; init; } = 53;

    /// <summary>Looks up <c>{$NAME}</c>, <c>{%NAME%}</c> and <c>{env.NAME}</c>; null means unset (substituted as empty, as Caddy does).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Directory relative imports of the root file resolve against; default: the root file's directory.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Where imported files are read from.</summary>
    public ICorefileFileSystem FileSystem { get; init; } = PhysicalCorefileFileSystem.Instance;

    /// <summary>
    /// When set, a top-level directive whose name is not in this set is an error (<c>Unknown directive 'x'</c>),
    /// as Caddy reports it. Sub-directives are the plugins' business.
    /// </summary>
    public IReadOnlySet<string>? KnownDirectives { get; init; }
}

/// <summary>The few file operations <c>import</c> needs, so tests and embedders can supply their own.</summary>
public interface ICorefileFileSystem
{
    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <summary>Reads a whole file as text; may throw <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>.</summary>
    string ReadAllText(string path);

    /// <summary>Full paths of the files and directories directly inside <paramref name="directory"/>.</summary>
    IEnumerable<string> EnumerateEntries(string directory);
}

/// <summary>The real file system.</summary>
public sealed class PhysicalCorefileFileSystem : ICorefileFileSystem
{
    private PhysicalCorefileFileSystem()
    {
    }

    public static PhysicalCorefileFileSystem Instance { get; } = new();

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public string ReadAllText(string path) => File.ReadAllText(path);

    public IEnumerable<string> EnumerateEntries(string directory) => Directory.EnumerateFileSystemEntries(directory);
}
