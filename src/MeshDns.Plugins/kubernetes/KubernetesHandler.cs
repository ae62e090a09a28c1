using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>
/// Answers the Kubernetes DNS schema from precomputed tables, for one cluster (<c>kubernetes</c>) or several, each
/// in its own zones (<c>kubernetai</c>, tried in Corefile order). A miss in a stanza with <c>fallthrough</c> goes to
/// the next stanza whose zones hold the name, then to the next plugin. Lookups and answers allocate nothing, except
/// <c>pods insecure</c> answers (one record per query) and ExternalName targets resolved through the server.
/// </summary>
public sealed class KubernetesHandler : ChainedDnsHandler
{
    /// <summary>How many CNAMEs an ExternalName chain may have inside our zones before it is cut (a loop, or absurd).</summary>
    public const int MaxCnameHops = 10;

    private readonly ClusterAnswers[] _clusters;
    private readonly string _name;

    public KubernetesHandler(DnsHandler next, string name, IReadOnlyList<ClusterAnswers> clusters)
        : base(next)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        _name = name;
        _clusters = [.. clusters];
    }

    public override string Name => _name;

    /// <summary>The stanzas, in the order they are tried.</summary>
    public IReadOnlyList<ClusterAnswers> Clusters => _clusters;

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.QuestionNameLower;
        foreach (var cluster in _clusters)
        {
            var table = cluster.Table;
            var zoneIndex = table.MatchZone(name);
            if (zoneIndex < 0)
            {
                continue;
            }

            var zone = table.Zones[zoneIndex];
            var decision = TableLookup.Decide(context, table, zone, name, cluster.Options.Pods == PodMode.Insecure);
            switch (decision.Kind)
            {
                case DecisionKind.Answer:
                    return TableLookup.Write(context, Name, decision);
                case DecisionKind.NoData:
                    return TableLookup.Negative(context, Name, zone, DnsResponseCode.NoError);
                case DecisionKind.Chase:
                    return Chase(context, zone, decision.Entry!);
                default:
                    if (cluster.Options.Fallthrough.Through(name))
                    {
                        continue;
                    }

                    // Before the first sync a missing name may only be missing from us: SERVFAIL, as CoreDNS.
                    return TableLookup.Negative(context, Name, zone, table.HasSynced ? DnsResponseCode.NXDomain : DnsResponseCode.ServFail);
            }
        }

        return NextAsync(context);
    }

    /// <summary>
    /// An ExternalName's CNAME, followed through the tables while the target is in our zones (all or nothing, as
    /// CoreDNS: a chain that ends nowhere is NODATA), or resolved through the server's own chain when it leaves them.
    /// </summary>
    private ValueTask<PluginResult> Chase(DnsRequestContext context, ZoneAnswers zone, NameEntry entry)
    {
        var type = context.QuestionType;
        var answers = context.Response.Answers;
        var start = answers.Count;
        var current = entry;
        for (var hop = 0; hop < MaxCnameHops; hop++)
        {
            var cname = current.Cname!;
            if (Contains(answers, start, cname))
            {
                break; // a loop
            }

            answers.Add(cname);
            var target = current.CnameTargetLower!.Wire;
            if (!TryFind(target, out var next))
            {
                return ChaseOutsideAsync(context, cname.Target, type);
            }

            if (next?.Cname is not null)
            {
                current = next;
                continue;
            }

            var records = next is null ? [] : type == DnsRecordType.A ? next.A : next.Aaaa;
            if (records.Length == 0)
            {
                break;
            }

            answers.AddRange((ReadOnlySpan<ResourceRecord>)records);
            context.Response.Authoritative = true;
            context.WriteResponse(Name);
            return ValueTask.FromResult(PluginResult.Success);
        }

        answers.RemoveRange(start, answers.Count - start);
        return TableLookup.Negative(context, Name, zone, DnsResponseCode.NoError);
    }

    private async ValueTask<PluginResult> ChaseOutsideAsync(DnsRequestContext context, DnsName target, DnsRecordType type)
    {
        var response = context.Response;
        if (context.Resolver is { } resolver)
        {
            var reply = await resolver.ResolveAsync(context, target, type, context.RequestAborted).ConfigureAwait(false);
            response.Answers.AddRange(reply.Answers);
            if (reply.Truncated)
            {
                response.Truncated = true;
            }
        }

        response.Authoritative = true;
        context.WriteResponse(Name);
        return PluginResult.Success;
    }

    /// <summary>The entry of <paramref name="name"/> in the first stanza whose zones hold it; false when no stanza does.</summary>
    private bool TryFind(ReadOnlySpan<byte> name, out NameEntry? entry)
    {
        foreach (var cluster in _clusters)
        {
            var table = cluster.Table;
            if (table.MatchZone(name) >= 0)
            {
                entry = table.Find(name);
                return true;
            }
        }

        entry = null;
        return false;
    }

    private static bool Contains(List<ResourceRecord> records, int start, ResourceRecord record)
    {
        for (var i = start; i < records.Count; i++)
        {
            if (ReferenceEquals(records[i], record) || records[i].Equals(record))
            {
                return true;
            }
        }

        return false;
    }
}
