using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace MeshDns.Kubernetes;

/// <summary>Operator of one label selector requirement.</summary>
public enum LabelSelectorOperator
{
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// <summary>One requirement of a label selector, e.g. <c>tier in (web, api)</c>.</summary>
public sealed record LabelRequirement(string Key, LabelSelectorOperator Operator, ImmutableArray<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var present = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            LabelSelectorOperator.Equals or LabelSelectorOperator.In => present && Values.Contains(value!),
            LabelSelectorOperator.NotEquals or LabelSelectorOperator.NotIn => !present || !Values.Contains(value!),
            LabelSelectorOperator.Exists => present,
            LabelSelectorOperator.DoesNotExist => !present,
            LabelSelectorOperator.GreaterThan => present && CompareNumber(value!) > 0,
            LabelSelectorOperator.LessThan => present && CompareNumber(value!) < 0,
            _ => false,
        };
    }

    private int CompareNumber(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
        && long.TryParse(Values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound)
            ? actual.CompareTo(bound)
            : 0;

    public override string ToString() => Operator switch
    {
        LabelSelectorOperator.Equals => Key + "=" + Values[0],
        LabelSelectorOperator.NotEquals => Key + "!=" + Values[0],
        LabelSelectorOperator.In => Key + " in (" + string.Join(",", Values) + ")",
        LabelSelectorOperator.NotIn => Key + " notin (" + string.Join(",", Values) + ")",
        LabelSelectorOperator.Exists => Key,
        LabelSelectorOperator.DoesNotExist => "!" + Key,
        LabelSelectorOperator.GreaterThan => Key + ">" + Values[0],
        LabelSelectorOperator.LessThan => Key + "<" + Values[0],
        _ => Key,
    };
}

/// <summary>
/// A Kubernetes label selector in its string form: equality (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>), set-based
/// (<c>a in (x,y)</c>, <c>a notin (x)</c>), existence (<c>a</c>, <c>!a</c>) and numeric (<c>a&gt;1</c>, <c>a&lt;3</c>),
/// joined by commas (AND). The empty selector matches everything.
/// </summary>
public sealed class LabelSelector : IEquatable<LabelSelector>
{
    private const int MaxValueLength = 63;

    private LabelSelector(ImmutableArray<LabelRequirement> requirements) => Requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public ImmutableArray<LabelRequirement> Requirements { get; }

    public bool IsEmpty => Requirements.IsEmpty;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses a selector; throws <see cref="FormatException"/> naming the position and the problem.</summary>
    public static LabelSelector Parse(string text) =>
        TryParse(text, out var selector, out var error) ? selector : throw new FormatException(error);

    public static bool TryParse(string? text, out LabelSelector selector, out string? error)
    {
        selector = Everything;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var requirements = ImmutableArray.CreateBuilder<LabelRequirement>();
        var position = 0;
        while (true)
        {
            if (!TryParseRequirement(text, ref position, out var requirement, out error))
            {
                error = $"invalid label selector \"{text}\" at position {position}: {error}";
                return false;
            }

            requirements.Add(requirement);
            SkipSpaces(text, ref position);
            if (position == text.Length)
            {
                break;
            }

            if (text[position] != ',')
            {
                error = $"invalid label selector \"{text}\" at position {position}: expected ',' between requirements";
                return false;
            }

            position++;
        }

        selector = new LabelSelector(requirements.ToImmutable());
        return true;
    }

