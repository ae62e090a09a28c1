using System.Diagnostics;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using MeshDns.Protocol.Tests.Golden;
using MeshDns.Protocol.Tests.Properties;
using MeshDns.Protocol.Tests.Support;
using Xunit.Abstractions;

namespace MeshDns.Protocol.Tests.Fuzz;

/// <summary>
/// Feeds over a million packets per run to the reader: random octets, mutations of real and generated messages, and
/// truncations. Every packet goes through <see cref="DnsMessage.TryParse"/> and a raw <see cref="DnsMessageReader"/>
/// walk, which must not throw and must agree; a packet that parses must re-encode, and the re-encoding must parse to
/// an equal message and encode again to the same octets. Seeded: set MESHDNS_FUZZ_SEED to replay a run (a failure
/// prints the seed and the packet). MESHDNS_FUZZ_SCALE multiplies the packet counts (e.g. 10 for a long local run).
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class ReaderFuzzTests(ITestOutputHelper output)
{
    private const int RandomPackets = 300_000;
    private const int MutatedPackets = 550_000;
    private const int TruncatedPackets = 200_000;

    private static readonly byte[] Interesting = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xc0, 0xc1, 0xff, 0x0c, 0x29];

    [Fact]
    public void TryParse_RandomPackets_NeverThrowAndRoundTrip()
    {
        Run("random", RandomPackets, (random, _, buffer) =>
        {
            var length = random.Next(0, 601);
            var packet = buffer.AsSpan(0, length);
            random.NextBytes(packet);
            if (length >= DnsHeader.Size && random.Next(2) == 0)
            {
                // Small section counts get random bytes past the header; otherwise nearly every packet dies there.
                for (var i = 4; i < DnsHeader.Size; i += 2)
                {
                    packet[i] = 0;
                    packet[i + 1] = (byte)random.Next(0, 4);
                }
            }

            return length;
        });
    }

    [Fact]
    public void TryParse_MutatedMessages_NeverThrowAndRoundTrip()
    {
        Run("mutated", MutatedPackets, (random, corpus, buffer) =>
        {
            var source = corpus[random.Next(corpus.Count)];
            var packet = new List<byte>(source.Wire);
            var mutations = 1 + random.Next(3);
            for (var i = 0; i < mutations; i++)
            {
                Mutate(random, packet, source, corpus);
            }

            var length = Math.Min(packet.Count, buffer.Length);
            packet.CopyTo(0, buffer, 0, length);
            return length;
        });
    }

    [Fact]
    public void TryParse_TruncatedMessages_NeverThrowAndRoundTrip()
    {
        Run("truncated", TruncatedPackets, (random, corpus, buffer) =>
        {
            var source = corpus[random.Next(corpus.Count)];
            var packet = new List<byte>(source.Wire);
            if (random.Next(3) == 0)
            {
                Mutate(random, packet, source, corpus);
            }

            var length = random.Next(0, packet.Count + 1);
            packet.CopyTo(0, buffer, 0, length);
            return length;
        });
    }

    private void Run(string kind, int packets, Func<Random, List<Seed>, byte[], int> next)
    {
        var seed = Environment.GetEnvironmentVariable("MESHDNS_FUZZ_SEED") is { } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var scale = Environment.GetEnvironmentVariable("MESHDNS_FUZZ_SCALE") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 1;
        packets *= scale;
        var random = new Random(seed);
        var corpus = Corpus(seed);
        var buffer = new byte[4096];
        var first = new byte[ushort.MaxValue];
        var second = new byte[ushort.MaxValue];
        var parsed = 0;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < packets; i++)
        {
            var length = next(random, corpus, buffer);
            var packet = buffer.AsSpan(0, length);
            try
            {
                if (CheckPacket(packet, first, second))
                {
                    parsed++;
                }
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(
                    $"{kind} fuzz failed at packet {i} with MESHDNS_FUZZ_SEED={seed}\npacket: {Hex.Of(packet)}\n{e.Message}", e);
            }
        }

        stopwatch.Stop();
        output.WriteLine(
            $"{kind}: {packets:N0} packets ({parsed:N0} parsed) in {stopwatch.Elapsed.TotalSeconds:F2} s = " +
            $"{packets / stopwatch.Elapsed.TotalSeconds:N0} packets/s, seed {seed}");

        // Guards the fuzzer itself: a mutator that only produced garbage would test nothing beyond the header.
        if (kind == "mutated")
        {
            Assert.True(parsed > packets / 50, $"only {parsed} of {packets} packets parsed: the mutations are too destructive");
        }
    }

    /// <summary>Returns whether the packet parsed; throws when any rule of the round trip is broken.</summary>
    private static bool CheckPacket(ReadOnlySpan<byte> packet, byte[] first, byte[] second)
    {
        var walk = ReaderWalk.Walk(packet);
        if (!DnsMessage.TryParse(packet, out var message, out var error))
        {
            // The walk may get further (it does not decode RDATA or check OPT) or stop elsewhere; it only must not throw.
            Check(message is null && error != DnsParseError.None, $"failed parse returned {error} and a message");
            return false;
        }

        Check(error == DnsParseError.None, $"successful parse reported {error}");
        Check(walk == DnsParseError.None, $"TryParse succeeded but the raw walk failed with {walk}");

        var length = message.Encode(first);
        Check(length >= DnsHeader.Size, "a parsed message does not re-encode");
        var wire = first.AsSpan(0, length);
        Check(DnsMessage.TryParse(wire, out var again, out var againError), $"re-encoding does not parse ({againError}): {Hex.Of(wire)}");
        var difference = MessageEquality.Difference(message, again!, comparePresentation: false);
        Check(difference is null, $"re-parsed message differs: {difference}\nfirst:\n{message}\nre-parsed:\n{again}");
        var secondLength = again!.Encode(second);
        Check(wire.SequenceEqual(second.AsSpan(0, secondLength)), "encoding the re-parsed message gives other octets");
        return true;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }

    private static void Mutate(Random random, List<byte> packet, Seed source, List<Seed> corpus)
    {
        if (packet.Count == 0)
        {
            packet.Add((byte)random.Next(256));
            return;
        }

        var at = random.Next(packet.Count);
        switch (random.Next(11))
        {
            case 0: // flip one bit
                packet[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1: // replace an octet with an interesting or random value
                packet[at] = random.Next(2) == 0 ? Interesting[random.Next(Interesting.Length)] : (byte)random.Next(256);
                break;
            case 2: // insert octets
                for (var n = 1 + random.Next(4); n > 0; n--)
                {
                    packet.Insert(at, (byte)random.Next(256));
                }

                break;
            case 3: // delete octets
                packet.RemoveRange(at, Math.Min(packet.Count - at, 1 + random.Next(4)));
                break;
            case 4: // change one of the four section counts
                if (packet.Count >= DnsHeader.Size)
                {
                    var count = 4 + (2 * random.Next(4));
                    var value = random.Next(4) == 0 ? random.Next(65536) : random.Next(6);
                    packet[count] = (byte)(value >> 8);
                    packet[count + 1] = (byte)value;
                }

                break;
            case 5: // rewrite a compression pointer's target (self, forward, backward, anywhere)
            case 6: // or put a pointer where a name starts
                {
                    var offsets = random.Next(2) == 0 ? source.Pointers : source.NameStarts;
                    if (offsets.Length > 0)
                    {
                        var position = offsets[random.Next(offsets.Length)];
                        if (position + 1 < packet.Count)
                        {
                            var target = random.Next(3) switch
                            {
                                0 => position,
                                1 => random.Next(Math.Min(position + 8, packet.Count)),
                                _ => random.Next(0x4000),
                            };
                            packet[position] = (byte)(0xc0 | (target >> 8));
                            packet[position + 1] = (byte)target;
                        }
                    }

                    break;
                }

            case 7: // change an RDLENGTH by a little or a lot
                SetUInt16(packet, source.RDataLengths, random, current => random.Next(3) switch
                {
                    0 => current + 1,
                    1 => Math.Max(0, current - 1),
                    _ => random.Next(40),
                });
                break;
            case 8: // make RDATA be read as another type (decoders see foreign RDATA)
                SetUInt16(packet, source.Types, random, _ => (ushort)TypesToConfuse[random.Next(TypesToConfuse.Length)]);
                break;
            case 9: // splice the tail of another message
                {
                    var other = corpus[random.Next(corpus.Count)].Wire;
                    if (other.Length > 0)
                    {
                        var from = random.Next(other.Length);
                        packet.RemoveRange(at, packet.Count - at);
                        packet.AddRange(other.AsSpan(from).ToArray());
                    }

                    break;
                }

            default: // set a label length octet to something near or past 63
                if (source.NameStarts.Length > 0)
                {
                    var position = source.NameStarts[random.Next(source.NameStarts.Length)];
                    if (position < packet.Count)
                    {
                        packet[position] = (byte)(random.Next(2) == 0 ? random.Next(60, 70) : random.Next(256));
                    }
                }

                break;
        }
    }

    private static readonly DnsRecordType[] TypesToConfuse =
    [
        DnsRecordType.A, DnsRecordType.AAAA, DnsRecordType.CNAME, DnsRecordType.NS, DnsRecordType.PTR, DnsRecordType.MX,
        DnsRecordType.SRV, DnsRecordType.SOA, DnsRecordType.TXT, DnsRecordType.OPT, (DnsRecordType)65280,
    ];

    private static void SetUInt16(List<byte> packet, int[] offsets, Random random, Func<int, int> change)
    {
        if (offsets.Length == 0)
        {
            return;
        }

        var position = offsets[random.Next(offsets.Length)];
        if (position + 1 < packet.Count)
        {
            var value = change((packet[position] << 8) | packet[position + 1]);
            packet[position] = (byte)(value >> 8);
            packet[position + 1] = (byte)value;
        }
    }

    /// <summary>The golden vectors plus messages from the property generator (seeded), with their field offsets.</summary>
    private static List<Seed> Corpus(int seed)
    {
        var wires = GoldenVectors.All.Select(v => v.Wire).ToList();
        var generated = DnsGenerators.Message.Sample(4, new Rnd((ulong)(uint)seed), 150);
        wires.AddRange(generated.Select(m => m.ToArray(1400)));
        return [.. wires.Select(Seed.From)];
    }

    /// <summary>A message to mutate and where its names, pointers, types and RDLENGTHs are.</summary>
    private sealed record Seed(byte[] Wire, int[] NameStarts, int[] Pointers, int[] Types, int[] RDataLengths)
    {
        public static Seed From(byte[] wire)
        {
            var names = new List<int>();
            var types = new List<int>();
            var lengths = new List<int>();
            var reader = new DnsMessageReader(wire);
            Span<byte> name = stackalloc byte[WireName.MaxLength];
            if (reader.TryReadHeader(out var header))
            {
                for (var i = 0; i < header.QuestionCount; i++)
                {
                    names.Add(reader.Position);
                    if (!reader.TryReadQuestion(name, out _, out _, out _))
                    {
                        break;
                    }
                }

                for (var i = 0; i < header.AnswerCount + header.AuthorityCount + header.AdditionalCount; i++)
                {
                    names.Add(reader.Position);
                    if (!reader.TryReadRecordHeader(name, out _, out var record))
                    {
                        break;
                    }

                    types.Add(record.RDataOffset - 10);
                    lengths.Add(record.RDataOffset - 2);
                    reader.Position = record.RDataOffset + record.RDataLength;
                }
            }

            // Octets that look like pointer starts; not all are, which is fine for a fuzzer.
            var pointers = Enumerable.Range(DnsHeader.Size, Math.Max(0, wire.Length - DnsHeader.Size - 1)).Where(i => wire[i] >= 0xc0).ToArray();
            return new Seed(wire, [.. names], pointers, [.. types], [.. lengths]);
        }
    }
}
