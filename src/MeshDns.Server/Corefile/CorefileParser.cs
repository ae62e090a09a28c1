namespace MeshDns.Server.Corefile;

/// <summary>
/// Reads a Corefile into server blocks and directives, following CoreDNS (its fork of Caddy v1's caddyfile
/// package for syntax, core/dnsserver for server keys). Every problem found is collected and thrown once as
/// a <see cref="CorefileException"/>; no other exception escapes for bad input.
/// </summary>
/// <remarks>
/// Every Corefile CoreDNS accepts parses to the same blocks and arguments, with these differences, each on
/// input CoreDNS mishandles: one-line blocks (<c>. { whoami }</c>) are accepted; <c>{}</c> is an empty block
/// rather than an argument; a quoted <c>"{"</c> or <c>"import"</c> is text, not structure; an unterminated quote, a stray
/// <c>}</c>, a block without keys, text after a block's closing brace, a comma inside a key, a bad port or
/// transport, a malformed CIDR and a key that is an IP address are errors instead of being passed on;
/// <c>{env.NAME}</c> works besides <c>{$NAME}</c> and <c>{%NAME%}</c>; import cycles are reported as cycles
/// (Caddy counts to a depth limit). Parsing does not check directive names unless
/// <see cref="CorefileParseOptions.KnownDirectives"/> is set.
/// </remarks>
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
