using System.Text.RegularExpressions;
using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Rewrite;

/// <summary>What a rule did to the request.</summary>
internal enum RuleOutcome
{
    Ignored,
    Done,
    /// <summary>The rewritten name is not a valid domain name: the request fails with SERVFAIL.</summary>
    Invalid,
}

/// <summary>How a name rule matches (CoreDNS's match types).</summary>
public enum NameMatch
{
    Exact,
    Prefix,
    Suffix,
    Substring,
    Regex,
}

/// <summary>
/// What one request's rewrite changed: the question as it was before the first rule applied (restored after the
/// rest of the chain ran) and the response rules collected along the way. Created only when a rule matches.
/// </summary>
internal sealed class RewriteState
{
    private readonly byte[] _originalName;

    public RewriteState(DnsRequestContext context)
    {
        _originalName = context.QuestionName.ToArray();
        OriginalType = context.QuestionType;
        OriginalClass = context.QuestionClass;
    }

    public ReadOnlySpan<byte> OriginalName => _originalName;

    public DnsRecordType OriginalType { get; }

    public DnsClass OriginalClass { get; }

    public List<ResponseRule> ResponseRules { get; } = [];

    /// <summary>Set by a rule whose result is not a valid name.</summary>
    public string? InvalidName { get; set; }

    /// <summary>Puts the question back as it came in.</summary>
    public void Restore(DnsRequestContext context) => context.SetQuestion(_originalName, OriginalType);

    /// <summary>
    /// After the rest of the chain: the question is restored (so plugins before rewrite see the client's), the
    /// response's names are mapped back, and a question an upstream reply brought along is the client's again.
    /// </summary>
    public void Revert(DnsRequestContext context)
    {
        Restore(context);
        if (!context.IsResponseWritten)
        {
            return;
        }

        var response = context.Response;
        if (ResponseRules.Count > 0)
        {
            ResponseRewriter.Apply(response, ResponseRules);
        }

        if (response.Questions.Count > 0)
        {
            response.Questions[0] = new DnsQuestion(DnsName.FromWire(_originalName), OriginalType, OriginalClass);
        }
    }
}

/// <summary>One rule of the <c>rewrite</c> plugin.</summary>
internal abstract class RewriteRule(bool stop)
{
    /// <summary>True for <c>stop</c> (the default): no later rule runs once this one applied.</summary>
    public bool Stop { get; } = stop;

    /// <summary>
    /// Applies the rule to the current question; <paramref name="name"/> is its lower-case text. Creates
    /// <paramref name="state"/> before changing anything.
    /// </summary>
    public abstract RuleOutcome Apply(DnsRequestContext context, ReadOnlySpan<char> name, ref RewriteState? state);
}

/// <summary><c>type FROM TO</c>: a question of type FROM is asked as type TO; the client still sees FROM in the question.</summary>
internal sealed class TypeRule(bool stop, DnsRecordType from, DnsRecordType to) : RewriteRule(stop)
{
    public DnsRecordType From { get; } = from;

    public DnsRecordType To { get; } = to;

    public override RuleOutcome Apply(DnsRequestContext context, ReadOnlySpan<char> name, ref RewriteState? state)
    {
        if (context.QuestionType != From)
        {
            return RuleOutcome.Ignored;
        }

        state ??= new RewriteState(context);
        context.SetQuestion(context.QuestionName, To);
        return RuleOutcome.Done;
    }
}

/// <summary>
/// <c>name [exact|prefix|suffix|substring|regex] FROM TO [answer auto|name FROM TO|value FROM TO]...</c>. Matching is on
/// the lower-case question text with a trailing dot, as CoreDNS's; a match that does not change anything still counts.
/// </summary>
internal sealed class NameRule : RewriteRule
{
    private readonly Regex? _pattern;
    private readonly ResponseRule[] _staticResponses;

    public NameRule(bool stop, NameMatch match, string from, string to, Regex? pattern, bool auto, IReadOnlyList<ResponseRule> answers)
        : base(stop)
    {
        Match = match;
        From = from;
        To = to;
        _pattern = pattern;
        Auto = match == NameMatch.Exact || auto;

        // A suffix rule is undone by the same suffixes swapped: no per-request mapping needed (CoreDNS does the same).
        _staticResponses = match == NameMatch.Suffix && auto
            ? [new ResponseRule(new SuffixNameMapper(to, from), Names: true, Values: true), .. answers]
            : [.. answers];
    }

    public NameMatch Match { get; }

    public string From { get; }

    public string To { get; }

    /// <summary>Whether answers are mapped back automatically (always for exact rules).</summary>
    public bool Auto { get; }

    public override RuleOutcome Apply(DnsRequestContext context, ReadOnlySpan<char> name, ref RewriteState? state)
    {
        var matched = Match switch
        {
            NameMatch.Exact => name.SequenceEqual(From),
            NameMatch.Prefix => name.StartsWith(From, StringComparison.Ordinal),
            NameMatch.Suffix => name.EndsWith(From, StringComparison.Ordinal),
            NameMatch.Substring => name.Contains(From, StringComparison.Ordinal),
            _ => _pattern!.IsMatch(name),
        };
        if (!matched)
        {
            return RuleOutcome.Ignored;
        }

        state ??= new RewriteState(context);
        var current = new string(name);
        var rewritten = Match switch
        {
            NameMatch.Exact => To,
            NameMatch.Prefix => string.Concat(To, name[From.Length..]),
            NameMatch.Suffix => string.Concat(name[..^From.Length], To),
            NameMatch.Substring => current.Replace(From, To, StringComparison.Ordinal),
            _ => RegexTemplate.Expand(To, _pattern!.Match(current)),
        };

        Span<byte> wire = stackalloc byte[WireName.MaxLength];
        if (!WireName.TryParse(rewritten, wire, out var length))
        {
            state.InvalidName = rewritten;
            return RuleOutcome.Invalid;
        }

        // The client's spelling of the name before this rule, so auto-reverted answers match its question exactly.
        var before = DnsName.FromWire(context.QuestionName);
        context.SetQuestion(wire[..length], context.QuestionType);
        var exact = Auto ? new ResponseRule(new ExactNameMapper(DnsName.FromWire(wire[..length]), before), Names: true, Values: true) : null;
        if (exact is not null && Match != NameMatch.Suffix)
        {
            state.ResponseRules.Add(exact);
        }

        state.ResponseRules.AddRange(_staticResponses);

        // For a suffix rule the swapped suffixes map every name back; the asked name itself is mapped first (rules are
        // undone last first) so it comes back in the client's spelling rather than in lower case.
        if (exact is not null && Match == NameMatch.Suffix)
        {
            state.ResponseRules.Add(exact);
        }

        return RuleOutcome.Done;
    }
}
