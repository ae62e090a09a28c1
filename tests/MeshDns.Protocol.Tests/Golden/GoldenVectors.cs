using System.Net;
using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Golden;

/// <summary>
/// Wire vectors, one field per line. Three kinds:
/// <list type="bullet">
/// <item>queries captured from <c>dig</c> 9.18.49 and <c>kdig</c> 3.2.6 sent to a Python UDP socket on loopback;</item>
/// <item>responses captured from <c>knotd</c> 3.2.6 serving the zone below, for queries built by hand;</item>
/// <item>a few messages written by this codec and checked octet by octet against RFC 1035 / 6891 / 8914.</item>
/// </list>
/// Every vector must parse to its model, its model must encode to exactly these bytes, and every strict prefix must be
/// rejected. So the captures also prove that MeshDns compresses exactly where knotd does.
/// <code>
/// ; the zone knotd served (example.org.; 2.0.192.in-addr.arpa. had SOA, NS and "1 PTR www.example.org.")
/// @     3600 IN SOA ns1.example.org. hostmaster.example.org. 2024010101 7200 3600 1209600 300
/// @          IN NS  ns1.example.org.
/// ns1        IN A   192.0.2.53
/// www        IN A   192.0.2.1
/// www        IN A   192.0.2.2
/// www        IN AAAA 2001:db8::1
/// alias      IN CNAME www.example.org.
/// _http._tcp IN SRV 10 60 80 www.example.org.
/// txt        IN TXT "v=spf1 -all" "second string" ""
/// opaque     IN TYPE65280 \# 4 DEADBEEF
/// mail       IN MX 10 mx.example.org.
/// ; $TTL 300
/// </code>
/// </summary>
internal static class GoldenVectors
{
    private const string Dig = "dig 9.18.49 query";
    private const string Kdig = "kdig 3.2.6 query";
    private const string Knot = "knotd 3.2.6 response";
    private const string Writer = "MeshDns writer, checked by hand";

    // Names that recur, as they appear on the wire.
    private const string WwwExampleOrg = "03'www' 07'example' 03'org' 00";
    private const string ExampleOrg = "07'example' 03'org' 00";

