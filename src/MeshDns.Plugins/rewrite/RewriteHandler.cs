using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Rewrite;

/// <summary>
/// CoreDNS's rewrite: rules in order change the question the rest of the chain sees (<c>stop</c> ends the list,
/// <c>continue</c> goes on with the rewritten question); afterwards the response's names are mapped back as the
/// rules' <c>answer</c> parts say and the question is restored. A query no rule matches costs a text copy of its
/// name on the stack and no allocation.
/// </summary>
public sealed class RewriteHandler : ChainedDnsHandler
{
    private readonly RewriteRule[] _rules;

    internal RewriteHandler(DnsHandler next, IReadOnlyList<RewriteRule> rules)
        : base(next)
    {
        _rules = [.. rules];
    }

    public override string Name => RewriteSetup.Directive;

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Span<char> text = stackalloc char[NameText.MaxChars];
        var length = NameText.Format(context.QuestionNameLower, text);
        RewriteState? state = null;
        foreach (var rule in _rules)
        {
            var outcome = rule.Apply(context, text[..length], ref state);
            if (outcome == RuleOutcome.Ignored)
            {
                continue;
            }

            if (outcome == RuleOutcome.Invalid)
            {
                state!.Restore(context);
                return ValueTask.FromResult(PluginResult.Failure(DnsResponseCode.ServFail, Name, "invalid name after rewrite: " + state.InvalidName));
            }

            length = NameText.Format(context.QuestionNameLower, text);
            if (rule.Stop)
            {
                break;
            }
        }

        if (state is null)
        {
            return NextAsync(context);
        }

        var pending = NextAsync(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return RevertAfterAsync(context, pending, state);
        }

        var result = pending.Result;
        state.Revert(context);
        return ValueTask.FromResult(result);
    }

    private static async ValueTask<PluginResult> RevertAfterAsync(DnsRequestContext context, ValueTask<PluginResult> pending, RewriteState state)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        finally
        {
            state.Revert(context);
        }
    }
}
