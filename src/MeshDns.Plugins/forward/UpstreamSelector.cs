namespace MeshDns.Plugins.Forward;

/// <summary>
/// Orders the upstreams for one query by policy: <c>random</c> (a fresh shuffle), <c>round_robin</c> (rotating start),
/// <c>sequential</c> (as written), or MeshDns's <c>fastest</c> (lowest smoothed RTT first, unmeasured ones first so
/// they get measured, and one query in <see cref="ExploreEvery"/> shuffled so a once-slow upstream is measured again).
/// </summary>
internal sealed class UpstreamSelector(UpstreamPolicy policy, IReadOnlyList<Upstream> upstreams)
{
    private readonly Upstream[] _written = [.. upstreams];

    /// <summary>How often <c>fastest</c> ignores its ranking, to keep every estimate fresh.</summary>
    public const int ExploreEvery = 16;

    private int _counter;

    /// <summary>The upstreams in the order to try them. Callers only read it: a single upstream or <c>sequential</c> share one array.</summary>
    public Upstream[] Order()
    {
        if (_written.Length < 2 || policy == UpstreamPolicy.Sequential)
        {
            return _written;
        }

        var list = _written.ToArray();
        switch (policy)
        {
            case UpstreamPolicy.RoundRobin:
                var start = (int)((uint)Interlocked.Increment(ref _counter) % (uint)list.Length);
                return [.. list[start..], .. list[..start]];
            case UpstreamPolicy.Fastest:
                if ((uint)Interlocked.Increment(ref _counter) % ExploreEvery == 0)
                {
                    Random.Shared.Shuffle(list);
                    return list;
                }

                // Stable sort: equal estimates keep the written order.
                return [.. list.OrderBy(u => u.SmoothedRtt ?? TimeSpan.MinValue)];
            default:
                Random.Shared.Shuffle(list);
                return list;
        }
    }
}