    public static IReadOnlyList<GoldenVector> All { get; } =
    [
        // ---------------------------------------------------------------- queries from real tools

        new("dig_a_noedns", Dig, Hex.Bytes(
                "081b",                 // ID
                "0120",                 // QR=0 OPCODE=QUERY RD AD (dig sets AD by default)
                "0001 0000 0000 0000",  // QD=1 AN=0 NS=0 AR=0
                WwwExampleOrg,          // QNAME www.example.org.
                "0001 0001"),           // QTYPE=A QCLASS=IN
            () => Query(0x081b, DnsHeaderFlags.RD | DnsHeaderFlags.AD, "www.example.org.", DnsRecordType.A),
            RawCapture: "081b0120000100000000000003777777076578616d706c65036f72670000010001"),

        new("dig_a_edns_cookie", Dig, Hex.Bytes(
                "c5b1",                 // ID
                "0120",                 // RD AD
                "0001 0000 0000 0001",  // QD=1 AR=1 (OPT)
                WwwExampleOrg,          // QNAME
                "0001 0001",            // A IN
                "00",                   // OPT owner: root
                "0029",                 // TYPE=OPT
                "04d0",                 // CLASS = UDP payload size 1232
                "00 00 0000",           // TTL: EXTENDED-RCODE=0 VERSION=0 DO=0 Z=0
                "000c",                 // RDLENGTH=12
                "000a 0008",            // option COOKIE (10), length 8
                "5348b6bb6ba96158"),    //   client cookie
            () => WithEdns(Query(0xc5b1, DnsHeaderFlags.RD | DnsHeaderFlags.AD, "www.example.org.", DnsRecordType.A), 1232,
                options: new EdnsOption(10, Hex.Bytes("5348b6bb6ba96158"))),
            RawCapture: "c5b10120000100000000000103777777076578616d706c65036f7267000001000100002904d000000000000c000a00085348b6bb6ba96158"),

        new("dig_soa_dnssec", Dig, Hex.Bytes(
                "2e8f",                 // ID
                "0120",                 // RD AD
                "0001 0000 0000 0001",  // QD=1 AR=1
                ExampleOrg,             // QNAME example.org.
                "0006 0001",            // SOA IN
                "00 0029 04d0",         // OPT, root owner, UDP 1232
                "00 00 8000",           // EXTENDED-RCODE=0 VERSION=0 DO=1
                "0000"),                // RDLENGTH=0
            () => WithEdns(Query(0x2e8f, DnsHeaderFlags.RD | DnsHeaderFlags.AD, "example.org.", DnsRecordType.SOA), 1232, dnssecOk: true),
            RawCapture: "2e8f01200001000000000001076578616d706c65036f7267000006000100002904d0000080000000"),

        new("dig_mixed_case", Dig, Hex.Bytes(
                "00c0",                 // ID
                "0120",                 // RD AD
                "0001 0000 0000 0001",  // QD=1 AR=1
                "03'WwW' 07'ExAmple' 03'ORG' 00", // QNAME keeps the user's spelling
                "0001 0001",            // A IN
                "00 0029 04d0 00 00 0000 0000"), // OPT UDP 1232, no options
            () => WithEdns(Query(0x00c0, DnsHeaderFlags.RD | DnsHeaderFlags.AD, "WwW.ExAmple.ORG.", DnsRecordType.A), 1232),
            RawCapture: "00c00120000100000000000103577757074578416d706c65034f5247000001000100002904d0000000000000"),

        new("kdig_a_noedns", Kdig, Hex.Bytes(
                "bcd3",                 // ID
                "0120",                 // RD AD
                "0001 0000 0000 0000",  // QD=1
                WwwExampleOrg,          // QNAME
                "0001 0001"),           // A IN
            () => Query(0xbcd3, DnsHeaderFlags.RD | DnsHeaderFlags.AD, "www.example.org.", DnsRecordType.A),
            RawCapture: "bcd30120000100000000000003777777076578616d706c65036f72670000010001"),

        new("kdig_srv_cookie", Kdig, Hex.Bytes(
                "b6f1",                 // ID
                "0120",                 // RD AD
                "0001 0000 0000 0001",  // QD=1 AR=1
                "05'_http' 04'_tcp' 07'example' 03'org' 00", // QNAME _http._tcp.example.org.
                "0021 0001",            // SRV IN
                "00 0029 1000",         // OPT, UDP 4096
                "00 00 0000",           // EXTENDED-RCODE=0 VERSION=0 DO=0
                "000c",                 // RDLENGTH=12
                "000a 0008 1165fc2250ba531a"), // COOKIE, 8-octet client cookie
            () => WithEdns(Query(0xb6f1, DnsHeaderFlags.RD | DnsHeaderFlags.AD, "_http._tcp.example.org.", DnsRecordType.SRV), 4096,
                options: new EdnsOption(10, Hex.Bytes("1165fc2250ba531a"))),
            RawCapture: "b6f101200001000000000001055f68747470045f746370076578616d706c65036f72670000210001000029100000000000000c000a00081165fc2250ba531a"),

        new("kdig_aaaa_nsid_padding", Kdig, Hex.Bytes(
                "58e7",                 // ID
                "0120",                 // RD AD
                "0001 0000 0000 0001",  // QD=1 AR=1
                WwwExampleOrg,          // QNAME (kdig lower-cased "WwW.ExAmple.ORG")
                "001c 0001",            // AAAA IN
                "00 0029 1000 00 00 0000", // OPT, UDP 4096
                "0048",                 // RDLENGTH=72
                "0003 0000",            // NSID (3), empty: a request
                "000c 0040",            // PADDING (12), 64 octets
                "00000000000000000000000000000000", "00000000000000000000000000000000",
                "00000000000000000000000000000000", "00000000000000000000000000000000"),
            () => WithEdns(Query(0x58e7, DnsHeaderFlags.RD | DnsHeaderFlags.AD, "www.example.org.", DnsRecordType.AAAA), 4096,
                options: [new EdnsOption(3, Array.Empty<byte>()), new EdnsOption(12, new byte[64])]),
            RawCapture: "58e70120000100000000000103777777076578616d706c65036f726700001c0001000029100000000000004800030000000c0040" + new string('0', 128)),

        new("kdig_txt_edns_version1", Kdig, Hex.Bytes(
                "7d9b",                 // ID
                "0120",                 // RD AD
                "0001 0000 0000 0001",  // QD=1 AR=1
                ExampleOrg,             // QNAME
                "0010 0001",            // TXT IN
                "00 0029 1000",         // OPT, UDP 4096
                "00 01 0000",           // EXTENDED-RCODE=0 VERSION=1 (kdig +edns=1)
                "0000"),                // RDLENGTH=0
            () => WithEdns(Query(0x7d9b, DnsHeaderFlags.RD | DnsHeaderFlags.AD, "example.org.", DnsRecordType.TXT), 4096, version: 1),
            RawCapture: "7d9b01200001000000000001076578616d706c65036f726700001000010000291000000100000000"),

        // ---------------------------------------------------------------- responses from knotd

        new("knot_a_two_records", Knot, Hex.Bytes(
                "1001",                 // ID
                "8400",                 // QR AA, NOERROR
                "0001 0002 0000 0000",  // QD=1 AN=2
                WwwExampleOrg,          // QNAME at offset 12
                "0001 0001",            // A IN
                "c00c",                 // owner: pointer to offset 12
                "0001 0001 0000012c",   // A IN TTL=300
                "0004 c0000201",        // RDLENGTH=4 192.0.2.1
                "c00c 0001 0001 0000012c",
                "0004 c0000202"),       // 192.0.2.2
            () => Response(0x1001, DnsHeaderFlags.AA, "www.example.org.", DnsRecordType.A,
                answers: [A("www.example.org.", "192.0.2.1"), A("www.example.org.", "192.0.2.2")]),
            RawCapture: "10018400000100020000000003777777076578616d706c65036f72670000010001c00c000100010000012c0004c0000201c00c000100010000012c0004c0000202"),

        new("knot_a_case_echo_edns", Knot, Hex.Bytes(
                "1002",                 // ID
                "8400",                 // QR AA
                "0001 0002 0000 0001",  // QD=1 AN=2 AR=1
                "03'WwW' 07'ExAmple' 03'ORG' 00", // the query's own spelling, echoed (0x20)
                "0001 0001",            // A IN
                "c00c 0001 0001 0000012c 0004 c0000201", // owner "www.example.org." compresses to the question: 0xC00C
                "c00c 0001 0001 0000012c 0004 c0000202",
                "00 0029 04d0 00 00 0000 0000"), // OPT UDP 1232
            () => WithEdns(Response(0x1002, DnsHeaderFlags.AA, "WwW.ExAmple.ORG.", DnsRecordType.A,
                answers: [A("www.example.org.", "192.0.2.1"), A("www.example.org.", "192.0.2.2")]), 1232),
            RawCapture: "10028400000100020000000103577757074578416d706c65034f52470000010001c00c000100010000012c0004c0000201c00c000100010000012c0004c000020200002904d0000000000000"),

        new("knot_aaaa", Knot, Hex.Bytes(
                "1003 8400 0001 0001 0000 0000", // ID, QR AA, QD=1 AN=1
                WwwExampleOrg, "001c 0001",      // www.example.org. AAAA IN
                "c00c 001c 0001 0000012c",       // owner, AAAA IN TTL=300
                "0010 20010db8000000000000000000000001"), // RDLENGTH=16 2001:db8::1
            () => Response(0x1003, DnsHeaderFlags.AA, "www.example.org.", DnsRecordType.AAAA,
                answers: [Aaaa("www.example.org.", "2001:db8::1")]),
            RawCapture: "10038400000100010000000003777777076578616d706c65036f726700001c0001c00c001c00010000012c001020010db8000000000000000000000001"),

        new("knot_cname_chain", Knot, Hex.Bytes(
                "1004 8400 0001 0003 0000 0000", // QR AA, AN=3
                "05'alias' 07'example' 03'org' 00", // QNAME at 12; "example.org." starts at 18 (0x12)
                "0001 0001",                      // A IN
                "c00c 0005 0001 0000012c",        // alias.example.org. CNAME
                "0006 03'www' c012",              // RDATA at 47 (0x2f): "www" + pointer to example.org.
                "c02f 0001 0001 0000012c 0004 c0000201", // owner: pointer into the CNAME's RDATA
                "c02f 0001 0001 0000012c 0004 c0000202"),
            () => Response(0x1004, DnsHeaderFlags.AA, "alias.example.org.", DnsRecordType.A,
                answers:
                [
                    new CnameRecord(N("alias.example.org."), 300, N("www.example.org.")),
                    A("www.example.org.", "192.0.2.1"),
                    A("www.example.org.", "192.0.2.2"),
                ]),
            RawCapture: "10048400000100030000000005616c696173076578616d706c65036f72670000010001c00c000500010000012c000603777777c012c02f000100010000012c0004c0000201c02f000100010000012c0004c0000202"),

        new("knot_srv_with_additional", Knot, Hex.Bytes(
                "1005 8400 0001 0001 0000 0003", // QR AA, AN=1 AR=3
                "05'_http' 04'_tcp' 07'example' 03'org' 00", "0021 0001", // SRV IN
                "c00c 0021 0001 0000012c 0017",  // SRV, RDLENGTH=23
                "000a 003c 0050",                // PRIORITY=10 WEIGHT=60 PORT=80
                WwwExampleOrg,                   // TARGET at 58 (0x3a), never compressed (RFC 2782)
                "c03a 0001 0001 0000012c 0004 c0000201", // additional: owner points at the SRV target
                "c03a 0001 0001 0000012c 0004 c0000202",
                "c03a 001c 0001 0000012c 0010 20010db8000000000000000000000001"),
            () => Response(0x1005, DnsHeaderFlags.AA, "_http._tcp.example.org.", DnsRecordType.SRV,
                answers: [new SrvRecord(N("_http._tcp.example.org."), 300, 10, 60, 80, N("www.example.org."))],
                additionals: [A("www.example.org.", "192.0.2.1"), A("www.example.org.", "192.0.2.2"), Aaaa("www.example.org.", "2001:db8::1")]),
            RawCapture: "100584000001000100000003055f68747470045f746370076578616d706c65036f72670000210001c00c002100010000012c0017000a003c005003777777076578616d706c65036f726700c03a000100010000012c0004c0000201c03a000100010000012c0004c0000202c03a001c00010000012c001020010db8000000000000000000000001"),

        new("knot_txt_three_strings", Knot, Hex.Bytes(
                "1006 8400 0001 0001 0000 0000",
                "03'txt' 07'example' 03'org' 00", "0010 0001", // TXT IN
                "c00c 0010 0001 0000012c",
                "001b",                          // RDLENGTH=27
                "0b 'v=spf1 -all'",              // character-string, 11 octets
                "0d 'second string'",            // 13 octets
                "00"),                           // an empty character-string
            () => Response(0x1006, DnsHeaderFlags.AA, "txt.example.org.", DnsRecordType.TXT,
                answers: [new TxtRecord(N("txt.example.org."), 300, "v=spf1 -all", "second string", string.Empty)]),
            RawCapture: "10068400000100010000000003747874076578616d706c65036f72670000100001c00c001000010000012c001b0b763d73706631202d616c6c0d7365636f6e6420737472696e6700"),

        new("knot_unknown_type", Knot, Hex.Bytes(
                "1007 8400 0001 0001 0000 0000",
                "06'opaque' 07'example' 03'org' 00", "ff00 0001", // TYPE65280 IN
                "c00c ff00 0001 0000012c",
                "0004 deadbeef"),                // opaque RDATA (RFC 3597)
            () => Response(0x1007, DnsHeaderFlags.AA, "opaque.example.org.", (DnsRecordType)65280,
                answers: [new UnknownRecord(N("opaque.example.org."), (DnsRecordType)65280, 300, Hex.Bytes("deadbeef"))]),
            RawCapture: "100784000001000100000000066f7061717565076578616d706c65036f726700ff000001c00cff0000010000012c0004deadbeef"),

        new("knot_nxdomain_soa_authority", Knot, Hex.Bytes(
                "1008",                          // ID
                "8403",                          // QR AA, RCODE=3 NXDOMAIN
                "0001 0000 0001 0000",           // QD=1 NS=1
                "04'nope' 07'example' 03'org' 00", "0001 0001", // "example.org." at 17 (0x11)
                "c011 0006 0001 0000012c",       // example.org. SOA IN TTL=300
                "0027",                          // RDLENGTH=39
                "03'ns1' c011",                  // MNAME ns1.example.org.
                "0a'hostmaster' c011",           // RNAME hostmaster.example.org.
                "78a3f175",                      // SERIAL 2024010101
                "00001c20 00000e10 00127500",    // REFRESH 7200 RETRY 3600 EXPIRE 1209600
                "0000012c"),                     // MINIMUM 300
            () => Response(0x1008, DnsHeaderFlags.AA, "nope.example.org.", DnsRecordType.A, DnsResponseCode.NXDomain,
                authorities: [Soa("example.org.", 300)]),
            RawCapture: "100884030001000000010000046e6f7065076578616d706c65036f72670000010001c011000600010000012c0027036e7331c0110a686f73746d6173746572c01178a3f17500001c2000000e10001275000000012c"),

        new("knot_ptr", Knot, Hex.Bytes(
                "1009 8400 0001 0001 0000 0000",
                "01'1' 01'2' 01'0' 03'192' 07'in-addr' 04'arpa' 00", "000c 0001", // PTR IN
                "c00c 000c 0001 0000012c",
                "0011", WwwExampleOrg),          // RDLENGTH=17, no earlier suffix to point to
            () => Response(0x1009, DnsHeaderFlags.AA, "1.2.0.192.in-addr.arpa.", DnsRecordType.PTR,
                answers: [new PtrRecord(N("1.2.0.192.in-addr.arpa."), 300, N("www.example.org."))]),
            RawCapture: "1009840000010001000000000131013201300331393207696e2d61646472046172706100000c0001c00c000c00010000012c001103777777076578616d706c65036f726700"),

        new("knot_ns_with_glue", Knot, Hex.Bytes(
                "100a 8400 0001 0001 0000 0001",
                ExampleOrg, "0002 0001",         // example.org. NS IN
                "c00c 0002 0001 0000012c",
                "0006 03'ns1' c00c",             // RDATA at 41 (0x29)
                "c029 0001 0001 0000012c 0004 c0000235"), // glue: ns1.example.org. A 192.0.2.53
            () => Response(0x100a, DnsHeaderFlags.AA, "example.org.", DnsRecordType.NS,
                answers: [new NsRecord(N("example.org."), 300, N("ns1.example.org."))],
                additionals: [A("ns1.example.org.", "192.0.2.53")]),
            RawCapture: "100a84000001000100000001076578616d706c65036f72670000020001c00c000200010000012c0006036e7331c00cc029000100010000012c0004c0000235"),

        new("knot_mx", Knot, Hex.Bytes(
                "100c 8400 0001 0001 0000 0000",
                "04'mail' 07'example' 03'org' 00", "000f 0001", // MX IN
                "c00c 000f 0001 0000012c",
                "0007 000a 02'mx' c011"),        // PREFERENCE=10, EXCHANGE mx.example.org. compressed
            () => Response(0x100c, DnsHeaderFlags.AA, "mail.example.org.", DnsRecordType.MX,
                answers: [new MxRecord(N("mail.example.org."), 300, 10, N("mx.example.org."))]),
            RawCapture: "100c84000001000100000000046d61696c076578616d706c65036f726700000f0001c00c000f00010000012c0007000a026d78c011"),

        new("knot_badvers", Knot, Hex.Bytes(
                "100b",                          // ID
                "8000",                          // QR; header RCODE=0 ...
                "0001 0000 0000 0001",           // QD=1 AR=1
                ExampleOrg, "0006 0001",         // example.org. SOA IN
                "00 0029 04d0",                  // OPT, UDP 1232
                "01 00 0000",                    // ... EXTENDED-RCODE=1: rcode (1 << 4) | 0 = 16 BADVERS; VERSION=0
                "0000"),
            () => WithEdns(Response(0x100b, DnsHeaderFlags.None, "example.org.", DnsRecordType.SOA, DnsResponseCode.BadVers), 1232),
            RawCapture: "100b80000001000000000001076578616d706c65036f7267000006000100002904d0010000000000"),

        new("knot_refused_ede", Knot, Hex.Bytes(
                "100d",                          // ID
                "8005",                          // QR, RCODE=5 REFUSED
                "0001 0000 0000 0001",
                "07'example' 03'com' 00", "0001 0001",
                "00 0029 04d0 00 00 0000",       // OPT, UDP 1232
                "0006",                          // RDLENGTH=6
                "000f 0002",                     // EDE (15), length 2
                "0014"),                         // INFO-CODE 20 Not Authoritative, no EXTRA-TEXT
            () => WithEdns(Response(0x100d, DnsHeaderFlags.None, "example.com.", DnsRecordType.A, DnsResponseCode.Refused), 1232,
                options: EdnsOption.ExtendedError(ExtendedDnsErrorCode.NotAuthoritative)),
            RawCapture: "100d80050001000000000001076578616d706c6503636f6d000001000100002904d0000000000006000f00020014"),

        // ---------------------------------------------------------------- written by MeshDns, checked by hand
        // Also served once from a loopback UDP socket to kdig 3.2.6, which decoded them as meant: "EDE: 22 (No Reachable
        // Authority): 'timeout'" with flags "do"; every owner of the case-echo vector as "...ExAmple.ORG."; "status: BADCOOKIE".

        new("writer_header_all_flags", Writer, Hex.Bytes(
                "ffff",                          // ID
                "affa",                          // 1 0101 1 1 1 1 1 1 1 1010: QR OPCODE=5 UPDATE AA TC RD RA Z AD CD RCODE=10 NOTZONE
                "0000 0000 0000 0000"),          // no sections
            () => new DnsMessage
            {
                Id = 0xffff,
                OpCode = DnsOpCode.Update,
                ResponseCode = DnsResponseCode.NotZone,
                Flags = DnsHeaderFlags.QR | DnsHeaderFlags.AA | DnsHeaderFlags.TC | DnsHeaderFlags.RD | DnsHeaderFlags.RA |
                    DnsHeaderFlags.Z | DnsHeaderFlags.AD | DnsHeaderFlags.CD,
            }),

        new("writer_compression_case_echo", Writer, Hex.Bytes(
                "4a21",                          // ID
                "8580",                          // QR AA RD RA
                "0001 0002 0001 0001",           // QD=1 AN=2 NS=1 AR=1
                "03'WwW' 07'ExAmple' 03'ORG' 00", "0001 0001", // the query's spelling; "example.org." at 16 (0x10)
                "c00c 0005 0001 00000e10",       // www.example.org. CNAME TTL=3600: owner echoes the question
                "0006 03'web' c010",             // target at 45 (0x2d): "web" + pointer to ExAmple.ORG.
                "c02d 0001 0001 0000003c",       // web.example.org. A TTL=60: points into the CNAME RDATA
                "0004 c0000207",                 // 192.0.2.7
                "c010 0002 0001 00000e10",       // authority: example.org. NS
                "0006 03'ns1' c010",             // target at 79 (0x4f)
                "c04f 0001 0001 00000e10",       // additional: ns1.example.org. A
                "0004 c0000235"),                // 192.0.2.53
            () => Response(0x4a21, DnsHeaderFlags.AA | DnsHeaderFlags.RD | DnsHeaderFlags.RA, "WwW.ExAmple.ORG.", DnsRecordType.A,
                answers: [new CnameRecord(N("www.example.org."), 3600, N("web.example.org.")), A("web.example.org.", "192.0.2.7", 60)],
                authorities: [new NsRecord(N("example.org."), 3600, N("ns1.example.org."))],
                additionals: [A("ns1.example.org.", "192.0.2.53", 3600)])),

        new("writer_servfail_ede_text_do", Writer, Hex.Bytes(
                "0102",                          // ID
                "8182",                          // QR RD RA, RCODE=2 SERVFAIL
                "0001 0000 0000 0001",
                "03'svc' 07'cluster' 05'local' 00", "0021 0001", // svc.cluster.local. SRV IN
                "00 0029 04d0",                  // OPT, UDP 1232
                "00 00 8000",                    // EXTENDED-RCODE=0 VERSION=0 DO=1
                "000d",                          // RDLENGTH=13
                "000f 0009",                     // EDE (15), length 9
                "0016",                          // INFO-CODE 22 No Reachable Authority
                "'timeout'"),                    // EXTRA-TEXT (UTF-8)
            () => WithEdns(Response(0x0102, DnsHeaderFlags.RD | DnsHeaderFlags.RA, "svc.cluster.local.", DnsRecordType.SRV, DnsResponseCode.ServFail),
                1232, dnssecOk: true, options: EdnsOption.ExtendedError(ExtendedDnsErrorCode.NoReachableAuthority, "timeout"))),

        new("writer_badcookie_extended_rcode", Writer, Hex.Bytes(
                "0203",                          // ID
                "8007",                          // QR, header RCODE=7 (low four bits of 23)
                "0000 0000 0000 0001",           // only the OPT record
                "00 0029 0200",                  // OPT, UDP 512
                "01 00 0000",                    // EXTENDED-RCODE=1: (1 << 4) | 7 = 23 BADCOOKIE
                "0000"),
            () => WithEdns(new DnsMessage { Id = 0x0203, IsResponse = true, ResponseCode = DnsResponseCode.BadCookie }, 512)),
    ];

