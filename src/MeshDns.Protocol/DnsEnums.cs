namespace MeshDns.Protocol;

/// <summary>Resource record TYPE and QTYPE values (RFC 1035 3.2.2, and later registrations).</summary>
public enum DnsRecordType : ushort
{
    None = 0,
    A = 1,
    NS = 2,
    MD = 3,
    MF = 4,
    CNAME = 5,
    SOA = 6,
    MB = 7,
    MG = 8,
    MR = 9,
    NULL = 10,
    WKS = 11,
    PTR = 12,
    HINFO = 13,
    MINFO = 14,
    MX = 15,
    TXT = 16,
    RP = 17,
    AFSDB = 18,
    SIG = 24,
    KEY = 25,
    AAAA = 28,
    LOC = 29,
    SRV = 33,
    NAPTR = 35,
    KX = 36,
    CERT = 37,
    DNAME = 39,
    OPT = 41,
    APL = 42,
    DS = 43,
    SSHFP = 44,
    IPSECKEY = 45,
    RRSIG = 46,
    NSEC = 47,
    DNSKEY = 48,
    DHCID = 49,
    NSEC3 = 50,
    NSEC3PARAM = 51,
    TLSA = 52,
    SMIMEA = 53,
    HIP = 55,
    CDS = 59,
    CDNSKEY = 60,
    OPENPGPKEY = 61,
    CSYNC = 62,
    ZONEMD = 63,
    SVCB = 64,
    HTTPS = 65,
    SPF = 99,
    TKEY = 249,
    TSIG = 250,
    IXFR = 251,
    AXFR = 252,
    MAILB = 253,
    MAILA = 254,
    ANY = 255,
    URI = 256,
    CAA = 257,
}

/// <summary>CLASS and QCLASS values (RFC 1035 3.2.4, RFC 2136).</summary>
public enum DnsClass : ushort
{
    IN = 1,
    CH = 3,
    HS = 4,
    NONE = 254,
    ANY = 255,
}

/// <summary>Header OPCODE (RFC 1035 4.1.1, RFC 1996, RFC 2136, RFC 8490).</summary>
public enum DnsOpCode : byte
{
    Query = 0,
    IQuery = 1,
    Status = 2,
    Notify = 4,
    Update = 5,
    Dso = 6,
}

/// <summary>
/// RCODE, including the extended values whose upper eight bits travel in the OPT record (RFC 6891 6.1.3).
/// Values above 15 can only be sent in a message that carries EDNS.
/// </summary>
public enum DnsResponseCode : ushort
{
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NXDomain = 3,
    NotImp = 4,
    Refused = 5,
    YXDomain = 6,
    YXRRSet = 7,
    NXRRSet = 8,
    NotAuth = 9,
    NotZone = 10,
    DsoTypeNI = 11,
    BadVers = 16,
    BadKey = 17,
    BadTime = 18,
    BadMode = 19,
    BadName = 20,
    BadAlg = 21,
    BadTrunc = 22,
    BadCookie = 23,
}

/// <summary>The single-bit header flags (RFC 1035 4.1.1, RFC 4035 3.1.6).</summary>
[Flags]
public enum DnsHeaderFlags : ushort
{
    None = 0,
    /// <summary>Checking disabled.</summary>
    CD = 0x0010,
    /// <summary>Authentic data.</summary>
    AD = 0x0020,
    /// <summary>Reserved; must be zero.</summary>
    Z = 0x0040,
    /// <summary>Recursion available.</summary>
    RA = 0x0080,
    /// <summary>Recursion desired.</summary>
    RD = 0x0100,
    /// <summary>Truncated.</summary>
    TC = 0x0200,
    /// <summary>Authoritative answer.</summary>
    AA = 0x0400,
    /// <summary>Response (set) or query (clear).</summary>
    QR = 0x8000,
}

/// <summary>Why the reader rejected a message. Lets the server choose between FORMERR and a silent drop, and tests say which rule fired.</summary>
public enum DnsParseError : byte
{
    None = 0,
    /// <summary>The message ended before a field it announced.</summary>
    Truncated,
    /// <summary>A compression pointer that does not point strictly backwards.</summary>
    BadPointer,
    /// <summary>A label over 63 octets, or a label type (0x40/0x80) that is reserved.</summary>
    BadLabel,
    /// <summary>A name over 255 octets in wire form.</summary>
    NameTooLong,
    /// <summary>RDATA that does not consume exactly RDLENGTH, or a fixed-size RDATA of the wrong size.</summary>
    BadRData,
    /// <summary>More than one OPT record, or an OPT record outside the additional section or not owned by the root.</summary>
    BadOpt,
    /// <summary>Bytes after the last record the header announced.</summary>
    TrailingData,
    /// <summary>A compression pointer where the protocol forbids one (the destination buffer holds a name that cannot be compressed).</summary>
    BadName,
}
