namespace MeshDns.Kubernetes;

/// <summary>
/// One cluster's objects, kept current: an API server (<see cref="KubernetesClusterSource"/>) or a folder of YAML
/// manifests (<see cref="ManifestClusterSource"/>). Both publish the same <see cref="ClusterSnapshot"/> and
/// <see cref="ClusterChange"/> notifications.
/// </summary>
public interface IClusterSource : IAsyncDisposable
{
    /// <summary>The cluster's configured name (a metrics label, a log field).</summary>
    string Name { get; }

    /// <summary>The current snapshot: a volatile read, lock-free; take it once per query.</summary>
    ClusterSnapshot Snapshot { get; }

    /// <summary>True once every informer has completed its first list and the snapshot holds it.</summary>
    bool HasSynced { get; }

    /// <summary>Aggregate and per-informer state, last error, last event time, object counts.</summary>
    ClusterSourceStatus Status { get; }

    /// <summary>Starts watching. Returns once started, not once synced (see <see cref="WaitForSyncAsync"/>).</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops every informer and the applier. Idempotent.</summary>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>Waits until synced: true if synced, false if <paramref name="timeout"/> passed first.</summary>
    Task<bool> WaitForSyncAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="handler"/> after each published snapshot, on the source's applier task, in order.
    /// Handlers must be quick and must not block; exceptions are logged and swallowed. Dispose to unsubscribe.
    /// </summary>
    IDisposable Subscribe(Action<ClusterChange> handler);
}
