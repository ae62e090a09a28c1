namespace MeshDns.Server.Corefile;

/// <summary>A parsed Corefile: its server blocks in file order, with imports and snippets expanded.</summary>
public sealed class CorefileDocument
{
    public required IReadOnlyList<ServerBlock> ServerBlocks { get; init; }

    /// <summary>The name errors print for the root file (as given to the parser).</summary>
    public required string SourceName { get; init; }

    /// <summary>Things worth logging that are not errors, e.g. an import glob that matched no file.</summary>
    public IReadOnlyList<CorefileWarning> Warnings { get; init; } = [];

    /// <summary>Full paths of every file pulled in by <c>import</c>, in first-import order (for reload watchers).</summary>
    public IReadOnlyList<string> ImportedFiles { get; init; } = [];
}

/// <summary>
/// One server block: its keys (<c>.:53</c>, <c>dns://example.org</c>, <c>10.0.0.0/24</c>, ...) and the
/// directives inside its braces.
/// </summary>
public sealed class ServerBlock
{
    /// <summary>The keys as written (after environment substitution, trailing commas removed).</summary>
    public required IReadOnlyList<CorefileToken> KeyTokens { get; init; }

    /// <summary>Parsed keys; a CIDR key yields one address per reverse zone it covers.</summary>
    public required IReadOnlyList<ZoneAddress> Addresses { get; init; }

    /// <summary>Top-level directives in Corefile order (not plugin-chain order).</summary>
    public required IReadOnlyList<Directive> Directives { get; init; }

    /// <summary>Where the first key is.</summary>
    public required SourceLocation Location { get; init; }

    public IReadOnlyList<string> Keys => KeyTokens.Select(static t => t.Text).ToArray();

    public override string ToString() => string.Join(' ', KeyTokens.Select(static t => t.Text));
}
