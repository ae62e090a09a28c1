namespace MeshDns.Server.Metrics;

/// <summary>
/// Ordinal equality over label values. The alternate (span) side lets a lookup with values that live on the
/// caller's stack find the child without building the <c>string[]</c> key: that is what keeps
/// <c>WithLabels(...)</c> allocation-free once the child exists.
/// </summary>
internal sealed class LabelValuesComparer : IEqualityComparer<string[]>, IAlternateEqualityComparer<ReadOnlySpan<string>, string[]>
{
    public static LabelValuesComparer Instance { get; } = new();

    private LabelValuesComparer()
    {
    }

    public bool Equals(string[]? x, string[]? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        return x is not null && y is not null && Equals((ReadOnlySpan<string>)x, y);
    }

    public int GetHashCode(string[] obj) => Hash(obj);

    public bool Equals(ReadOnlySpan<string> alternate, string[] other)
    {
        if (alternate.Length != other.Length)
        {
            return false;
        }

        for (int i = 0; i < alternate.Length; i++)
        {
            if (!string.Equals(alternate[i], other[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(ReadOnlySpan<string> alternate) => Hash(alternate);

    public string[] Create(ReadOnlySpan<string> alternate) => alternate.ToArray();

    private static int Hash(ReadOnlySpan<string> values)
    {
        var hash = default(HashCode);
        foreach (string value in values)
        {
            // string.GetHashCode is ordinal; a null never matches a stored key (creation rejects nulls).
            hash.Add(value?.GetHashCode() ?? 0);
        }

        return hash.ToHashCode();
    }
}
