using System.Globalization;
using System.Text.RegularExpressions;
using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Rewrite;

/// <summary>
/// <c>rewrite [continue|stop] FIELD ...</c>, and the block form <c>rewrite [continue|stop] { ... }</c> whose lines
/// are read as one rule. Every <c>rewrite</c> line of a server block becomes one rule of one handler, in order,
/// as in CoreDNS. Supported fields: <c>name</c> (all match types and answer rules) and <c>type</c>; the others
/// are refused at start-up with their name.
/// </summary>
public sealed class RewriteSetup : IPluginSetup
{
    /// <summary>The directive name.</summary>
    public const string Directive = "rewrite";

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    public string Name => Directive;

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var directive = context.Directive;
        List<CorefileToken> args = [.. directive.Args];
        if (directive.HasBlock)
        {
            if (args.Count >= 2)
            {
                context.Error(directive.NameToken, "a rewrite rule on one line takes no block");
                return;
            }

            foreach (var line in directive.Block)
            {
                args.Add(line.NameToken);
                args.AddRange(line.Args);
            }
        }

        var rule = ParseRule(args, out var error, out var at);
        if (rule is null)
        {
            context.Error(at ?? directive.NameToken, error!);
            return;
        }

        var rules = context.GetOrAddShared("rewrite/rules/" + context.Block.Index.ToString(CultureInfo.InvariantCulture), () => new BlockRules());
        rules.Rules.Add(rule);
        if (!rules.HandlerAdded)
        {
            rules.HandlerAdded = true;
            context.AddHandler(next => new RewriteHandler(next, rules.Rules));
        }
    }

    /// <summary>CoreDNS's <c>newRule</c>: a mode, a field and its arguments. Returns null with the error (and the token it concerns).</summary>
    internal static RewriteRule? ParseRule(IReadOnlyList<CorefileToken> args, out string? error, out CorefileToken? at)
    {
        at = null;
        if (args.Count == 0)
        {
            error = "no rule type specified for rewrite";
            return null;
        }

        var first = args[0].Text.ToLowerInvariant();
        var stop = true;
        var start = 1;
        if (first is "continue" or "stop")
        {
            stop = first == "stop";
            if (args.Count < 2)
            {
                error = $"{first} rule must begin with a rule type";
                at = args[0];
                return null;
            }

            start = 2;
        }

        var field = args[start - 1];
        var rest = args.Skip(start).ToArray();
        at = field;
        switch (field.Text.ToLowerInvariant())
        {
            case "name":
                return ParseNameRule(stop, rest, out error, ref at);
            case "type":
                return ParseTypeRule(stop, rest, out error, ref at);
            case "answer":
                error = "response rewrites must begin with a name rule";
                return null;
            case "class":
                error = "'class' rewrites are not supported by MeshDns: queries of a class other than IN are refused before any plugin runs";
                return null;
            case "edns0" or "ttl" or "cname" or "rcode":
                error = $"'{field.Text.ToLowerInvariant()}' rewrites are not supported by MeshDns (supported: name, type)";
                return null;
            default:
                error = $"invalid rule type \"{field.Text}\"";
                return null;
        }
    }

    private static TypeRule? ParseTypeRule(bool stop, CorefileToken[] args, out string? error, ref CorefileToken? at)
    {
        if (args.Length != 2)
        {
            error = "type rules must have exactly two arguments";
            return null;
        }

        if (!DnsTypeNames.TryParseType(args[0].Text, out var from))
        {
            at = args[0];
            error = $"invalid type \"{args[0].Text.ToUpperInvariant()}\"";
            return null;
        }

        if (!DnsTypeNames.TryParseType(args[1].Text, out var to))
        {
            at = args[1];
            error = $"invalid type \"{args[1].Text.ToUpperInvariant()}\"";
            return null;
        }

        error = null;
        return new TypeRule(stop, from, to);
    }

    private static NameRule? ParseNameRule(bool stop, CorefileToken[] args, out string? error, ref CorefileToken? at)
    {
        if (args.Length < 2)
        {
            error = "too few arguments for a name rule";
            return null;
        }

        NameMatch match;
        string from;
        string to;
        var next = 2;
        if (args.Length == 2)
        {
            match = NameMatch.Exact;
            from = NameText.Normalize(args[0].Text);
            to = NameText.Normalize(args[1].Text);
        }
        else
        {
            at = args[0];
            switch (args[0].Text.ToLowerInvariant())
            {
                case "exact": match = NameMatch.Exact; break;
                case "prefix": match = NameMatch.Prefix; break;
                case "suffix": match = NameMatch.Suffix; break;
                case "substring": match = NameMatch.Substring; break;
                case "regex": match = NameMatch.Regex; break;
                default:
                    error = $"name rule supports only exact, prefix, suffix, substring, and regex name matching, received: {args[0].Text}";
                    return null;
            }

            from = match == NameMatch.Regex ? args[1].Text : NameText.Normalize(args[1].Text);
            to = NameText.Normalize(args[2].Text);
            next = 3;
        }

        Regex? pattern = null;
        if (match == NameMatch.Regex && !TryRegex(args[1].Text, args[2].Text, out pattern, out error))
        {
            at = args[1];
            return null;
        }

        var auto = false;
        List<ResponseRule> answers = [];
        if (args.Length > next && !TryAnswers(args[next..], args[0].Text, answers, out auto, out error, ref at))
        {
            return null;
        }

        error = null;
        return new NameRule(stop, match, from, to, pattern, auto, answers);
    }

    // answer auto | answer name FROM TO | answer value FROM TO, repeated; "answer" may be left out after the first.
    private static bool TryAnswers(CorefileToken[] args, string matchName, List<ResponseRule> answers, out bool auto, out string? error, ref CorefileToken? at)
    {
        auto = false;
        var nameRules = 0;
        var i = 0;
        if (args.Length < 2)
        {
            at = args[0];
            error = $"invalid arguments for {matchName} rule";
            return false;
        }

        while (i < args.Length)
        {
            at = args[i];
            if (i == 0 && args[i].Text != "answer")
            {
                error = $"exceeded the number of arguments for a non-answer rule argument for {matchName} rule";
                return false;
            }

            if (args[i].Text == "answer")
            {
                i++;
            }

            if (i == args.Length)
            {
                error = $"type missing for answer rule for {matchName} rule";
                return false;
            }

            var kind = args[i].Text;
            at = args[i];
            i++;
            switch (kind)
            {
                case "auto":
                    auto = true;
                    continue;
                case "name" or "value":
                    if (args.Length - i < 2)
                    {
                        error = $"{kind} answer rule for {matchName} rule: 2 arguments required";
                        return false;
                    }

                    if (!TryRegex(args[i].Text, args[i + 1].Text, out var pattern, out var regexError))
                    {
                        at = args[i];
                        error = $"{kind} answer rule for {matchName} rule: {regexError}";
                        return false;
                    }

                    var mapper = new RegexNameMapper(pattern!, NameText.Normalize(args[i + 1].Text));
                    answers.Add(new ResponseRule(mapper, Names: kind == "name", Values: kind == "value"));
                    nameRules += kind == "name" ? 1 : 0;
                    i += 2;
                    break;
                default:
                    error = $"invalid type \"{kind}\" for answer rule for {matchName} rule";
                    return false;
            }
        }

        if (auto && nameRules > 0)
        {
            error = "auto name answer rule cannot be combined with explicit name answer rules";
            return false;
        }

        error = null;
        return true;
    }

    // Linear-time matching (no backtracking) keeps a query's cost bounded whatever the pattern, like Go's RE2.
    private static bool TryRegex(string pattern, string replacement, out Regex? regex, out string? error)
    {
        regex = null;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, RegexTimeout);
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException)
        {
            error = $"invalid regex matching pattern: {pattern}";
            return false;
        }

        if (RegexTemplate.References(replacement) > regex.GetGroupNumbers().Length - 1)
        {
            error = $"the rewrite regex pattern ({replacement}) uses more subexpressions than its corresponding matching regex pattern ({pattern})";
            regex = null;
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>The rules of one server block, shared by its <c>rewrite</c> lines; the first line adds the handler.</summary>
    private sealed class BlockRules
    {
        public List<RewriteRule> Rules { get; } = [];

        public bool HandlerAdded { get; set; }
    }
}
