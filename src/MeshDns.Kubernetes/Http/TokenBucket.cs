namespace MeshDns.Kubernetes.Http;

/// <summary>Client-side QPS limit: a token bucket refilled at <c>qps</c> tokens a second, holding at most <c>burst</c>.</summary>
internal sealed class TokenBucket(double qps, int burst, TimeProvider time)
{
    private readonly Lock _lock = new();
    private double _tokens = Math.Max(1, burst);
    private long _last = time.GetTimestamp();

    public bool IsUnlimited => qps <= 0;

    /// <summary>Takes a token and returns how long to wait before using it (zero when one was in the bucket).</summary>
    public TimeSpan Reserve()
    {
        if (IsUnlimited)
        {
            return TimeSpan.Zero;
        }

        lock (_lock)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(Math.Max(1, burst), _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * qps));
            _last = now;
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / qps);
        }
    }
}
