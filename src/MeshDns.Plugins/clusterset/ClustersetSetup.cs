using System.Net;
using MeshDns.Plugins.Hosts;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Clusterset;

/// <summary>
/// <c>clusterset [ZONES...] { member NAME [local] ... }</c>: one merged zone over the clusters that kubernetes or
/// kubernetai stanzas (anywhere in the Corefile) already watch, in the Kubernetes MCS DNS format.
/// </summary>
public sealed class ClustersetSetup : IPluginSetup
{
    public string Name => "clusterset";

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Parse(context, out var memberLines) is not { } options)
        {
            return;
        }

        var answers = new ClustersetAnswers(options, context.Services);
        foreach (var zone in options.Zones)
        {
            if (!options.Fallthrough.IsEnabled || options.Fallthrough.Zones.All(f => !zone.IsSubdomainOf(f) && !f.IsSubdomainOf(zone)))
            {
                context.AddAuthoritativeZone(zone);
            }
        }

        // Members may be defined by blocks set up later: they are looked up once every block is set up.
        context.AfterSetup(() =>
        {
            var clusters = new List<ClusterAnswers>();
            for (var i = 0; i < options.Members.Length; i++)
            {
                var member = options.Members[i];
                if (KubernetesStanza.FindCluster(context, member.Name) is not { } cluster)
                {
                    context.Error(memberLines[i], $"member '{member.Name}': no kubernetes or kubernetai stanza names this cluster (set `cluster {member.Name}` in one)");
                    continue;
                }

                if (KubernetesStanza.IsAmbiguous(context, member.Name))
                {
                    context.Error(memberLines[i], $"member '{member.Name}': several stanzas watch different clusters under this default name (set `cluster NAME` in each)");
                    continue;
                }

                cluster.WatchMulticlusterObjects();
                clusters.Add(cluster);
            }

            if (clusters.Count == options.Members.Length)
            {
                answers.Bind(clusters);
            }
        });
        context.OnStartup(answers.StartAsync);
        context.OnShutdown(answers.StopAsync);
        context.AddReadiness(answers);
        context.AddHandler(next => new ClustersetHandler(next, Name, answers));
    }

    /// <summary>Parses the stanza; null after reporting errors. <paramref name="memberLines"/> holds each member's line.</summary>
    public static ClustersetOptions? Parse(PluginSetupContext context, out List<Directive> memberLines)
    {
        ArgumentNullException.ThrowIfNull(context);
        memberLines = [];
        var directive = context.Directive;
        var errors = 0;
        void Fail(Directive at, string message)
        {
            context.Error(at, message);
            errors++;
        }

        if (KubernetesStanza.ParseZones(context) is not { } zones)
        {
            return null;
        }

        var members = new List<ClustersetMember>();
        var cidrLines = new List<(Directive Line, string Member, List<string> Networks)>();
        var export = ExportMode.Global;
        var policy = TrafficPolicy.ActiveActive;
        var answer = AnswerMode.Endpoints;
        var maxStale = ClustersetOptions.DefaultMaxStale;
        var ttl = KubernetesOptions.DefaultTtl;
        var fallthrough = Fallthrough.None;
        foreach (var option in directive.Block)
        {
            var args = option.ArgValues;
            switch (option.Name)
            {
                case "member":
                    if (args.Count is not (1 or 2) || (args.Count == 2 && args[1] != "local"))
                    {
                        Fail(option, args.Count == 2 ? $"unknown member flag '{args[1]}' (only 'local')" : option.ArgErr());
                        break;
                    }

                    var id = args[0].ToLowerInvariant().Replace('.', '-');
                    if (members.Any(m => m.Name == args[0]))
                    {
                        Fail(option, $"member '{args[0]}' is listed twice");
                        break;
                    }

                    if (members.Any(m => m.ClusterId == id) || !RecordNames.TryJoin(DnsName.Root, out _, id))
                    {
                        Fail(option, $"member '{args[0]}': its cluster id '{id}' is not a usable, distinct DNS label");
                        break;
                    }

                    if (args.Count == 2 && members.Any(m => m.IsLocal))
                    {
                        Fail(option, "only one member can be local");
                        break;
                    }

                    members.Add(new ClustersetMember(args[0], id, args.Count == 2));
                    memberLines.Add(option);
                    break;
                case "export":
                    if (args.Count != 1 || args[0] is not ("all" or "global"))
                    {
                        Fail(option, args.Count == 1 ? $"wrong value for export: {args[0]}, must be one of: all, global" : option.ArgErr());
                        break;
                    }

                    export = args[0] == "all" ? ExportMode.All : ExportMode.Global;
                    break;
                case "policy":
                    if (args.Count != 1 || ParsePolicy(args[0]) is not { } parsed)
                    {
                        Fail(option, args.Count == 1 ? $"wrong value for policy: {args[0]}, must be one of: activeactive, failover, locality" : option.ArgErr());
                        break;
                    }

                    policy = parsed;
                    break;
                case "answer":
                    if (args.Count != 1 || args[0] is not ("endpoints" or "clusterips"))
                    {
                        Fail(option, args.Count == 1 ? $"wrong value for answer: {args[0]}, must be one of: endpoints, clusterips" : option.ArgErr());
                        break;
                    }

                    answer = args[0] == "clusterips" ? AnswerMode.ClusterIPs : AnswerMode.Endpoints;
                    break;
                case "local_cidrs":
                    if (args.Count < 2)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    cidrLines.Add((option, args[0], [.. args.Skip(1)]));
                    break;
                case "max_stale":
                    if (args.Count != 1)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    if (!CorefileValues.TryParseDuration(args[0], out maxStale, out var durationError) || maxStale <= TimeSpan.Zero)
                    {
                        Fail(option, durationError ?? $"max_stale must be positive: '{args[0]}'");
                    }

                    break;
                case "ttl":
                    if (args.Count != 1)
                    {
                        Fail(option, option.ArgErr());
                        break;
                    }

                    if (!CorefileValues.TryParseInt(args[0], 0, 3600, out var seconds, out var ttlError))
                    {
                        Fail(option, ttlError ?? $"ttl must be in range [0, 3600]: {args[0]}");
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
                default:
                    Fail(option, option.UnknownProperty());
                    break;
            }
        }

        var networks = new List<LocalNetwork>();
        foreach (var (line, member, texts) in cidrLines)
        {
            var index = members.FindIndex(m => m.Name == member);
            if (index < 0)
            {
                Fail(line, $"local_cidrs: '{member}' is not a member");
                continue;
            }

            foreach (var text in texts)
            {
                if (!IPNetwork.TryParse(text, out var network))
                {
                    Fail(line, $"local_cidrs: invalid CIDR '{text}'");
                    continue;
                }

                networks.Add(new LocalNetwork(index, network));
            }
        }

        if (members.Count == 0 && errors == 0)
        {
            context.Error("at least one member is required");
            errors++;
        }

        if (errors > 0)
        {
            return null;
        }

        return new ClustersetOptions
        {
            Zones = zones,
            Members = [.. members],
            Export = export,
            Policy = policy,
            Answer = answer,
            // Longest prefix first: the first network holding a client decides.
            LocalNetworks = [.. networks.OrderByDescending(n => n.Network.PrefixLength)],
            MaxStale = maxStale,
            Ttl = ttl,
            Fallthrough = fallthrough,
            LocalAddresses = KubernetesStanza.LocalAddresses(context.Block.BindAddresses),
        };
    }

    /// <summary>A policy name as the Corefile, <c>meshdns.io/traffic-policy</c> and FSM's lbType spell it (any case).</summary>
    public static TrafficPolicy? ParsePolicy(string text) => text.ToLowerInvariant() switch
    {
        "activeactive" => TrafficPolicy.ActiveActive,
        "failover" => TrafficPolicy.Failover,
        "locality" => TrafficPolicy.Locality,
        _ => null,
    };
}
