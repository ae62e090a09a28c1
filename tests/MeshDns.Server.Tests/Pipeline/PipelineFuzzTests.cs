using System.Diagnostics;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using Xunit.Abstractions;

namespace MeshDns.Server.Tests.Pipeline;

/// <summary>
/// Feeds a million random and mutated packets through the whole request pipeline (acceptance rules, routing,
/// chain, encoder). Nothing may throw, every response must parse, answer the same ID, and fit the size limit.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class PipelineFuzzTests(ITestOutputHelper output)
{
    private const int Packets = 1_000_000;

    [Fact]
    public void ProcessAsync_MillionRandomAndMutatedPackets_NeverThrowsAndAnswersAreWellFormed()
    {
        var seed = Environment.GetEnvironmentVariable("MESHDNS_FUZZ_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set MESHDNS_FUZZ_SEED to replay)");
        var random = new Random(seed);
        var harness = new ProcessorHarness(
            (["example.org."], new ErraticTestHandler(new ErraticOptions { Records = 3, Additional = 2 })),
            (["."], new ErraticTestHandler(new ErraticOptions { Records = 1 })));
        var seeds = SeedPackets();
        var context = new DnsRequestContext();
        var response = new byte[ushort.MaxValue];
        var packet = new byte[700];
        var answered = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Packets; i++)
        {
            var length = (i % 3) switch
            {
                0 => RandomPacket(random, packet),
                1 => Mutate(random, seeds[random.Next(seeds.Length)], packet),
                _ => Truncate(random, seeds[random.Next(seeds.Length)], packet),
            };
            var input = packet.AsMemory(0, length);
            var transport = (i & 1) == 0 ? DnsTransport.Udp : DnsTransport.Tcp;
            int size;
            try
            {
                size = ProcessSynchronously(harness.Processor, context, input, transport, response);
            }
            catch (Exception exception)
            {
                throw new InvalidOperationException($"packet {i} (seed {seed}) threw: {Convert.ToHexString(input.Span)}", exception);
            }

            if (size == 0)
            {
                continue;
            }

            answered++;
            if (transport == DnsTransport.Udp)
            {
                Assert.True(size <= 1232, $"packet {i} (seed {seed}): UDP response of {size} octets");
            }

            if (!DnsMessage.TryParse(response.AsSpan(0, size), out var message, out var error))
            {
                throw new InvalidOperationException($"packet {i} (seed {seed}): response does not parse ({error}); request {Convert.ToHexString(input.Span)}");
            }

            Assert.True(message.IsResponse);
            Assert.Equal((ushort)((input.Span[0] << 8) | input.Span[1]), message.Id);
        }

        output.WriteLine($"{Packets} packets in {watch.Elapsed.TotalSeconds:F1}s ({Packets / watch.Elapsed.TotalSeconds:F0}/s); {answered} answered");
    }

    private static int ProcessSynchronously(RequestProcessor processor, DnsRequestContext context, ReadOnlyMemory<byte> input, DnsTransport transport, byte[] response)
    {
        var pending = processor.ProcessAsync(context, input, transport, response);
        return pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("a synchronous chain must complete synchronously");
    }

    private static byte[][] SeedPackets()
    {
        var plain = DnsMessage.CreateQuery(DnsName.Parse("www.example.org."), DnsRecordType.A, 1).ToArray();
        var edns = DnsTestClient.CreateQuery("_http._tcp.web.shop.svc.example.org.", DnsRecordType.SRV, edns: true, dnssecOk: true);
        edns.Edns!.Options.Add(new EdnsOption(10, new byte[8]));
        var badVersion = DnsTestClient.CreateQuery("a.b.", DnsRecordType.AAAA, edns: true);
        badVersion.Edns!.Version = 3;
        return [plain, edns.ToArray(), badVersion.ToArray(), DnsMessage.CreateQuery(DnsName.Root, DnsRecordType.NS, 7).ToArray()];
    }

    private static int RandomPacket(Random random, byte[] packet)
    {
        var length = random.Next(0, 600);
        random.NextBytes(packet.AsSpan(0, length));
        if (length > 3 && random.Next(2) == 0)
        {
            packet[2] &= 0x07; // mostly queries with opcode QUERY, so deeper code runs
            packet[4] = 0;
            packet[5] = 1;
        }

        return length;
    }

    private static int Mutate(Random random, byte[] seed, byte[] packet)
    {
        var length = seed.Length;
        seed.CopyTo(packet, 0);
        var mutations = random.Next(1, 5);
        for (var m = 0; m < mutations; m++)
        {
            switch (random.Next(6))
            {
                case 0:
                    packet[random.Next(length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    packet[random.Next(length)] = (byte)random.Next(256);
                    break;
                case 2 when length < packet.Length - 1:
                    var at = random.Next(length);
                    Array.Copy(packet, at, packet, at + 1, length - at);
                    packet[at] = (byte)random.Next(256);
                    length++;
                    break;
                case 3 when length > 1:
                    var del = random.Next(length);
                    Array.Copy(packet, del + 1, packet, del, length - del - 1);
                    length--;
                    break;
                case 4 when length > 12:
                    packet[4 + (2 * random.Next(4)) + 1] = (byte)random.Next(4); // section counts
                    break;
                default:
                    var p = 12 + random.Next(Math.Max(1, length - 13));
                    if (p + 1 < length)
                    {
                        packet[p] = (byte)(0xC0 | random.Next(4));
                        packet[p + 1] = (byte)random.Next(256); // a pointer anywhere
                    }

                    break;
            }
        }

        return length;
    }

    private static int Truncate(Random random, byte[] seed, byte[] packet)
    {
        var length = random.Next(0, seed.Length);
        seed.AsSpan(0, length).CopyTo(packet);
        return length;
    }
}
