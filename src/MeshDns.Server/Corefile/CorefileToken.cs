namespace MeshDns.Server.Corefile;

/// <summary>Where a token came from: the file as it should be printed in errors, and its 1-based line.</summary>
public readonly record struct SourceLocation(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>
/// One word of a Corefile after lexing. <see cref="Text"/> has environment references already
/// substituted for keys, directive names and arguments; <see cref="Location"/> is where the word starts
/// (a quoted string may span lines).
/// </summary>
public sealed record CorefileToken(string Text, SourceLocation Location, bool Quoted = false)
{
    public override string ToString() => Quoted ? $"\"{Text}\"" : Text;
}
