using System.Text;

namespace MeshDns.Server.Corefile;

/// <summary>
/// Replaces <c>{$NAME}</c> and <c>{%NAME%}</c> (the forms CoreDNS documents) and <c>{env.NAME}</c> inside a
/// token. An unset variable becomes the empty string, as in Caddy. Unlike Caddy, the replacement text is
/// not scanned again, so a variable whose value mentions itself cannot loop.
/// </summary>
internal static class EnvironmentSubstitution
{
    public static string Replace(string text, Func<string, string?> lookup)
    {
        var open = text.IndexOf('{', StringComparison.Ordinal);
        if (open < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var copied = 0;
        while (open >= 0)
        {
            if (TryMatch(text, open, out var name, out var end))
            {
                result.Append(text, copied, open - copied);
                result.Append(lookup(name));
                copied = end;
                open = text.IndexOf('{', end);
            }
            else
            {
                open = text.IndexOf('{', open + 1);
            }
        }

        result.Append(text, copied, text.Length - copied);
        return result.ToString();
    }

    /// <summary>Recognises a reference starting at <paramref name="open"/>; <paramref name="end"/> is just past it.</summary>
    private static bool TryMatch(string text, int open, out string name, out int end)
    {
        name = "";
        end = 0;
        string closing;
        int nameStart;
        if (string.CompareOrdinal(text, open, "{$", 0, 2) == 0)
        {
            (nameStart, closing) = (open + 2, "}");
        }
        else if (string.CompareOrdinal(text, open, "{%", 0, 2) == 0)
        {
            (nameStart, closing) = (open + 2, "%}");
        }
        else if (string.CompareOrdinal(text, open, "{env.", 0, 5) == 0)
        {
            (nameStart, closing) = (open + 5, "}");
        }
        else
        {
            return false;
        }

        var close = text.IndexOf(closing, nameStart, StringComparison.Ordinal);
        if (close <= nameStart)
        {
            // Unterminated or empty name: left as written, like Caddy.
            return false;
        }

        name = text[nameStart..close];
        end = close + closing.Length;
        return true;
    }
}
