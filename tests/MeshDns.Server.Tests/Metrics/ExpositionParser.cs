using System.Globalization;
using System.Text;

namespace MeshDns.Server.Tests.Metrics;

/// <summary>A parsed sample line. <see cref="Labels"/> keeps the order of the line.</summary>
public sealed record ParsedSample(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, double Value)
{
    public string? Label(string name) => Labels.FirstOrDefault(l => l.Key == name).Value;
}

/// <summary>
/// A strict reader of the text format as MeshDns writes it (no timestamps, one space between name and value),
/// used to check that output parses and to read values back. Throws <see cref="FormatException"/> on anything else.
/// </summary>
public static class ExpositionParser
{
    public static IReadOnlyList<ParsedSample> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("The last line must end with a line feed.");
        }

        var samples = new List<ParsedSample>();
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                continue;
            }

            samples.Add(ParseSample(line));
        }

        return samples;
    }

    public static double Value(string text, string name, params (string Name, string Value)[] labels) =>
        Parse(text).Single(s => s.Name == name && labels.All(l => s.Label(l.Name) == l.Value)).Value;

    public static double ParseNumber(string token) => token switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static ParsedSample ParseSample(string line)
    {
        int i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
        {
            i++;
        }

        string name = line[..i];
        var labels = new List<KeyValuePair<string, string>>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                string labelName = line[i..eq];
                if (line[eq + 1] != '"')
                {
                    throw new FormatException($"Label value not quoted: {line}");
                }

                var value = new StringBuilder();
                int j = eq + 2;
                while (line[j] != '"')
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"Unknown escape \\{line[j]}: {line}"),
                        });
                    }
                    else
                    {
                        value.Append(line[j]);
                    }

                    j++;
                }

                labels.Add(new(labelName, value.ToString()));
                i = j + 1;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        if (i >= line.Length || line[i] != ' ')
        {
            throw new FormatException($"Expected one space before the value: {line}");
        }

        return new ParsedSample(name, labels, ParseNumber(line[(i + 1)..]));
    }
}
