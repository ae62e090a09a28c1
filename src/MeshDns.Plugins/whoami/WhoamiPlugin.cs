using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Whoami;

/// <summary><c>whoami</c>: takes no arguments.</summary>
public sealed class WhoamiSetup : IPluginSetup
{
    public string Name => "whoami";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Directive.Args.Count > 0 || context.Directive.HasBlock)
        {
            context.Error("Wrong argument count or unexpected line ending after 'whoami'");
            return;
        }

        context.AddHandler(_ => new WhoamiHandler());
    }
}

/// <summary>
/// Answers every query with the client's address and port in the additional section, as CoreDNS's whoami:
/// an A or AAAA record owned by the question name and an SRV record <c>_udp.NAME</c> / <c>_tcp.NAME</c> with the port.
/// </summary>
public sealed class WhoamiHandler : DnsHandler
{
    public override string Name => "whoami";

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.GetQuestionName();
        var response = context.Response;
        response.Authoritative = true;
        var address = context.RemoteAddress;
        response.Additionals.Add(address.AddressFamily == AddressFamily.InterNetworkV6
            ? new AaaaRecord(name, 0, address, context.QuestionClass)
            : new ARecord(name, 0, address.AddressFamily == AddressFamily.InterNetwork ? address : IPAddress.Any, context.QuestionClass));
        var proto = context.Transport == DnsTransport.Udp ? "_udp" : "_tcp";
        response.Additionals.Add(new SrvRecord(name.Prepend(proto), 0, 0, 0, (ushort)context.RemotePort, DnsName.Root, context.QuestionClass));
        context.WriteResponse(Name);
        return ValueTask.FromResult(PluginResult.Success);
    }
}