    public static GoldenVector Get(string name) => All.Single(v => v.Name == name);

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var vector in All)
        {
            data.Add(vector.Name);
        }

        return data;
    }

    public static TheoryData<string> CaptureNames()
    {
        var data = new TheoryData<string>();
        foreach (var vector in All.Where(v => v.RawCapture is not null))
        {
            data.Add(vector.Name);
        }

        return data;
    }

    internal static DnsName N(string text) => DnsName.Parse(text);

    internal static ARecord A(string owner, string address, uint ttl = 300) => new(N(owner), ttl, IPAddress.Parse(address));

    internal static AaaaRecord Aaaa(string owner, string address, uint ttl = 300) => new(N(owner), ttl, IPAddress.Parse(address));

    internal static SoaRecord Soa(string zone, uint ttl) =>
        new(N(zone), ttl, N("ns1." + zone), N("hostmaster." + zone), 2024010101, 7200, 3600, 1209600, 300);

    private static DnsMessage Query(ushort id, DnsHeaderFlags flags, string name, DnsRecordType type)
    {
        var message = new DnsMessage { Id = id, Flags = flags };
        message.Questions.Add(new DnsQuestion(N(name), type));
        return message;
    }

    private static DnsMessage Response(
        ushort id,
        DnsHeaderFlags flags,
        string name,
        DnsRecordType type,
        DnsResponseCode rcode = DnsResponseCode.NoError,
        ResourceRecord[]? answers = null,
        ResourceRecord[]? authorities = null,
        ResourceRecord[]? additionals = null)
    {
        var message = new DnsMessage { Id = id, Flags = DnsHeaderFlags.QR | flags, ResponseCode = rcode };
        message.Questions.Add(new DnsQuestion(N(name), type));
        message.Answers.AddRange(answers ?? []);
        message.Authorities.AddRange(authorities ?? []);
        message.Additionals.AddRange(additionals ?? []);
        return message;
    }

    private static DnsMessage WithEdns(DnsMessage message, ushort udpPayloadSize, bool dnssecOk = false, byte version = 0, params EdnsOption[] options)
    {
        var edns = message.EnableEdns();
        edns.UdpPayloadSize = udpPayloadSize;
        edns.DnssecOk = dnssecOk;
        edns.Version = version;
        edns.Options.AddRange(options);
        return message;
    }
}
