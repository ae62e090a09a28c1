using MeshDns.Plugins.Health;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Ready;

/// <summary>How long a reporter is asked: until it is ready once (default), or on every probe.</summary>
public enum ReadinessMonitor
{
    UntilReady,
    Continuously,
}

/// <summary><c>ready [ADDRESS] { monitor until-ready|continuously }</c>: once per server block, default <c>:8181</c>.</summary>
public sealed class ReadySetup : IPluginSetup
{
    public const string DefaultAddress = ":8181";

    public string Name => "ready";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!SetupRules.FirstInBlock(context))
        {
            return;
        }

        var directive = context.Directive;
        if (!HttpAddress.TryReadOptionalAddress(context, DefaultAddress, out var address))
        {
            return;
        }

        var monitor = ReadinessMonitor.UntilReady;
        foreach (var option in directive.Block)
        {
            switch (option.Name)
            {
                case "monitor":
                    if (option.Args.Count != 1)
                    {
                        context.Error(option, option.ArgErr());
                        return;
                    }

                    switch (option.Args[0].Text)
                    {
                        case "until-ready":
                            monitor = ReadinessMonitor.UntilReady;
                            break;
                        case "continuously":
                            monitor = ReadinessMonitor.Continuously;
                            break;
                        default:
                            context.Error(option.Args[0], $"monitor type '{option.Args[0].Text}' not supported");
                            return;
                    }

                    break;
                default:
                    context.Error(option, option.UnknownProperty());
                    return;
            }
        }

        var endpoint = context.GetOrAddShared($"ready@{address}", () =>
        {
            var created = new ReadyEndpoint(address, context.Services, context.Instance);
            context.OnStartup(created.StartAsync);
            context.OnShutdown(created.StopAsync);
            return created;
        });
        if (monitor == ReadinessMonitor.Continuously)
        {
            endpoint.Monitor = ReadinessMonitor.Continuously;
        }
    }
}
