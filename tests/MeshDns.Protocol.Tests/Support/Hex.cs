using System.Globalization;

namespace MeshDns.Protocol.Tests.Support;

/// <summary>
/// Turns wire vectors written one field per line into bytes. Hex pairs may be separated by spaces, and
/// ASCII label text may be written between single quotes, so <c>"03'www' 07'example' 03'org' 00"</c> reads as a name.
/// Deliberately independent of the codec: a vector must not be built by the code it checks.
/// </summary>
internal static class Hex
{
    public static byte[] Bytes(params string[] fields)
    {
        var bytes = new List<byte>();
        foreach (var field in fields)
        {
            Append(field, bytes);
        }

        return [.. bytes];
    }

    /// <summary>Lower-case hex without separators (how failures print a packet).</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static void Append(string field, List<byte> bytes)
    {
        var i = 0;
        while (i < field.Length)
        {
            var c = field[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '\'')
            {
                var end = field.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    throw new FormatException($"unterminated quoted text in vector field \"{field}\"");
                }

                foreach (var ch in field.AsSpan(i + 1, end - i - 1))
                {
                    bytes.Add(checked((byte)ch));
                }

                i = end + 1;
                continue;
            }

            if (i + 1 >= field.Length)
            {
                throw new FormatException($"odd number of hex digits in vector field \"{field}\"");
            }

            bytes.Add(byte.Parse(field.AsSpan(i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            i += 2;
        }
    }
}
