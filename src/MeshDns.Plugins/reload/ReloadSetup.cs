using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Reload;

/// <summary><c>reload [INTERVAL] [JITTER]</c>: once per server block; one check loop per configuration.</summary>
public sealed class ReloadSetup : IPluginSetup
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultJitter = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan MinJitter = TimeSpan.FromSeconds(1);

    public string Name => "reload";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!SetupRules.FirstInBlock(context))
        {
            return;
        }

        var directive = context.Directive;
        if (directive.Args.Count > 2 || directive.HasBlock)
        {
            context.Error(directive.LastToken, directive.ArgErr());
            return;
        }

        var interval = DefaultInterval;
        if (directive.Args.Count > 0 && !CorefileValues.TryParseDuration(directive.Args[0].Text, out interval, out var error))
        {
            context.Error(directive.Args[0], error!);
            return;
        }

        if (interval < MinInterval)
        {
            context.Error(directive.Args[0], $"interval value must be greater or equal to {GoFormat.Duration(MinInterval)}");
            return;
        }

        var jitter = DefaultJitter;
        if (directive.Args.Count > 1 && !CorefileValues.TryParseDuration(directive.Args[1].Text, out jitter, out error))
        {
            context.Error(directive.Args[1], error!);
            return;
        }

        if (jitter < MinJitter)
        {
            context.Error(directive.Args[1], $"jitter value must be greater or equal to {GoFormat.Duration(MinJitter)}");
            return;
        }

        if (jitter > interval / 2)
        {
            jitter = interval / 2;
        }

        var loop = context.GetOrAddShared("reload", () =>
        {
            var created = new ReloadLoop(context.Services, context.Instance);
            context.OnStartup(created.StartAsync);
            context.OnShutdown(created.StopAsync);
            return created;
        });

        // Spread instances that share a Corefile over the jitter window, as CoreDNS does; the last block's setting wins.
        loop.Interval = interval + TimeSpan.FromTicks(Random.Shared.NextInt64(jitter.Ticks) - (jitter.Ticks / 2));
        loop.ConfiguredInterval = interval;
        loop.ConfiguredJitter = jitter;
    }
}
