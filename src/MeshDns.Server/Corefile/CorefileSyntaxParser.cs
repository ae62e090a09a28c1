namespace MeshDns.Server.Corefile;

/// <summary>
/// One parse of one Corefile: server keys, blocks and directives. Imports and snippets are in
/// <c>CorefileSyntaxParser.Imports.cs</c>.
/// </summary>
/// <remarks>
/// Caddy v1 keeps a flat token list per directive and leaves structure to each plugin; here a line is a
/// directive and a <c>{</c> on that line opens its block, which is what CoreDNS plugins read anyway. Where
/// Caddy would quietly accept something that cannot work (a stray <c>}</c>, a block with no keys, text after
/// a closing brace on the same line), this reports it.
/// </remarks>
internal sealed partial class CorefileSyntaxParser
{
    private const string UnmatchedClose = "Unexpected '}' because no matching opening brace";

    // Bounds on what a Corefile may expand to, so runaway snippet fan-out fails instead of eating memory.
    private const int MaxImports = 10_000;
    private const int MaxTokens = 2_000_000;

    // Blocks are parsed recursively; this keeps hostile nesting from overflowing the stack.
    private const int MaxDepth = 100;

    private readonly CorefileParseOptions _options;
    private readonly string _sourceName;
    private readonly TokenStream _stream;
    private readonly CorefileErrorCollector _errors = new();
    private readonly List<CorefileWarning> _warnings = [];
    private readonly HashSet<string> _servedAddresses = new(StringComparer.Ordinal);
    private bool _tooLarge;
    private int _depth;

    public CorefileSyntaxParser(string text, string sourceName, CorefileParseOptions options)
    {
        _options = options;
        _sourceName = sourceName;
        var baseDirectory = options.BaseDirectory ?? DirectoryOf(sourceName);
        var rootPath = FullPathOrSelf(options.BaseDirectory is null
            ? sourceName
            : Path.Combine(options.BaseDirectory, Path.GetFileName(sourceName)));
        var root = new Segment(sourceName, baseDirectory, new ImportChain(ImportChain.FileKey(rootPath), sourceName, null));
        _stream = new TokenStream(CorefileLexer.Tokenize(text, root, _errors));
    }

    public CorefileDocument Parse()
    {
        var blocks = new List<ServerBlock>();
        while (!AtEnd)
        {
            var token = _stream.Current;
            if (token.IsCloseBrace)
            {
                Error(token, UnmatchedClose);
                _stream.Advance();
                continue;
            }

            ParseServerBlock(blocks);
        }

        _errors.ThrowIfAny();
        return new CorefileDocument
        {
            ServerBlocks = blocks,
            SourceName = _sourceName,
            Warnings = _warnings,
            ImportedFiles = _importedFiles,
        };
    }

    internal static string DirectoryOf(string file)
    {
        var full = FullPathOrSelf(file);
        return Path.GetDirectoryName(full) ?? full;
    }

