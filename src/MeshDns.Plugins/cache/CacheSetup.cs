using MeshDns.Protocol;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Cache;

/// <summary>
/// <c>cache [TTL] [ZONES...] { success CAPACITY [TTL] [MINTTL]; denial CAPACITY [TTL] [MINTTL];
/// prefetch AMOUNT [DURATION] [PERCENTAGE%]; serve_stale [DURATION] [immediate|verify]; servfail DURATION;
/// disable success|denial [ZONES...]; keepttl }</c>, once per server block.
/// </summary>
public sealed class CacheSetup : IPluginSetup
{
    /// <summary>The directive name.</summary>
    public const string Directive = "cache";

    public string Name => Directive;

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Block.SeenDirectives.Contains(Directive))
        {
            context.Error("this plugin can only be used once per Server Block");
            return;
        }

        if (!TryParse(context, out var options))
        {
            return;
        }

        var zonesLabel = string.Join(",", options.Zones.Select(z => z.ToString()));
        var cache = new ResponseCache(options, context.Time, new CacheMetrics(context.Metrics, zonesLabel));
        var logger = context.CreateLogger();
        CacheHandler? handler = null;
        context.AddHandler(next => handler = new CacheHandler(next, cache, logger));
        context.OnStartup(_ =>
        {
            cache.Start(context.Services.NameChanges);
            return Task.CompletedTask;
        });
        context.OnShutdown(async cancellationToken =>
        {
            cache.Stop();
            if (handler is not null)
            {
                await handler.StopAsync(cancellationToken).ConfigureAwait(false);
                handler.Dispose();
            }
        });
    }

    /// <summary>Reads the directive into options; reports every error it finds and returns false if there was one.</summary>
    internal static bool TryParse(PluginSetupContext context, out CacheOptions options)
    {
        var directive = context.Directive;
        var ok = true;
        options = new CacheOptions();
        var args = directive.Args;
        var first = 0;
        if (args.Count > 0 && CorefileValues.TryParseInt(args[0].Text, int.MinValue, int.MaxValue, out var ttl, out _))
        {
            first = 1;
            if (ttl <= 0)
            {
                context.Error(args[0], $"cache TTL can not be zero or negative: {ttl}");
                ok = false;
            }
            else
            {
                options = options with { SuccessMaxTtl = (uint)ttl, DenialMaxTtl = (uint)ttl };
            }
        }

        if (!TryZones(context, args.Skip(first).ToArray(), context.Block.Zones, out var zones))
        {
            return false;
        }

        options = options with { Zones = zones };
        List<DnsName> disabledSuccess = [];
        List<DnsName> disabledDenial = [];
        foreach (var option in directive.Block)
        {
            var values = option.Args;
            switch (option.Name)
            {
                case "success" or "denial":
                    ok &= TryTable(context, option, ref options);
                    break;
                case "prefetch":
                    ok &= TryPrefetch(context, option, ref options);
                    break;
                case "serve_stale":
                    ok &= TryServeStale(context, option, ref options);
                    break;
                case "servfail":
                    if (values.Count != 1)
                    {
                        context.Error(option, option.ArgErr());
                        ok = false;
                    }
                    else if (!TryDuration(context, values[0], out var servfail))
                    {
                        ok = false;
                    }
                    else if (servfail < TimeSpan.Zero)
                    {
                        context.Error(values[0], "invalid negative ttl for servfail");
                        ok = false;
                    }
                    else if (servfail > CacheOptions.MaxServfailTtl)
                    {
                        context.Error(values[0], "caching SERVFAIL responses over 5 minutes is not permitted");
                        ok = false;
                    }
                    else
                    {
                        options = options with { ServfailTtl = servfail };
                    }

                    break;
                case "disable":
                    if (values.Count < 1)
                    {
                        context.Error(option, option.ArgErr());
                        ok = false;
                        break;
                    }

                    if (values[0].Text is not ("success" or "denial"))
                    {
                        context.Error(values[0], "cache type for disable must be \"success\" or \"denial\"");
                        ok = false;
                        break;
                    }

                    if (!TryZones(context, values.Skip(1).ToArray(), [DnsName.Root], out var disabled))
                    {
                        ok = false;
                        break;
                    }

                    // CoreDNS keeps only the last line per type; MeshDns adds them up, which is what two lines mean.
                    (values[0].Text == "success" ? disabledSuccess : disabledDenial).AddRange(disabled);
                    break;
                case "keepttl":
                    if (values.Count != 0)
                    {
                        context.Error(option, option.ArgErr());
                        ok = false;
                    }
                    else
                    {
                        options = options with { KeepTtl = true };
                    }

                    break;
                default:
                    context.Error(option, option.UnknownProperty());
                    ok = false;
                    break;
            }
        }

        options = options with { DisabledSuccess = disabledSuccess, DisabledDenial = disabledDenial };
        return ok;
    }

    // success|denial CAPACITY [TTL] [MINTTL]
    private static bool TryTable(PluginSetupContext context, Directive option, ref CacheOptions options)
    {
        var values = option.Args;
        if (values.Count is 0 or > 3)
        {
            context.Error(option, option.ArgErr());
            return false;
        }

        if (!TryInt(context, values[0], 0, int.MaxValue, out var capacity))
        {
            return false;
        }

        var success = option.Name == "success";
        var maxTtl = success ? options.SuccessMaxTtl : options.DenialMaxTtl;
        var minTtl = success ? options.SuccessMinTtl : options.DenialMinTtl;
        if (values.Count > 1)
        {
            if (!TryInt(context, values[1], int.MinValue, int.MaxValue, out var ttl))
            {
                return false;
            }

            if (ttl <= 0)
            {
                context.Error(values[1], $"cache TTL can not be zero or negative: {ttl}");
                return false;
            }

            maxTtl = (uint)ttl;
        }

        if (values.Count > 2)
        {
            if (!TryInt(context, values[2], int.MinValue, int.MaxValue, out var min))
            {
                return false;
            }

            if (min < 0)
            {
                context.Error(values[2], $"cache min TTL can not be negative: {min}");
                return false;
            }

            minTtl = (uint)min;
        }

        options = success
            ? options with { SuccessCapacity = capacity, SuccessMaxTtl = maxTtl, SuccessMinTtl = minTtl }
            : options with { DenialCapacity = capacity, DenialMaxTtl = maxTtl, DenialMinTtl = minTtl };
        return true;
    }

    // prefetch AMOUNT [DURATION] [PERCENTAGE%]
    private static bool TryPrefetch(PluginSetupContext context, Directive option, ref CacheOptions options)
    {
        var values = option.Args;
        if (values.Count is 0 or > 3)
        {
            context.Error(option, option.ArgErr());
            return false;
        }

        if (!TryInt(context, values[0], int.MinValue, int.MaxValue, out var amount))
        {
            return false;
        }

        if (amount < 0)
        {
            context.Error(values[0], $"prefetch amount should be positive: {amount}");
            return false;
        }

        var duration = options.PrefetchDuration;
        if (values.Count > 1)
        {
            if (!TryDuration(context, values[1], out duration))
            {
                return false;
            }

            if (duration < TimeSpan.Zero)
            {
                context.Error(values[1], $"prefetch duration can not be negative: {values[1].Text}");
                return false;
            }
        }

        var percentage = options.PrefetchPercentage;
        if (values.Count > 2)
        {
            var text = values[2].Text;
            if (!text.EndsWith('%'))
            {
                context.Error(values[2], $"last character of percentage should be `%`, but is: '{(text.Length > 0 ? text[^1] : ' ')}'");
                return false;
            }

            if (!CorefileValues.TryParseInt(text[..^1], int.MinValue, int.MaxValue, out var number, out var error))
            {
                context.Error(values[2], error!);
                return false;
            }

            if (number is < 10 or > 90)
            {
                context.Error(values[2], $"percentage should fall in range [10, 90]: {number}");
                return false;
            }

            percentage = (int)number;
        }

        options = options with { PrefetchAmount = amount, PrefetchDuration = duration, PrefetchPercentage = percentage };
        return true;
    }

    // serve_stale [DURATION] [immediate|verify]
    private static bool TryServeStale(PluginSetupContext context, Directive option, ref CacheOptions options)
    {
        var values = option.Args;
        if (values.Count > 2)
        {
            context.Error(option, option.ArgErr());
            return false;
        }

        var stale = TimeSpan.FromHours(1);
        if (values.Count > 0)
        {
            if (!TryDuration(context, values[0], out stale))
            {
                return false;
            }

            if (stale < TimeSpan.Zero)
            {
                context.Error(values[0], "invalid negative duration for serve_stale");
                return false;
            }
        }

        var verify = false;
        if (values.Count > 1)
        {
            var mode = values[1].Text.ToLowerInvariant();
            if (mode is not ("immediate" or "verify"))
            {
                context.Error(values[1], $"invalid value for serve_stale refresh mode: {mode}");
                return false;
            }

            verify = mode == "verify";
        }

        options = options with { ServeStale = stale, VerifyStale = verify };
        return true;
    }

    private static bool TryZones(PluginSetupContext context, CorefileToken[] args, IReadOnlyList<DnsName> fallback, out IReadOnlyList<DnsName> zones)
    {
        zones = fallback;
        if (args.Length == 0)
        {
            return true;
        }

        if (!CorefileValues.TryNormalizeZones(args.Select(a => a.Text), out var normalized, out var error))
        {
            context.Error(args[0], error!);
            return false;
        }

        var parsed = new List<DnsName>();
        foreach (var zone in normalized)
        {
            if (!DnsName.TryParse(zone, out var name))
            {
                context.Error(args[0], $"invalid zone: {zone}");
                return false;
            }

            parsed.Add(name.ToLowerInvariant());
        }

        zones = parsed;
        return true;
    }

    private static bool TryInt(PluginSetupContext context, CorefileToken token, long min, long max, out int value)
    {
        value = 0;
        if (!CorefileValues.TryParseInt(token.Text, min, max, out var parsed, out var error))
        {
            context.Error(token, error!);
            return false;
        }

        value = (int)parsed;
        return true;
    }

    private static bool TryDuration(PluginSetupContext context, CorefileToken token, out TimeSpan value)
    {
        if (!CorefileValues.TryParseDuration(token.Text, out value, out var error))
        {
            context.Error(token, error!);
            return false;
        }

        return true;
    }
}
