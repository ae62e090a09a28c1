namespace MeshDns.Server.Corefile;

/// <summary><c>import</c> of snippets, files and globs, and snippet definitions.</summary>
internal sealed partial class CorefileSyntaxParser
{
    private readonly Dictionary<string, IReadOnlyList<LexToken>> _snippets = new(StringComparer.Ordinal);
    private readonly List<string> _importedFiles = [];
    private readonly HashSet<string> _importedFileSet = new(StringComparer.Ordinal);
    private int _imports;

    /// <summary>
    /// <c>import PATTERN</c> at the current token: the tokens of a snippet, or of the files PATTERN names, are
    /// read next. Relative patterns resolve against the directory of the file the import is written in.
    /// </summary>
    private void HandleImport()
    {
        var importToken = _stream.Current;
        _stream.Advance();
        var args = new List<LexToken>();
        while (_stream.HasSameLineToken && !AtEnd && !_stream.Current.IsBrace)
        {
            args.Add(_stream.Current);
            _stream.Advance();
        }

        if (args.Count == 0)
        {
            Error(importToken, CorefileMessages.ArgErr(importToken.Text));
            return;
        }

        if (args.Count > 1)
        {
            Error(args[1], "Import takes only one argument (glob pattern or file)");
            return;
        }

        var argument = args[0];
        var pattern = Substitute(argument.Text);
        if (pattern.Length == 0)
        {
            Error(argument, "Import requires a non-empty filepath");
            return;
        }

        if (++_imports > MaxImports)
        {
            if (_imports == MaxImports + 1)
            {
                Error(argument, $"more than {MaxImports} imports; is a snippet imported many times over?");
            }

            return;
        }

        if (_snippets.TryGetValue(pattern, out var body))
        {
            ImportSnippet(argument, pattern, body);
        }
        else
        {
            ImportFiles(argument, pattern);
        }
    }

    private void ImportSnippet(LexToken argument, string name, IReadOnlyList<LexToken> body)
    {
        var chain = argument.Segment.Chain;
        var key = ImportChain.SnippetKey(name);
        if (chain.Contains(key))
        {
            Error(argument, $"import cycle detected: {chain.Describe()} -> ({name})");
            return;
        }

        // Each expansion is its own segment, so it starts a new line and knows its import path; relative
        // imports inside still resolve against the file that defined the snippet.
        var expansion = new ImportChain(key, $"({name})", chain);
        var segments = new Dictionary<Segment, Segment>();
        var tokens = new List<LexToken>(body.Count);
        foreach (var token in body)
        {
            if (!segments.TryGetValue(token.Segment, out var segment))
            {
                segment = new Segment(token.Segment.File, token.Segment.Directory, expansion);
                segments.Add(token.Segment, segment);
            }

            tokens.Add(token with { Segment = segment });
        }

        _stream.Push(tokens);
    }

    private void ImportFiles(LexToken argument, string pattern)
    {
        string fullPattern;
        try
        {
            fullPattern = Path.GetFullPath(Path.IsPathRooted(pattern) ? pattern : Path.Combine(argument.Segment.Directory, pattern));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            Error(argument, $"Failed to use import pattern {pattern}: {e.Message}");
            return;
        }

        // Caddy's limit (its issue #2096: many wildcards can make globbing hang).
        if (pattern.Count(static c => c == '*') > 1 || pattern.Count(static c => c == '?') > 1
            || (pattern.Contains('[', StringComparison.Ordinal) && pattern.Contains(']', StringComparison.Ordinal)))
        {
            Error(argument, $"Glob pattern may only contain one wildcard (*), but has others: {fullPattern}");
            return;
        }

        if (pattern.Contains('[', StringComparison.Ordinal))
        {
            Error(argument, $"Failed to use import pattern {pattern}: syntax error in pattern");
            return;
        }

        var matches = Glob(fullPattern);
        if (matches.Count == 0)
        {
            // As in Caddy: a glob may match nothing (an empty conf.d), a plain file name must exist.
            if (HasWildcard(pattern))
            {
                _warnings.Add(new CorefileWarning(argument.Token.Location, $"No files matching import glob pattern: {pattern}"));
            }
            else
            {
                Error(argument, $"File to import not found: {pattern}");
            }

            return;
        }

        var fileSystem = _options.FileSystem;
        var imported = new List<LexToken>();
        foreach (var path in matches)
        {
            if (fileSystem.DirectoryExists(path))
            {
                Error(argument, $"Could not import {path}: is a directory");
                continue;
            }

            var chain = argument.Segment.Chain;
            var key = ImportChain.FileKey(path);
            if (chain.Contains(key))
            {
                Error(argument, $"import cycle detected: {chain.Describe()} -> {path}");
                continue;
            }

            string text;
            try
            {
                text = fileSystem.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                Error(argument, $"Could not import {path}: {e.Message}");
                continue;
            }

            // Imported tokens carry the file's full path, as Caddy does, so errors point into that file.
            var segment = new Segment(path, Path.GetDirectoryName(path) ?? path, new ImportChain(key, path, chain));
            imported.AddRange(CorefileLexer.Tokenize(text, segment, _errors));
            if (_importedFileSet.Add(path))
            {
                _importedFiles.Add(path);
            }
        }

        _stream.Push(imported);
    }

