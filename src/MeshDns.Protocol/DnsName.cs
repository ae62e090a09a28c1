using System.Diagnostics.CodeAnalysis;

namespace MeshDns.Protocol;

/// <summary>
/// An immutable, absolute domain name. Keeps the spelling it was created with; compares and hashes
/// case-insensitively (RFC 4343). Stored in uncompressed wire form so that writing it is a copy.
/// </summary>
public sealed class DnsName : IEquatable<DnsName>, IComparable<DnsName>
{
    private readonly byte[] _wire;
    private readonly int _hash;
    private string? _text;

    private DnsName(byte[] wire)
    {
        _wire = wire;
        _hash = WireName.GetHashCode(wire);
        LabelCount = WireName.CountLabels(wire);
    }

    /// <summary>The root name <c>.</c>.</summary>
    public static DnsName Root { get; } = new([0]);

    /// <summary>The name in uncompressed wire form, root label included.</summary>
    public ReadOnlySpan<byte> Wire => _wire;

    /// <summary>Length of <see cref="Wire"/>.</summary>
    public int WireLength => _wire.Length;

    /// <summary>Number of labels, not counting the root.</summary>
    public int LabelCount { get; }

    public bool IsRoot => _wire.Length == 1;

    /// <summary>Parses presentation text; throws <see cref="FormatException"/> naming the text when it is not a valid name.</summary>
    public static DnsName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var name) ? name : throw new FormatException($"'{text}' is not a valid domain name");
    }

    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out DnsName? name)
    {
        Span<byte> buffer = stackalloc byte[WireName.MaxLength];
        if (!WireName.TryParse(text, buffer, out var written))
        {
            name = null;
            return false;
        }

        name = written == 1 ? Root : new DnsName(buffer[..written].ToArray());
        return true;
    }

    /// <summary>Copies a name that is already in uncompressed wire form; throws when it is malformed.</summary>
    public static DnsName FromWire(ReadOnlySpan<byte> wire)
    {
        if (!WireName.IsValid(wire))
        {
            throw new FormatException("not a well-formed uncompressed wire name");
        }

        return wire.Length == 1 ? Root : new DnsName(wire.ToArray());
    }

    /// <summary>The same name in lower case (the canonical form).</summary>
    public DnsName ToLowerInvariant()
    {
        var lower = new byte[_wire.Length];
        WireName.ToLower(_wire, lower);
        return lower.AsSpan().SequenceEqual(_wire) ? this : new DnsName(lower);
    }

    /// <summary>True when this name equals <paramref name="zone"/> or lies below it.</summary>
    public bool IsSubdomainOf(DnsName zone) => WireName.IsSubdomainOf(_wire, zone._wire);

    /// <summary>The parent name (this name without its first label). The root is its own parent.</summary>
    public DnsName Parent() => IsRoot ? this : FromWire(WireName.SkipLabels(_wire, 1));

    /// <summary>The name with its first <paramref name="count"/> labels removed.</summary>
    public DnsName SkipLabels(int count) => count <= 0 ? this : FromWire(WireName.SkipLabels(_wire, count));

    /// <summary>The label at <paramref name="index"/> (0 = leftmost), without its length octet.</summary>
    public ReadOnlySpan<byte> GetLabel(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LabelCount);
        return WireName.FirstLabel(WireName.SkipLabels(_wire, index));
    }

    /// <summary>Prepends one label given as presentation text (escapes allowed).</summary>
    public DnsName Prepend(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        Span<byte> buffer = stackalloc byte[WireName.MaxLength];
        if (!WireName.TryParse(label, buffer, out var written) || WireName.CountLabels(buffer[..written]) != 1)
        {
            throw new FormatException($"'{label}' is not a single label");
        }

        return Concat(buffer[..(written - 1)], _wire);
    }

    /// <summary>The name formed by <paramref name="relative"/> (a name whose root label is dropped) followed by <paramref name="origin"/>.</summary>
    public static DnsName Concat(DnsName relative, DnsName origin)
    {
        ArgumentNullException.ThrowIfNull(relative);
        ArgumentNullException.ThrowIfNull(origin);
        return Concat(relative._wire.AsSpan(0, relative._wire.Length - 1), origin._wire);
    }

    private static DnsName Concat(ReadOnlySpan<byte> prefixLabels, ReadOnlySpan<byte> suffix)
    {
        var length = prefixLabels.Length + suffix.Length;
        if (length > WireName.MaxLength)
        {
            throw new FormatException("the name would exceed 255 octets");
        }

        var wire = new byte[length];
        prefixLabels.CopyTo(wire);
        suffix.CopyTo(wire.AsSpan(prefixLabels.Length));
        return new DnsName(wire);
    }

    public bool Equals(DnsName? other) =>
        other is not null && (ReferenceEquals(this, other) || (_hash == other._hash && WireName.EqualsIgnoreCase(_wire, other._wire)));

    /// <summary>Case-insensitive equality with a wire-form name.</summary>
    public bool Equals(ReadOnlySpan<byte> wire) => WireName.EqualsIgnoreCase(_wire, wire);

    /// <summary>Equality that also requires the same spelling (for tests of 0x20 echo).</summary>
    public bool EqualsExact(DnsName other) => other is not null && _wire.AsSpan().SequenceEqual(other._wire);

    public override bool Equals(object? obj) => obj is DnsName other && Equals(other);

    public override int GetHashCode() => _hash;

    /// <summary>Canonical DNS name order (RFC 4034 6.1): by labels from the right, case-insensitive.</summary>
    public int CompareTo(DnsName? other)
    {
        if (other is null)
        {
            return 1;
        }

        var mine = LabelCount;
        var theirs = other.LabelCount;
        for (int i = mine - 1, j = theirs - 1; i >= 0 && j >= 0; i--, j--)
        {
            var a = GetLabel(i);
            var b = other.GetLabel(j);
            var common = Math.Min(a.Length, b.Length);
            for (var k = 0; k < common; k++)
            {
                var x = (byte)(a[k] is >= (byte)'A' and <= (byte)'Z' ? a[k] | 0x20 : a[k]);
                var y = (byte)(b[k] is >= (byte)'A' and <= (byte)'Z' ? b[k] | 0x20 : b[k]);
                if (x != y)
                {
                    return x.CompareTo(y);
                }
            }

            if (a.Length != b.Length)
            {
                return a.Length.CompareTo(b.Length);
            }
        }

        return mine.CompareTo(theirs);
    }

    /// <summary>Presentation form with trailing dot.</summary>
    public override string ToString() => _text ??= WireName.ToPresentation(_wire);

    public static bool operator ==(DnsName? left, DnsName? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(DnsName? left, DnsName? right) => !(left == right);

    public static bool operator <(DnsName? left, DnsName? right) => left is null ? right is not null : left.CompareTo(right) < 0;

    public static bool operator <=(DnsName? left, DnsName? right) => left is null || left.CompareTo(right) <= 0;

    public static bool operator >(DnsName? left, DnsName? right) => left is not null && left.CompareTo(right) > 0;

    public static bool operator >=(DnsName? left, DnsName? right) => left is null ? right is null : left.CompareTo(right) >= 0;
}

/// <summary>
/// Case-insensitive comparer for <see cref="DnsName"/> keys that also looks up by a wire-form span,
/// so a dictionary keyed by names answers a query without allocating a <see cref="DnsName"/>.
/// </summary>
public sealed class DnsNameComparer : IEqualityComparer<DnsName>, IAlternateEqualityComparer<ReadOnlySpan<byte>, DnsName>
{
    public static DnsNameComparer Instance { get; } = new();

    private DnsNameComparer()
    {
    }

    public bool Equals(DnsName? x, DnsName? y) => x is null ? y is null : x.Equals(y);

    public int GetHashCode(DnsName obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.GetHashCode();
    }

    public bool Equals(ReadOnlySpan<byte> alternate, DnsName other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return other.Equals(alternate);
    }

    public int GetHashCode(ReadOnlySpan<byte> alternate) => WireName.GetHashCode(alternate);

    public DnsName Create(ReadOnlySpan<byte> alternate) => DnsName.FromWire(alternate);
}
