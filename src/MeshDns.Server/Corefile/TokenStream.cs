namespace MeshDns.Server.Corefile;

/// <summary>
/// Tokens read front to back, with imports pushed as nested runs so an import costs the size of what it
/// brings in, not a copy of everything after it.
/// </summary>
internal sealed class TokenStream
{
    private readonly Stack<Run> _runs = new();
    private LexToken? _previous;

    public TokenStream(IReadOnlyList<LexToken> tokens) => Push(tokens);

    /// <summary>The last token consumed, if any (where "unexpected EOF" is reported).</summary>
    public LexToken? Previous => _previous;

    public int TokensRead { get; private set; }

    public bool AtEnd
    {
        get
        {
            while (_runs.Count > 0 && _runs.Peek().Position >= _runs.Peek().Tokens.Count)
            {
                _runs.Pop();
            }

            return _runs.Count == 0;
        }
    }

    public LexToken Current => AtEnd
        ? throw new InvalidOperationException("No token left; check AtEnd first.")
        : _runs.Peek().Tokens[_runs.Peek().Position];

    /// <summary>
    /// True when the current token does not continue the line of the previous one: another file or snippet
    /// expansion, or a later line than where the previous token (perhaps a multi-line string) ended.
    /// </summary>
    public bool IsNewLine
    {
        get
        {
            if (_previous is not { } previous || AtEnd)
            {
                return true;
            }

            var current = Current;
            return !ReferenceEquals(previous.Segment, current.Segment) || previous.EndLine < current.Line;
        }
    }

    /// <summary>True when a token follows on the same line as the previous one.</summary>
    public bool HasSameLineToken => !AtEnd && !IsNewLine;

    public void Advance()
    {
        _previous = Current;
        _runs.Peek().Position++;
        TokensRead++;
    }

    /// <summary>Makes <paramref name="tokens"/> the next ones read; the rest follows after them.</summary>
    public void Push(IReadOnlyList<LexToken> tokens)
    {
        if (tokens.Count > 0)
        {
            _runs.Push(new Run(tokens));
        }
    }

    private sealed class Run(IReadOnlyList<LexToken> tokens)
    {
        public IReadOnlyList<LexToken> Tokens { get; } = tokens;
        public int Position { get; set; }
    }
}