    /// <summary>
    /// Records a snippet <c>(name) { ... }</c>: its tokens are kept unexpanded (imports inside run when the
    /// snippet is imported) up to the matching brace.
    /// </summary>
    private void DefineSnippet(string name, CorefileToken key, bool eof)
    {
        if (eof)
        {
            _errors.Add(key, null, $"Unexpected EOF, expecting '{{' after snippet {key.Text}");
            return;
        }

        if (!_stream.Current.IsOpenBrace)
        {
            Error(_stream.Current, $"Unexpected token '{_stream.Current.Text}', expecting '{{' after snippet {key.Text}");
            return;
        }

        var open = _stream.Current;
        _stream.Advance();
        var body = new List<LexToken>();
        var depth = 1;
        while (true)
        {
            if (AtEnd)
            {
                ErrorAtEof($"Unexpected EOF, expecting '}}' to close snippet {key.Text} opened at {open.Token.Location}");
                return;
            }

            var token = _stream.Current;
            _stream.Advance();
            if (token.IsCloseBrace && --depth == 0)
            {
                break;
            }

            if (token.IsOpenBrace)
            {
                depth++;
            }

            body.Add(token);
        }

        if (!_snippets.TryAdd(name, body))
        {
            _errors.Add(key, null, $"redeclaration of previously declared snippet {name}");
        }
    }

    private static bool HasWildcard(string pattern) => pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>
    /// Go's <c>filepath.Glob</c> for patterns with <c>*</c> and <c>?</c> (no character classes): matches in
    /// every path component, sorted per directory; a pattern without wildcards matches itself if it exists.
    /// </summary>
    private List<string> Glob(string fullPattern)
    {
        var fileSystem = _options.FileSystem;
        if (!HasWildcard(fullPattern))
        {
            return fileSystem.FileExists(fullPattern) || fileSystem.DirectoryExists(fullPattern) ? [fullPattern] : [];
        }

        var root = Path.GetPathRoot(fullPattern) ?? "";
        var parts = fullPattern[root.Length..].Split(
            [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        List<string> candidates = [root];
        foreach (var part in parts)
        {
            if (!HasWildcard(part))
            {
                candidates = candidates.Select(c => Path.Combine(c, part)).ToList();
                continue;
            }

            var next = new List<string>();
            foreach (var directory in candidates)
            {
                if (!fileSystem.DirectoryExists(directory))
                {
                    continue;
                }

                List<string> names;
                try
                {
                    names = fileSystem.EnumerateEntries(directory)
                        .Select(Path.GetFileName)
                        .OfType<string>()
                        .Where(n => WildcardMatch(part, n))
                        .Order(StringComparer.Ordinal)
                        .ToList();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                next.AddRange(names.Select(n => Path.Combine(directory, n)));
            }

            candidates = next;
        }

        return candidates.Where(p => fileSystem.FileExists(p) || fileSystem.DirectoryExists(p)).ToList();
    }

    /// <summary><c>*</c> is any run of characters, <c>?</c> exactly one (within one path component).</summary>
    internal static bool WildcardMatch(string pattern, string name)
    {
        int p = 0, n = 0, starAt = -1, resumeAt = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starAt = p++;
                resumeAt = n;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n]))
            {
                p++;
                n++;
            }
            else if (starAt >= 0)
            {
                p = starAt + 1;
                n = ++resumeAt;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
