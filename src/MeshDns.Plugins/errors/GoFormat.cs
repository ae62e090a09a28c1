using System.Globalization;
using System.Text;

namespace MeshDns.Plugins;

/// <summary>
/// Text the way Go prints it, for log lines that must read exactly like CoreDNS's: durations
/// (<c>time.Duration.String</c>: <c>30s</c>, <c>5m0s</c>, <c>1.5ms</c>) and floats in <c>strconv</c>'s
/// shortest fixed notation (<c>0.000156</c>, never <c>1.56E-04</c>).
/// </summary>
internal static class GoFormat
{
    private const long NanosPerMicro = 1_000;
    private const long NanosPerMilli = 1_000_000;
    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>Go's <c>Duration.String()</c> for <paramref name="value"/> (100 ns resolution).</summary>
    public static string Duration(TimeSpan value)
    {
        var nanos = value.Ticks * 100;
        if (nanos == 0)
        {
            return "0s";
        }

        var text = new StringBuilder();
        if (nanos < 0)
        {
            text.Append('-');
            nanos = -nanos;
        }

        if (nanos < NanosPerSecond)
        {
            // Below a second Go picks the largest unit that keeps an integer part.
            var (unit, suffix) = nanos < NanosPerMicro ? (1L, "ns") : nanos < NanosPerMilli ? (NanosPerMicro, "\u00b5s") : (NanosPerMilli, "ms");
            AppendFraction(text, nanos, unit);
            return text.Append(suffix).ToString();
        }

        var hours = nanos / (3600 * NanosPerSecond);
        nanos -= hours * 3600 * NanosPerSecond;
        var minutes = nanos / (60 * NanosPerSecond);
        nanos -= minutes * 60 * NanosPerSecond;
        if (hours > 0)
        {
            text.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            text.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        AppendFraction(text, nanos, NanosPerSecond);
        return text.Append('s').ToString();
    }

    /// <summary>
    /// Appends <paramref name="value"/> like Go's <c>strconv.AppendFloat(b, value, 'f', -1, 64)</c>: the fewest
    /// digits that read back as the same double, without an exponent.
    /// </summary>
    public static int FormatFixed(double value, Span<char> destination)
    {
        Span<char> shortest = stackalloc char[32];
        if (!value.TryFormat(shortest, out var length, "R", CultureInfo.InvariantCulture))
        {
            return -1;
        }

        shortest = shortest[..length];
        var exponentAt = shortest.IndexOfAny('E', 'e');
        if (exponentAt < 0)
        {
            return shortest.TryCopyTo(destination) ? shortest.Length : -1;
        }

        // Split "-d.dddE+xx" into sign, digits and the position of the decimal point, then lay it out fixed.
        var exponent = int.Parse(shortest[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = shortest[..exponentAt];
        var negative = mantissa.Length > 0 && mantissa[0] == '-';
        if (negative)
        {
            mantissa = mantissa[1..];
        }

        Span<char> digits = stackalloc char[mantissa.Length];
        var digitCount = 0;
        var pointAfter = mantissa.IndexOf('.');
        foreach (var c in mantissa)
        {
            if (c != '.')
            {
                digits[digitCount++] = c;
            }
        }

        var point = (pointAfter < 0 ? digitCount : pointAfter) + exponent;
        var written = 0;
        if (negative)
        {
            if (destination.Length < 1)
            {
                return -1;
            }

            destination[written++] = '-';
        }

        if (point <= 0)
        {
            var needed = 2 + -point + digitCount;
            if (destination.Length - written < needed)
            {
                return -1;
            }

            destination[written++] = '0';
            destination[written++] = '.';
            destination.Slice(written, -point).Fill('0');
            written += -point;
            digits[..digitCount].CopyTo(destination[written..]);
            return written + digitCount;
        }

        if (point >= digitCount)
        {
            if (destination.Length - written < point)
            {
                return -1;
            }

            digits[..digitCount].CopyTo(destination[written..]);
            destination.Slice(written + digitCount, point - digitCount).Fill('0');
            return written + point;
        }

        if (destination.Length - written < digitCount + 1)
        {
            return -1;
        }

        digits[..point].CopyTo(destination[written..]);
        written += point;
        destination[written++] = '.';
        digits[point..digitCount].CopyTo(destination[written..]);
        return written + digitCount - point;
    }

    /// <summary><see cref="FormatFixed(double, Span{char})"/> as a string.</summary>
    public static string FormatFixed(double value)
    {
        Span<char> buffer = stackalloc char[400];
        var length = FormatFixed(value, buffer);
        return new string(buffer[..length]);
    }

    // Writes nanos/unit with the fraction's trailing zeros removed ("1.5", "30", "0.25").
    private static void AppendFraction(StringBuilder text, long nanos, long unit)
    {
        var whole = nanos / unit;
        var fraction = nanos % unit;
        text.Append(whole.ToString(CultureInfo.InvariantCulture));
        if (fraction == 0)
        {
            return;
        }

        var width = unit.ToString(CultureInfo.InvariantCulture).Length - 1;
        var digits = fraction.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0').TrimEnd('0');
        text.Append('.').Append(digits);
    }
}
