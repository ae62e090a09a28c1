using MeshDns.Plugins.Health;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Prometheus;

/// <summary><c>prometheus [ADDRESS]</c>: once per server block, default <c>localhost:9153</c>, path <c>/metrics</c>.</summary>
public sealed class PrometheusSetup : IPluginSetup
{
    public const string DefaultAddress = "localhost:9153";

    public string Name => "prometheus";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!SetupRules.FirstInBlock(context))
        {
            return;
        }

        var directive = context.Directive;
        if (directive.Args.Count > 1 || directive.HasBlock)
        {
            context.Error(directive.LastToken, directive.ArgErr());
            return;
        }

        if (!HttpAddress.TryReadOptionalAddress(context, DefaultAddress, out var address))
        {
            return;
        }

        // Blocks naming the same address share one /metrics endpoint; every block gets the recording handler.
        context.GetOrAddShared($"prometheus@{address}", () =>
        {
            var endpoint = new MetricsEndpoint(address, context.Services);
            context.OnStartup(endpoint.StartAsync);
            context.OnShutdown(endpoint.StopAsync);
            return endpoint;
        });
        var metrics = context.Services.CoreMetrics;
        context.AddHandler(next => new PrometheusHandler(next, metrics));
    }
}
