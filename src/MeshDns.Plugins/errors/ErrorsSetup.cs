using System.Text.RegularExpressions;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Errors;

/// <summary>
/// <c>errors [stdout] { stacktrace; consolidate DURATION REGEXP [LEVEL] [show_first] }</c>: once per server block.
/// </summary>
public sealed class ErrorsSetup : IPluginSetup
{
    /// <summary>CoreDNS refuses longer patterns (a regexp is compiled per consolidate line).</summary>
    public const int MaxPatternLength = 10000;

    public string Name => "errors";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!SetupRules.FirstInBlock(context))
        {
            return;
        }

        var directive = context.Directive;
        if (directive.Args.Count > 1)
        {
            context.Error(directive.Args[1], directive.ArgErr());
            return;
        }

        if (directive.Args.Count == 1 && directive.Args[0].Text != "stdout")
        {
            context.Error(directive.Args[0], $"invalid log file: {directive.Args[0].Text}");
            return;
        }

        var rules = new List<ConsolidationRule>();
        var ok = true;
        foreach (var option in directive.Block)
        {
            switch (option.Name)
            {
                case "stacktrace":
                    // MeshDns always logs the stack trace of a recovered panic; accepted for compatibility.
                    if (option.Args.Count > 0)
                    {
                        context.Error(option, option.ArgErr());
                        ok = false;
                    }

                    break;
                case "consolidate":
                    if (TryParseConsolidate(context, option, out var rule))
                    {
                        rules.Add(rule);
                    }
                    else
                    {
                        ok = false;
                    }

                    break;
                default:
                    context.Error(option, $"Syntax error: Unexpected token '{option.Name}', expecting 'Unknown field {option.Name}'");
                    ok = false;
                    break;
            }
        }

        if (!ok)
        {
            return;
        }

        var logger = context.CreateLogger();
        var consolidator = new ErrorConsolidator(rules, logger, context.Time);
        context.OnShutdown(_ =>
        {
            consolidator.Stop();
            return Task.CompletedTask;
        });
        context.AddHandler(next => new ErrorsHandler(next, consolidator, logger));
    }

    private static bool TryParseConsolidate(PluginSetupContext context, Directive option, out ConsolidationRule rule)
    {
        rule = null!;
        var args = option.Args;
        if (args.Count is < 2 or > 4)
        {
            context.Error(option, option.ArgErr());
            return false;
        }

        if (!CorefileValues.TryParseDuration(args[0].Text, out var period, out var error))
        {
            context.Error(args[0], error!);
            return false;
        }

        if (period <= TimeSpan.Zero)
        {
            context.Error(args[0], $"consolidate duration must be positive, got {args[0].Text}");
            return false;
        }

        if (args[1].Text.Length > MaxPatternLength)
        {
            context.Error(args[1], $"regexp is too long ({args[1].Text.Length} characters, at most {MaxPatternLength})");
            return false;
        }

        Regex pattern;
        try
        {
            pattern = new Regex(args[1].Text, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException exception)
        {
            context.Error(args[1], $"error parsing regexp: {exception.Message}");
            return false;
        }

        var level = LogLevel.Error;
        var showFirst = false;
        var levelSeen = false;
        for (var i = 2; i < args.Count; i++)
        {
            var text = args[i].Text;
            if (text == "show_first" && !showFirst)
            {
                showFirst = true;
                continue;
            }

            if (levelSeen || showFirst)
            {
                context.Error(args[i], option.ArgErr());
                return false;
            }

            levelSeen = true;
            switch (text)
            {
                case "warning":
                    level = LogLevel.Warning;
                    break;
                case "error":
                    level = LogLevel.Error;
                    break;
                case "info":
                    level = LogLevel.Information;
                    break;
                case "debug":
                    level = LogLevel.Debug;
                    break;
                default:
                    context.Error(args[i], $"unknown log level argument in consolidate: {text}");
                    return false;
            }
        }

        rule = new ConsolidationRule(period, pattern, level, showFirst);
        return true;
    }
}

/// <summary>One <c>consolidate</c> line.</summary>
public sealed record ConsolidationRule(TimeSpan Period, Regex Pattern, LogLevel Level, bool ShowFirst);
