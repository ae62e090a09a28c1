using System.Collections.Concurrent;
using MeshDns.Server.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Testing.Logging;

/// <summary>
/// Collects log lines exactly as the executable prints them (through <see cref="CoreDnsConsoleFormatter"/>:
/// <c>[INFO] plugin/reload: ...</c>, query lines bare), so tests can compare CoreDNS-format output verbatim.
/// Add it to a logger factory with <c>ILoggingBuilder.AddProvider</c>.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly CoreDnsConsoleFormatter _formatter = new();
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>Every line so far, in order, without the trailing newline.</summary>
    public IReadOnlyList<string> Lines => _lines.ToArray();

    /// <summary>Lines that start with <paramref name="prefix"/> (<c>[ERROR] plugin/errors:</c>).</summary>
    public IReadOnlyList<string> LinesStartingWith(string prefix) => Lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToArray();

    /// <summary>Waits until a line satisfies <paramref name="predicate"/>; fails after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> predicate, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var found = _lines.FirstOrDefault(predicate);
            if (found is not null)
            {
                return found;
            }

            try
            {
                await Task.Delay(10, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no matching log line; got:\n" + string.Join('\n', _lines));
            }
        }
    }

    public void Clear() => _lines.Clear();

    public ILogger CreateLogger(string categoryName) => new CaptureLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CaptureLogger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            using var writer = new StringWriter();
            owner._formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), null, writer);
            owner._lines.Enqueue(writer.ToString().TrimEnd('\n'));
        }
    }
}