    private static string FullPathOrSelf(string path)
    {
        try
        {
            return Path.GetFullPath(path.Length == 0 ? "." : path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return path;
        }
    }

    /// <summary>End of input, or the expansion limit was hit (then everything after is ignored).</summary>
    private bool AtEnd
    {
        get
        {
            if (!_tooLarge && _stream.TokensRead > MaxTokens)
            {
                _tooLarge = true;
                _errors.Add(
                    _stream.Previous?.Token.Location ?? new SourceLocation(_sourceName, 1),
                    null,
                    $"the Corefile expands to more than {MaxTokens} tokens after imports; is a snippet imported many times over?");
            }

            return _tooLarge || _stream.AtEnd;
        }
    }

    private void ParseServerBlock(List<ServerBlock> blocks)
    {
        var keys = new List<CorefileToken>();
        var expectingAnother = false;
        var eof = false;

        // Keys run to the end of the line (or to '{'); a trailing comma carries the list onto the next line.
        while (true)
        {
            if (AtEnd)
            {
                if (expectingAnother)
                {
                    ErrorAtEof("Unexpected EOF");
                }

                eof = true;
                break;
            }

            var token = _stream.Current;
            if (token.IsImport && _stream.IsNewLine)
            {
                HandleImport();
                continue;
            }

            if (token.IsOpenBrace)
            {
                if (expectingAnother)
                {
                    Error(token, "Expected another address but had '{' - check for extra comma");
                }

                break;
            }

            if (token.IsCloseBrace)
            {
                Error(token, UnmatchedClose);
            }
            else
            {
                var text = Substitute(token.Text);
                expectingAnother = text.EndsWith(',');
                if (expectingAnother)
                {
                    text = text[..^1];
                }

                if (text.Contains(',', StringComparison.Ordinal))
                {
                    // Caddy would keep "a,b" as one zone named "a,b." that never matches anything.
                    Error(token, $"server key '{text}' contains a comma; separate keys with spaces or ', '");
                }

                if (text.Length > 0)
                {
                    keys.Add(token.Token with { Text = text });
                }
            }

            _stream.Advance();
            if (AtEnd)
            {
                if (expectingAnother)
                {
                    ErrorAtEof("Unexpected EOF");
                }

                eof = true;
                break;
            }

            if (!expectingAnother && _stream.IsNewLine)
            {
                break;
            }
        }

        if (keys.Count == 0)
        {
            // Nothing but empty keys (e.g. a lone "" as in Caddy's tests) and no body: nothing to serve.
            if (!eof)
            {
                Error(_stream.Current, "server block has no keys");
                ParseBody();
            }

            return;
        }

        if (keys.Count == 1 && IsSnippetName(keys[0].Text, out var snippet))
        {
            DefineSnippet(snippet, keys[0], eof);
            return;
        }

        var addresses = ResolveKeys(keys);
        var directives = eof ? [] : ParseBody();
        blocks.Add(new ServerBlock
        {
            KeyTokens = keys,
            Addresses = addresses,
            Directives = directives,
            Location = keys[0].Location,
        });
    }

    /// <summary>A server block's body: braced, or (Caddy's single-block form) everything to the end of input.</summary>
    private List<Directive> ParseBody()
    {
        if (!AtEnd && _stream.Current.IsOpenBrace)
        {
            var open = _stream.Current;
            _stream.Advance();
            return ParseBlockBody(open, owner: null, topLevel: true);
        }

        return ParseBlockBody(open: null, owner: null, topLevel: true);
    }

    /// <summary>
    /// Directives up to the <c>}</c> matching <paramref name="open"/> (consumed), or to the end of input when
    /// there is no opening brace.
    /// </summary>
    private List<Directive> ParseBlockBody(LexToken? open, string? owner, bool topLevel)
    {
        if (open is { } first && _depth >= MaxDepth)
        {
            Error(first, $"blocks are nested more than {MaxDepth} deep");
            SkipBlock(first);
            return [];
        }

        _depth++;
        try
        {
            return ParseDirectives(open, owner, topLevel);
        }
        finally
        {
            _depth--;
        }
    }

    private List<Directive> ParseDirectives(LexToken? open, string? owner, bool topLevel)
    {
        var directives = new List<Directive>();
        while (true)
        {
            if (AtEnd)
            {
                if (open is { } opened)
                {
                    var what = owner is not null ? $"the block of '{owner}'" : topLevel ? "the server block" : "the block";
                    ErrorAtEof($"Unexpected EOF, expecting '}}' to close {what} opened at {opened.Token.Location}");
                }

                return directives;
            }

            var token = _stream.Current;
            if (token.IsCloseBrace)
            {
                _stream.Advance();
                if (open is not null)
                {
                    return directives;
                }

                Error(token, UnmatchedClose);
                continue;
            }

            if (token.IsOpenBrace)
            {
                Error(token, "Unexpected '{' - a block must open on the same line as its directive");
                _stream.Advance();
                ParseBlockBody(token, owner: null, topLevel: false);
                continue;
            }

            if (token.IsImport)
            {
                HandleImport();
                continue;
            }

            directives.Add(ParseDirective(topLevel));
        }
    }

    /// <summary>Consumes up to the brace matching <paramref name="open"/> without looking inside.</summary>
    private void SkipBlock(LexToken open)
    {
        var depth = 1;
        while (!AtEnd)
        {
            var token = _stream.Current;
            _stream.Advance();
            if (token.IsCloseBrace && --depth == 0)
            {
                return;
            }

            if (token.IsOpenBrace)
            {
                depth++;
            }
        }

        ErrorAtEof($"Unexpected EOF, expecting '}}' to close the block opened at {open.Token.Location}");
    }

    private Directive ParseDirective(bool topLevel)
    {
        var nameToken = _stream.Current;
        _stream.Advance();
        var name = Substitute(nameToken.Text);
        if (name.Length == 0)
        {
            Error(nameToken, "directive name is empty");
        }
        else if (topLevel && _options.KnownDirectives is { } known && !known.Contains(name))
        {
            Error(nameToken, CorefileMessages.UnknownDirective(name));
        }

        var args = new List<CorefileToken>();
        while (_stream.HasSameLineToken && !AtEnd && !_stream.Current.IsBrace)
        {
            args.Add(SubstituteToken(_stream.Current));
            _stream.Advance();
        }

        IReadOnlyList<Directive> block = [];
        var hasBlock = false;
        if (_stream.HasSameLineToken && !AtEnd && _stream.Current.IsOpenBrace)
        {
            var open = _stream.Current;
            _stream.Advance();
            hasBlock = true;
            block = ParseBlockBody(open, name, topLevel: false);
            if (_stream.HasSameLineToken && !AtEnd && !_stream.Current.IsCloseBrace)
            {
                Error(_stream.Current, $"Unexpected token '{_stream.Current.Text}' after the block of '{name}' - a block must end its line");
                while (_stream.HasSameLineToken && !AtEnd && !_stream.Current.IsBrace)
                {
                    _stream.Advance();
                }
            }
        }

        return new Directive
        {
            Name = name,
            NameToken = name == nameToken.Text ? nameToken.Token : nameToken.Token with { Text = name },
            Args = args,
            Block = block,
            HasBlock = hasBlock,
        };
    }

    private List<ZoneAddress> ResolveKeys(List<CorefileToken> keys)
    {
        var addresses = new List<ZoneAddress>();
        foreach (var key in keys)
        {
            if (!ZoneNames.TrySplitTransport(key.Text, out var transport, out var rest, out var error)
                || !ZoneNames.TrySplitHostPort(rest, out var zones, out var port, out error))
            {
                _errors.Add(key, null, error ?? "invalid server key");
                continue;
            }

            var resolvedPort = port ?? ZoneNames.DefaultPortFor(transport, _options.DefaultPort);
            foreach (var zone in zones)
            {
                var address = new ZoneAddress(transport, zone, resolvedPort, key.Text);

                // The same zone, port and transport twice is what CoreDNS refuses at start-up.
                if (!_servedAddresses.Add(address.ToString()))
                {
                    _errors.Add(key, null, $"cannot serve {address} - it is already defined");
                }

                addresses.Add(address);
            }
        }

        return addresses;
    }

    private static bool IsSnippetName(string key, out string name)
    {
        if (key.Length >= 2 && key[0] == '(' && key[^1] == ')')
        {
            name = key[1..^1];
            return true;
        }

        name = "";
        return false;
    }

    private string Substitute(string text) => EnvironmentSubstitution.Replace(text, _options.Environment);

    private CorefileToken SubstituteToken(LexToken token)
    {
        var text = Substitute(token.Text);
        return text == token.Text ? token.Token : token.Token with { Text = text };
    }

    private void Error(LexToken at, string message) => _errors.Add(at.Token, null, message);

    /// <summary>Reports at the last token read, as Caddy does for errors at the end of input.</summary>
    private void ErrorAtEof(string message)
    {
        if (_tooLarge)
        {
            // Input was cut short on purpose; that error has been reported already.
            return;
        }

        var location = _stream.Previous?.Token.Location ?? new SourceLocation(_sourceName, 1);
        _errors.Add(location, null, message);
    }
}
