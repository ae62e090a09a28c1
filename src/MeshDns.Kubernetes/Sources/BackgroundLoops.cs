namespace MeshDns.Kubernetes;

/// <summary>
/// The background loops of a cluster source (its snapshot store, informers or folder poll): started once, stopped by
/// cancelling them and waiting for them to end. Start and stop may race; each happens once.
/// </summary>
internal sealed class BackgroundLoops : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _running;
    private Task _tasks = Task.CompletedTask;

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _running is not null;
            }
        }
    }

    /// <summary>Starts each loop on the thread pool with one shared cancellation; false when they already run.</summary>
    public bool TryStart(IEnumerable<Func<CancellationToken, Task>> loops)
    {
        lock (_gate)
        {
            if (_running is not null)
            {
                return false;
            }

            _running = new CancellationTokenSource();
            var token = _running.Token;
            _tasks = Task.WhenAll(loops.Select(loop => Task.Run(() => loop(token), CancellationToken.None)).ToList());
            return true;
        }
    }

    /// <summary>
    /// Cancels the loops and waits for them (at most until <paramref name="cancellationToken"/>); runs
    /// <paramref name="stopped"/> afterwards, even when the wait was cut short. Nothing happens when nothing runs.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken, Action? stopped = null)
    {
        CancellationTokenSource? running;
        lock (_gate)
        {
            running = _running;
            _running = null;
        }

        if (running is null)
        {
            return;
        }

        await running.CancelAsync().ConfigureAwait(false);
        try
        {
            await _tasks.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            running.Dispose();
            stopped?.Invoke();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));
}
