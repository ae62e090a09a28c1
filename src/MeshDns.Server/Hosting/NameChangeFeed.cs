using MeshDns.Protocol;

namespace MeshDns.Server.Hosting;

/// <summary>
/// Tells listeners which names just changed in a data source (a cluster watch added an endpoint, a hosts file was
/// edited). The cache drops negative entries for them at once, so a new StatefulSet member resolves immediately
/// instead of after the negative TTL (kubernetes/kubernetes#92559). Process-wide; survives reloads.
/// </summary>
public sealed class NameChangeFeed
{
    private readonly Lock _gate = new();
    private Action<NameChange>[] _subscribers = [];

    /// <summary>Publishes a change. Subscribers run on the publisher's thread and must be quick.</summary>
    public void Publish(NameChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber(change);
        }
    }

    /// <summary>Subscribes until the returned handle is disposed.</summary>
    public IDisposable Subscribe(Action<NameChange> subscriber)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers, subscriber];
        }

        return new Subscription(this, subscriber);
    }

    private void Unsubscribe(Action<NameChange> subscriber)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Where(s => s != subscriber).ToArray();
        }
    }

    private sealed class Subscription(NameChangeFeed feed, Action<NameChange> subscriber) : IDisposable
    {
        public void Dispose() => feed.Unsubscribe(subscriber);
    }
}

/// <summary>
/// Names whose answers changed: exact names, and whole subtrees (a changed service changes every name below it,
/// e.g. <c>host.svc.ns.svc.zone</c> and <c>_port._tcp.svc.ns.svc.zone</c>).
/// </summary>
public sealed record NameChange(IReadOnlyList<DnsName> Names, IReadOnlyList<DnsName> Subtrees)
{
    /// <summary>True when an answer for <paramref name="name"/> may have changed.</summary>
    public bool Affects(DnsName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var changed in Names)
        {
            if (changed.Equals(name))
            {
                return true;
            }
        }

        foreach (var subtree in Subtrees)
        {
            if (name.IsSubdomainOf(subtree))
            {
                return true;
            }
        }

        return false;
    }
}
