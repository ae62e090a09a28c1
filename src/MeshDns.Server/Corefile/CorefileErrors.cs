namespace MeshDns.Server.Corefile;

/// <summary>
/// One problem in a Corefile. Prints as <c>Corefile:12 - plugin/health: message</c> when tied to a
/// directive (plugin), otherwise as Caddy prints syntax errors: <c>Corefile:12 - Error during parsing: message</c>.
/// </summary>
public sealed record CorefileError(SourceLocation Location, string? Directive, string Message)
{
    public override string ToString() => Directive is null
        ? $"{Location} - Error during parsing: {Message}"
        : $"{Location} - plugin/{Directive}: {Message}";
}

/// <summary>Something worth logging that does not stop the Corefile from loading.</summary>
public sealed record CorefileWarning(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location} - Warning: {Message}";
}

/// <summary>Thrown once per parse (or setup pass) with every error found; the message has one error per line.</summary>
public sealed class CorefileException : Exception
{
    public CorefileException(IReadOnlyList<CorefileError> errors)
        : base(errors.Count == 0 ? "Corefile error" : string.Join('\n', errors))
    {
        Errors = errors;
    }

    public IReadOnlyList<CorefileError> Errors { get; }
}

/// <summary>
/// Gathers errors so a parser or a plugin's setup can keep going and report everything at once.
/// Not thread-safe: one collector per pass.
/// </summary>
public sealed class CorefileErrorCollector
{
    private readonly List<CorefileError> _errors = [];

    public bool HasErrors => _errors.Count > 0;

    public IReadOnlyList<CorefileError> Errors => _errors;

    public void Add(SourceLocation at, string? directive, string message) =>
        _errors.Add(new CorefileError(at, directive, message));

    public void Add(CorefileToken at, string? directive, string message) => Add(at.Location, directive, message);

    public void Add(CorefileError error) => _errors.Add(error);

    /// <summary>Adds Caddy's wrong-argument-count error for <paramref name="directive"/>'s line, tagged with <paramref name="plugin"/>.</summary>
    public void AddArgErr(string plugin, Directive directive) => Add(directive.LastToken, plugin, directive.ArgErr());

    /// <summary>Adds the wrong-argument-count error naming <paramref name="after"/> (e.g. the surplus argument).</summary>
    public void AddArgErr(string plugin, CorefileToken after) => Add(after, plugin, CorefileMessages.ArgErr(after.Text));

    /// <summary>Adds <c>unknown property 'x'</c> for a sub-directive the plugin does not know.</summary>
    public void AddUnknownProperty(string plugin, Directive property) =>
        Add(property.NameToken, plugin, property.UnknownProperty());

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new CorefileException(_errors.ToArray());
        }
    }
}

/// <summary>Message texts shared with plugins so their errors read like CoreDNS's.</summary>
public static class CorefileMessages
{
    /// <summary>Caddy's <c>ArgErr</c>: the text after which an argument was missing or unexpected.</summary>
    public static string ArgErr(string after) => after == "{"
        ? "Unexpected token '{', expecting argument"
        : $"Wrong argument count or unexpected line ending after '{after}'";

    /// <summary>What CoreDNS plugins say about a sub-directive they do not know.</summary>
    public static string UnknownProperty(string property) => $"unknown property '{property}'";

    /// <summary>Caddy's text for a directive name no plugin registered.</summary>
    public static string UnknownDirective(string name) => $"Unknown directive '{name}'";
}
