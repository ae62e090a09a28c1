using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using MeshDns.Testing.FakeKubernetes;
using Xunit.Abstractions;

namespace MeshDns.FunctionalTests.Kubernetes;

/// <summary>
/// The 30 questions CoreDNS 1.8.7 + kubernetai answered in shared/recordings, asked of MeshDns over the same objects
/// (three fake API servers seeded from the recordings' fixtures, each reached with another auth style, the
/// recordings' Corefile): same rcodes, same records (the SOA serial, a timestamp, aside).
/// </summary>
public sealed class RecordedAnswersTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Query_RecordedQuestions_SameAnswersAsCoreDns187()
    {
        await using var clusters = await FakeClusters.StartAsync(["cluster-a", "cluster-b", "cluster-c"]);
        for (var i = 0; i < 3; i++)
        {
            foreach (var obj in Recordings.SeedObjects("abc"[i]))
            {
                clusters.Servers[i].Upsert(obj);
            }
        }

        // The recordings' Corefile (fixtures/Corefile.coredns-kubernetai) on ephemeral ports.
        var corefile = $$"""
            .:0 {
                bind 127.0.0.1
                errors
                ready 127.0.0.1:0
                kubernetai cluster-a.local 96.10.in-addr.arpa {
                    kubeconfig {{clusters.Kubeconfig}} cluster-a
                    pods verified
                }
                kubernetai cluster-b.local 97.10.in-addr.arpa {
                    kubeconfig {{clusters.Kubeconfig}} cluster-b
                    pods verified
                }
                kubernetai cluster-c.local 98.10.in-addr.arpa {
                    kubeconfig {{clusters.Kubeconfig}} cluster-c
                    pods verified
                }
            }
            """;
        await using var server = await TestDnsServer.StartAsync(corefile, output);
        var recorded = RecordedAnswer.Parse(Recordings.Read("coredns-1.8.7-kubernetai-answers.txt"));
        Assert.Equal(30, recorded.Count);

        var mismatches = new List<string>();
        foreach (var tcp in new[] { false, true })
        {
            foreach (var expected in recorded)
            {
                var reply = await DnsTestClient.QueryAsync(server.Endpoint, expected.Name, expected.Type, tcp, edns: true);
                var got = reply.Answers.Concat(reply.Authorities).Concat(reply.Additionals).Select(Normalize).Order(StringComparer.Ordinal).ToArray();
                var want = expected.Records.Select(ResourceRecord.Parse).Select(Normalize).Order(StringComparer.Ordinal).ToArray();
                if (reply.ResponseCode != expected.Rcode || !got.SequenceEqual(want))
                {
                    mismatches.Add($"{expected.Name} {expected.Type} ({(tcp ? "tcp" : "udp")}): expected {DnsTypeNames.RcodeToString(expected.Rcode)}\n  {string.Join("\n  ", want)}\ngot:\n{reply}");
                }

                // Where the recording's flat list does not say, the sections are CoreDNS's: SOA of a negative answer in authority.
                if (reply.Answers.Count == 0 && reply.ResponseCode is DnsResponseCode.NoError or DnsResponseCode.NXDomain)
                {
                    Assert.IsType<SoaRecord>(Assert.Single(reply.Authorities));
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n\n", mismatches));
    }

    private static string Normalize(ResourceRecord record) => (record is SoaRecord soa
        ? new SoaRecord(soa.Name, soa.Ttl, soa.PrimaryServer, soa.ResponsibleMailbox, 0, soa.Refresh, soa.Retry, soa.Expire, soa.Minimum)
        : record).ToString().ToLowerInvariant();

    /// <summary>One question of the recordings: <c>### NAME TYPE</c>, the dig header line with the status, the records.</summary>
    private sealed record RecordedAnswer(string Name, DnsRecordType Type, DnsResponseCode Rcode, IReadOnlyList<string> Records)
    {
        public static List<RecordedAnswer> Parse(string text)
        {
            var answers = new List<RecordedAnswer>();
            string? name = null;
            var type = DnsRecordType.None;
            var rcode = DnsResponseCode.NoError;
            var records = new List<string>();
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.TrimEnd();
                if (line.StartsWith("### ", StringComparison.Ordinal))
                {
                    Flush();
                    var parts = line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    name = parts[0].EndsWith('.') ? parts[0] : parts[0] + ".";
                    type = Enum.Parse<DnsRecordType>(parts[1]);
                    records = [];
                }
                else if (line.StartsWith(";; ->>HEADER<<-", StringComparison.Ordinal))
                {
                    var status = line[(line.IndexOf("status: ", StringComparison.Ordinal) + 8)..].Trim();
                    rcode = status switch
                    {
                        "NOERROR" => DnsResponseCode.NoError,
                        "NXDOMAIN" => DnsResponseCode.NXDomain,
                        "SERVFAIL" => DnsResponseCode.ServFail,
                        _ => throw new FormatException("unknown status " + status),
                    };
                }
                else if (name is not null && line.Length > 0 && !line.StartsWith('#') && !line.StartsWith(';'))
                {
                    records.Add(line);
                }
            }

            Flush();
            return answers;

            void Flush()
            {
                if (name is not null)
                {
                    answers.Add(new RecordedAnswer(name, type, rcode, records));
                }
            }
        }
    }
}
