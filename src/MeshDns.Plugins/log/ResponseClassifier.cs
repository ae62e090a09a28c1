using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Log;

/// <summary>The kinds of response the <c>class</c> option selects (CoreDNS's <c>response.Class</c>).</summary>
[Flags]
public enum ResponseClass : byte
{
    None = 0,
    /// <summary>An answer, or a delegation.</summary>
    Success = 1,
    /// <summary>NXDOMAIN, or NODATA (the name exists, the type does not).</summary>
    Denial = 2,
    /// <summary>SERVFAIL, NOTIMP, REFUSED, ...: the server would not or could not answer.</summary>
    Error = 4,
    All = Success | Denial | Error,
}

/// <summary>
/// Sorts a finished response into success, denial or error the way CoreDNS's <c>response.Typify</c> and
/// <c>Classify</c> do (expired-signature checks aside): looks only at the rcode and the record types of the
/// sections, so it allocates nothing.
/// </summary>
public static class ResponseClassifier
{
    /// <summary>Parses a <c>class</c> argument: <c>all</c>, <c>success</c>, <c>denial</c> or <c>error</c>.</summary>
    public static bool TryParse(string text, out ResponseClass value)
    {
        value = text switch
        {
            "all" => ResponseClass.All,
            "success" => ResponseClass.Success,
            "denial" => ResponseClass.Denial,
            "error" => ResponseClass.Error,
            _ => ResponseClass.None,
        };
        return value != ResponseClass.None;
    }

    /// <summary>The class of the response the context holds once it has been encoded.</summary>
    public static ResponseClass Classify(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        var qtype = context.OriginalQuestionType;
        if (context.OpCode is DnsOpCode.Update or DnsOpCode.Notify || qtype is DnsRecordType.AXFR or DnsRecordType.IXFR)
        {
            return ResponseClass.Error; // CoreDNS's Update and Meta types fall to Error
        }

        var rcode = response.ResponseCode;
        var answers = response.Answers;
        if (answers.Count > 0 && rcode == DnsResponseCode.NoError)
        {
            var matches = false;
            foreach (var record in answers)
            {
                matches |= record.Type == qtype;
            }

            // An address question answered only by a CNAME chain has no address: NODATA.
            var addressQuestion = qtype is DnsRecordType.A or DnsRecordType.AAAA;
            return addressQuestion && !matches ? ResponseClass.Denial : ResponseClass.Success;
        }

        var soa = false;
        var ns = false;
        foreach (var record in response.Authorities)
        {
            soa |= record.Type == DnsRecordType.SOA;
            ns |= record.Type == DnsRecordType.NS;
        }

        return rcode switch
        {
            DnsResponseCode.NoError when soa => ResponseClass.Denial,
            DnsResponseCode.NXDomain => ResponseClass.Denial, // with or without SOA (CoreDNS #8199)
            DnsResponseCode.NoError when ns => ResponseClass.Success, // delegation
            DnsResponseCode.NoError => ResponseClass.Success,
            _ => ResponseClass.Error,
        };
    }
}
