using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using MeshDns.Protocol;
using MeshDns.Server.Corefile;

namespace MeshDns.Plugins.Forward;

/// <summary>
/// Reads one <c>forward FROM TO... { ... }</c> directive as CoreDNS's forward/setup.go does, with CoreDNS's error
/// texts. Every problem is reported; the result is only used when there was none.
/// </summary>
public static class ForwardParser
{
    /// <summary>Parses <paramref name="directive"/>; <paramref name="error"/> receives each problem at its token.</summary>
    public static bool TryParse(Directive directive, Action<CorefileToken, string> error, out ForwardOptions options, Func<string, bool>? fileExists = null)
    {
        ArgumentNullException.ThrowIfNull(directive);
        ArgumentNullException.ThrowIfNull(error);
        fileExists ??= File.Exists;
        options = new ForwardOptions();
        var ok = true;
        void Fail(CorefileToken at, string message)
        {
            ok = false;
            error(at, message);
        }

        if (directive.Args.Count < 2)
        {
            Fail(directive.LastToken, directive.ArgErr());
            return false;
        }

        var fromToken = directive.Args[0];
        if (!CorefileValues.TryNormalizeZones([fromToken.Text], out var fromZones, out var fromError) || fromZones.Count == 0 ||
            !DnsName.TryParse(fromZones[0], out var from))
        {
            Fail(fromToken, fromError ?? $"unable to normalize '{fromToken.Text}'");
            return false;
        }

        // As CoreDNS: a CIDR FROM that expands to several reverse zones uses the first one only.
        options = options with { From = from };
        var perHostServerNames = new List<(CorefileToken Token, string Name)>();
        var upstreams = ImmutableArray.CreateBuilder<UpstreamConfig>();
        foreach (var token in directive.Args.Skip(1))
        {
            if (!TryParseTo(token.Text, fileExists, upstreams, out var serverName, out var message))
            {
                Fail(token, message!);
                continue;
            }

            if (serverName is not null)
            {
                perHostServerNames.Add((token, serverName));
            }
        }

        foreach (var option in directive.Block)
        {
            options = ParseOption(option, options, Fail);
        }

        if (!ok)
        {
            return false;
        }

        if (upstreams.Count == 0)
        {
            Fail(directive.Args[1], "no nameservers found");
            return false;
        }

        if (upstreams.Count > ForwardOptions.MaxUpstreams)
        {
            Fail(directive.NameToken, $"more than {ForwardOptions.MaxUpstreams} TOs configured: {upstreams.Count}");
            return false;
        }

        if (options.Tls?.ServerName is { } global)
        {
            foreach (var (token, name) in perHostServerNames)
            {
                Fail(token, $"both forward ('{global}') and proxy level ('{name}') TLS servernames are set for upstream proxy '{token.Text}'");
            }
        }

        options = options with { Upstreams = upstreams.ToImmutable() };
        return ok;
    }

    /// <summary>
    /// One <b>TO</b>: <c>[dns://|tls://]IP[:port]</c>, <c>tls://IP%servername[:port]</c>, a resolv.conf-style file, or
    /// (MeshDns extension) <c>[dns://|tls://]hostname[:port]</c>.
    /// </summary>
    internal static bool TryParseTo(string text, Func<string, bool> fileExists, ImmutableArray<UpstreamConfig>.Builder into, out string? serverName, out string? error)
    {
        serverName = null;
        error = null;
        var transport = UpstreamTransport.Dns;
        var rest = text;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var name = text[..scheme];
            rest = text[(scheme + 3)..];
            switch (name)
            {
                case "dns":
                    break;
                case "tls":
                    transport = UpstreamTransport.Tls;
                    break;
                default:
                    error = $"'{name}' is not supported as a destination protocol in forward: {rest}";
                    return false;
            }
        }

        var defaultPort = transport == UpstreamTransport.Tls ? 853 : 53;

        // tls://9.9.9.9%dns.quad9.net[:853]: the part after % is the name to verify, not an IPv6 scope.
        if (transport == UpstreamTransport.Tls && rest.LastIndexOf('%') is var percent and >= 0)
        {
            var tail = rest[(percent + 1)..];
            var colon = tail.LastIndexOf(':');
            serverName = colon >= 0 ? tail[..colon] : tail;
            rest = rest[..percent] + (colon >= 0 ? tail[colon..] : string.Empty);
        }

        if (!SplitHostPort(rest, out var host, out var portText))
        {
            error = $"not an IP address or file: \"{rest}\"";
            return false;
        }

