using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Hosts;

/// <summary>
/// Answers A, AAAA and PTR from a hosts file. A name in the plugin's zones that has no entry gets NXDOMAIN (or
/// goes on with <c>fallthrough</c>); a known name asked with another type gets NODATA. PTR questions are answered
/// for any zone and go on when the address is unknown. Lookups and answers allocate nothing.
/// </summary>
public sealed class HostsHandler : ChainedDnsHandler
{
    private readonly HostsSource _source;
    private readonly byte[][] _zones;
    private readonly Fallthrough _fallthrough;

    public HostsHandler(DnsHandler next, HostsSource source)
        : base(next)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _zones = source.Options.Zones.Select(z => z.ToLowerInvariant().Wire.ToArray()).ToArray();
        _fallthrough = source.Options.Fallthrough;
    }

    public override string Name => "hosts";

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.QuestionNameLower;
        var type = context.QuestionType;
        if (type != DnsRecordType.PTR && !InZones(name))
        {
            return NextAsync(context);
        }

        var snapshot = _source.Current;
        var entry = snapshot.FindHost(name);
        ReadOnlySpan<ResourceRecord> answers = default;
        switch (type)
        {
            case DnsRecordType.PTR:
                var reverse = snapshot.FindReverse(name);
                if (reverse is null)
                {
                    return NextAsync(context);
                }

                answers = reverse;
                break;
            case DnsRecordType.A:
                answers = entry?.A;
                break;
            case DnsRecordType.AAAA:
                answers = entry?.Aaaa;
                break;
        }

        var response = context.Response;
        if (answers.IsEmpty && (entry is null || (entry.A.Length == 0 && entry.Aaaa.Length == 0)))
        {
            if (_fallthrough.Through(name))
            {
                return NextAsync(context);
            }

            response.ResponseCode = DnsResponseCode.NXDomain;
        }

        response.Authoritative = true;
        response.Answers.AddRange(answers);
        context.WriteResponse(Name);
        return ValueTask.FromResult(PluginResult.Success);
    }

    private bool InZones(ReadOnlySpan<byte> name)
    {
        foreach (var zone in _zones)
        {
            if (WireName.IsSubdomainOf(name, zone))
            {
                return true;
            }
        }

        return false;
    }
}
