using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MeshDns.Kubernetes;
using MeshDns.Plugins.Hosts;
using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;
using Microsoft.Extensions.Logging;

namespace MeshDns.Plugins.Kubernetes;

/// <summary><c>kubernetes [ZONES...] { ... }</c>: one cluster, once per server block (CoreDNS's kubernetes plugin).</summary>
/// <param name="adjust">Changes the parsed options before use (tests and embedders hand over ready-made sources this way).</param>
public sealed class KubernetesSetup(Func<KubernetesOptions, KubernetesOptions>? adjust = null) : IPluginSetup
{
    public string Name => "kubernetes";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!SetupRules.FirstInBlock(context))
        {
            return;
        }

        if (KubernetesStanza.Parse(context) is not { } options)
        {
            return;
        }

        var cluster = KubernetesStanza.Register(context, adjust?.Invoke(options) ?? options);
        context.AddHandler(next => new KubernetesHandler(next, Name, [cluster]));
    }
}

/// <summary>
/// <c>kubernetai [ZONES...] { ... }</c>: one block per cluster, as many as needed in a server block, with the options
/// of <c>kubernetes</c> (coredns/kubernetai). All blocks of a server block form one handler that tries them in
/// Corefile order.
/// </summary>
/// <param name="adjust">Changes the parsed options before use (tests and embedders hand over ready-made sources this way).</param>
public sealed class KubernetaiSetup(Func<KubernetesOptions, KubernetesOptions>? adjust = null) : IPluginSetup
{
    public string Name => "kubernetai";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (KubernetesStanza.Parse(context) is not { } options)
        {
            return;
        }

        var cluster = KubernetesStanza.Register(context, adjust?.Invoke(options) ?? options);
        var created = false;
        var clusters = context.GetOrAddShared("kubernetai/block/" + context.Block.Index.ToString(CultureInfo.InvariantCulture), () =>
        {
            created = true;
            return new List<ClusterAnswers>();
        });
        clusters.Add(cluster);
        if (created)
        {
            // The chain is built after every directive of the block is set up, so the handler sees them all.
            context.AddHandler(next => new KubernetesHandler(next, Name, clusters));
        }
    }
}

