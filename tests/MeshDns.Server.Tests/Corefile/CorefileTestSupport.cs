using System.Text;
using MeshDns.Server.Corefile;

namespace MeshDns.Server.Tests.Corefile;

/// <summary>Parsing with a fixed environment, and a compact text form of the result for table tests.</summary>
internal static class CorefileTestSupport
{
    public static readonly IReadOnlyDictionary<string, string> NoEnvironment = new Dictionary<string, string>();

    public static CorefileParseOptions Options(IReadOnlyDictionary<string, string>? environment = null, string? baseDirectory = null) => new()
    {
        Environment = name => (environment ?? NoEnvironment).TryGetValue(name, out var value) ? value : null,
        BaseDirectory = baseDirectory ?? Path.GetTempPath(),
    };

    public static CorefileDocument Parse(string text, IReadOnlyDictionary<string, string>? environment = null) =>
        CorefileParser.Parse(text, "Corefile", Options(environment));

    /// <summary>The error lines a Corefile produces (fails if it parses).</summary>
    public static string[] Errors(string text, IReadOnlyDictionary<string, string>? environment = null)
    {
        var e = Assert.Throws<CorefileException>(() => Parse(text, environment));
        Assert.Equal(string.Join('\n', e.Errors), e.Message);
        return e.Errors.Select(static x => x.ToString()).ToArray();
    }

    /// <summary>
    /// One line per block (<c>keys @line</c>) and per directive (indented by depth, <c>name args @line</c>,
    /// quoted arguments in quotes, <c>{}</c> after a directive with an empty block).
    /// </summary>
    public static string Dump(CorefileDocument document)
    {
        var text = new StringBuilder();
        foreach (var block in document.ServerBlocks)
        {
            text.Append(string.Join(' ', block.KeyTokens.Select(Show))).Append(" @").Append(block.Location.Line).Append('\n');
            Dump(text, block.Directives, 1);
        }

        return text.ToString().TrimEnd('\n');
    }

    private static void Dump(StringBuilder text, IReadOnlyList<Directive> directives, int depth)
    {
        foreach (var directive in directives)
        {
            text.Append(' ', depth * 2).Append(Show(directive.NameToken));
            foreach (var arg in directive.Args)
            {
                text.Append(' ').Append(Show(arg));
            }

            if (directive.HasBlock && directive.Block.Count == 0)
            {
                text.Append(" {}");
            }

            text.Append(" @").Append(directive.Location.Line).Append('\n');
            Dump(text, directive.Block, depth + 1);
        }
    }

    private static string Show(CorefileToken token) => token.Quoted ? $"\"{token.Text}\"" : token.Text;
}

/// <summary>A temporary directory removed when the test ends.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "meshdns-corefile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Writes <paramref name="text"/> to <paramref name="relativePath"/> and returns the full path.</summary>
    public string Write(string relativePath, string text)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, relativePath));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort; the OS cleans the temp folder eventually.
        }
    }
}

/// <summary>Files held in memory (paths as on Linux), for tests that must not touch the disk.</summary>
internal sealed class InMemoryFileSystem(IReadOnlyDictionary<string, string> files) : ICorefileFileSystem
{
    public bool FileExists(string path) => files.ContainsKey(path);

    public bool DirectoryExists(string path)
    {
        var prefix = path.EndsWith('/') ? path : path + "/";
        return files.Keys.Any(f => f.StartsWith(prefix, StringComparison.Ordinal));
    }

    public string ReadAllText(string path) =>
        files.TryGetValue(path, out var text) ? text : throw new FileNotFoundException("no such file", path);

    public IEnumerable<string> EnumerateEntries(string directory)
    {
        var prefix = directory.EndsWith('/') ? directory : directory + "/";
        return files.Keys
            .Where(f => f.StartsWith(prefix, StringComparison.Ordinal))
            .Select(f => prefix + f[prefix.Length..].Split('/')[0])
            .Distinct(StringComparer.Ordinal);
    }
}
