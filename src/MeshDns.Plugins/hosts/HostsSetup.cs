using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Hosts;

/// <summary>
/// <c>hosts [FILE [ZONES...]] { INLINE-ENTRIES; ttl SECONDS; no_reverse; reload DURATION; fallthrough [ZONES...] }</c>:
/// once per server block. Lines of the block that are not options are hosts entries, until <c>fallthrough</c>.
/// </summary>
public sealed partial class HostsSetup : IPluginSetup
{
    public string Name => "hosts";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!SetupRules.FirstInBlock(context))
        {
            return;
        }

        var options = Parse(context);
        if (options is null)
        {
            return;
        }

        var logger = context.CreateLogger();
        if (Directory.Exists(options.Path))
        {
            LogIsDirectory(logger, options.Path);
        }
        else if (!File.Exists(options.Path))
        {
            LogMissing(logger, options.Path);
        }

        var source = new HostsSource(options, context.Services);
        context.OnStartup(source.StartAsync);
        context.OnShutdown(source.StopAsync);
        context.AddHandler(next => new HostsHandler(next, source));
    }

    /// <summary>Reads the directive; null after reporting an error.</summary>
    internal static HostsOptions? Parse(PluginSetupContext context)
    {
        var directive = context.Directive;
        var args = directive.ArgValues;
        var path = HostsOptions.DefaultPath;
        IReadOnlyList<string> zoneArgs = context.Block.ZoneNames.ToArray();
        if (args.Count >= 1)
        {
            path = Path.GetFullPath(args[0]);
            if (args.Count > 1)
            {
                zoneArgs = args.Skip(1).ToArray();
            }
        }

        if (!TryZones(context, zoneArgs, out var zones))
        {
            return null;
        }

        var inline = new List<string>();
        var ttl = HostsOptions.DefaultTtl;
        var autoReverse = true;
        var reload = HostsOptions.DefaultReload;
        var fallthrough = Fallthrough.None;
        foreach (var option in directive.Block)
        {
            switch (option.Name)
            {
                case "fallthrough":
                    if (!TryZones(context, option.ArgValues, out var fallZones))
                    {
                        return null;
                    }

                    fallthrough = Fallthrough.For(option.Args.Count == 0 ? [] : fallZones);
                    break;
                case "no_reverse":
                    autoReverse = false;
                    break;
                case "ttl":
                    if (option.Args.Count < 1)
                    {
                        context.Error(option, "ttl needs a time in second");
                        return null;
                    }

                    if (!long.TryParse(option.Args[0].Text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
                    {
                        context.Error(option.Args[0], "ttl needs a number of second");
                        return null;
                    }

                    if (seconds is <= 0 or > 65535)
                    {
                        context.Error(option.Args[0], "ttl provided is invalid");
                        return null;
                    }

                    ttl = (uint)seconds;
                    break;
                case "reload":
                    if (option.Args.Count != 1)
                    {
                        context.Error(option, "reload needs a duration (zero seconds to disable)");
                        return null;
                    }

                    if (!CorefileValues.TryParseDuration(option.Args[0].Text, out reload, out _) || reload < TimeSpan.Zero)
                    {
                        context.Error(option.Args[0], $"invalid duration for reload '{option.Args[0].Text}'");
                        return null;
                    }

                    break;
                default:
                    if (fallthrough.IsEnabled)
                    {
                        context.Error(option, option.UnknownProperty());
                        return null;
                    }

                    inline.Add(string.Join(' ', option.ArgValues.Prepend(option.Name)));
                    break;
            }
        }

        return new HostsOptions
        {
            Path = path,
            Zones = zones,
            Inline = inline,
            Ttl = ttl,
            AutoReverse = autoReverse,
            ReloadInterval = reload,
            Fallthrough = fallthrough,
        };
    }

    private static bool TryZones(PluginSetupContext context, IReadOnlyList<string> args, out IReadOnlyList<DnsName> zones)
    {
        zones = [];
        if (!CorefileValues.TryNormalizeZones(args, out var normalized, out var error))
        {
            context.Error(error!);
            return false;
        }

        zones = normalized.Select(z => DnsName.Parse(z).ToLowerInvariant()).Distinct().ToArray();
        return true;
    }

    [LoggerMessage(EventId = 1802, Level = LogLevel.Warning, Message = "File does not exist: {Path}")]
    private static partial void LogMissing(ILogger logger, string path);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Warning, Message = "Hosts file \"{Path}\" is a directory")]
    private static partial void LogIsDirectory(ILogger logger, string path);
}
