using System.Text;

namespace MeshDns.Server.Corefile;

/// <summary>
/// One line of a block: a name, the rest of the line as arguments, and optionally a <c>{ ... }</c> block of
/// sub-directives (which follow the same rule, recursively).
/// </summary>
public sealed class Directive
{
    public required string Name { get; init; }
    public required CorefileToken NameToken { get; init; }
    public required IReadOnlyList<CorefileToken> Args { get; init; }

    /// <summary>Sub-directives; empty when there is no block (or an empty one; see <see cref="HasBlock"/>).</summary>
    public required IReadOnlyList<Directive> Block { get; init; }

    /// <summary>True when the line opened a block, even an empty one (<c>health {}</c>).</summary>
    public bool HasBlock { get; init; }

    public SourceLocation Location => NameToken.Location;

    /// <summary>The argument texts.</summary>
    public IReadOnlyList<string> ArgValues => Args.Select(static a => a.Text).ToArray();

    /// <summary>The last token on the directive's line: the last argument, or the name when there are none.</summary>
    public CorefileToken LastToken => Args.Count > 0 ? Args[^1] : NameToken;

    /// <summary>
    /// Caddy's "wrong argument count" text naming the last token on this line, which is what a CoreDNS plugin
    /// reports after running out of (or over) its arguments.
    /// </summary>
    public string ArgErr() => CorefileMessages.ArgErr(LastToken.Text);

    /// <summary>CoreDNS's text for a sub-directive a plugin does not know: <c>unknown property 'name'</c>.</summary>
    public string UnknownProperty() => CorefileMessages.UnknownProperty(Name);

    public override string ToString()
    {
        var text = new StringBuilder(Name);
        foreach (var arg in Args)
        {
            text.Append(' ').Append(arg);
        }

        if (HasBlock)
        {
            text.Append(Block.Count == 0 ? " {}" : " { ... }");
        }

        return text.ToString();
    }
}
