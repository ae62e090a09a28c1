using System.Runtime.InteropServices;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.LoadBalance;

/// <summary>
/// <c>loadbalance [round_robin] { limit_answers N }</c>. CoreDNS's other policies (<c>weighted</c>, <c>prefer</c>)
/// are refused with a clear error.
/// </summary>
public sealed class LoadBalanceSetup : IPluginSetup
{
    public string Name => "loadbalance";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var directive = context.Directive;
        if (directive.Args.Count > 0)
        {
            switch (directive.Args[0].Text)
            {
                case "round_robin":
                    if (directive.Args.Count > 1)
                    {
                        context.Error(directive.Args[1], "unknown property for round_robin");
                        return;
                    }

                    break;
                case "weighted":
                    context.Error(directive.Args[0], "the 'weighted' policy is not supported by MeshDns yet; use round_robin");
                    return;
                default:
                    context.Error(directive.Args[0], $"unknown policy: {directive.Args[0].Text}");
                    return;
            }
        }

        var limit = 0;
        foreach (var option in directive.Block)
        {
            switch (option.Name)
            {
                case "limit_answers":
                    if (option.Args.Count != 1)
                    {
                        context.Error(option, option.ArgErr());
                        return;
                    }

                    if (!int.TryParse(option.Args[0].Text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit < 1)
                    {
                        context.Error(option.Args[0], $"limit_answers needs a positive number, got '{option.Args[0].Text}'");
                        return;
                    }

                    break;
                case "prefer":
                    context.Error(option, "'prefer' is not supported by MeshDns yet");
                    return;
                default:
                    context.Error(option, option.UnknownProperty());
                    return;
            }
        }

        context.AddHandler(next => new LoadBalanceHandler(next, limit));
    }
}

/// <summary>
/// Shuffles the address (A, AAAA), MX and NS records of a successful response in place, keeping CNAMEs first so
/// stub resolvers that expect the chain before its target (glibc) still follow it. Within each section the order
/// becomes: CNAME, other types, A/AAAA (shuffled), MX (shuffled), NS (shuffled), as CoreDNS's round_robin.
/// Zone transfers and error responses are left alone. Allocates nothing.
/// </summary>
public sealed class LoadBalanceHandler : ChainedDnsHandler
{
    private readonly int _limit;

    public LoadBalanceHandler(DnsHandler next, int limitAnswers = 0)
        : base(next)
    {
        _limit = limitAnswers;
    }

    public override string Name => "loadbalance";

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var pending = NextAsync(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, pending);
        }

        var result = pending.Result;
        Balance(context);
        return ValueTask.FromResult(result);
    }

    /// <summary>Reorders one section as round_robin does.</summary>
    public static void RoundRobin(List<ResourceRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var span = CollectionsMarshal.AsSpan(records);
        if (span.Length < 2)
        {
            return;
        }

        // Stable insertion sort by group: sections are short, and this needs no scratch memory.
        for (var i = 1; i < span.Length; i++)
        {
            var current = span[i];
            var group = Group(current.Type);
            var j = i - 1;
            while (j >= 0 && Group(span[j].Type) > group)
            {
                span[j + 1] = span[j];
                j--;
            }

            span[j + 1] = current;
        }

        var start = 0;
        while (start < span.Length)
        {
            var group = Group(span[start].Type);
            var end = start + 1;
            while (end < span.Length && Group(span[end].Type) == group)
            {
                end++;
            }

            if (group >= AddressGroup)
            {
                Shuffle(span[start..end]);
            }

            start = end;
        }
    }

    private const int AddressGroup = 2;

    private static int Group(DnsRecordType type) => type switch
    {
        DnsRecordType.CNAME => 0,
        DnsRecordType.A or DnsRecordType.AAAA => AddressGroup,
        DnsRecordType.MX => 3,
        DnsRecordType.NS => 4,
        _ => 1,
    };

    private static void Shuffle(Span<ResourceRecord> records)
    {
        for (var i = records.Length - 1; i > 0; i--)
        {
            var j = Random.Shared.Next(i + 1);
            (records[i], records[j]) = (records[j], records[i]);
        }
    }

    private async ValueTask<PluginResult> AwaitAsync(DnsRequestContext context, ValueTask<PluginResult> pending)
    {
        var result = await pending.ConfigureAwait(false);
        Balance(context);
        return result;
    }

    private void Balance(DnsRequestContext context)
    {
        var response = context.Response;
        if (!context.IsResponseWritten || response.ResponseCode != DnsResponseCode.NoError
            || context.OriginalQuestionType is DnsRecordType.AXFR or DnsRecordType.IXFR)
        {
            return;
        }

        RoundRobin(response.Answers);
        RoundRobin(response.Authorities);
        RoundRobin(response.Additionals);
        if (_limit > 0 && response.Answers.Count > _limit)
        {
            response.Answers.RemoveRange(_limit, response.Answers.Count - _limit);
        }
    }
}
