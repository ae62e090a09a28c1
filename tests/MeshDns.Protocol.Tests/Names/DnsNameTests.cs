using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Names;

public sealed class DnsNameTests
{
    [Theory]
    [InlineData("www.example.org.", "03'www' 07'example' 03'org' 00")]
    [InlineData("www.example.org", "03'www' 07'example' 03'org' 00")]   // relative text is taken as absolute
    [InlineData(".", "00")]
    [InlineData("", "00")]
    [InlineData(@"a\.b.example.", "03'a.b' 07'example' 00")]             // escaped dot stays inside the label
    [InlineData(@"a\\b.", "03 61 5c 62 00")]                             // escaped backslash
    [InlineData(@"\065\066c.", "03'ABc' 00")]                            // \DDD decimal escapes
    [InlineData(@"\000\255.", "02 00 ff 00")]
    [InlineData(@"a\ b.", "03'a b' 00")]                                 // escaped space
    [InlineData("a b.", "03'a b' 00")]                                   // unescaped space is just an octet here
    [InlineData(@"\@\$\;.", "03'@$;' 00")]
    [InlineData("_sip._udp.", "04'_sip' 04'_udp' 00")]
    [InlineData("*.example.", "01'*' 07'example' 00")]
    public void TryParse_ValidText_ProducesWireForm(string text, string wire)
    {
        Assert.True(DnsName.TryParse(text, out var name));

        MessageAssert.BytesEqual(Hex.Bytes(wire), name.Wire);
        Assert.Equal(name.Wire.Length, name.WireLength);
    }

