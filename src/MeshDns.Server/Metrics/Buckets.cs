namespace MeshDns.Server.Metrics;

/// <summary>
/// Bucket layouts for histograms. Every member returns a new array, so callers cannot disturb each other.
/// Bounds are computed by repeated addition/multiplication, as client_golang does, so they print the same.
/// </summary>
public static class Buckets
{
    /// <summary><paramref name="count"/> bounds: <paramref name="start"/>, start·factor, start·factor², …</summary>
    public static double[] Exponential(double start, double factor, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (!(start > 0) || double.IsInfinity(start))
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, "The first bound must be a positive number.");
        }

        if (!(factor > 1) || double.IsInfinity(factor))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The factor must be a number greater than 1.");
        }

        double[] bounds = new double[count];
        double bound = start;
        for (int i = 0; i < count; i++)
        {
            bounds[i] = bound;
            bound *= factor;
        }

        return bounds;
    }

    /// <summary><paramref name="count"/> bounds: <paramref name="start"/>, start+width, start+2·width, …</summary>
    public static double[] Linear(double start, double width, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (double.IsNaN(start) || double.IsInfinity(start))
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, "The first bound must be a finite number.");
        }

        if (!(width > 0) || double.IsInfinity(width))
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "The width must be a positive number.");
        }

        double[] bounds = new double[count];
        double bound = start;
        for (int i = 0; i < count; i++)
        {
            bounds[i] = bound;
            bound += width;
        }

        return bounds;
    }

    /// <summary>The Prometheus clients' default: .005 … 10 seconds.</summary>
    public static double[] Default() => [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>CoreDNS's <c>TimeBuckets</c>: 0.25 ms doubling to 8.192 s (16 bounds). Used by request durations.</summary>
    public static double[] CoreDnsTime() => Exponential(0.00025, 2, 16);

    /// <summary>CoreDNS's <c>SlimTimeBuckets</c>: 0.25 ms to 2.5 s by factors of ten (5 bounds). Used by the health check.</summary>
    public static double[] CoreDnsSlimTime() => Exponential(0.00025, 10, 5);

    /// <summary>CoreDNS's request/response size bounds in bytes (0 … 64000).</summary>
    public static double[] CoreDnsSize() => [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];
}