    private static bool TryParseRequirement(string text, ref int position, out LabelRequirement requirement, out string? error)
    {
        requirement = null!;
        SkipSpaces(text, ref position);
        var negated = position < text.Length && text[position] == '!';
        if (negated)
        {
            position++;
            SkipSpaces(text, ref position);
        }

        var key = ReadWord(text, ref position);
        if (!IsValidKey(key, out error))
        {
            return false;
        }

        SkipSpaces(text, ref position);
        if (negated || position == text.Length || text[position] == ',')
        {
            requirement = new LabelRequirement(key, negated ? LabelSelectorOperator.DoesNotExist : LabelSelectorOperator.Exists, []);
            return true;
        }

        LabelSelectorOperator op;
        if (Take(text, ref position, "==") || Take(text, ref position, "="))
        {
            op = LabelSelectorOperator.Equals;
        }
        else if (Take(text, ref position, "!="))
        {
            op = LabelSelectorOperator.NotEquals;
        }
        else if (Take(text, ref position, ">"))
        {
            op = LabelSelectorOperator.GreaterThan;
        }
        else if (Take(text, ref position, "<"))
        {
            op = LabelSelectorOperator.LessThan;
        }
        else
        {
            var word = ReadWord(text, ref position);
            if (word == "in")
            {
                op = LabelSelectorOperator.In;
            }
            else if (word == "notin")
            {
                op = LabelSelectorOperator.NotIn;
            }
            else
            {
                error = word.Length == 0 ? "expected an operator" : $"unknown operator \"{word}\"";
                return false;
            }

            SkipSpaces(text, ref position);
            if (!Take(text, ref position, "("))
            {
                error = $"expected '(' after \"{word}\"";
                return false;
            }

            var values = ImmutableArray.CreateBuilder<string>();
            while (true)
            {
                SkipSpaces(text, ref position);
                var value = ReadWord(text, ref position);
                if (!IsValidValue(value, out error))
                {
                    return false;
                }

                values.Add(value);
                SkipSpaces(text, ref position);
                if (Take(text, ref position, ")"))
                {
                    break;
                }

                if (!Take(text, ref position, ","))
                {
                    error = "expected ',' or ')' in value set";
                    return false;
                }
            }

            requirement = new LabelRequirement(key, op, values.ToImmutable());
            return true;
        }

        SkipSpaces(text, ref position);
        var single = ReadWord(text, ref position);
        if (!IsValidValue(single, out error))
        {
            return false;
        }

        if (op is LabelSelectorOperator.GreaterThan or LabelSelectorOperator.LessThan
            && !long.TryParse(single, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            error = $"\"{single}\" is not an integer";
            return false;
        }

        requirement = new LabelRequirement(key, op, [single]);
        return true;
    }

    private static bool Take(string text, ref int position, string token)
    {
        if (string.CompareOrdinal(text, position, token, 0, token.Length) == 0)
        {
            position += token.Length;
            return true;
        }

        return false;
    }

    private static void SkipSpaces(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }

    private static string ReadWord(string text, ref int position)
    {
        var start = position;
        while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] is '-' or '_' or '.' or '/'))
        {
            position++;
        }

        return text[start..position];
    }

    private static bool IsValidKey(string key, out string? error)
    {
        error = null;
        if (key.Length == 0)
        {
            error = "expected a label key";
            return false;
        }

        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? key : key[(slash + 1)..];
        if (slash >= 0 && (slash == 0 || slash > 253 || key.IndexOf('/', slash + 1) >= 0))
        {
            error = $"invalid label key \"{key}\": bad prefix";
            return false;
        }

        if (name.Length is 0 or > MaxValueLength || !char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
        {
            error = $"invalid label key \"{key}\": the name part must be 1-63 characters, starting and ending with a letter or digit";
            return false;
        }

        return true;
    }

    private static bool IsValidValue(string value, out string? error)
    {
        error = null;
        if (value.Length == 0)
        {
            return true;
        }

        if (value.Length > MaxValueLength || value.Contains('/', StringComparison.Ordinal)
            || !char.IsAsciiLetterOrDigit(value[0]) || !char.IsAsciiLetterOrDigit(value[^1]))
        {
            error = $"invalid label value \"{value}\": must be at most 63 characters, starting and ending with a letter or digit";
            return false;
        }

        return true;
    }

    /// <summary>The canonical string form, as sent in <c>labelSelector=</c>.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        foreach (var requirement in Requirements)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(requirement);
        }

        return builder.ToString();
    }

    public bool Equals(LabelSelector? other) => other is not null && ToString() == other.ToString();

    public override bool Equals(object? obj) => Equals(obj as LabelSelector);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());
}