        var port = defaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"invalid port in \"{rest}\"";
            return false;
        }

        if (TryParseIp(host, out var address))
        {
            into.Add(new UpstreamConfig(transport, address.ToString(), port, address, serverName));
            return true;
        }

        if (fileExists(rest))
        {
            IReadOnlyList<IPAddress> servers;
            try
            {
                servers = ResolvConf.ReadNameServers(rest);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                error = $"failed to open file \"{rest}\": {exception.Message}";
                return false;
            }

            // As CoreDNS: servers from a file are plain DNS on port 53, whatever the prefix said.
            foreach (var server in servers)
            {
                into.Add(new UpstreamConfig(UpstreamTransport.Dns, server.ToString(), 53, server));
            }

            return true;
        }

        if (rest.Contains('/', StringComparison.Ordinal) || !LooksLikeHostName(host))
        {
            error = $"not an IP address or file: \"{rest}\"";
            return false;
        }

        // MeshDns extension: a host name (an NLB's DNS name), resolved while running.
        into.Add(new UpstreamConfig(transport, host.TrimEnd('.').ToLowerInvariant(), port, null, serverName));
        return true;
    }

    /// <summary>An IP address as Go's <c>net.ParseIP</c> reads one: dotted quads only, no "1.2.3" shorthand.</summary>
    internal static bool TryParseIp(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(text, out address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit)))
        {
            return false;
        }

        return IPAddress.TryParse(text, out address);
    }

    private static bool LooksLikeHostName(string host)
    {
        if (host.Length == 0 || host.Length > 253 || !DnsName.TryParse(host, out _))
        {
            return false;
        }

        foreach (var label in host.TrimEnd('.').Split('.'))
        {
            if (label.Length == 0 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        // All digits and dots would be a broken IPv4 address, not a name.
        return host.Any(char.IsAsciiLetter);
    }

    private static bool SplitHostPort(string text, out string host, out string? port)
    {
        port = null;
        host = text;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = text[1..close];
            var after = text[(close + 1)..];
            if (after.Length == 0)
            {
                return true;
            }

            if (after[0] != ':')
            {
                return false;
            }

            port = after[1..];
            return true;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0 && colon == text.LastIndexOf(':'))
        {
            host = text[..colon];
            port = text[(colon + 1)..];
        }

        return true;
    }

    private static ForwardOptions ParseOption(Directive option, ForwardOptions options, Action<CorefileToken, string> fail)
    {
        var args = option.Args;
        switch (option.Name)
        {
            case "except":
                if (args.Count == 0)
                {
                    fail(option.LastToken, option.ArgErr());
                    return options;
                }

                var except = options.Except.ToBuilder();
                foreach (var arg in args)
                {
                    if (!CorefileValues.TryNormalizeZones([arg.Text], out var zones, out var zoneError))
                    {
                        fail(arg, zoneError!);
                        continue;
                    }

                    except.AddRange(zones.Select(DnsName.Parse));
                }

                return options with { Except = except.ToImmutable() };

            case "force_tcp":
                return NoArgs(option, fail) ? options with { ForceTcp = true } : options;

            case "prefer_udp":
                return NoArgs(option, fail) ? options with { PreferUdp = true } : options;

            case "failfast_all_unhealthy_upstreams":
                return NoArgs(option, fail) ? options with { FailFastWhenAllDown = true } : options;

            case "expire":
                return OneDuration(option, fail, "expire", out var expire) ? options with { Expire = expire } : options;

            case "max_fails":
                return OneInt(option, fail, uint.MaxValue, out var maxFails) ? options with { MaxFails = (int)Math.Min(maxFails, int.MaxValue) } : options;

            case "max_idle_conns":
                return OneInt(option, fail, int.MaxValue, out var idle) ? options with { MaxIdleConnections = (int)idle } : options;

            case "max_concurrent":
                return OneInt(option, fail, int.MaxValue, out var concurrent) ? options with { MaxConcurrent = (int)concurrent } : options;

            case "tls":
                if (args.Count > 3)
                {
                    fail(option.LastToken, option.ArgErr());
                    return options;
                }

                var paths = args.Select(a => a.Text).ToArray();
                foreach (var (path, token) in paths.Zip(args))
                {
                    if (!File.Exists(path))
                    {
                        fail(token, $"open {path}: no such file or directory");
                    }
                }

                var serverName = options.Tls?.ServerName;
                return options with
                {
                    Tls = paths.Length switch
                    {
                        0 => new ForwardTlsConfig(null, null, null, serverName),
                        1 => new ForwardTlsConfig(null, null, paths[0], serverName),
                        2 => new ForwardTlsConfig(paths[0], paths[1], null, serverName),
                        _ => new ForwardTlsConfig(paths[0], paths[1], paths[2], serverName),
                    },
                };

            case "tls_servername":
                if (args.Count != 1)
                {
                    fail(option.LastToken, option.ArgErr());
                    return options;
                }

                return options with { Tls = (options.Tls ?? new ForwardTlsConfig(null, null, null, null)) with { ServerName = args[0].Text } };

            case "policy":
                if (args.Count != 1)
                {
                    fail(option.LastToken, option.ArgErr());
                    return options;
                }

                switch (args[0].Text)
                {
                    case "random":
                        return options with { Policy = UpstreamPolicy.Random };
                    case "round_robin":
                        return options with { Policy = UpstreamPolicy.RoundRobin };
                    case "sequential":
                        return options with { Policy = UpstreamPolicy.Sequential };
                    case "fastest":
                        return options with { Policy = UpstreamPolicy.Fastest };
                    default:
                        fail(args[0], $"unknown policy '{args[0].Text}'");
                        return options;
                }

            case "health_check":
                return ParseHealthCheck(option, options, fail);

            case "next":
                return RcodeList(option, fail, allowNoError: true, out var next) ? options with { Next = next } : options;

            case "failover":
                return RcodeList(option, fail, allowNoError: false, out var failover) ? options with { Failover = failover } : options;

            case "resolver":
                if (args.Count == 0)
                {
                    fail(option.LastToken, option.ArgErr());
                    return options;
                }

                var resolvers = ImmutableArray.CreateBuilder<IPEndPoint>();
                foreach (var arg in args)
                {
                    if (!SplitHostPort(arg.Text, out var host, out var portText) || !TryParseIp(host, out var address))
                    {
                        fail(arg, $"resolver: must specify an IP address: `{arg.Text}'");
                        continue;
                    }

                    var port = 53;
                    if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
                    {
                        fail(arg, $"resolver: invalid port in `{arg.Text}'");
                        continue;
                    }

                    resolvers.Add(new IPEndPoint(address, port));
                }

                return options with { Resolvers = resolvers.ToImmutable() };

            default:
                fail(option.NameToken, option.UnknownProperty());
                return options;
        }
    }

    private static ForwardOptions ParseHealthCheck(Directive option, ForwardOptions options, Action<CorefileToken, string> fail)
    {
        var args = option.Args;
        if (args.Count == 0)
        {
            fail(option.LastToken, option.ArgErr());
            return options;
        }

        if (!CorefileValues.TryParseDuration(args[0].Text, out var interval, out var durationError))
        {
            fail(args[0], durationError!);
            return options;
        }

        if (interval < TimeSpan.Zero)
        {
            fail(args[0], $"health_check can't be negative: {args[0].Text}");
            return options;
        }

        var result = options with { HealthCheckInterval = interval, HealthCheckDomain = DnsName.Root };
        for (var i = 1; i < args.Count; i++)
        {
            switch (args[i].Text)
            {
                case "no_rec":
                    result = result with { HealthCheckRecursionDesired = false };
                    break;
                case "domain":
                    if (i + 1 >= args.Count)
                    {
                        fail(args[i], CorefileMessages.ArgErr(args[i].Text));
                        return options;
                    }

                    var domain = args[++i].Text;
                    if (!DnsName.TryParse(domain.EndsWith('.') ? domain : domain + ".", out var parsed))
                    {
                        fail(args[i], $"health_check: invalid domain name {domain}");
                        return options;
                    }

                    result = result with { HealthCheckDomain = parsed.ToLowerInvariant() };
                    break;
                default:
                    fail(args[i], $"health_check: unknown option {args[i].Text}");
                    return options;
            }
        }

        return result;
    }

    private static bool NoArgs(Directive option, Action<CorefileToken, string> fail)
    {
        if (option.Args.Count == 0)
        {
            return true;
        }

        fail(option.Args[0], CorefileMessages.ArgErr(option.NameToken.Text));
        return false;
    }

    private static bool OneDuration(Directive option, Action<CorefileToken, string> fail, string name, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (option.Args.Count != 1)
        {
            fail(option.LastToken, option.ArgErr());
            return false;
        }

        if (!CorefileValues.TryParseDuration(option.Args[0].Text, out value, out var message))
        {
            fail(option.Args[0], message!);
            return false;
        }

        if (value < TimeSpan.Zero)
        {
            fail(option.Args[0], $"{name} can't be negative: {option.Args[0].Text}");
            return false;
        }

        return true;
    }

    private static bool OneInt(Directive option, Action<CorefileToken, string> fail, long max, out long value)
    {
        value = 0;
        if (option.Args.Count != 1)
        {
            fail(option.LastToken, option.ArgErr());
            return false;
        }

        var text = option.Args[0].Text;
        if (text.StartsWith('-') && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            fail(option.Args[0], $"{option.Name} can't be negative: {text}");
            return false;
        }

        if (!CorefileValues.TryParseInt(text, 0, max, out value, out var message))
        {
            fail(option.Args[0], message!);
            return false;
        }

        return true;
    }

    private static bool RcodeList(Directive option, Action<CorefileToken, string> fail, bool allowNoError, out ImmutableArray<DnsResponseCode> rcodes)
    {
        rcodes = [];
        if (option.Args.Count == 0)
        {
            fail(option.LastToken, option.ArgErr());
            return false;
        }

        var builder = ImmutableArray.CreateBuilder<DnsResponseCode>();
        foreach (var arg in option.Args)
        {
            if (!DnsTypeNames.TryParseRcode(arg.Text, out var rcode))
            {
                fail(arg, $"{arg.Text} is not a valid rcode");
                return false;
            }

            if (!allowNoError && rcode == DnsResponseCode.NoError)
            {
                fail(arg, "NoError cannot be used in failover");
                return false;
            }

            builder.Add(rcode);
        }

        rcodes = builder.ToImmutable();
        return true;
    }
}
