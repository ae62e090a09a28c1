using System.Security.Cryptography;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Forward;

/// <summary><c>forward FROM TO... { ... }</c>: one handler per directive, chained in Corefile order like CoreDNS's.</summary>
public sealed class ForwardSetup : IPluginSetup
{
    private readonly IUpstreamHostResolver? _resolver;
    private readonly ForwardTimeouts? _timeouts;

    public ForwardSetup()
    {
    }

    /// <summary>For tests: a host-name resolver to use and shorter timeouts.</summary>
    public ForwardSetup(IUpstreamHostResolver? resolver, ForwardTimeouts? timeouts)
    {
        _resolver = resolver;
        _timeouts = timeouts;
    }

    public string Name => "forward";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!ForwardParser.TryParse(context.Directive, context.Error, out var options))
        {
            return;
        }

        if (_timeouts is not null)
        {
            options = options with { Timeouts = _timeouts };
        }

        ForwardEngine engine;
        try
        {
            engine = new ForwardEngine(options, context.Metrics, context.Time, context.CreateLogger(), _resolver, context.Instance);
        }
        catch (Exception exception) when (exception is IOException or CryptographicException or InvalidOperationException or UnauthorizedAccessException)
        {
            context.Error(exception.Message);
            return;
        }

        var guard = context.GetOrAddShared(ForwardLoopGuard.SharedKey(context.Block.Index), () => new ForwardLoopGuard());
        guard.Register(engine);
        context.AddHandler(next => new ForwardHandler(next, engine, guard));
        context.OnStartup(engine.StartAsync);
        context.OnShutdown(async _ => await engine.DisposeAsync().ConfigureAwait(false));
    }
}
