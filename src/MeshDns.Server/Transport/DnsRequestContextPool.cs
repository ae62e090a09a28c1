using System.Collections.Concurrent;

namespace MeshDns.Server.Transport;

/// <summary>A bounded pool of request contexts shared by the listeners of a process.</summary>
public sealed class DnsRequestContextPool(int maxRetained = 1024)
{
    private readonly ConcurrentQueue<DnsRequestContext> _items = new();
    private int _count;

    public DnsRequestContext Rent()
    {
        if (_items.TryDequeue(out var context))
        {
            Interlocked.Decrement(ref _count);
            return context;
        }

        return new DnsRequestContext();
    }

    public void Return(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Interlocked.Increment(ref _count) <= maxRetained)
        {
            context.Reset();
            _items.Enqueue(context);
        }
        else
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
