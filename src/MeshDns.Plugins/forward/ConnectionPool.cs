using System.Net;
using System.Net.Sockets;

namespace MeshDns.Plugins.Forward;

/// <summary>A TCP or TLS connection to one upstream address, with one query in flight at a time.</summary>
internal sealed class StreamConnection : IDisposable
{
    public StreamConnection(Socket socket, Stream stream, IPEndPoint endpoint, bool tls, long createdTimestamp)
    {
        Socket = socket;
        Stream = stream;
        Endpoint = endpoint;
        IsTls = tls;
        LastUsedTimestamp = createdTimestamp;
    }

    public Socket Socket { get; }

    public Stream Stream { get; }

    public IPEndPoint Endpoint { get; }

    public bool IsTls { get; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when it was last given back.</summary>
    public long LastUsedTimestamp { get; set; }

    public void Dispose()
    {
        Stream.Dispose();
        Socket.Dispose();
    }
}

/// <summary>
/// Idle TCP and TLS connections of one upstream, reused until idle longer than <c>expire</c> (CoreDNS's
/// connection cache). Most recently used first, so a quiet period lets the older ones expire.
/// </summary>
internal sealed class ConnectionPool : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<StreamConnection> _tcp = [];
    private readonly List<StreamConnection> _tls = [];
    private readonly TimeProvider _time;
    private readonly TimeSpan _expire;
    private readonly int _maxIdle;
    private bool _disposed;

    public ConnectionPool(TimeProvider time, TimeSpan expire, int maxIdle)
    {
        _time = time;
        _expire = expire;
        _maxIdle = maxIdle;
    }

    /// <summary>Idle connections now (tests).</summary>
    public int IdleCount
    {
        get
        {
            lock (_gate)
            {
                return _tcp.Count + _tls.Count;
            }
        }
    }

    /// <summary>A fresh-enough idle connection to <paramref name="endpoint"/>, or null. Expired ones met on the way are closed.</summary>
    public StreamConnection? Rent(IPEndPoint endpoint, bool tls)
    {
        List<StreamConnection>? stale = null;
        StreamConnection? found = null;
        lock (_gate)
        {
            var list = tls ? _tls : _tcp;
            for (var i = list.Count - 1; i >= 0; i--)
            {
                var candidate = list[i];
                if (IsExpired(candidate))
                {
                    (stale ??= []).Add(candidate);
                    list.RemoveAt(i);
                    continue;
                }

                if (candidate.Endpoint.Equals(endpoint))
                {
                    list.RemoveAt(i);
                    found = candidate;
                    break;
                }
            }
        }

        Close(stale);
        return found;
    }

    /// <summary>Gives a healthy connection back for reuse.</summary>
    public void Return(StreamConnection connection)
    {
        connection.LastUsedTimestamp = _time.GetTimestamp();
        lock (_gate)
        {
            var list = connection.IsTls ? _tls : _tcp;
            if (!_disposed && _expire > TimeSpan.Zero && (_maxIdle == 0 || list.Count < _maxIdle))
            {
                list.Add(connection);
                return;
            }
        }

        connection.Dispose();
    }

    /// <summary>Closes idle connections older than <c>expire</c>, and those to addresses no longer in use.</summary>
    public void Sweep(Func<IPEndPoint, bool>? stillWanted = null)
    {
        List<StreamConnection>? stale = null;
        lock (_gate)
        {
            foreach (var list in new[] { _tcp, _tls })
            {
                for (var i = list.Count - 1; i >= 0; i--)
                {
                    if (IsExpired(list[i]) || (stillWanted is not null && !stillWanted(list[i].Endpoint)))
                    {
                        (stale ??= []).Add(list[i]);
                        list.RemoveAt(i);
                    }
                }
            }
        }

        Close(stale);
    }

    public void Dispose()
    {
        List<StreamConnection> all;
        lock (_gate)
        {
            _disposed = true;
            all = [.. _tcp, .. _tls];
            _tcp.Clear();
            _tls.Clear();
        }

        Close(all);
    }

    private bool IsExpired(StreamConnection connection) => _time.GetElapsedTime(connection.LastUsedTimestamp) > _expire;

    private static void Close(List<StreamConnection>? connections)
    {
        if (connections is null)
        {
            return;
        }

        foreach (var connection in connections)
        {
            connection.Dispose();
        }
    }
}
