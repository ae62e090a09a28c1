using System.Globalization;

namespace MeshDns.Server.Metrics;

/// <summary>Parsers for the few Linux <c>/proc/self</c> files the process metrics read (proc(5)).</summary>
internal static class ProcFs
{
    /// <summary>client_golang reports an unlimited rlimit as RLIM_INFINITY (2^64-1); MeshDns does the same.</summary>
    public const double Unlimited = ulong.MaxValue;

    /// <summary>
    /// Reads <c>vsize</c> (field 23, bytes) and <c>rss</c> (field 24, pages) from <c>/proc/[pid]/stat</c>.
    /// Field 2 is the command name in parentheses and may itself hold spaces or ')', so fields are counted
    /// from the last ')'.
    /// </summary>
    public static bool TryParseStat(string text, out long virtualBytes, out long residentPages)
    {
        virtualBytes = 0;
        residentPages = 0;
        int close = text.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        string[] fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // fields[0] is field 3 (state), so field N is fields[N - 3].
        const int VsizeIndex = 23 - 3;
        const int RssIndex = 24 - 3;
        return fields.Length > RssIndex
            && long.TryParse(fields[VsizeIndex], NumberStyles.None, CultureInfo.InvariantCulture, out virtualBytes)
            && long.TryParse(fields[RssIndex], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out residentPages);
    }

    /// <summary>
    /// Reads the soft limit of one row of <c>/proc/[pid]/limits</c> (for example "Max open files").
    /// "unlimited" becomes <see cref="Unlimited"/>.
    /// </summary>
    public static bool TryParseLimit(string text, string limitName, out double softLimit)
    {
        softLimit = 0;
        foreach (string line in text.Split('\n'))
        {
            if (!line.StartsWith(limitName, StringComparison.Ordinal))
            {
                continue;
            }

            string[] columns = line[limitName.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length == 0)
            {
                return false;
            }

            if (columns[0] == "unlimited")
            {
                softLimit = Unlimited;
                return true;
            }

            if (ulong.TryParse(columns[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
            {
                softLimit = value;
                return true;
            }

            return false;
        }

        return false;
    }
}
