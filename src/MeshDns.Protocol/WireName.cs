using System.Buffers.Binary;
using System.Text;

namespace MeshDns.Protocol;

/// <summary>
/// Operations on names in uncompressed wire form: a sequence of length-prefixed labels ending with the
/// zero-length root label. Every span here is such a name; none follows compression pointers.
/// </summary>
/// <remarks>
/// Label length octets are at most 63, so they are never ASCII letters: comparing or hashing the whole
/// span with ASCII case folding is the same as doing it label by label (RFC 4343).
/// </remarks>
public static class WireName
{
    /// <summary>Largest name in wire form, root label included (RFC 1035 2.3.4).</summary>
    public const int MaxLength = 255;

    /// <summary>Largest label (RFC 1035 2.3.4).</summary>
    public const int MaxLabelLength = 63;

    /// <summary>The root name.</summary>
    public static ReadOnlySpan<byte> Root => [0];

    /// <summary>Checks that <paramref name="name"/> is one well-formed uncompressed name that fills the span exactly.</summary>
    public static bool IsValid(ReadOnlySpan<byte> name)
    {
        if (name.Length is 0 or > MaxLength)
        {
            return false;
        }

        var position = 0;
        while (true)
        {
            var length = name[position];
            if (length > MaxLabelLength)
            {
                return false;
            }

            if (length == 0)
            {
                return position == name.Length - 1;
            }

            position += length + 1;
            if (position >= name.Length)
            {
                return false;
            }
        }
    }

    /// <summary>Case-insensitive equality (RFC 4343): A-Z match a-z, every other octet only itself.</summary>
    /// <remarks>
    /// Not <see cref="System.Text.Ascii.EqualsIgnoreCase(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>: it calls any octet
    /// above 0x7F unequal even to itself, and labels may hold any octet (RFC 2181 11).
    /// </remarks>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        if (left.SequenceEqual(right))
        {
            return true; // the usual case, vectorised
        }

