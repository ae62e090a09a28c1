using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>The kind of reply a table lookup decided.</summary>
internal enum DecisionKind : byte
{
    NxDomain,
    NoData,
    Answer,
    Chase,
}

/// <summary>What a table says for one question: records, NODATA, NXDOMAIN, or a CNAME to follow.</summary>
internal readonly record struct Decision(DecisionKind Kind, ResourceRecord[] Answers, ResourceRecord[] Additional, NameEntry? Entry = null, bool Renamed = false)
{
    public static Decision NxDomain => new(DecisionKind.NxDomain, [], []);

    public static Decision NoData => new(DecisionKind.NoData, [], []);

    public static Decision Of(ResourceRecord[] answers, ResourceRecord[]? additional = null, bool renamed = false) =>
        answers.Length == 0 ? NoData : new(DecisionKind.Answer, answers, additional ?? [], null, renamed);
}

/// <summary>
/// Looks a question up in an <see cref="AnswerTable"/> and writes the reply, with CoreDNS's rules for NXDOMAIN and
/// NODATA, SRV spellings and negative answers (shared by <c>kubernetes</c>, <c>kubernetai</c> and <c>clusterset</c>).
/// Allocates nothing except <c>pods insecure</c> answers.
/// </summary>
internal static class TableLookup
{
    private static ReadOnlySpan<byte> SvcLabel => "svc"u8;

    private static ReadOnlySpan<byte> PodLabel => "pod"u8;

    /// <summary>
    /// NXDOMAIN or NODATA or records, as CoreDNS's handler decides them per query type. <paramref name="srvSpellings"/>:
    /// a five-label <c>a.b.svc.ns.svc</c> name is a port name that may lack its underscores (the kubernetes schema; in
    /// the clusterset schema such a name is an endpoint's <c>host.clusterid.svc.ns.svc</c>).
    /// </summary>
    public static Decision Decide(DnsRequestContext context, AnswerTable table, ZoneAnswers zone, ReadOnlySpan<byte> name, bool podsInsecure, bool srvSpellings = true)
    {
        var relative = WireName.CountLabels(name) - zone.Labels;
        var type = context.QuestionType;

        // _port._proto.svc.ns.svc.zone: CoreDNS strips one underscore from each of the first two labels, so
        // "http.tcp.web..." means the same; the table holds the underscored spelling.
        Span<byte> canonical = stackalloc byte[WireName.MaxLength + 2];
        scoped var lookup = name;
        var renamed = false;
        if (srvSpellings && !zone.IsReverse && relative == 5 && LabelIs(name, 4, SvcLabel) && (Label(name, 0)[0] != (byte)'_' || Label(name, 1)[0] != (byte)'_'))
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

            return podsInsecure && !zone.IsReverse && relative == 3 && LabelIs(name, 2, PodLabel)
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

    /// <summary>Writes an answer decision (AA set); a renamed SRV question gets its own spelling as owner.</summary>
    public static ValueTask<PluginResult> Write(DnsRequestContext context, string plugin, Decision decision)
    {
        var answers = decision.Answers;
        var additional = decision.Additional;
        var renamed = decision.Renamed;
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
        context.WriteResponse(plugin);
        return ValueTask.FromResult(PluginResult.Success);
    }

    /// <summary>A negative answer (AA set) with the zone's SOA in the authority section.</summary>
    public static ValueTask<PluginResult> Negative(DnsRequestContext context, string plugin, ZoneAnswers zone, DnsResponseCode rcode)
    {
        var response = context.Response;
        response.Authoritative = true;
        response.ResponseCode = rcode;
        response.Authorities.Add(zone.Soa);
        context.WriteResponse(plugin);
        return ValueTask.FromResult(PluginResult.Success);
    }

    public static ReadOnlySpan<byte> Label(ReadOnlySpan<byte> name, int index) => WireName.FirstLabel(WireName.SkipLabels(name, index));

    public static bool LabelIs(ReadOnlySpan<byte> name, int index, ReadOnlySpan<byte> text) => Label(name, index).SequenceEqual(text);

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
