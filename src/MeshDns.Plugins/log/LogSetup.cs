using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Log;

/// <summary>
/// <c>log [NAMES...] [FORMAT] { class CLASSES...; minDuration [DURATION] }</c>. Several <c>log</c> lines in one
/// server block add rules to one handler; the first rule whose name matches a query decides.
/// </summary>
public sealed class LogSetup : IPluginSetup
{
    /// <summary>The category query lines are written under; the CoreDNS formatter prints it bare.</summary>
    public const string QueryCategory = "query";

    /// <summary>What <c>minDuration</c> without a value means (CoreDNS's default).</summary>
    public static readonly TimeSpan DefaultMinDuration = TimeSpan.FromMilliseconds(100);

    public string Name => "log";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var directive = context.Directive;
        var args = directive.ArgValues.ToList();
        var format = LogFormat.Parse(LogFormat.Common);
        var names = new List<string>();
        switch (args.Count)
        {
            case 0:
                names.Add(".");
                break;
            case 1:
                names.Add(args[0]);
                break;
            default:
                // A last argument holding a brace is the format; the rest are names.
                if (args[^1].Contains('{', StringComparison.Ordinal))
                {
                    format = LogFormat.Parse(args[^1]);
                    args.RemoveAt(args.Count - 1);
                }

                names.AddRange(args);
                break;
        }

        var scopes = new List<DnsName>();
        foreach (var name in names)
        {
            if (!DnsName.TryParse(name, out var scope))
            {
                context.Error($"'{name}' is not a valid domain name");
                return;
            }

            scopes.Add(scope);
        }

        var classes = ResponseClass.None;
        var minDuration = TimeSpan.Zero;
        foreach (var option in directive.Block)
        {
            switch (option.Name)
            {
                case "class":
                    if (option.Args.Count == 0)
                    {
                        context.Error(option, option.ArgErr());
                        return;
                    }

                    foreach (var arg in option.Args)
                    {
                        if (!ResponseClassifier.TryParse(arg.Text, out var parsed))
                        {
                            context.Error(arg, $"invalid Class: {arg.Text}");
                            return;
                        }

                        classes |= parsed;
                    }

                    break;
                case "minDuration":
                    if (option.Args.Count > 1)
                    {
                        context.Error(option, option.ArgErr());
                        return;
                    }

                    if (option.Args.Count == 0)
                    {
                        minDuration = DefaultMinDuration;
                    }
                    else if (!CorefileValues.TryParseDuration(option.Args[0].Text, out minDuration, out _))
                    {
                        context.Error(option.Args[0], $"Illegal duration found: '{option.Args[0].Text}'");
                        return;
                    }

                    break;
                default:
                    context.Error(option, option.ArgErr());
                    return;
            }
        }

        if (classes == ResponseClass.None)
        {
            classes = ResponseClass.All;
        }

        var logger = context.LoggerFactory.CreateLogger(QueryCategory);
        var rules = context.GetOrAddShared($"log/block{context.Block.Index}", () =>
        {
            var list = new List<LogRule>();
            context.AddHandler(next => new LogHandler(next, list));
            return list;
        });
        foreach (var scope in scopes)
        {
            rules.Add(new LogRule(scope, format, classes, minDuration, logger));
        }
    }
}