        for (var i = 0; i < left.Length; i++)
        {
            var a = left[i];
            var b = right[i];
            if (a != b && ((a | 0x20) != (b | 0x20) || !char.IsAsciiLetter((char)a)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A case-insensitive hash: equal for names that <see cref="EqualsIgnoreCase"/> calls equal.</summary>
    public static int GetHashCode(ReadOnlySpan<byte> name)
    {
        // Setting bit 0x20 folds A-Z onto a-z; it also merges a few non-letters, which only costs a rare collision.
        const ulong Fold8 = 0x2020202020202020UL;
        ulong hash = 0xcbf29ce484222325UL ^ (ulong)name.Length;
        var span = name;
        while (span.Length >= 8)
        {
            var chunk = BinaryPrimitives.ReadUInt64LittleEndian(span) | Fold8;
            hash = (hash ^ chunk) * 0x100000001b3UL;
            hash ^= hash >> 29;
            span = span[8..];
        }

        ulong tail = 0;
        for (var i = 0; i < span.Length; i++)
        {
            tail |= (ulong)(span[i] | 0x20) << (8 * i);
        }

        hash = (hash ^ tail) * 0x100000001b3UL;
        hash ^= hash >> 32;
        return (int)hash;
    }

    /// <summary>Number of labels, not counting the root.</summary>
    public static int CountLabels(ReadOnlySpan<byte> name)
    {
        var count = 0;
        var position = 0;
        while (position < name.Length && name[position] != 0)
        {
            position += name[position] + 1;
            count++;
        }

        return count;
    }

    /// <summary>The name left after removing the first <paramref name="labels"/> labels (a parent domain).</summary>
    public static ReadOnlySpan<byte> SkipLabels(ReadOnlySpan<byte> name, int labels)
    {
        var position = 0;
        for (var i = 0; i < labels && name[position] != 0; i++)
        {
            position += name[position] + 1;
        }

        return name[position..];
    }

    /// <summary>The first label, without its length octet. Empty for the root.</summary>
    public static ReadOnlySpan<byte> FirstLabel(ReadOnlySpan<byte> name) => name[0] == 0 ? [] : name.Slice(1, name[0]);

    /// <summary>True when <paramref name="name"/> equals <paramref name="zone"/> or lies below it, at a label boundary.</summary>
    public static bool IsSubdomainOf(ReadOnlySpan<byte> name, ReadOnlySpan<byte> zone)
    {
        if (zone.Length > name.Length)
        {
            return false;
        }

        var position = 0;
        while (true)
        {
            var remaining = name.Length - position;
            if (remaining == zone.Length)
            {
                return EqualsIgnoreCase(name[position..], zone);
            }

            if (remaining < zone.Length || name[position] == 0)
            {
                return false;
            }

            position += name[position] + 1;
        }
    }

    /// <summary>Writes the lower-case form of <paramref name="name"/> into <paramref name="destination"/>.</summary>
    public static int ToLower(ReadOnlySpan<byte> name, Span<byte> destination)
    {
        // By hand: System.Text.Ascii.ToLower stops at the first octet above 0x7F.
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, name.Length, nameof(destination));
        for (var i = 0; i < name.Length; i++)
        {
            var b = name[i];
            destination[i] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
        }

        return name.Length;
    }

    /// <summary>Encodes presentation text (<c>www.example.org.</c>, escapes <c>\.</c> <c>\\</c> <c>\DDD</c>) as a wire name; relative names are taken as absolute.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < 1)
        {
            return false;
        }

        if (text.Length == 0 || (text.Length == 1 && text[0] == '.'))
        {
            destination[0] = 0;
            written = 1;
            return true;
        }

        var position = 0;
        var labelStart = 0;
        var labelLength = 0;
        var i = 0;
        var sawAnything = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '.')
            {
                if (labelLength == 0)
                {
                    return false; // empty label: "a..b" or ".a"
                }

                destination[labelStart] = (byte)labelLength;
                labelLength = 0;
                i++;
                sawAnything = false;
                continue;
            }

            if (labelLength == 0)
            {
                labelStart = position;
                position++;
            }

            byte value;
            if (c == '\\')
            {
                if (i + 1 >= text.Length)
                {
                    return false;
                }

                if (char.IsAsciiDigit(text[i + 1]))
                {
                    if (i + 3 >= text.Length || !char.IsAsciiDigit(text[i + 2]) || !char.IsAsciiDigit(text[i + 3]))
                    {
                        return false;
                    }

                    var number = ((text[i + 1] - '0') * 100) + ((text[i + 2] - '0') * 10) + (text[i + 3] - '0');
                    if (number > 255)
                    {
                        return false;
                    }

                    value = (byte)number;
                    i += 4;
                }
                else
                {
                    var escaped = text[i + 1];
                    if (escaped > 0x7F)
                    {
                        return false;
                    }

                    value = (byte)escaped;
                    i += 2;
                }
            }
            else
            {
                if (c > 0x7F)
                {
                    return false; // IDNs must arrive as punycode
                }

                value = (byte)c;
                i++;
            }

            labelLength++;
            sawAnything = true;
            if (labelLength > MaxLabelLength || position + 2 > destination.Length || position + 2 > MaxLength)
            {
                return false;
            }

            destination[position++] = value;
        }

        if (sawAnything)
        {
            destination[labelStart] = (byte)labelLength;
        }

        destination[position++] = 0;
        written = position;
        return position <= MaxLength;
    }

    /// <summary>Appends the presentation form (with trailing dot, RFC 1035 5.1 escapes) to <paramref name="builder"/>.</summary>
    public static void AppendPresentation(ReadOnlySpan<byte> name, StringBuilder builder)
    {
        if (name.Length == 0 || name[0] == 0)
        {
            builder.Append('.');
            return;
        }

        var position = 0;
        while (position < name.Length && name[position] != 0)
        {
            var length = name[position];
            foreach (var b in name.Slice(position + 1, length))
            {
                AppendEscaped(builder, b);
            }

            builder.Append('.');
            position += length + 1;
        }
    }

    /// <summary>The presentation form, with trailing dot.</summary>
    public static string ToPresentation(ReadOnlySpan<byte> name)
    {
        var builder = new StringBuilder(name.Length + 1);
        AppendPresentation(name, builder);
        return builder.ToString();
    }

    internal static void AppendEscaped(StringBuilder builder, byte b)
    {
        switch (b)
        {
            case (byte)'.' or (byte)'\\' or (byte)'"' or (byte)'(' or (byte)')' or (byte)';' or (byte)'@' or (byte)'$':
                builder.Append('\\').Append((char)b);
                break;
            case < 0x21 or > 0x7E:
                builder.Append('\\').Append((b / 100).ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Append((b / 10 % 10).ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Append((b % 10).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                builder.Append((char)b);
                break;
        }
    }
}
