namespace MeshDns.Server.Corefile;

/// <summary>
/// Reads a Corefile into server blocks and directives, following CoreDNS (its fork of Caddy v1's caddyfile
/// package for syntax, core/dnsserver for server keys). Every problem found is collected and thrown once as
/// a <see cref="CorefileException"/>; no other exception escapes for bad input.
/// </summary>
public static class CorefileParser
{
    /// <summary>Parses Corefile text.</summary>
    /// <param name="text">The Corefile.</param>
    /// <param name="sourceName">Name printed in errors, e.g. <c>Corefile</c> or a path.</param>
    /// <param name="options">Defaults: port 53, the process environment, the real file system.</param>
    public static CorefileDocument Parse(string text, string sourceName, CorefileParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= new CorefileParseOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.DefaultPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.DefaultPort, 65535);

        return new CorefileSyntaxParser(text, sourceName, options).Parse();
    }

    /// <summary>Reads and parses the file at <paramref name="path"/>; relative imports resolve against its directory.</summary>
    public static CorefileDocument ParseFile(string path, CorefileParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new CorefileParseOptions();
        string text;
        try
        {
            text = options.FileSystem.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CorefileException([new CorefileError(new SourceLocation(path, 0), null, $"Could not read {path}: {e.Message}")]);
        }

        return Parse(text, path, options with { BaseDirectory = options.BaseDirectory ?? CorefileSyntaxParser.DirectoryOf(path) });
    }
}
