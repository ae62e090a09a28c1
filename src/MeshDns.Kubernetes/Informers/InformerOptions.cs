namespace MeshDns.Kubernetes;

/// <summary>How each informer lists, watches and retries.</summary>
public sealed record InformerOptions
{
    public static InformerOptions Default { get; } = new();

    /// <summary>LIST page size (<c>limit</c>).</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>
    /// Base of the watch's <c>timeoutSeconds</c>; each watch asks for a random value between this and twice this, so
    /// watches of many informers and replicas do not all end together (client-go does the same).
    /// </summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A watch that sends no line (no event, no bookmark) for this long is treated as dead and reopened from the last
    /// resourceVersion. Bookmarks are not guaranteed, so a quiet resource simply reconnects at this interval.
    /// </summary>
    public TimeSpan DeadWatchBound { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// After this many watches in a row that brought nothing at all, list again: a watch from a resourceVersion the
    /// server does not have yet (the store was restored, rvs went backwards) answers 200 and then nothing, forever.
    /// </summary>
    public int QuietWatchesBeforeRelist { get; init; } = 3;

    /// <summary>First retry delay; doubles per failure up to <see cref="BackoffCap"/>, with jitter (50-100%).</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan BackoffCap { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an optional resource that answered 404 (CRD not installed) is looked for again.</summary>
    public TimeSpan AbsentRecheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest watch event accepted (one line of the stream).</summary>
    public int MaxEventBytes { get; init; } = 16 * 1024 * 1024;
}
