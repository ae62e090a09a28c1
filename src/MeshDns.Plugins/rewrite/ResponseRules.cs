using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Rewrite;

/// <summary>Maps one name in a response to another, or leaves it.</summary>
internal abstract class NameMapper
{
    public abstract bool TryMap(DnsName name, [NotNullWhen(true)] out DnsName? mapped);

    protected static bool TryName(string text, [NotNullWhen(true)] out DnsName? name) => DnsName.TryParse(text, out name);
}

/// <summary>One name to another (what <c>answer auto</c> undoes for exact, prefix, substring and regex rules). Case-insensitive.</summary>
internal sealed class ExactNameMapper(DnsName from, DnsName to) : NameMapper
{
    public override bool TryMap(DnsName name, [NotNullWhen(true)] out DnsName? mapped)
    {
        mapped = name.Equals(from) ? to : null;
        return mapped is not null;
    }
}

/// <summary>A name ending in one string gets another ending (<c>answer auto</c> of a suffix rule, read backwards). Case-insensitive.</summary>
internal sealed class SuffixNameMapper(string suffix, string replacement) : NameMapper
{
    public override bool TryMap(DnsName name, [NotNullWhen(true)] out DnsName? mapped)
    {
        var text = NameText.ToText(name);
        if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && TryName(string.Concat(text.AsSpan(0, text.Length - suffix.Length), replacement), out mapped))
        {
            return true;
        }

        mapped = null;
        return false;
    }
}

/// <summary>A name matching a regular expression becomes the replacement with <c>{N}</c> filled from the groups (<c>answer name</c>, <c>answer value</c>).</summary>
internal sealed class RegexNameMapper(Regex pattern, string replacement) : NameMapper
{
    public override bool TryMap(DnsName name, [NotNullWhen(true)] out DnsName? mapped)
    {
        var match = pattern.Match(NameText.ToText(name));
        if (match.Success && TryName(RegexTemplate.Expand(replacement, match), out mapped))
        {
            return true;
        }

        mapped = null;
        return false;
    }
}

/// <summary>Where a mapper applies: owner names, the names inside RDATA ("values"), or both.</summary>
internal sealed record ResponseRule(NameMapper Mapper, bool Names, bool Values);

/// <summary>CoreDNS's <c>{N}</c> templates for regex rules.</summary>
internal static class RegexTemplate
{
    /// <summary>Replaces <c>{0}</c>, <c>{1}</c>, ... by the groups of <paramref name="match"/>, in that order, as CoreDNS does.</summary>
    public static string Expand(string template, Match match)
    {
        var result = template;
        for (var i = 0; i < match.Groups.Count; i++)
        {
            result = result.Replace("{" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", match.Groups[i].Value, StringComparison.Ordinal);
        }

        return result;
    }

    /// <summary>How many distinct <c>{0}</c>..<c>{100}</c> references <paramref name="template"/> uses (CoreDNS's check against the group count).</summary>
    public static int References(string template)
    {
        var count = 0;
        for (var i = 0; i <= 100; i++)
        {
            if (template.Contains("{" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }
}

/// <summary>Rewrites the names of a response back, record by record, with new record objects where something changed.</summary>
internal static class ResponseRewriter
{
    /// <summary>Applies <paramref name="rules"/> to every record of the three sections; the last rule added is applied first, as CoreDNS reverts.</summary>
    public static void Apply(DnsMessage response, IReadOnlyList<ResponseRule> rules)
    {
        Apply(response.Answers, rules);
        Apply(response.Authorities, rules);
        Apply(response.Additionals, rules);
    }

    /// <summary>One record with its owner and RDATA names mapped.</summary>
    public static ResourceRecord Rewrite(ResourceRecord record, IReadOnlyList<ResponseRule> rules)
    {
        var name = record.Name;
        var value = ValueOf(record);
        var nameChanged = false;
        var valueChanged = false;
        for (var i = rules.Count - 1; i >= 0; i--)
        {
            var rule = rules[i];
            if (rule.Names && rule.Mapper.TryMap(name, out var mappedName))
            {
                name = mappedName;
                nameChanged = true;
            }

            if (rule.Values && value is not null && rule.Mapper.TryMap(value, out var mappedValue))
            {
                value = mappedValue;
                valueChanged = true;
            }
        }

        var result = nameChanged ? record.WithName(name) : record;
        return valueChanged ? WithValue(result, value!) : result;
    }

    /// <summary>The name CoreDNS's value rules look at: the target of CNAME, NS, PTR, SRV, MX and the MNAME of SOA.</summary>
    public static DnsName? ValueOf(ResourceRecord record) => record switch
    {
        SingleNameRecord single => single.Target,
        SrvRecord srv => srv.Target,
        MxRecord mx => mx.Exchange,
        SoaRecord soa => soa.PrimaryServer,
        _ => null,
    };

    private static void Apply(List<ResourceRecord> records, IReadOnlyList<ResponseRule> rules)
    {
        for (var i = 0; i < records.Count; i++)
        {
            records[i] = Rewrite(records[i], rules);
        }
    }

    private static ResourceRecord WithValue(ResourceRecord record, DnsName value) => record switch
    {
        SingleNameRecord single => single.WithTarget(value),
        SrvRecord srv => srv.WithTarget(value),
        MxRecord mx => new MxRecord(mx.Name, mx.Ttl, mx.Preference, value, mx.Class),
        SoaRecord soa => new SoaRecord(soa.Name, soa.Ttl, value, soa.ResponsibleMailbox, soa.Serial, soa.Refresh, soa.Retry, soa.Expire, soa.Minimum, soa.Class),
        _ => record,
    };
}
