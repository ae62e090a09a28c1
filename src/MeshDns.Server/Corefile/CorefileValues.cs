using System.Globalization;

namespace MeshDns.Server.Corefile;

/// <summary>Parsers for the value syntaxes CoreDNS plugin options use, with CoreDNS-like error texts.</summary>
public static class CorefileValues
{
    private const ulong MaxMagnitude = 1UL << 63;

    /// <summary>
    /// Go's <c>time.ParseDuration</c>: an optional sign, then one or more decimal numbers (with optional
    /// fraction) each followed by a unit <c>ns</c>, <c>us</c>/<c>µs</c>, <c>ms</c>, <c>s</c>, <c>m</c> or <c>h</c>;
    /// a bare <c>0</c> is allowed. The range is Go's (about ±292 years); the result is truncated to
    /// <see cref="TimeSpan"/>'s 100 ns ticks. Negative values parse; callers reject them where they make no sense.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan value, out string? error)
    {
        value = TimeSpan.Zero;
        if (!TryParseGoDuration(text, out var nanoseconds, out error))
        {
            return false;
        }

        value = TimeSpan.FromTicks(nanoseconds / 100);
        return true;
    }

    /// <summary>A base-10 integer (optional sign, as Go's <c>strconv.ParseInt</c>) within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static bool TryParseInt(string text, long min, long max, out long value, out string? error)
    {
        value = 0;
        var digits = text.Length > 0 && text[0] is '+' or '-' ? text.AsSpan(1) : text.AsSpan();
        if (digits.Length == 0 || digits.ContainsAnyExceptInRange('0', '9'))
        {
            error = $"invalid integer '{text}'";
            return false;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
            || parsed < min || parsed > max)
        {
            error = $"value '{text}' is out of range [{min}, {max}]";
            return false;
        }

        value = parsed;
        error = null;
        return true;
    }

    /// <summary>
    /// Normalises zone arguments as CoreDNS's <c>plugin.Host(...).NormalizeExact</c> does: transport prefix and
    /// port dropped, lower-case FQDN, and a CIDR expanded to the reverse zones covering it
    /// (<c>10.0.0.0/15</c> gives <c>0.10.in-addr.arpa.</c> and <c>1.10.in-addr.arpa.</c>). Unlike CoreDNS,
    /// which skips arguments it cannot read, the first bad argument is an error.
    /// </summary>
    public static bool TryNormalizeZones(IEnumerable<string> args, out IReadOnlyList<string> zones, out string? error)
    {
        var result = new List<string>();
        foreach (var arg in args)
        {
            if (!ZoneNames.TrySplitTransport(arg, out _, out var rest, out error)
                || !ZoneNames.TrySplitHostPort(rest, out var expanded, out _, out error))
            {
                zones = [];
                return false;
            }

            result.AddRange(expanded);
        }

        zones = result;
        error = null;
        return true;
    }

    private static bool TryParseGoDuration(string text, out long nanoseconds, out string? error)
    {
        nanoseconds = 0;
        var invalid = $"invalid duration \"{text}\"";
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            error = null;
            return true;
        }

        if (s.Length == 0)
        {
            error = invalid;
            return false;
        }

        ulong total = 0;
        while (s.Length > 0)
        {
            if (s[0] != '.' && !char.IsAsciiDigit(s[0]))
            {
                error = invalid;
                return false;
            }

            // Integer part; overflow past 2^63 is an error.
            ulong whole = 0;
            var i = 0;
            for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
            {
                if (whole > MaxMagnitude / 10)
                {
                    error = invalid;
                    return false;
                }

                whole = (whole * 10) + (ulong)(s[i] - '0');
                if (whole > MaxMagnitude)
                {
                    error = invalid;
                    return false;
                }
            }

            var hasWhole = i > 0;
            s = s[i..];

            // Fraction: digits past what fits are ignored, not an error (Go's leadingFraction).
            ulong fraction = 0;
            var scale = 1.0;
            var hasFraction = false;
            if (s.Length > 0 && s[0] == '.')
            {
                s = s[1..];
                var overflow = false;
                i = 0;
                for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
                {
                    if (overflow)
                    {
                        continue;
                    }

                    if (fraction > (MaxMagnitude - 1) / 10)
                    {
                        overflow = true;
                        continue;
                    }

                    var next = (fraction * 10) + (ulong)(s[i] - '0');
                    if (next > MaxMagnitude)
                    {
                        overflow = true;
                        continue;
                    }

                    fraction = next;
                    scale *= 10;
                }

                hasFraction = i > 0;
                s = s[i..];
            }

            if (!hasWhole && !hasFraction)
            {
                error = invalid;
                return false;
            }

            i = 0;
            while (i < s.Length && s[i] != '.' && !char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == 0)
            {
                error = $"missing unit in duration \"{text}\"";
                return false;
            }

            var unitText = s[..i];
            s = s[i..];
            ulong unit = unitText switch
            {
                "ns" => 1,
                "us" or "\u00b5s" or "\u03bcs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                _ => 0,
            };
            if (unit == 0)
            {
                error = $"unknown unit \"{unitText}\" in duration \"{text}\"";
                return false;
            }

            if (whole > MaxMagnitude / unit)
            {
                error = invalid;
                return false;
            }

            whole *= unit;
            if (fraction > 0)
            {
                // Same floating-point step as Go, so results agree to the nanosecond.
                whole += (ulong)(fraction * (unit / scale));
                if (whole > MaxMagnitude)
                {
                    error = invalid;
                    return false;
                }
            }

            total += whole;
            if (total > MaxMagnitude)
            {
                error = invalid;
                return false;
            }
        }

        if (negative)
        {
            nanoseconds = total == MaxMagnitude ? long.MinValue : -(long)total;
        }
        else if (total > long.MaxValue)
        {
            error = invalid;
            return false;
        }
        else
        {
            nanoseconds = (long)total;
        }

        error = null;
        return true;
    }
}
