using FsCheck;
using FsCheck.Fluent;
using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Properties;

/// <summary>
/// Properties over generated names, records and messages (FsCheck; a failure prints the seed to replay).
/// </summary>
public sealed class RoundTripPropertyTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithQuietOnSuccess(true);

    [Fact]
    public void DnsName_CaseVariants_AreEqualWithEqualHashes()
    {
        var pairs =
            from name in DnsGenerators.Name
            from variant in DnsGenerators.CaseVariant(name)
            select (name, variant);

        Check.One(Quick.WithMaxTest(2000), Prop.ForAll(pairs.ToArbitrary(), pair =>
        {
            var (name, variant) = pair;
            Assert.True(name.Equals(variant), $"{name} != {variant}");
            Assert.True(variant.Equals(name));
            Assert.Equal(name.GetHashCode(), variant.GetHashCode());
            Assert.Equal(DnsNameComparer.Instance.GetHashCode(name.Wire), DnsNameComparer.Instance.GetHashCode(variant.Wire));
            Assert.Equal(0, name.CompareTo(variant));
            Assert.True(name.IsSubdomainOf(variant) && variant.IsSubdomainOf(name));
            Assert.True(name.ToLowerInvariant().EqualsExact(variant.ToLowerInvariant()));
        }));
    }

    [Fact]
    public void DnsName_Presentation_RoundTripsExactly()
    {
        Check.One(Quick.WithMaxTest(2000), Prop.ForAll(DnsGenerators.Name.ToArbitrary(), name =>
        {
            var text = name.ToString();
            Assert.True(DnsName.TryParse(text, out var parsed), $"'{text}' does not parse");
            Assert.True(parsed.EqualsExact(name), $"'{text}' parsed as '{parsed}'");
        }));
    }

    [Fact]
    public void DnsName_DistinctNames_CompareConsistentlyWithEquals()
    {
        var pairs = DnsGenerators.Name.Two();

        Check.One(Quick.WithMaxTest(2000), Prop.ForAll(pairs.ToArbitrary(), pair =>
        {
            var (a, b) = (pair.Item1, pair.Item2);
            var order = a.CompareTo(b);
            Assert.Equal(a.Equals(b), order == 0);
            Assert.Equal(Math.Sign(order), -Math.Sign(b.CompareTo(a)));
        }));
    }

    [Fact]
    public void DnsMessage_EncodeThenParse_GivesEqualMessage()
    {
        Check.One(Quick.WithMaxTest(1500), Prop.ForAll(DnsGenerators.Message.ToArbitrary(), message =>
        {
            var wire = message.ToArray();
            Assert.True(DnsMessage.TryParse(wire, out var parsed, out var error), $"{error} parsing {Hex.Of(wire)}\n{message}");
            MessageAssert.Equal(message, parsed);
            Assert.Contains($"id: {message.Id}", parsed.ToString(), StringComparison.Ordinal);

            // Encoding what was parsed gives the same octets: compression decisions depend only on the names' values.
            MessageAssert.BytesEqual(wire, parsed.ToArray());
        }));
    }

    [Fact]
    public void ResourceRecord_ToStringThenParse_GivesEqualRecord()
    {
        Check.One(Quick.WithMaxTest(3000), Prop.ForAll(DnsGenerators.Record().ToArbitrary(), record =>
        {
            var text = record.ToString();
            var parsed = ResourceRecord.Parse(text);
            Assert.True(MessageEquality.RecordsEqual(record, parsed), $"'{text}' parsed as '{parsed}'");
            Assert.Equal(text, parsed.ToString());
            Assert.Equal(record.GetType(), parsed.GetType());
        }));
    }

    [Fact]
    public void DnsMessage_EncodeUnderLimit_NeverExceedsLimitAndKeepsWholeRRsets()
    {
        var cases =
            from message in DnsGenerators.Message
            from maxSize in Gen.Frequency((3, Gen.Choose(0, 600)), (1, Gen.Choose(600, 4096)))
            select (message, maxSize);

        Check.One(Quick.WithMaxTest(3000), Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (message, maxSize) = c;
            var buffer = new byte[ushort.MaxValue];
            var length = message.Encode(buffer, maxSize);
            if (length < 0)
            {
                // Only when the header, questions and OPT alone are over the limit.
                var bare = CopyWithoutRecords(message);
                Assert.True(bare.ToArray().Length > maxSize, $"-1 for maxSize {maxSize} though {bare.ToArray().Length} octets fit");
                return;
            }

            Assert.True(length <= maxSize, $"{length} > {maxSize}");
            Assert.True(DnsMessage.TryParse(buffer.AsSpan(0, length), out var parsed, out var error), $"{error}: {Hex.Of(buffer.AsSpan(0, length))}");
            Assert.Equal(message.Edns is not null, parsed.Edns is not null);
            AssertWholeRRsetPrefix(message.Answers, parsed.Answers);
            AssertWholeRRsetPrefix(message.Authorities, parsed.Authorities);
            AssertWholeRRsetPrefix(message.Additionals, parsed.Additionals);

            var answerOrAuthorityCut = parsed.Answers.Count < message.Answers.Count || parsed.Authorities.Count < message.Authorities.Count;
            Assert.Equal(answerOrAuthorityCut || message.Truncated, parsed.Truncated);
            if (answerOrAuthorityCut)
            {
                Assert.Empty(parsed.Additionals);
            }

            var whole = message.ToArray();
            if (whole.Length <= maxSize)
            {
                // Nothing had to go: the limited encoding is the unlimited one.
                MessageAssert.BytesEqual(whole, buffer.AsSpan(0, length));
                MessageAssert.Equal(message, parsed);
            }
        }));
    }

    private static void AssertWholeRRsetPrefix(List<ResourceRecord> original, List<ResourceRecord> kept)
    {
        Assert.True(kept.Count <= original.Count);
        for (var i = 0; i < kept.Count; i++)
        {
            Assert.True(MessageEquality.RecordsEqual(original[i], kept[i]), $"record {i}: {original[i]} != {kept[i]}");
        }

        if (kept.Count > 0 && kept.Count < original.Count)
        {
            var last = original[kept.Count - 1];
            var next = original[kept.Count];
            Assert.False(last.Name.Equals(next.Name) && last.Type == next.Type && last.Class == next.Class, $"RRset of {next} split");
        }
    }

    private static DnsMessage CopyWithoutRecords(DnsMessage message)
    {
        var bare = new DnsMessage { Id = message.Id, Flags = message.Flags, OpCode = message.OpCode, ResponseCode = message.ResponseCode, Edns = message.Edns };
        bare.Questions.AddRange(message.Questions);
        return bare;
    }
}
