using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Bind;

/// <summary>
/// <c>bind ADDRESS|IFACE ... { except ADDRESS|IFACE ... }</c>: the addresses the block's listeners bind to.
/// Interface names expand to the interface's addresses at (re)load time. Several <c>bind</c> lines add up;
/// each <c>except</c> applies to its own line. Adds no handler.
/// </summary>
public sealed class BindSetup : IPluginSetup
{
    private readonly Func<IReadOnlyList<NetworkInterface>> _interfaces;

    public BindSetup()
        : this(() => NetworkInterface.GetAllNetworkInterfaces())
    {
    }

    /// <summary>With a fixed interface list (tests).</summary>
    public BindSetup(Func<IReadOnlyList<NetworkInterface>> interfaces)
    {
        _interfaces = interfaces;
    }

    public string Name => "bind";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var directive = context.Directive;
        if (directive.Args.Count == 0)
        {
            context.Error("at least one address or interface name is expected");
            return;
        }

        IReadOnlyList<CorefileToken> except = [];
        foreach (var option in directive.Block)
        {
            switch (option.Name)
            {
                case "except":
                    if (option.Args.Count == 0)
                    {
                        context.Error(option, "at least one address or interface must be given to except subdirective");
                        return;
                    }

                    except = option.Args;
                    break;
                default:
                    context.Error(option, $"invalid option \"{option.Name}\"");
                    return;
            }
        }

        IReadOnlyList<NetworkInterface> interfaces;
        try
        {
            interfaces = _interfaces();
        }
        catch (NetworkInformationException exception)
        {
            context.Error($"failed to get interfaces list: {exception.Message}");
            return;
        }

        if (!TryResolve(context, directive.Args, interfaces, out var addresses) || !TryResolve(context, except, interfaces, out var excluded))
        {
            return;
        }

        foreach (var address in addresses)
        {
            if (!excluded.Contains(address) && !context.Block.BindAddresses.Contains(address))
            {
                context.Block.BindAddresses.Add(address);
            }
        }
    }

    /// <summary>Turns IP addresses and interface names into addresses, CoreDNS's <c>listIP</c>.</summary>
    public static bool TryResolve(PluginSetupContext context, IReadOnlyList<CorefileToken> args, IReadOnlyList<NetworkInterface> interfaces, out List<IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(interfaces);
        addresses = [];
        foreach (var arg in args)
        {
            var matched = false;
            foreach (var networkInterface in interfaces)
            {
                if (networkInterface.Name != arg.Text)
                {
                    continue;
                }

                matched = true;
                IPInterfaceProperties properties;
                try
                {
                    properties = networkInterface.GetIPProperties();
                }
                catch (NetworkInformationException)
                {
                    context.Error(arg, $"failed to get the IP addresses of the interface: \"{arg.Text}\"");
                    return false;
                }

                foreach (var unicast in properties.UnicastAddresses)
                {
                    // Link-local IPv6 addresses keep their scope (the interface), without which they cannot be bound.
                    addresses.Add(unicast.Address);
                }
            }

            if (matched)
            {
                continue;
            }

            if (!TryParseAddress(arg.Text, out var address))
            {
                context.Error(arg, $"not a valid IP address or interface name: \"{arg.Text}\"");
                return false;
            }

            addresses.Add(address);
        }

        return true;
    }

    private static bool TryParseAddress(string text, out IPAddress address)
    {
        // Go's net.ParseIP: dotted quads and IPv6 text only, no zone, no shortened IPv4 forms.
        address = IPAddress.None;
        if (text.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') != 3)
        {
            return false;
        }

        address = parsed;
        return true;
    }
}
