using System.Text;

namespace MeshDns.Server.Corefile;

/// <summary>
/// The import path that led to some tokens (root file, imported files, expanded snippets), used to detect
/// import cycles exactly instead of with a depth cap.
/// </summary>
internal sealed class ImportChain(string key, string display, ImportChain? parent)
{
    public string Key { get; } = key;
    public string Display { get; } = display;
    public ImportChain? Parent { get; } = parent;

    public static string FileKey(string fullPath) => "file:" + fullPath;

    public static string SnippetKey(string name) => "snippet:" + name;

    public bool Contains(string key)
    {
        for (var link = this; link is not null; link = link.Parent)
        {
            if (link.Key == key)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Root first, e.g. <c>Corefile -> /etc/coredns/a.conf -> (snip)</c>.</summary>
    public string Describe()
    {
        var names = new List<string>();
        for (var link = this; link is not null; link = link.Parent)
        {
            names.Add(link.Display);
        }

        names.Reverse();
        return string.Join(" -> ", names);
    }
}

/// <summary>
/// A run of tokens lexed from one file, or one expansion of a snippet. Tokens of different segments are
/// never on the same line, which is how Caddy treats imported tokens (and also keeps two consecutive
/// imports of one snippet from being glued into one line).
/// </summary>
internal sealed class Segment(string file, string directory, ImportChain chain)
{
    /// <summary>The file name printed in errors.</summary>
    public string File { get; } = file;

    /// <summary>Directory that relative imports in this segment resolve against.</summary>
    public string Directory { get; } = directory;

    public ImportChain Chain { get; } = chain;
}

/// <summary>A lexed token before substitution, with what the parser needs to tell lines and imports apart.</summary>
internal readonly record struct LexToken(CorefileToken Token, int EndLine, Segment Segment)
{
    public string Text => Token.Text;

    public int Line => Token.Location.Line;

    // A quoted brace is a literal, not structure.
    public bool IsOpenBrace => !Token.Quoted && Token.Text == "{";

    public bool IsCloseBrace => !Token.Quoted && Token.Text == "}";

    public bool IsBrace => IsOpenBrace || IsCloseBrace;

    public bool IsImport => !Token.Quoted && Token.Text == "import";
}

/// <summary>
/// Splits Corefile text into words following Caddy v1's lexer: whitespace separates words; a word that
/// starts with <c>"</c> runs to the closing quote (only <c>\"</c> is an escape, other backslashes stay),
/// may span lines and may be empty; an unquoted <c>#</c> anywhere starts a comment to the end of the line;
/// carriage returns are dropped; a leading byte order mark is skipped.
/// </summary>
internal static class CorefileLexer
{
    public static List<LexToken> Tokenize(string text, Segment segment, CorefileErrorCollector errors)
    {
        var tokens = new List<LexToken>();
        var word = new StringBuilder();
        var i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        var line = 1;

        while (i < text.Length)
        {
            var ch = text[i];
            if (ch == '\n')
            {
                line++;
                i++;
                continue;
            }

            if (char.IsWhiteSpace(ch))
            {
                i++;
                continue;
            }

            if (ch == '#')
            {
                i = SkipComment(text, i);
                continue;
            }

            var startLine = line;
            word.Clear();
            if (ch == '"')
            {
                i++;
                var closed = false;
                while (i < text.Length)
                {
                    ch = text[i];
                    if (ch == '\\' && i + 1 < text.Length)
                    {
                        var escaped = text[i + 1];
                        if (escaped != '"')
                        {
                            word.Append('\\');
                        }

                        if (escaped == '\n')
                        {
                            line++;
                        }

                        word.Append(escaped);
                        i += 2;
                        continue;
                    }

                    i++;
                    if (ch == '"')
                    {
                        closed = true;
                        break;
                    }

                    if (ch == '\n')
                    {
                        line++;
                    }

                    word.Append(ch);
                }

                var location = new SourceLocation(segment.File, startLine);
                if (!closed)
                {
                    // Caddy silently takes the rest of the file; saying so is kinder.
                    errors.Add(location, null, "Unexpected EOF: quoted string is never closed");
                }

                tokens.Add(new LexToken(new CorefileToken(word.ToString(), location, Quoted: true), line, segment));
                continue;
            }

            while (i < text.Length)
            {
                ch = text[i];
                if (ch == '\r')
                {
                    // Caddy drops carriage returns even inside a word.
                    i++;
                    continue;
                }

                if (char.IsWhiteSpace(ch))
                {
                    break;
                }

                if (ch == '#')
                {
                    i = SkipComment(text, i);
                    break;
                }

                word.Append(ch);
                i++;
            }

            var wordLocation = new SourceLocation(segment.File, startLine);
            if (word.Length == 2 && word[0] == '{' && word[1] == '}')
            {
                // Caddy reads "{}" as one word, so "health {}" would pass "{}" as an argument; an empty
                // block is what anyone writing it means.
                tokens.Add(new LexToken(new CorefileToken("{", wordLocation), startLine, segment));
                tokens.Add(new LexToken(new CorefileToken("}", wordLocation), startLine, segment));
            }
            else if (word.Length > 0)
            {
                tokens.Add(new LexToken(new CorefileToken(word.ToString(), wordLocation), startLine, segment));
            }
        }

        return tokens;
    }

    /// <summary>Returns the index of the newline ending the comment (or the end of text).</summary>
    private static int SkipComment(string text, int i)
    {
        var newline = text.IndexOf('\n', i);
        return newline < 0 ? text.Length : newline;
    }
}
