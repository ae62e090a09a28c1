using System.Diagnostics;
using MeshDns.Protocol;
using MeshDns.Server;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Log;

/// <summary>
/// One <c>log NAME [FORMAT] { class ...; minDuration ... }</c> scope. It is the completion observer of the queries
/// it matched, so it sees the final response and its size; a query whose class is not selected costs a
/// classification and nothing else (no formatting, no allocation).
/// </summary>
public sealed partial class LogRule : IRequestCompletionObserver
{
    private readonly byte[] _scope;
    private readonly ILogger _logger;

    public LogRule(DnsName nameScope, LogFormat format, ResponseClass classes, TimeSpan minDuration, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(nameScope);
        NameScope = nameScope.ToLowerInvariant();
        _scope = NameScope.Wire.ToArray();
        Format = format;
        Classes = classes;
        MinDuration = minDuration;
        _logger = logger;
    }

    /// <summary>Queries for this name and below are logged.</summary>
    public DnsName NameScope { get; }

    public LogFormat Format { get; }

    /// <summary>Classes of responses logged (<see cref="ResponseClass.All"/> when no <c>class</c> was given).</summary>
    public ResponseClass Classes { get; }

    /// <summary>Responses slower than this are logged whatever their class (zero: off).</summary>
    public TimeSpan MinDuration { get; }

    /// <summary>True when the (lower-case, wire-form) name falls under <see cref="NameScope"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> lowerName) => WireName.IsSubdomainOf(lowerName, _scope);

    /// <summary>Whether a completed request is logged: its class is selected, or it was slower than <see cref="MinDuration"/>.</summary>
    public bool ShouldLog(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Classes == ResponseClass.All || (Classes & ResponseClassifier.Classify(context)) != 0)
        {
            return true;
        }

        return MinDuration > TimeSpan.Zero && Stopwatch.GetElapsedTime(context.StartTimestamp) > MinDuration;
    }

    public void OnCompleted(DnsRequestContext context, int responseSize)
    {
        if (_logger.IsEnabled(LogLevel.Information) && ShouldLog(context))
        {
#pragma warning disable CA1873 // guarded by IsEnabled above; formatting only happens for lines that are written
            LogQuery(_logger, Format.Render(context, responseSize));
#pragma warning restore CA1873
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogQuery(ILogger logger, string line);
}

/// <summary>
/// The query log: the first rule whose name scope holds the question is asked to log the query once the
/// response is written (CoreDNS logs from the recorded response; MeshDns from the encoded one).
/// </summary>
public sealed class LogHandler : ChainedDnsHandler
{
    private readonly LogRule[] _rules;

    public LogHandler(DnsHandler next, IReadOnlyList<LogRule> rules)
        : base(next)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = rules.ToArray();
    }

    public override string Name => "log";

    public IReadOnlyList<LogRule> Rules => _rules;

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.QuestionNameLower;
        foreach (var rule in _rules)
        {
            if (rule.Matches(name))
            {
                context.OnCompleted(rule);
                break;
            }
        }

        return NextAsync(context);
    }
}
