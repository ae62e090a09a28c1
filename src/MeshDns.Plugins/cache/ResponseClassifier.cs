using MeshDns.Protocol;

namespace MeshDns.Plugins.Cache;

/// <summary>What kind of answer a response is (CoreDNS's <c>response.Type</c>).</summary>
public enum ResponseKind
{
    /// <summary>NOERROR with answers, or NOERROR with nothing that makes it a denial or a referral.</summary>
    NoError,

    /// <summary>NXDOMAIN with an SOA in the authority section.</summary>
    NameError,

    /// <summary>SERVFAIL or NOTIMP.</summary>
    ServerError,

    /// <summary>NOERROR, no answers, an SOA in the authority section.</summary>
    NoData,

    /// <summary>NOERROR, no answers, NS records in the authority section.</summary>
    Delegation,

    /// <summary>A zone transfer (AXFR, IXFR): never cached.</summary>
    Meta,

    /// <summary>Anything else (REFUSED, NXDOMAIN without SOA, ...): never cached.</summary>
    OtherError,
}

/// <summary>Classifies responses and finds the TTL a response may be cached for, as CoreDNS does.</summary>
public static class ResponseClassifier
{
    /// <summary>The kind of <paramref name="response"/> to a question of type <paramref name="questionType"/>.</summary>
    public static ResponseKind Classify(DnsMessage response, DnsRecordType questionType)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (questionType is DnsRecordType.AXFR or DnsRecordType.IXFR)
        {
            return ResponseKind.Meta;
        }

        var rcode = response.ResponseCode;
        if (response.Answers.Count > 0 && rcode == DnsResponseCode.NoError)
        {
            return ResponseKind.NoError;
        }

        var soa = false;
        var ns = 0;
        foreach (var record in response.Authorities)
        {
            if (record.Type == DnsRecordType.SOA)
            {
                soa = true;
            }
            else if (record.Type == DnsRecordType.NS)
            {
                ns++;
            }
        }

        return (soa, rcode) switch
        {
            (true, DnsResponseCode.NoError) => ResponseKind.NoData,
            (true, DnsResponseCode.NXDomain) => ResponseKind.NameError,
            (_, DnsResponseCode.ServFail or DnsResponseCode.NotImp) => ResponseKind.ServerError,
            (_, DnsResponseCode.NoError) when ns > 0 => ResponseKind.Delegation,
            (_, DnsResponseCode.NoError) => ResponseKind.NoError,
            _ => ResponseKind.OtherError,
        };
    }

    /// <summary>
    /// The lowest TTL in the response (CoreDNS's <c>dnsutil.MinimalTTL</c>): 5 s for kinds other than answers and
    /// denials and for responses without records, otherwise the smallest record TTL, never above 3600 s. For a
    /// denial the SOA counts with the smaller of its TTL and its MINIMUM field, as RFC 2308 5 says.
    /// <paramref name="ttlDecrease"/> is what a plugin further down asked the encoder to subtract.
    /// </summary>
    public static uint MinimalTtl(DnsMessage response, ResponseKind kind, uint ttlDecrease = 0)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (kind is not (ResponseKind.NoError or ResponseKind.NameError or ResponseKind.NoData))
        {
            return CacheOptions.DefaultMinTtl;
        }

        if (response.Answers.Count + response.Authorities.Count + response.Additionals.Count == 0)
        {
            return CacheOptions.DefaultMinTtl;
        }

        var negative = kind is ResponseKind.NameError or ResponseKind.NoData;
        var minimum = CacheOptions.DefaultSuccessMaxTtl;
        Lower(response.Answers, negative, ttlDecrease, ref minimum);
        Lower(response.Authorities, negative, ttlDecrease, ref minimum);
        Lower(response.Additionals, negative, ttlDecrease, ref minimum);
        return minimum;
    }

    /// <summary>
    /// CoreDNS's <c>computeTTL</c>: <paramref name="ttl"/> raised to <paramref name="min"/>, then lowered to
    /// <paramref name="max"/> (so the maximum wins when they conflict).
    /// </summary>
    public static uint Clamp(uint ttl, uint min, uint max) => Math.Min(Math.Max(ttl, min), max);

    private static void Lower(List<ResourceRecord> records, bool negative, uint ttlDecrease, ref uint minimum)
    {
        foreach (var record in records)
        {
            var ttl = record.Ttl > ttlDecrease ? record.Ttl - ttlDecrease : 0;
            if (negative && record is SoaRecord soa)
            {
                ttl = Math.Min(ttl, soa.Minimum);
            }

            minimum = Math.Min(minimum, ttl);
        }
    }
}
