using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Health;

/// <summary><c>health [ADDRESS] { lameduck DURATION }</c>: a process-wide <c>/health</c> endpoint (default <c>:8080</c>).</summary>
public sealed class HealthSetup : IPluginSetup
{
    public const string DefaultAddress = ":8080";

    public string Name => "health";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var directive = context.Directive;
        if (!HttpAddress.TryReadOptionalAddress(context, DefaultAddress, out var address))
        {
            return;
        }

        var lameDuck = TimeSpan.Zero;
        foreach (var option in directive.Block)
        {
            switch (option.Name)
            {
                case "lameduck":
                    if (option.Args.Count != 1)
                    {
                        context.Error(option, option.ArgErr());
                        return;
                    }

                    if (!CorefileValues.TryParseDuration(option.Args[0].Text, out lameDuck, out var error) || lameDuck < TimeSpan.Zero)
                    {
                        context.Error(option.Args[0], $"unable to parse lameduck duration value: '{option.Args[0].Text}' : {error ?? "negative duration"}");
                        return;
                    }

                    break;
                default:
                    context.Error(option, option.ArgErr());
                    return;
            }
        }

        // Several blocks may name the same address: one endpoint (and one self-check) per address.
        var endpoint = context.GetOrAddShared($"health@{address}", () =>
        {
            var created = new HealthEndpoint(address, context.Services);
            context.OnStartup(created.StartAsync);
            context.OnShutdown(created.StopAsync);
            return created;
        });
        endpoint.RequestLameDuck(lameDuck);
    }
}

/// <summary>Checks the <c>HOST:PORT</c> forms the HTTP plugins accept, with messages like Go's <c>net.SplitHostPort</c>.</summary>
internal static class HttpAddress
{
    /// <summary>
    /// Reads the optional <c>[ADDRESS]</c> argument of health, ready and prometheus: the default when absent, an error
    /// (reported at the offending token) for a second argument or a malformed address.
    /// </summary>
    public static bool TryReadOptionalAddress(PluginSetupContext context, string defaultAddress, out string address)
    {
        var directive = context.Directive;
        address = defaultAddress;
        if (directive.Args.Count > 1)
        {
            context.Error(directive.Args[1], directive.ArgErr());
            return false;
        }

        if (directive.Args.Count == 1)
        {
            address = directive.Args[0].Text;
            if (!TryValidate(address, out var error))
            {
                context.Error(directive.Args[0], error);
                return false;
            }
        }

        return true;
    }

    public static bool TryValidate(string address, out string error)
    {
        if (!address.Contains(':', StringComparison.Ordinal))
        {
            error = $"address {address}: missing port in address";
            return false;
        }

        try
        {
            HttpEndpointHost.ParseAddress(address);
        }
        catch (FormatException exception)
        {
            error = $"address {address}: {exception.Message}";
            return false;
        }

        error = string.Empty;
        return true;
    }
}