/// <summary>Reads a <c>kubernetes</c>/<c>kubernetai</c> stanza into <see cref="KubernetesOptions"/>, with CoreDNS's errors.</summary>
public static partial class KubernetesStanza
{
    /// <summary>Options of CoreDNS's kubernetes plugin that MeshDns does not implement: refused by name, never ignored.</summary>
    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        "multicluster", "zonal", "ptr_hostname_only", "resyncperiod", "upstream", "transfer", "federation", "autopath",
    };

    /// <summary>The shared value (<see cref="PluginSetupContext.GetOrAddShared"/>) that maps cluster names to their stanzas.</summary>
    public const string ClusterDirectoryKey = "kubernetes/clusters";

    private const string AmbiguousNamesKey = "kubernetes/ambiguous-cluster-names";

    /// <summary>
    /// True when stanzas watching different clusters share <paramref name="clusterName"/> as their default name (one
    /// zone served from several clusters), so it cannot name a clusterset member.
    /// </summary>
    public static bool IsAmbiguous(PluginSetupContext context, string clusterName)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetOrAddShared(AmbiguousNamesKey, () => new HashSet<string>(StringComparer.Ordinal)).Contains(clusterName);
    }

    /// <summary>
    /// The stanza whose cluster is <paramref name="clusterName"/> in this configuration, or null. Complete only once
    /// every block is set up (<see cref="PluginSetupContext.AfterSetup"/>).
    /// </summary>
    public static ClusterAnswers? FindCluster(PluginSetupContext context, string clusterName)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetOrAddShared(ClusterDirectoryKey, () => new Dictionary<string, ClusterAnswers>(StringComparer.Ordinal))
            .GetValueOrDefault(clusterName);
    }

    /// <summary>Registers lifetime, readiness and authority of a parsed stanza; returns its run-time object.</summary>
    public static ClusterAnswers Register(PluginSetupContext context, KubernetesOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var cluster = new ClusterAnswers(options, context.Services);
        // Every stanza of the configuration by cluster name, for clusterset members. The same cluster may be served by
        // several stanzas (two ports, two server blocks), and kubernetai's "one zone, several clusters" gives different
        // clusters the same default name; but a name set with `cluster NAME` must not stand for two clusters.
        var directory = context.GetOrAddShared(ClusterDirectoryKey, () => new Dictionary<string, ClusterAnswers>(StringComparer.Ordinal));
        if (!directory.TryAdd(options.ClusterName, cluster))
        {
            var first = directory[options.ClusterName].Options;
            if (first.Connection.Describe() != options.Connection.Describe())
            {
                if (options.ClusterNameSet || first.ClusterNameSet)
                {
                    context.Error($"cluster '{options.ClusterName}' already names another cluster ({first.Connection.Describe()}); give this block its own `cluster NAME`");
                }
                else
                {
                    context.GetOrAddShared(AmbiguousNamesKey, () => new HashSet<string>(StringComparer.Ordinal)).Add(options.ClusterName);
                }
            }
        }

        var lifecycle = context.GetOrAddShared("kubernetes/lifecycle", () =>
        {
            var created = new ClusterLifecycle();
            context.OnStartup(created.StartAsync);
            context.OnShutdown(created.StopAsync);
            return created;
        });
        lifecycle.Add(cluster);
        context.AddReadiness(cluster);
        foreach (var zone in options.Zones)
        {
            // Without fallthrough these zones end here: forward must never send them elsewhere.
            if (!options.Fallthrough.IsEnabled || options.Fallthrough.Zones.All(f => !zone.IsSubdomainOf(f) && !f.IsSubdomainOf(zone)))
            {
                context.AddAuthoritativeZone(zone);
            }
        }

        return cluster;
    }

    /// <summary>
    /// The directive's zones (else the server block's), normalized, lower case, without repeats; null after reporting
    /// an error. At least one must be a forward zone: reverse zones only add PTR records to it.
    /// </summary>
    public static ImmutableArray<DnsName>? ParseZones(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var directive = context.Directive;
        if (!CorefileValues.TryNormalizeZones(directive.Args.Count > 0 ? directive.ArgValues : context.Block.ZoneNames, out var zoneTexts, out var zoneError))
        {
            context.Error(zoneError!);
            return null;
        }

        var zones = zoneTexts.Select(z => DnsName.Parse(z).ToLowerInvariant()).Distinct().ToImmutableArray();
        if (zones.All(RecordNames.IsReverseZone))
        {
            context.Error("non-reverse zone name must be used");
            return null;
        }

        return zones;
    }

    /// <summary>Parses the directive; null after reporting errors.</summary>
    public static KubernetesOptions? Parse(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var directive = context.Directive;
        var errors = 0;
        void Fail(Directive at, string message)
        {
            context.Error(at, message);
            errors++;
        }

        if (ParseZones(context) is not { } zones)
        {
            return null;
        }

        string? endpoint = null;
        (string Cert, string Key, string Ca)? tls = null;
        (string Paths, string? Context)? kubeconfig = null;
        string? manifests = null;
        string? clusterName = null;
        var namespaces = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);
        LabelSelector? namespaceLabels = null;
        LabelSelector? labels = null;
        var pods = PodMode.Disabled;
        var endpointPodNames = false;
        var noEndpoints = false;
        var ignoreEmpty = false;
        var ttl = KubernetesOptions.DefaultTtl;
        var fallthrough = Fallthrough.None;
        var startupTimeout = KubernetesOptions.DefaultStartupTimeout;
        var limits = ApiServerLimits.Default;
        var logger = context.CreateLogger();

        foreach (var option in directive.Block)
        {
            var args = option.ArgValues;
            switch (option.Name)
            {
                case "endpoint":
                    if (args.Count == 0)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    if (args.Count > 1)
                    {
                        LogExtraEndpoints(logger, args[0]);
                    }

                    endpoint = args[0];
                    break;
                case "tls":
                    if (args.Count != 3)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    tls = (args[0], args[1], args[2]);
                    break;
                case "kubeconfig":
                    if (args.Count is not (1 or 2))
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    kubeconfig = (args[0], args.Count == 2 ? args[1] : null);
                    break;
                case "manifests":
                    if (args.Count != 1)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    manifests = RelativeToCorefile(context, args[0]);
                    break;
                case "cluster":
                    if (args.Count != 1)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    if (!IsClusterName(args[0]))
                    {
                        Fail(option, $"invalid cluster name '{args[0]}': use 1 to 63 letters, digits, '-' and '.'");
                        break;
                    }

                    clusterName = args[0];
                    break;
                case "namespaces":
                    if (args.Count == 0)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    namespaces = namespaces.Union(args);
                    break;
                case "namespace_labels":
                case "labels":
                    if (args.Count == 0)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    var text = string.Join(' ', args);
                    if (!LabelSelector.TryParse(text, out var selector, out var selectorError))
                    {
                        var what = option.Name == "labels" ? "label selector" : "namespace_label selector";
                        Fail(option, $"unable to parse {what} value: '{text}': {selectorError}");
                        break;
                    }

                    if (option.Name == "labels")
                    {
                        labels = selector;
                    }
                    else
                    {
                        namespaceLabels = selector;
                    }

                    break;
                case "pods":
                    if (args.Count != 1)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    switch (args[0])
                    {
                        case "disabled":
                            pods = PodMode.Disabled;
                            break;
                        case "insecure":
                            pods = PodMode.Insecure;
                            break;
                        case "verified":
                            pods = PodMode.Verified;
                            break;
                        default:
                            Fail(option, $"wrong value for pods: {args[0]},  must be one of: disabled, verified, insecure");
                            break;
                    }

                    break;
                case "endpoint_pod_names":
                    if (args.Count != 0)
                    {
                        Fail(option, option.ArgErr());
                    }

                    endpointPodNames = true;
                    break;
                case "noendpoints":
                    if (args.Count != 0)
                    {
                        Fail(option, option.ArgErr());
                    }

                    noEndpoints = true;
                    break;
                case "ignore":
                    if (args.Count != 1 || args[0] != "empty_service")
                    {
                        Fail(option, args.Count == 0 ? option.ArgErr() : $"unable to parse ignore value: '{args[0]}'");
                        break;
                    }

                    ignoreEmpty = true;
                    break;
                case "ttl":
                    if (args.Count != 1)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    if (!CorefileValues.TryParseInt(args[0], int.MinValue, int.MaxValue, out var seconds, out var ttlError))
                    {
                        Fail(option, ttlError!);
                        break;
                    }

                    if (seconds is < 0 or > 3600)
                    {
                        Fail(option, $"ttl must be in range [0, 3600]: {seconds}");
                        break;
                    }

                    ttl = (uint)seconds;
                    break;
                case "fallthrough":
                    if (!CorefileValues.TryNormalizeZones(args, out var fallZones, out var fallError))
                    {
                        Fail(option, fallError!);
                        break;
                    }

                    fallthrough = Fallthrough.For([.. fallZones.Select(z => DnsName.Parse(z).ToLowerInvariant())]);
                    break;
                case "startup_timeout":
                    if (args.Count != 1)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    if (!CorefileValues.TryParseDuration(args[0], out startupTimeout, out var durationError) || startupTimeout < TimeSpan.Zero)
                    {
                        Fail(option, durationError ?? $"invalid startup_timeout '{args[0]}'");
                    }

                    break;
                case "apiserver_qps":
                    if (args.Count != 1)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    if (!double.TryParse(args[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var qps) || qps < 0 || double.IsNaN(qps) || double.IsInfinity(qps))
                    {
                        Fail(option, $"invalid apiserver_qps value: '{args[0]}'");
                        break;
                    }

                    limits = limits with { Qps = qps };
                    break;
                case "apiserver_burst":
                case "apiserver_max_inflight":
                    if (args.Count != 1)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    if (!CorefileValues.TryParseInt(args[0], 0, int.MaxValue, out var count, out var countError))
                    {
                        Fail(option, $"invalid {option.Name} value: {countError}");
                        break;
                    }

                    limits = option.Name == "apiserver_burst" ? limits with { Burst = (int)count } : limits with { MaxInflight = (int)count };
                    break;
                default:
                    Fail(option, Unsupported.Contains(option.Name)
                        ? $"option '{option.Name}' of CoreDNS's kubernetes plugin is not supported by MeshDns"
                        : option.UnknownProperty());
                    break;
            }
        }

        if (!namespaces.IsEmpty && namespaceLabels is not null)
        {
            context.Error("namespaces and namespace_labels cannot both be set");
            errors++;
        }

        var sources = (endpoint is null ? 0 : 1) + (kubeconfig is null ? 0 : 1) + (manifests is null ? 0 : 1);
        if (sources > 1)
        {
            context.Error("use only one of endpoint, kubeconfig and manifests");
            errors++;
        }

        if (tls is not null && endpoint is null)
        {
            context.Error("tls needs an endpoint");
            errors++;
        }

        if (errors > 0)
        {
            return null;
        }

        ClusterConnection connection = (endpoint, kubeconfig, manifests) switch
        {
            ({ } url, _, _) => new ClusterConnection.Endpoint(url, tls?.Cert, tls?.Key, tls?.Ca),
            (_, { } config, _) => new ClusterConnection.KubeConfig(config.Paths, config.Context),
            (_, _, { } folder) => new ClusterConnection.Manifests(folder),
            _ => new ClusterConnection.InCluster(),
        };

        var primary = zones.First(z => !RecordNames.IsReverseZone(z)).ToString();
        return new KubernetesOptions
        {
            Directive = directive.Name,
            Zones = zones,
            ClusterName = clusterName ?? (primary.Length > 1 ? primary.TrimEnd('.') : primary),
            ClusterNameSet = clusterName is not null,
            Connection = connection,
            Filter = new ClusterFilterOptions { Namespaces = namespaces, NamespaceLabels = namespaceLabels, Labels = labels },
            Limits = limits,
            Pods = pods,
            EndpointPodNames = endpointPodNames,
            NoEndpoints = noEndpoints,
            IgnoreEmptyService = ignoreEmpty,
            Ttl = ttl,
            Fallthrough = fallthrough,
            StartupTimeout = startupTimeout,
            LocalAddresses = LocalAddresses(context.Block.BindAddresses),
        };
    }

    /// <summary>
    /// CoreDNS's bound IPs: the block's <c>bind</c> addresses, or every interface address when it has none; loopback
    /// (and link-local) left out. They become the apex NS glue and <c>ns.dns.zone</c>.
    /// </summary>
    public static ImmutableArray<IPAddress> LocalAddresses(IReadOnlyList<IPAddress> bound)
    {
        ArgumentNullException.ThrowIfNull(bound);
        IEnumerable<IPAddress> candidates = bound;
        if (bound.Count == 0)
        {
            try
            {
                candidates = NetworkInterface.GetAllNetworkInterfaces()
                    .Where(n => n.OperationalStatus == OperationalStatus.Up)
                    .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(u => u.Address))
                    .ToArray();
            }
            catch (NetworkInformationException)
            {
                candidates = [];
            }
        }

        return [.. candidates
            .Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal && !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any))
            .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .Select(a => a.AddressFamily == AddressFamily.InterNetworkV6 && a.ScopeId != 0 ? new IPAddress(a.GetAddressBytes()) : a)
            .Distinct()];
    }

    private static bool IsClusterName(string name) =>
        name.Length is > 0 and <= 63 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    /// <summary>A relative <c>manifests</c> folder is taken from the Corefile's folder (the working folder when the Corefile has none).</summary>
    private static string RelativeToCorefile(PluginSetupContext context, string path)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        var corefile = context.Services.Options.CorefilePath;
        var baseDirectory = string.IsNullOrEmpty(corefile) || corefile == "stdin"
            ? Environment.CurrentDirectory
            : Path.GetDirectoryName(Path.GetFullPath(corefile)) ?? Environment.CurrentDirectory;
        return Path.GetFullPath(Path.Combine(baseDirectory, path));
    }

    [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Multiple endpoints have been deprecated, only the first specified endpoint '{Endpoint}' is used")]
    private static partial void LogExtraEndpoints(ILogger logger, string endpoint);
}