    [Theory]
    [InlineData("a..b.")]         // empty label
    [InlineData(".a.")]           // empty first label
    [InlineData("..")]
    [InlineData("a.b..")]
    [InlineData(@"a\")]           // dangling backslash
    [InlineData(@"a\1")]          // short decimal escape
    [InlineData(@"a\12")]
    [InlineData(@"a\12x")]
    [InlineData(@"a\256")]        // decimal escape above 255
    [InlineData(@"a\999.")]
    [InlineData("bücher.example.")] // non-ASCII must arrive as punycode (or \DDD)
    [InlineData("a\u00e9")]
    [InlineData(@"a\é.")]
    public void TryParse_InvalidText_Fails(string text)
    {
        Assert.False(DnsName.TryParse(text, out var name));
        Assert.Null(name);
        Assert.Throws<FormatException>(() => DnsName.Parse(text));
    }

    [Fact]
    public void TryParse_Label63_SucceedsAndLabel64Fails()
    {
        Assert.True(DnsName.TryParse(new string('a', 63) + ".example.", out var name));
        Assert.Equal(63, name.GetLabel(0).Length);

        Assert.False(DnsName.TryParse(new string('a', 64) + ".example.", out _));
        Assert.False(DnsName.TryParse(new string('a', 60) + @"\065\066\067\068.", out _)); // 64 once escapes are decoded
    }

    [Fact]
    public void TryParse_Name255_SucceedsAndName256Fails()
    {
        // 127 one-octet labels: 127 * 2 + 1 = 255 octets in wire form.
        var longest = string.Concat(Enumerable.Repeat("a.", 127));
        Assert.True(DnsName.TryParse(longest, out var name));
        Assert.Equal(255, name.WireLength);
        Assert.Equal(127, name.LabelCount);

        Assert.False(DnsName.TryParse("b." + longest, out _));
        Assert.False(DnsName.TryParse("bb" + longest, out _)); // 256 by a longer first label
        Assert.True(DnsName.TryParse(longest.TrimEnd('.'), out var relative)); // without the final dot: the same 255 octets
        Assert.Equal(255, relative.WireLength);
    }

    [Fact]
    public void TryParse_Name255WithEscapes_CountsDecodedOctets()
    {
        // 4 labels: 63 + 63 + 63 + 61 octets (each \DDD is one octet) = 254 + root.
        var label63 = string.Concat(Enumerable.Repeat(@"\097", 63));
        var text = $"{label63}.{label63}.{label63}.{new string('a', 61)}.";

        Assert.True(DnsName.TryParse(text, out var name));

        Assert.Equal(255, name.WireLength);
        Assert.False(DnsName.TryParse("a" + text, out _));
    }

    [Theory]
    [InlineData("www.example.org.", "www.example.org.")]
    [InlineData(@"a\.b.example.", @"a\.b.example.")]
    [InlineData(@"a\\b.", @"a\\b.")]
    [InlineData(@"\065.", "A.")]                         // printable octets print as themselves
    [InlineData(@"\000\031\127\128\255.", @"\000\031\127\128\255.")]
    [InlineData("a b.", @"a\032b.")]                     // space is not printable in a name
    [InlineData("\"();@$.", "\\\"\\(\\)\\;\\@\\$.")]     // zone-file specials are escaped
    [InlineData(".", ".")]
    [InlineData("WwW.ExAmple.ORG", "WwW.ExAmple.ORG.")]   // spelling kept
    public void ToString_EscapesAsRfc1035Presentation(string text, string expected)
    {
        var name = DnsName.Parse(text);

        Assert.Equal(expected, name.ToString());
        Assert.True(DnsName.Parse(name.ToString()).EqualsExact(name)); // printing then parsing gives the same octets
    }

    [Fact]
    public void Equals_DifferentCase_EqualWithSameHashButNotExact()
    {
        var lower = DnsName.Parse("www.example.org.");
        var mixed = DnsName.Parse("WwW.ExAmple.ORG.");

        Assert.True(lower.Equals(mixed));
        Assert.True(lower == mixed);
        Assert.False(lower != mixed);
        Assert.Equal(lower.GetHashCode(), mixed.GetHashCode());
        Assert.Equal(0, lower.CompareTo(mixed));
        Assert.False(lower.EqualsExact(mixed));
        Assert.True(lower.Equals(mixed.Wire));
    }

    [Theory]
    [InlineData("www.example.org.", "www.example.com.")]
    [InlineData("www.example.org.", "ww.example.org.")]
    [InlineData("a.b.", "ab.")]                        // same letters, different label boundaries
    [InlineData("[.", "{.")]                           // 0x5B and 0x7B differ by 0x20 but are not letters
    [InlineData("@.", "`.")]                           // 0x40 and 0x60 likewise
    [InlineData(@"\001.", "!.")]                       // 0x01 and 0x21 likewise
    public void Equals_DifferentNames_NotEqual(string left, string right)
    {
        Assert.False(DnsName.Parse(left).Equals(DnsName.Parse(right)));
        Assert.False(DnsName.Parse(left) == DnsName.Parse(right));
    }

    [Fact]
    public void Equals_Null_IsFalseAndOperatorsHandleNull()
    {
        var name = DnsName.Parse("a.");
        DnsName? none = null;

        Assert.False(name.Equals(none));
        Assert.False(name.Equals((object?)null));
        Assert.True(none == null);
        Assert.True(name != none);
        Assert.Equal(1, name.CompareTo(null));
    }

    [Theory]
    [InlineData("foo.example.org.", "example.org.", true)]
    [InlineData("foo.example.org.", "oo.example.org.", false)]      // not at a label boundary
    [InlineData("foo.example.org.", "foo.example.org.", true)]      // a name is in its own zone
    [InlineData("FOO.Example.ORG.", "example.org.", true)]
    [InlineData("example.org.", "foo.example.org.", false)]
    [InlineData("example.org.", ".", true)]
    [InlineData(".", ".", true)]
    [InlineData(".", "org.", false)]
    [InlineData("xexample.org.", "example.org.", false)]
    [InlineData("a.example.org.", "a.example.com.", false)]
    [InlineData(@"a\.example.org.", "example.org.", false)]          // "a.example" is one label below org., not below example.org.
    [InlineData(@"a\.example.org.", "org.", true)]
    public void IsSubdomainOf_ComparesWholeLabels(string name, string zone, bool expected)
    {
        Assert.Equal(expected, DnsName.Parse(name).IsSubdomainOf(DnsName.Parse(zone)));
    }

    [Fact]
    public void CompareTo_Rfc4034Section61Example_SortsCanonically()
    {
        // RFC 4034 6.1's example list, in canonical order (with one case variation on "Z.a.example").
        string[] ordered =
        [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            "zABC.a.EXAMPLE.",
            "z.example.",
            @"\001.z.example.",
            "*.z.example.",
            @"\200.z.example.",
        ];
        var names = ordered.Select(DnsName.Parse).ToArray();

        var shuffled = names.Reverse().ToList();
        shuffled.Sort();

        Assert.Equal(ordered, shuffled.Select(n => n.ToString()));
        for (var i = 0; i + 1 < names.Length; i++)
        {
            Assert.True(names[i] < names[i + 1], $"{names[i]} < {names[i + 1]}");
            Assert.True(names[i + 1] > names[i]);
            Assert.True(names[i].CompareTo(names[i + 1]) < 0);
            Assert.True(names[i + 1].CompareTo(names[i]) > 0);
        }
    }

    [Theory]
    [InlineData("a.", "A.", 0)]
    [InlineData("a.", "b.", -1)]
    [InlineData("a.", "aa.", -1)]          // a label that is a prefix sorts first
    [InlineData("b.a.", "a.b.", -1)]       // the rightmost label decides first
    [InlineData(".", "a.", -1)]
    [InlineData("_.", "a.", -1)]           // 0x5F < 0x61: upper case is lowered before comparing
    [InlineData("_.", "A.", -1)]
    public void CompareTo_Pairs_FollowCanonicalOrder(string left, string right, int sign)
    {
        Assert.Equal(sign, Math.Sign(DnsName.Parse(left).CompareTo(DnsName.Parse(right))));
        Assert.Equal(-sign, Math.Sign(DnsName.Parse(right).CompareTo(DnsName.Parse(left))));
    }

    [Fact]
    public void AlternateLookup_WireSpanOfAnyCase_FindsName()
    {
        var zones = new Dictionary<DnsName, string>(DnsNameComparer.Instance)
        {
            [DnsName.Parse("example.org.")] = "org zone",
            [DnsName.Parse("cluster.local.")] = "cluster",
        };
        var lookup = zones.GetAlternateLookup<ReadOnlySpan<byte>>();

        Assert.True(lookup.TryGetValue(Hex.Bytes("07'ExAMPLE' 03'OrG' 00"), out var value));
        Assert.Equal("org zone", value);
        Assert.True(lookup.ContainsKey(Hex.Bytes("07'cluster' 05'local' 00")));
        Assert.False(lookup.ContainsKey(Hex.Bytes("07'example' 03'com' 00")));
        Assert.False(lookup.ContainsKey(Hex.Bytes("07'example' 03'org' 00").AsSpan(0, 12))); // no root label: a different key
    }

    [Fact]
    public void AlternateLookup_AddBySpan_CreatesName()
    {
        var set = new Dictionary<DnsName, int>(DnsNameComparer.Instance);
        var lookup = set.GetAlternateLookup<ReadOnlySpan<byte>>();

        Assert.True(lookup.TryAdd(Hex.Bytes("01'A' 00"), 1));
        Assert.False(lookup.TryAdd(Hex.Bytes("01'a' 00"), 2));

        Assert.Equal("A.", Assert.Single(set.Keys).ToString());
    }

    [Fact]
    public void Comparer_HashOfSpanEqualsHashOfName()
    {
        var name = DnsName.Parse("Svc.Cluster.Local.");

        Assert.Equal(DnsNameComparer.Instance.GetHashCode(name), DnsNameComparer.Instance.GetHashCode(DnsName.Parse("svc.cluster.local.").Wire));
        Assert.True(DnsNameComparer.Instance.Equals(DnsName.Parse("SVC.cluster.local.").Wire, name));
        Assert.True(DnsNameComparer.Instance.Equals((DnsName?)null, null));
        Assert.False(DnsNameComparer.Instance.Equals(name, null));
    }

    [Fact]
    public void Labels_ParentSkipAndPrepend_WorkOnLabelBoundaries()
    {
        var name = DnsName.Parse(@"a\.b.example.org.");

        Assert.Equal(3, name.LabelCount);
        Assert.Equal("a.b"u8.ToArray(), name.GetLabel(0).ToArray());
        Assert.Equal("example.org.", name.Parent().ToString());
        Assert.Equal("org.", name.SkipLabels(2).ToString());
        Assert.Equal(".", name.SkipLabels(9).ToString());
        Assert.Same(name, name.SkipLabels(0));
        Assert.True(DnsName.Root.Parent().IsRoot);
        Assert.Equal(@"x\.y.a\.b.example.org.", name.Prepend(@"x\.y").ToString());
        Assert.Equal("www.example.org.", DnsName.Concat(DnsName.Parse("www."), DnsName.Parse("example.org.")).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => name.GetLabel(3));
        Assert.Throws<FormatException>(() => name.Prepend("x.y"));
        Assert.Throws<FormatException>(() => name.Prepend(string.Empty));
    }

    [Fact]
    public void Prepend_PastMaximumLength_Throws()
    {
        var longest = DnsName.Parse(string.Concat(Enumerable.Repeat("a.", 127)));

        Assert.Throws<FormatException>(() => longest.Prepend("b"));
        Assert.Throws<FormatException>(() => DnsName.Concat(longest.Parent(), DnsName.Parse("bb.")));
    }

    [Fact]
    public void ToLowerInvariant_MixedCase_LowersOnlyAsciiLetters()
    {
        var name = DnsName.Parse("WwW.Ex-Am_Ple.ORG.");

        var lower = name.ToLowerInvariant();

        Assert.Equal("www.ex-am_ple.org.", lower.ToString());
        Assert.Same(lower, lower.ToLowerInvariant());
    }

    [Theory]
    [InlineData("")]
    [InlineData("01'a'")]               // no root label
    [InlineData("01'a' 00 00")]         // octets after the root label
    [InlineData("02'a' 00")]            // label runs over the end
    [InlineData("40 00")]               // label type 0x40
    [InlineData("c0 0c")]               // a pointer is not an uncompressed name
    public void FromWire_Malformed_Throws(string wire)
    {
        var bytes = Hex.Bytes(wire);

        Assert.False(WireName.IsValid(bytes));
        Assert.Throws<FormatException>(() => DnsName.FromWire(bytes));
    }

    [Fact]
    public void FromWire_256Octets_Throws()
    {
        var bytes = Hex.Bytes(Reader.NameReaderTests.LabelsOf(63, 63, 63, 62), "00");

        Assert.Equal(256, bytes.Length);
        Assert.Throws<FormatException>(() => DnsName.FromWire(bytes));
    }

    [Fact]
    public void WireName_CountAndSkipLabels_StopAtRoot()
    {
        var wire = Hex.Bytes("03'www' 07'example' 03'org' 00");

        Assert.Equal(3, WireName.CountLabels(wire));
        Assert.Equal(0, WireName.CountLabels(WireName.Root));
        MessageAssert.BytesEqual(Hex.Bytes("03'org' 00"), WireName.SkipLabels(wire, 2));
        MessageAssert.BytesEqual(Hex.Bytes("00"), WireName.SkipLabels(wire, 5));
        Assert.Equal("www"u8.ToArray(), WireName.FirstLabel(wire).ToArray());
        Assert.True(WireName.FirstLabel(WireName.Root).IsEmpty);
    }
}
