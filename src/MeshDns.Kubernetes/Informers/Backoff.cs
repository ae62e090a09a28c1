namespace MeshDns.Kubernetes.Informers;

/// <summary>Capped exponential backoff with jitter: base·2^n, capped, then scaled by a random 50-100%.</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan cap)
{
    private int _failures;

    public TimeSpan Next()
    {
        var exponent = Math.Min(_failures, 30);
        _failures++;
        var delay = Math.Min(cap.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(delay * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    public void Reset() => _failures = 0;
}
