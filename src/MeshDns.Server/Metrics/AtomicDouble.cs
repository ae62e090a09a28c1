namespace MeshDns.Server.Metrics;

/// <summary>
/// Lock-free arithmetic on a double stored as its 64-bit pattern. Comparing bits (not doubles) keeps the
/// compare-and-swap loop finite when the value is NaN, which never equals itself.
/// </summary>
internal static class AtomicDouble
{
    public static double Read(ref long bits) => BitConverter.Int64BitsToDouble(Interlocked.Read(ref bits));

    public static void Write(ref long bits, double value) => Interlocked.Exchange(ref bits, BitConverter.DoubleToInt64Bits(value));

    public static void Add(ref long bits, double delta)
    {
        long current = Interlocked.Read(ref bits);
        while (true)
        {
            long updated = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(current) + delta);
            long seen = Interlocked.CompareExchange(ref bits, updated, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
