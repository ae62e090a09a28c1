using MeshDns.Protocol;

namespace MeshDns.Server;

/// <summary>
/// One link of a server block's plugin chain. A handler either answers (fills <see cref="DnsRequestContext.Response"/>
/// and calls <see cref="DnsRequestContext.WriteResponse"/>) or passes the request to the next handler.
/// </summary>
/// <remarks>
/// As in CoreDNS, returning SERVFAIL, REFUSED, FORMERR or NOTIMP without writing means "the server writes this
/// error for me". Handlers complete synchronously whenever they can: a completed <see cref="ValueTask{TResult}"/>
/// costs nothing, and the UDP path answers on the receiving thread when the whole chain is synchronous.
/// </remarks>
public abstract class DnsHandler
{
    /// <summary>The directive name (<c>kubernetes</c>, <c>forward</c>): used in errors, logs and metrics labels.</summary>
    public abstract string Name { get; }

    public abstract ValueTask<PluginResult> ServeAsync(DnsRequestContext context);
}

/// <summary>A handler in the middle of a chain: it knows the handler after it.</summary>
public abstract class ChainedDnsHandler(DnsHandler next) : DnsHandler
{
    /// <summary>The handler after this one (the chain's terminator when this is the last plugin).</summary>
    protected DnsHandler Next { get; } = next ?? throw new ArgumentNullException(nameof(next));

    /// <summary>The next handler's answer, as CoreDNS's <c>plugin.NextOrFailure</c>.</summary>
    protected ValueTask<PluginResult> NextAsync(DnsRequestContext context) => Next.ServeAsync(context);
}

/// <summary>What a handler reports: the rcode (CoreDNS's int return) and an error to log, if any.</summary>
public readonly record struct PluginResult(DnsResponseCode Rcode, PluginError? Error = null)
{
    public static PluginResult Success => new(DnsResponseCode.NoError);

    /// <summary>A failure the server answers with <paramref name="rcode"/> and the errors plugin logs.</summary>
    public static PluginResult Failure(DnsResponseCode rcode, string plugin, string message, Exception? exception = null) =>
        new(rcode, new PluginError(plugin, message, exception));

    /// <summary>
    /// True when the rcode means "nothing was written, the server must answer" (CoreDNS's <c>!plugin.ClientWrite</c>).
    /// </summary>
    public bool ServerMustWrite => Rcode is DnsResponseCode.ServFail or DnsResponseCode.Refused or DnsResponseCode.FormErr or DnsResponseCode.NotImp;
}

/// <summary>An error a plugin reports; shown as <c>plugin/NAME: message</c> like CoreDNS's <c>plugin.Error</c>.</summary>
public sealed class PluginError(string plugin, string message, Exception? exception = null)
{
    public string Plugin { get; } = plugin;

    public string Message { get; } = message;

    public Exception? Exception { get; } = exception;

    public override string ToString() => $"plugin/{Plugin}: {Message}";
}

/// <summary>Ends every chain: reached only when the last plugin passed the query on (CoreDNS: "no next plugin found").</summary>
public sealed class ChainTerminator : DnsHandler
{
    public override string Name => "terminator";

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context) =>
        ValueTask.FromResult(new PluginResult(DnsResponseCode.ServFail, NoNextPlugin));

    private static readonly PluginError NoNextPlugin = new("core", "no next plugin found");
}
