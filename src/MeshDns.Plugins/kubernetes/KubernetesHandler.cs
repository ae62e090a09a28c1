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

    private static ReadOnlySpan<byte> SvcLabel => "svc"u8;

    private static ReadOnlySpan<byte> PodLabel => "pod"u8;

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
            var decision = Decide(context, cluster, table, zone, name);
            switch (decision.Kind)
            {
                case DecisionKind.Answer:
                    return Write(context, decision.Answers, decision.Additional, decision.Renamed);
                case DecisionKind.NoData:
                    return Negative(context, zone, DnsResponseCode.NoError);
                case DecisionKind.Chase:
                    return Chase(context, zone, decision.Entry!);
                default:
                    if (cluster.Options.Fallthrough.Through(name))
                    {
                        continue;
                    }

                    // Before the first sync a missing name may only be missing from us: SERVFAIL, as CoreDNS.
                    return Negative(context, zone, table.HasSynced ? DnsResponseCode.NXDomain : DnsResponseCode.ServFail);
            }
        }

        return NextAsync(context);
    }

    private enum DecisionKind : byte
    {
        NxDomain,
        NoData,
        Answer,
        Chase,
    }

    private readonly record struct Decision(DecisionKind Kind, ResourceRecord[] Answers, ResourceRecord[] Additional, NameEntry? Entry = null, bool Renamed = false)
    {
        public static Decision NxDomain => new(DecisionKind.NxDomain, [], []);

        public static Decision NoData => new(DecisionKind.NoData, [], []);

        public static Decision Of(ResourceRecord[] answers, ResourceRecord[]? additional = null, bool renamed = false) =>
            answers.Length == 0 ? NoData : new(DecisionKind.Answer, answers, additional ?? [], null, renamed);
    }

    /// <summary>NXDOMAIN or NODATA or records, as CoreDNS's handler decides them per query type.</summary>
    private static Decision Decide(DnsRequestContext context, ClusterAnswers cluster, AnswerTable table, ZoneAnswers zone, ReadOnlySpan<byte> name)
    {
        var relative = WireName.CountLabels(name) - zone.Labels;
        var type = context.QuestionType;

        // _port._proto.svc.ns.svc.zone: CoreDNS strips one underscore from each of the first two labels, so
        // "http.tcp.web..." means the same; the table holds the underscored spelling.
        Span<byte> canonical = stackalloc byte[WireName.MaxLength + 2];
        scoped var lookup = name;
        var renamed = false;
        if (!zone.IsReverse && relative == 5 && LabelIs(name, 4, SvcLabel) && (Label(name, 0)[0] != (byte)'_' || Label(name, 1)[0] != (byte)'_'))
        {
            var length = Canonicalize(name, canonical);
            if (length < 0)
            {
                return Decision.NxDomain;
            }

            lookup = canonical[..length];
            renamed = true;
        }

        var entry = table.Find(lookup);
        if (entry is null)
        {
            if (type is DnsRecordType.TXT or DnsRecordType.SOA)
            {
                return Decision.NoData; // CoreDNS never says NXDOMAIN for these two types in its zones
            }

            return cluster.Options.Pods == PodMode.Insecure && !zone.IsReverse && relative == 3 && LabelIs(name, 2, PodLabel)
                ? InsecurePod(context, table, name, type)
                : Decision.NxDomain;
        }

        if (entry.OnlyType is { } only && only != type)
        {
            return type is DnsRecordType.TXT or DnsRecordType.SOA ? Decision.NoData : Decision.NxDomain;
        }

        switch (type)
        {
            case DnsRecordType.A:
                return entry.Cname is not null ? new Decision(DecisionKind.Chase, [], [], entry) : Decision.Of(entry.A, renamed: renamed);
            case DnsRecordType.AAAA:
                return entry.Cname is not null ? new Decision(DecisionKind.Chase, [], [], entry) : Decision.Of(entry.Aaaa, renamed: renamed);
            case DnsRecordType.SRV:
                return Decision.Of(entry.Srv, entry.SrvAdditional, renamed);
            case DnsRecordType.PTR:
                return Decision.Of(entry.Ptr);
            case DnsRecordType.TXT:
                return Decision.Of(entry.Txt);
            case DnsRecordType.CNAME:
                return Decision.Of(entry.CnameAnswer);
            case DnsRecordType.SOA:
                return entry.IsApex ? Decision.Of(zone.SoaAnswer) : Decision.NoData;
            case DnsRecordType.NS when entry.IsApex:
                return Decision.Of(entry.Ns, entry.NsAdditional);
            default:
                return Decision.NoData; // the name exists (CoreDNS's "fake A lookup" decides NODATA vs NXDOMAIN)
        }
    }

    /// <summary><c>pods insecure</c>: any address in an existing namespace answers, built for this query.</summary>
    private static Decision InsecurePod(DnsRequestContext context, AnswerTable table, ReadOnlySpan<byte> name, DnsRecordType type)
    {
        if (table.Find(WireName.SkipLabels(name, 1)) is null || !RecordNames.TryParsePodLabel(Label(name, 0), out var address))
        {
            return Decision.NxDomain;
        }

        var ttl = table.Zones[0].Soa.Minimum;
        return (type, address.AddressFamily) switch
        {
            (DnsRecordType.A, System.Net.Sockets.AddressFamily.InterNetwork) => Decision.Of([new ARecord(context.GetQuestionName(), ttl, address)]),
            (DnsRecordType.AAAA, System.Net.Sockets.AddressFamily.InterNetworkV6) => Decision.Of([new AaaaRecord(context.GetQuestionName(), ttl, address)]),
            _ => Decision.NoData,
        };
    }

    private ValueTask<PluginResult> Write(DnsRequestContext context, ResourceRecord[] answers, ResourceRecord[] additional, bool renamed)
    {
        var response = context.Response;
        response.Authoritative = true;
        if (renamed)
        {
            // A spelling the table does not hold (no underscores): the records take the question's name, as in CoreDNS.
            var owner = context.GetQuestionName();
            foreach (var record in answers)
            {
                response.Answers.Add(record.WithName(owner));
            }
        }
        else
        {
            response.Answers.AddRange((ReadOnlySpan<ResourceRecord>)answers);
        }

        response.Additionals.AddRange((ReadOnlySpan<ResourceRecord>)additional);
        context.WriteResponse(Name);
        return ValueTask.FromResult(PluginResult.Success);
    }

    private ValueTask<PluginResult> Negative(DnsRequestContext context, ZoneAnswers zone, DnsResponseCode rcode)
    {
        var response = context.Response;
        response.Authoritative = true;
        response.ResponseCode = rcode;
        response.Authorities.Add(zone.Soa);
        context.WriteResponse(Name);
        return ValueTask.FromResult(PluginResult.Success);
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
        return Negative(context, zone, DnsResponseCode.NoError);
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

    private static ReadOnlySpan<byte> Label(ReadOnlySpan<byte> name, int index) => WireName.FirstLabel(WireName.SkipLabels(name, index));

    private static bool LabelIs(ReadOnlySpan<byte> name, int index, ReadOnlySpan<byte> text) => Label(name, index).SequenceEqual(text);

    /// <summary>Writes <paramref name="name"/> with an underscore before each of its first two labels that lacks one; -1 when too long.</summary>
    private static int Canonicalize(ReadOnlySpan<byte> name, Span<byte> destination)
    {
        var position = 0;
        var rest = name;
        for (var i = 0; i < 2; i++)
        {
            var label = WireName.FirstLabel(rest);
            var add = label[0] == (byte)'_' ? 0 : 1;
            if (label.Length + add > WireName.MaxLabelLength)
            {
                return -1;
            }

            destination[position++] = (byte)(label.Length + add);
            if (add == 1)
            {
                destination[position++] = (byte)'_';
            }

            label.CopyTo(destination[position..]);
            position += label.Length;
            rest = rest[(label.Length + 1)..];
        }

        if (position + rest.Length > WireName.MaxLength)
        {
            return -1;
        }

        rest.CopyTo(destination[position..]);
        return position + rest.Length;
    }
}
