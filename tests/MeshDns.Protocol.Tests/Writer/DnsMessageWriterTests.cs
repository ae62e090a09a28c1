using System.Net;
using FsCheck;
using FsCheck.Fluent;
using MeshDns.Protocol.Tests.Properties;
using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Writer;

public sealed class DnsMessageWriterTests
{
    private static readonly DnsName WwwExampleOrg = DnsName.Parse("www.example.org.");

    [Fact]
    public void TryWriteName_RepeatedNamesAndSuffixes_WritesPointers()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]);
        Assert.True(writer.TryWriteHeader(default));

        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));                         // 12
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));                         // 29
        Assert.True(writer.TryWriteName(DnsName.Parse("mail.example.org.").Wire));    // 31
        Assert.True(writer.TryWriteName(DnsName.Parse("org.").Wire));                 // 38
        Assert.True(writer.TryWriteName(DnsName.Parse("mail.example.org.").Wire));    // 40
        Assert.True(writer.TryWriteName(DnsName.Root.Wire));                          // 42: the root is one octet, never a pointer
        Assert.True(writer.TryWriteName(DnsName.Parse("example.com.").Wire));         // 43: no common suffix

        MessageAssert.BytesEqual(
            Hex.Bytes(
                "03'www' 07'example' 03'org' 00",
                "c00c",
                "04'mail' c010",
                "c018",
                "c01f",
                "00",
                "07'example' 03'com' 00"),
            writer.Written[12..]);
    }

    [Fact]
    public void TryWriteName_DifferentCase_CompressesToFirstSpelling()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]);
        Assert.True(writer.TryWriteHeader(default));

        Assert.True(writer.TryWriteName(DnsName.Parse("WwW.ExAmple.ORG.").Wire));
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));
        Assert.True(writer.TryWriteName(DnsName.Parse("FTP.EXAMPLE.org.").Wire));

        MessageAssert.BytesEqual(Hex.Bytes("03'WwW' 07'ExAmple' 03'ORG' 00", "c00c", "03'FTP' c010"), writer.Written[12..]);
    }

    [Fact]
    public void Encode_QuestionSpelledMixedCase_AnswerOwnersPointToOffset12()
    {
        var query = DnsMessage.CreateQuery(DnsName.Parse("WwW.ExAmple.ORG."), DnsRecordType.A, id: 0x20);
        var response = DnsMessage.CreateResponse(query);
        response.Answers.Add(new ARecord(WwwExampleOrg, 30, IPAddress.Parse("192.0.2.1")));
        response.Answers.Add(new ARecord(WwwExampleOrg, 30, IPAddress.Parse("192.0.2.2")));

        var wire = response.ToArray();

        MessageAssert.BytesEqual(Hex.Bytes("03'WwW' 07'ExAmple' 03'ORG' 00 0001 0001"), wire.AsSpan(12, 21));
        MessageAssert.BytesEqual(Hex.Bytes("c00c 0001 0001 0000001e 0004 c0000201"), wire.AsSpan(33, 16));
        MessageAssert.BytesEqual(Hex.Bytes("c00c 0001 0001 0000001e 0004 c0000202"), wire.AsSpan(49, 16));
        var parsed = MessageAssert.Parses(wire);
        Assert.All(parsed.Answers, a => Assert.True(a.Name.EqualsExact(query.Questions[0].Name)));
    }

    [Fact]
    public void TryWriteRecord_SrvTarget_NeverCompressed()
    {
        var message = new DnsMessage { IsResponse = true };
        message.Questions.Add(new DnsQuestion(WwwExampleOrg, DnsRecordType.SRV));
        message.Answers.Add(new SrvRecord(WwwExampleOrg, 5, 1, 2, 3, WwwExampleOrg));
        message.Answers.Add(new CnameRecord(DnsName.Parse("alias.example.org."), 5, WwwExampleOrg));

        var wire = message.ToArray();

        MessageAssert.BytesEqual(
            Hex.Bytes(
                "c00c 0021 0001 00000005 0017",       // owner compressed
                "0001 0002 0003",
                "03'www' 07'example' 03'org' 00",     // target in full, though it equals the question (RFC 2782)
                "05'alias' c010 0005 0001 00000005",  // later names may point into it ...
                "0002 c00c"),                         // ... or anywhere else
            wire.AsSpan(33));
    }

    [Fact]
    public void TryWriteName_CompressFalse_LabelsStillBecomeTargets()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]);
        Assert.True(writer.TryWriteHeader(default));

        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire, compress: false));
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire, compress: false));
        Assert.True(writer.TryWriteName(DnsName.Parse("example.org.").Wire));

        MessageAssert.BytesEqual(Hex.Bytes("03'www' 07'example' 03'org' 00", "03'www' 07'example' 03'org' 00", "c010"), writer.Written[12..]);
    }

    [Fact]
    public void TryWriteName_EmptyCompressionTable_NeverCompresses()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, []);

        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));

        Assert.Equal(2 * WwwExampleOrg.WireLength, writer.Position);
    }

    [Fact]
    public void TryWriteName_FullCompressionTable_CompressesAgainstRememberedLabelsOnly()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[2]);
        Assert.True(writer.TryWriteHeader(default));

        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));                 // remembers 12 (www...) and 16 (example...), not 24 (org.)
        Assert.True(writer.TryWriteName(DnsName.Parse("org.").Wire));         // nothing to point to
        Assert.True(writer.TryWriteName(DnsName.Parse("a.example.org.").Wire));

        MessageAssert.BytesEqual(Hex.Bytes("03'www' 07'example' 03'org' 00", "03'org' 00", "01'a' c010"), writer.Written[12..]);
    }

    [Fact]
    public void TryWriteName_FirstCopyPastOffset3FFF_IsNotPointedTo()
    {
        var buffer = new byte[0x5000];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]);
        Assert.True(writer.TryWriteBytes(new byte[0x4000])); // everything after this is out of a pointer's reach

        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));

        Assert.Equal(0x4000 + (2 * WwwExampleOrg.WireLength), writer.Position);
    }

    [Fact]
    public void TryWriteName_NameStraddling3FFF_PointsOnlyToReachableLabels()
    {
        var buffer = new byte[0x5000];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]);
        Assert.True(writer.TryWriteBytes(new byte[0x3ffc]));

        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));   // "www" at 0x3ffc (reachable), "example" at 0x4000 (not)
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));
        Assert.True(writer.TryWriteName(DnsName.Parse("example.org.").Wire));

        // 0xFFFC = pointer (0xC000) to 0x3FFC; "example.org." has no reachable copy and is written again.
        MessageAssert.BytesEqual(Hex.Bytes("03'www' 07'example' 03'org' 00", "fffc", "07'example' 03'org' 00"), writer.Written[0x3ffc..]);
    }

    [Fact]
    public void WrittenNames_Decompress_ToWhatWasWritten()
    {
        // Any sequence of names written with compression reads back as the same names (case aside), with the first
        // spelling of each shared suffix.
        var cases = Gen.Choose(1, 30).SelectMany(count => Gen.ArrayOf(DnsGenerators.NameFromPool(
            [DnsName.Parse("example.org."), DnsName.Parse("a.example.org."), DnsName.Parse("B.Example.ORG.")]), count));

        Check.One(Config.QuickThrowOnFailure.WithQuietOnSuccess(true).WithMaxTest(1000), Prop.ForAll(cases.ToArbitrary(), names =>
        {
            var buffer = new byte[8192];
            var writer = new DnsMessageWriter(buffer, stackalloc ushort[64]);
            var starts = new List<int>();
            foreach (var name in names)
            {
                starts.Add(writer.Position);
                Assert.True(writer.TryWriteName(name.Wire));
            }

            var written = writer.Written.ToArray();
            var uncompressed = names.Sum(n => n.WireLength);
            Assert.True(written.Length <= uncompressed);

            var reader = new DnsMessageReader(written);
            Span<byte> decoded = stackalloc byte[WireName.MaxLength];
            for (var i = 0; i < names.Length; i++)
            {
                Assert.Equal(starts[i], reader.Position);
                Assert.True(reader.TryReadName(decoded, out var length), $"name {i}: {reader.Error}");
                Assert.True(names[i].Equals(decoded[..length]), $"name {i}: wrote {names[i]}, read {WireName.ToPresentation(decoded[..length])}");
            }

            Assert.Equal(0, reader.Remaining);
        }));
    }

    [Fact]
    public void TryWriteName_OverLimit_FailsAndLeavesNoTrace()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]) { Limit = 12 + 20 };
        Assert.True(writer.TryWriteHeader(default));
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire)); // 17 octets: 29
        var before = writer.Save();

        Assert.False(writer.TryWriteName(DnsName.Parse("mail.example.org.").Wire)); // 5 + 2 = 7 > 3 left
        Assert.Equal(before, writer.Save());

        Assert.True(writer.TryWriteName(DnsName.Parse("example.org.").Wire)); // a 2-octet pointer fits
        Assert.Equal(31, writer.Position);
        Assert.False(writer.TryWriteUInt16(1));
        Assert.True(writer.TryWriteUInt8(1));
        Assert.False(writer.TryWriteUInt8(1));
        Assert.False(writer.TryWriteBytes([1]));
        Assert.True(writer.TryWriteBytes([]));
        Assert.Equal(32, writer.Position);
    }

    [Fact]
    public void TryWriteName_PointerWouldCrossLimit_Fails()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]) { Limit = 12 + 17 + 5 + 1 };
        Assert.True(writer.TryWriteHeader(default));
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));
        var before = writer.Save();

        Assert.False(writer.TryWriteName(DnsName.Parse("mail.example.org.").Wire)); // "mail" fits, its pointer does not

        Assert.Equal(before, writer.Save());
    }

    [Fact]
    public void Limit_Negative_ThrowsAndLargerThanBuffer_IsClamped()
    {
        var writer = new DnsMessageWriter(new byte[100], []);

        var thrown = false;
        try
        {
            writer.Limit = -1;
        }
        catch (ArgumentOutOfRangeException)
        {
            thrown = true;
        }

        Assert.True(thrown);
        writer.Limit = 1000;
        Assert.Equal(100, writer.Limit);
    }

    [Fact]
    public void Limit_RaisedAgain_UsesReservedRoom()
    {
        var writer = new DnsMessageWriter(new byte[64], []) { Limit = 10 };
        Assert.False(writer.TryWriteHeader(default));

        writer.Limit = 64;

        Assert.True(writer.TryWriteHeader(default));
    }

    [Fact]
    public void Restore_ForgetsBytesAndCompressionEntriesSinceSave()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]);
        Assert.True(writer.TryWriteHeader(default));
        Assert.True(writer.TryWriteName(DnsName.Parse("example.org.").Wire)); // 12
        var checkpoint = writer.Save();
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));                   // 25: "www" + C00C, remembered at 25

        writer.Restore(checkpoint);
        Assert.Equal(25, writer.Position);
        Assert.Equal(checkpoint, writer.Save());
        Assert.True(writer.TryWriteUInt32(0xdeadbeef));                        // overwrite where "www" was
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));                   // must not point to 25

        MessageAssert.BytesEqual(Hex.Bytes("07'example' 03'org' 00", "deadbeef", "03'www' c00c"), writer.Written[12..]);
    }

    [Fact]
    public void Restore_DoesNotChangeLimit()
    {
        var writer = new DnsMessageWriter(new byte[100], []) { Limit = 50 };
        var checkpoint = writer.Save();
        writer.Limit = 80;

        writer.Restore(checkpoint);

        Assert.Equal(80, writer.Limit);
    }

    [Fact]
    public void TryWriteRecord_RDataOverLimit_RestoresWholeRecord()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]) { Limit = 12 + 17 + 4 + 10 + 3 };
        Assert.True(writer.TryWriteHeader(default));
        Assert.True(writer.TryWriteName(WwwExampleOrg.Wire));
        var before = writer.Save();

        // owner (2) + fixed (10) fits; the name in RDATA does not.
        Assert.False(writer.TryWriteRecord(new CnameRecord(WwwExampleOrg, 1, DnsName.Parse("elsewhere.example.net.")), 1));

        Assert.Equal(before, writer.Save());
        Assert.True(writer.TryWriteRecord(new CnameRecord(WwwExampleOrg, 1, WwwExampleOrg), 1)); // 2 + 10 + 2
    }

    [Fact]
    public void TryWriteRecord_WritesTtlArgumentAndRDLength()
    {
        var buffer = new byte[512];
        var writer = new DnsMessageWriter(buffer, stackalloc ushort[16]);

        Assert.True(writer.TryWriteRecord(new TxtRecord(DnsName.Root, 300, "ab", "c"), ttl: 7));

        MessageAssert.BytesEqual(Hex.Bytes("00 0010 0001 00000007 0005 02'ab' 01'c'"), writer.Written);
    }

    [Fact]
    public void TryWriteCharacterString_Over255_Fails()
    {
        var writer = new DnsMessageWriter(new byte[1024], []);

        Assert.False(writer.TryWriteCharacterString(new byte[256]));
        Assert.True(writer.TryWriteCharacterString(new byte[255]));
        Assert.Equal(256, writer.Position);
    }

    [Fact]
    public void PatchCountsAndFlagsWord_OverwriteHeaderFields()
    {
        var buffer = new byte[64];
        var writer = new DnsMessageWriter(buffer, []);
        Assert.True(writer.TryWriteHeader(new DnsHeader { Id = 0x1234 }));

        writer.PatchCounts(1, 2, 3, 4);
        writer.PatchFlagsWord(new DnsHeader { Flags = DnsHeaderFlags.QR | DnsHeaderFlags.TC }.FlagsWord);

        MessageAssert.BytesEqual(Hex.Bytes("1234 8200 0001 0002 0003 0004"), writer.Written);
    }
}
