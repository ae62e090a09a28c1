using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace MeshDns.Server.Plugins;

/// <summary>Whether a plugin is ready to serve (the <c>ready</c> plugin asks every reporter).</summary>
public readonly record struct ReadinessStatus(bool IsReady, string? Detail = null);

/// <summary>A plugin that can say whether it is ready (CoreDNS's <c>ready.Readiness</c>).</summary>
public interface IReadinessReporter
{
    /// <summary>The name listed in /ready's body when not ready (<c>kubernetes</c>, <c>kubernetai/aws-euwest1</c>).</summary>
    string ReadinessName { get; }

    ReadinessStatus CheckReadiness();
}

/// <summary>The server block being set up, and the per-block settings plugins may change (<c>bind</c>).</summary>
public sealed class ServerBlockSetup
{
    public ServerBlockSetup(ServerBlock block, int index)
    {
        ArgumentNullException.ThrowIfNull(block);
        Block = block;
        Index = index;
        Zones = block.Addresses.Select(a => DnsName.Parse(a.Zone).ToLowerInvariant()).Distinct().ToArray();
    }

    /// <summary>The parsed Corefile block.</summary>
    public ServerBlock Block { get; }

    /// <summary>Position of the block in the Corefile.</summary>
    public int Index { get; }

    /// <summary>The block's zones, lower case, from its keys (CIDR keys already expanded to reverse zones).</summary>
    public IReadOnlyList<DnsName> Zones { get; }

    /// <summary>Zones as text with trailing dot (<c>example.org.</c>), the form plugins compare arguments with.</summary>
    public IEnumerable<string> ZoneNames => Zones.Select(z => z.ToString());

    /// <summary>Addresses to listen on (set by <c>bind</c>); empty means every address.</summary>
    public List<System.Net.IPAddress> BindAddresses { get; } = [];

    /// <summary>Names of directives seen so far in this block, so once-per-block plugins can refuse a second copy.</summary>
    public HashSet<string> SeenDirectives { get; } = new(StringComparer.Ordinal);
}

/// <summary>What a plugin's setup gets: its directive, its block, the process's services, and ways to plug in.</summary>
public sealed class PluginSetupContext
{
    private readonly ServerInstanceBuilder _builder;

    internal PluginSetupContext(ServerInstanceBuilder builder, ServerBlockSetup block, Directive directive, List<Func<DnsHandler, DnsHandler>> handlers)
    {
        _builder = builder;
        Block = block;
        Directive = directive;
        Handlers = handlers;
    }

    /// <summary>The directive being set up, with its arguments and block.</summary>
    public Directive Directive { get; }

    public ServerBlockSetup Block { get; }

    public MeshDnsServices Services => _builder.Services;

    public MetricsRegistry Metrics => _builder.Services.Metrics;

    public TimeProvider Time => _builder.Services.Time;

    public ILoggerFactory LoggerFactory => _builder.Services.LoggerFactory;

    /// <summary>The instance this setup belongs to (for readiness, shared values and lifetimes).</summary>
    public ServerInstance Instance => _builder.Instance;

    internal List<Func<DnsHandler, DnsHandler>> Handlers { get; }

    /// <summary>A logger named like CoreDNS's (<c>plugin/forward</c>).</summary>
    public ILogger CreateLogger() => LoggerFactory.CreateLogger("plugin/" + Directive.Name);

    /// <summary>Reports an error at the directive (<c>Corefile:12 - plugin/health: ...</c>); setup goes on so all errors are reported together.</summary>
    public void Error(string message) => _builder.Errors.Add(Directive.NameToken, Directive.Name, message);

    /// <summary>Reports an error at a given token (an argument or a block line).</summary>
    public void Error(CorefileToken at, string message) => _builder.Errors.Add(at, Directive.Name, message);

    /// <summary>Reports an error at a sub-directive line of the block.</summary>
    public void Error(Directive at, string message)
    {
        ArgumentNullException.ThrowIfNull(at);
        _builder.Errors.Add(at.NameToken, Directive.Name, message);
    }

    /// <summary>Adds a handler to the block's chain: <paramref name="factory"/> gets the handler after it.</summary>
    public void AddHandler(Func<DnsHandler, DnsHandler> factory) => Handlers.Add(factory);

    /// <summary>
    /// Runs once every directive of every server block is set up, before the configuration is accepted: for plugins
    /// that refer to what other blocks define (clusterset's members). Errors reported from it fail the build as usual.
    /// </summary>
    public void AfterSetup(Action hook) => _builder.AfterSetup.Add((hook, Directive));

    /// <summary>Runs when the instance starts (before its listeners take traffic). Throwing fails the start or the reload.</summary>
    public void OnStartup(Func<CancellationToken, Task> hook) => Instance.AddStartup(hook);

    /// <summary>Runs when the instance is replaced or the server stops.</summary>
    public void OnShutdown(Func<CancellationToken, Task> hook) => Instance.AddShutdown(hook);

    /// <summary>
    /// Runs once this configuration's listeners are bound and serving, with their endpoints by server address
    /// (<c>dns://:53</c>). For plugins that must talk to the server itself (loop detection). Failures are logged.
    /// </summary>
    public void OnListening(Func<IReadOnlyDictionary<string, IReadOnlyList<System.Net.IPEndPoint>>, CancellationToken, Task> hook) => Instance.AddListening(hook);

    /// <summary>Declares that this plugin answers <paramref name="zone"/> with authority and does not fall through: forward will never send such names upstream.</summary>
    public void AddAuthoritativeZone(DnsName zone) => Instance.AddAuthoritativeZone(zone, Directive.Name);

    /// <summary>Makes the plugin visible to the <c>ready</c> plugin.</summary>
    public void AddReadiness(IReadinessReporter reporter) => Instance.AddReadiness(reporter);

    /// <summary>A value shared by every setup of this instance under <paramref name="key"/> (one HTTP listener for several blocks, say).</summary>
    public T GetOrAddShared<T>(string key, Func<T> factory)
        where T : class => Instance.GetOrAddShared(key, factory);
}
