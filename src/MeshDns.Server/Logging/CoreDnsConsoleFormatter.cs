using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace MeshDns.Server.Logging;

/// <summary>
/// Writes log lines the way CoreDNS does, so existing log pipelines keep parsing them:
/// <c>[INFO] plugin/reload: Running configuration SHA512 = ...</c>. Categories named <c>plugin/NAME</c> keep their
/// prefix; the query log and core messages print bare (<c>[INFO] 10.0.0.1:5353 - 42 "A IN ..."</c>).
/// </summary>
public sealed class CoreDnsConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "coredns";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        textWriter.Write('[');
        textWriter.Write(LevelName(logEntry.LogLevel));
        textWriter.Write("] ");
        var category = logEntry.Category;
        if (category.StartsWith("plugin/", StringComparison.Ordinal))
        {
            textWriter.Write(category);
            textWriter.Write(": ");
        }
        else if (category is not ("core" or "query") && !category.StartsWith("MeshDns", StringComparison.Ordinal))
        {
            textWriter.Write(category);
            textWriter.Write(": ");
        }

        textWriter.Write(message);
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write(": ");
            textWriter.Write(logEntry.LogLevel >= LogLevel.Error && logEntry.LogLevel != LogLevel.None ? exception.ToString() : exception.Message);
        }

        textWriter.Write('\n');
    }

    /// <summary>CoreDNS's level words.</summary>
    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "FATAL",
        _ => "INFO",
    };
}
