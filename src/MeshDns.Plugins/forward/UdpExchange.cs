using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace MeshDns.Plugins.Forward;

/// <summary>Why a UDP wait was cut short by something other than the socket.</summary>
internal enum UdpAbort
{
    None,
    /// <summary>The read timeout passed.</summary>
    Timeout,
    /// <summary>The caller's token was cancelled.</summary>
    Cancelled,
}

/// <summary>
/// The waiting machinery of UDP exchanges, reused from query to query: one receive event args (an awaitable through
/// <see cref="IValueTaskSource{TResult}"/>), one timer for the read timeout. Only the socket is new per query (its
/// random source port is the point); the rest would otherwise be a timed CancellationTokenSource, a linked one and
/// the socket's own awaitable event args for every query.
/// </summary>
/// <remarks>
/// A timeout or a cancellation closes the socket, which ends the pending receive with OperationAborted; the owner
/// then reads <see cref="Abort"/> to tell which. The timer checks the deadline itself, so a late tick meant for an
/// earlier query on this object, or an early one, never cuts the current query short.
/// </remarks>
internal sealed class UdpExchange : IValueTaskSource<int>, IDisposable
{
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly SocketAsyncEventArgs _receive;
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<int> _core;
    private CancellationTokenRegistration _registration;
    private Socket? _socket;
    private long _deadline;
    private bool _armed;
    private volatile UdpAbort _abort;

    public UdpExchange(TimeProvider time)
    {
        _time = time;
        _timer = time.CreateTimer(static state => ((UdpExchange)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _receive = new SocketAsyncEventArgs(unsafeSuppressExecutionContextFlow: true);
        _receive.Completed += static (_, args) => ((UdpExchange)args.UserToken!).OnReceived();
        _receive.UserToken = this;
    }

    /// <summary>What cut the current wait short, if anything.</summary>
    public UdpAbort Abort => _abort;

    /// <summary>Starts the read timeout (and watches <paramref name="cancellationToken"/>) for <paramref name="socket"/>.</summary>
    public void Arm(Socket socket, TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _socket = socket;
            _abort = UdpAbort.None;
            _armed = true;
            _deadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
            _timer.Change(timeout, Timeout.InfiniteTimeSpan);
        }

        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static state => ((UdpExchange)state!).Cut(UdpAbort.Cancelled), this);
        }
    }

    /// <summary>Stops watching; the object may then serve the next query.</summary>
    public void Disarm()
    {
        // Dispose, not Unregister: a cancellation callback running right now must finish before the next query arms.
        _registration.Dispose();
        _registration = default;
        lock (_gate)
        {
            _armed = false;
            _socket = null;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Receives one datagram into <paramref name="buffer"/>; throws <see cref="SocketException"/> on a socket error.</summary>
    public ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        _core.Reset();
        _receive.SetBuffer(buffer);
        if (socket.ReceiveAsync(_receive))
        {
            return new ValueTask<int>(this, _core.Version);
        }

        return _receive.SocketError == SocketError.Success
            ? ValueTask.FromResult(_receive.BytesTransferred)
            : ValueTask.FromException<int>(new SocketException((int)_receive.SocketError));
    }

    public void Dispose()
    {
        _timer.Dispose();
        _receive.Dispose();
    }

    int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void OnReceived()
    {
        if (_receive.SocketError == SocketError.Success)
        {
            _core.SetResult(_receive.BytesTransferred);
        }
        else
        {
            _core.SetException(new SocketException((int)_receive.SocketError));
        }
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            if (!_armed)
            {
                return;
            }

            var remaining = _deadline - _time.GetTimestamp();
            if (remaining > 0)
            {
                // Early, or a tick of an earlier query: wait for the rest.
                _timer.Change(TimeSpan.FromSeconds((double)remaining / _time.TimestampFrequency), Timeout.InfiniteTimeSpan);
                return;
            }
        }

        Cut(UdpAbort.Timeout);
    }

    private void Cut(UdpAbort reason)
    {
        Socket? socket;
        lock (_gate)
        {
            if (!_armed || _abort != UdpAbort.None)
            {
                return;
            }

            _abort = reason;
            socket = _socket;
        }

        // Outside the lock: closing completes the pending receive, and its continuation may run right here.
        socket?.Dispose();
    }
}
