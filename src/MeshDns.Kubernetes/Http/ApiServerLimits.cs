namespace MeshDns.Kubernetes;

/// <summary>
/// Client-side limits on one API server (<c>apiserver_qps</c>, <c>apiserver_burst</c>, <c>apiserver_max_inflight</c>).
/// QPS applies to every request including the start of a watch; max-inflight caps concurrent LIST/GET requests
/// (open watches are long-lived and not counted). Zero or less means unlimited.
/// </summary>
public sealed record ApiServerLimits
{
    public static ApiServerLimits Default { get; } = new();

    public double Qps { get; init; } = 20;

    public int Burst { get; init; } = 40;

    public int MaxInflight { get; init; } = 8;
}
