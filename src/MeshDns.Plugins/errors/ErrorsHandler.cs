using MeshDns.Protocol;
using MeshDns.Server;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Errors;

/// <summary>
/// Logs the error the rest of the chain returned, as CoreDNS's errors plugin:
/// <c>[ERROR] plugin/errors: 2 example.org. A: plugin/forward: no healthy upstream</c> (rcode number, question, error).
/// Errors matching a <c>consolidate</c> pattern are counted and summarised once per period instead.
/// </summary>
public sealed partial class ErrorsHandler : ChainedDnsHandler
{
    private readonly ErrorConsolidator _consolidator;
    private readonly ILogger _logger;

    public ErrorsHandler(DnsHandler next, ErrorConsolidator consolidator, ILogger logger)
        : base(next)
    {
        _consolidator = consolidator;
        _logger = logger;
    }

    public override string Name => "errors";

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var pending = NextAsync(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, pending);
        }

        var result = pending.Result;
        if (result.Error is not null)
        {
            Report(context, result);
        }

        return ValueTask.FromResult(result);
    }

    private async ValueTask<PluginResult> AwaitAsync(DnsRequestContext context, ValueTask<PluginResult> pending)
    {
        var result = await pending.ConfigureAwait(false);
        if (result.Error is not null)
        {
            Report(context, result);
        }

        return result;
    }

    private void Report(DnsRequestContext context, PluginResult result)
    {
        var error = result.Error!.ToString();
        var outcome = _consolidator.Offer(error);
        if (outcome.Consolidated && !outcome.LogNow)
        {
            return;
        }

        var level = outcome.Consolidated ? outcome.Level : LogLevel.Error;
        if (_logger.IsEnabled(level))
        {
            Span<byte> lower = stackalloc byte[WireName.MaxLength];
            var length = WireName.ToLower(context.OriginalQuestionName, lower);
#pragma warning disable CA1873 // guarded by IsEnabled above; the analyzer does not see guards of generated log methods
            LogError(_logger, level, (int)result.Rcode, WireName.ToPresentation(lower[..length]), DnsTypeNames.TypeToString(context.OriginalQuestionType), error);
#pragma warning restore CA1873
        }
    }

    [LoggerMessage(EventId = 1100, Message = "{Rcode} {Name} {Type}: {Error}")]
    private static partial void LogError(ILogger logger, LogLevel level, int rcode, string name, string type, string error);
}

/// <summary>
/// The <c>consolidate</c> rules of one errors plugin: counts matching errors and logs one summary per period
/// (<c>3 errors like '^read udp .* i/o timeout$' occurred in last 30s</c>). Periods run on the injected clock.
/// </summary>
public sealed partial class ErrorConsolidator
{
    private readonly Window[] _windows;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private volatile bool _stopped;

    public ErrorConsolidator(IReadOnlyList<ConsolidationRule> rules, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _windows = rules.Select(r => new Window(r)).ToArray();
        _logger = logger;
        _time = time;
    }

    /// <summary>What to do with one error: consolidated (count it), and whether to log it now anyway (<c>show_first</c>).</summary>
    public readonly record struct Outcome(bool Consolidated, bool LogNow, LogLevel Level);

    /// <summary>Counts <paramref name="error"/> under the first rule whose pattern matches it.</summary>
    public Outcome Offer(string error)
    {
        foreach (var window in _windows)
        {
            if (!window.Rule.Pattern.IsMatch(error))
            {
                continue;
            }

            // After shutdown nothing would ever print the summary, so the error is logged on its own.
            if (_stopped)
            {
                return default;
            }

            lock (window)
            {
                window.Count++;
                if (window.Count == 1)
                {
                    window.Timer = _time.CreateTimer(static state => ((Context)state!).Owner.Flush(((Context)state!).Window), new Context(this, window), window.Rule.Period, Timeout.InfiniteTimeSpan);
                }

                return new Outcome(true, window.Rule.ShowFirst && window.Count == 1, window.Rule.Level);
            }
        }

        return default;
    }

    /// <summary>Prints what is pending and stops consolidating (the configuration is going away).</summary>
    public void Stop()
    {
        _stopped = true;
        foreach (var window in _windows)
        {
            Flush(window);
        }
    }

    private void Flush(Window window)
    {
        int count;
        lock (window)
        {
            count = window.Count;
            window.Count = 0;
            window.Timer?.Dispose();
            window.Timer = null;
        }

        // With show_first a lone error was already printed; a summary would only repeat it.
        if ((count > 1 || (count == 1 && !window.Rule.ShowFirst)) && _logger.IsEnabled(window.Rule.Level))
        {
#pragma warning disable CA1873 // guarded by IsEnabled above
            LogSummary(_logger, window.Rule.Level, count, window.Rule.Pattern.ToString(), GoFormat.Duration(window.Rule.Period));
#pragma warning restore CA1873
        }
    }

    [LoggerMessage(EventId = 1101, Message = "{Count} errors like '{Pattern}' occurred in last {Period}")]
    private static partial void LogSummary(ILogger logger, LogLevel level, int count, string pattern, string period);

    private sealed class Window(ConsolidationRule rule)
    {
        public ConsolidationRule Rule { get; } = rule;

        public int Count { get; set; }

        public ITimer? Timer { get; set; }
    }

    private sealed record Context(ErrorConsolidator Owner, Window Window);
}
