using System.CommandLine;
using System.Runtime.InteropServices;
using MeshDns.Plugins;
using MeshDns.Server.Corefile;
using MeshDns.Server.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace MeshDns;

/// <summary>
/// <c>meshdns</c>: CoreDNS's command line (<c>-conf</c>, <c>-dns.port</c>, <c>-plugins</c>, <c>-version</c>, <c>-quiet</c>,
/// <c>-pidfile</c>), CoreDNS's signals (SIGTERM/SIGINT stop after lameduck, SIGUSR1 reloads) and exit codes.
/// </summary>
internal static partial class Program
{
    private static async Task<int> Main(string[] args)
    {
        // Go's flag package accepts -flag and --flag, and -flag=value: so do we.
        var conf = new Option<string>("-conf", "--conf") { Description = "Corefile to load (default \"Corefile\"); \"stdin\" reads it from standard input" };
        var port = new Option<int?>("-dns.port", "--dns.port", "-p") { Description = "Default port (default 53)" };
        var plugins = new Option<bool>("-plugins", "--plugins") { Description = "List installed plugins" };
        var version = new Option<bool>("-version", "--version") { Description = "Show version" };
        var quiet = new Option<bool>("-quiet", "--quiet") { Description = "Quiet mode (no initialization output)" };
        var pidFile = new Option<string>("-pidfile", "--pidfile") { Description = "Path to write pid file" };
        var root = new RootCommand("MeshDns: a CoreDNS-compatible multi-cluster DNS server") { conf, port, plugins, version, quiet, pidFile };
        var exitCode = 0;
        root.SetAction(async (result, cancellationToken) =>
        {
            exitCode = await RunAsync(
                result.GetValue(conf),
                result.GetValue(port) ?? 53,
                result.GetValue(plugins),
                result.GetValue(version),
                result.GetValue(quiet),
                result.GetValue(pidFile)).ConfigureAwait(false);
        });
        var parse = root.Parse(NormalizeGoFlags(args));
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message).ConfigureAwait(false);
            }

            return 2;
        }

        var code = await parse.InvokeAsync().ConfigureAwait(false);
        return code != 0 ? code : exitCode;
    }

    /// <summary>Turns <c>-flag=value</c> into <c>-flag value</c>, as Go's flag package reads it.</summary>
    internal static string[] NormalizeGoFlags(string[] args) =>
        args.SelectMany(arg => arg.StartsWith('-') && arg.Contains('=', StringComparison.Ordinal)
            ? arg.Split('=', 2)
            : [arg]).ToArray();

    private static async Task<int> RunAsync(string? confPath, int port, bool listPlugins, bool showVersion, bool quiet, string? pidFile)
    {
        if (showVersion)
        {
            Console.Out.Write(VersionText());
            return 0;
        }

        if (listPlugins)
        {
            Console.Out.Write(PluginsText());
            return 0;
        }

        using var loggerFactory = LoggerFactory.Create(logging =>
        {
            logging.AddConsole(o => o.FormatterName = CoreDnsConsoleFormatter.FormatterName)
                .AddConsoleFormatter<CoreDnsConsoleFormatter, ConsoleFormatterOptions>();
            logging.SetMinimumLevel(LogLevel.Information);
            logging.AddFilter("Microsoft", LogLevel.Warning);
        });
        var logger = loggerFactory.CreateLogger("core");

        string? text = null;
        string? path = confPath;
        if (confPath == "stdin")
        {
            text = await Console.In.ReadToEndAsync().ConfigureAwait(false);
            path = null;
        }
        else if (confPath is null)
        {
            // As CoreDNS: ./Corefile when present, else a default configuration that answers whoami on every name.
            if (File.Exists("Corefile"))
            {
                path = "Corefile";
            }
            else
            {
                text = $".:{port} {{\n    whoami\n    log\n}}\n";
            }
        }
        else if (!File.Exists(confPath))
        {
            await Console.Error.WriteLineAsync($"Corefile {confPath} not found").ConfigureAwait(false);
            return 1;
        }

        MeshDnsServer server;
        try
        {
            server = await MeshDnsServer.StartAsync(new MeshDnsServerOptions
            {
                CorefilePath = path,
                CorefileText = text,
                DefaultPort = port,
                Quiet = quiet,
                LoggerFactory = loggerFactory,
            }).ConfigureAwait(false);
        }
        catch (CorefileException exception)
        {
            foreach (var error in exception.Errors)
            {
                await Console.Error.WriteLineAsync(error.ToString()).ConfigureAwait(false);
            }

            return 1;
        }
        catch (InvalidOperationException exception)
        {
            await Console.Error.WriteLineAsync(exception.Message).ConfigureAwait(false);
            return 1;
        }

        if (pidFile is not null)
        {
            await File.WriteAllTextAsync(pidFile, Environment.ProcessId + "\n").ConfigureAwait(false);
        }

        if (!quiet)
        {
            foreach (var block in server.Current!.Blocks)
            {
                Console.Out.WriteLine(block.Key.Replace("dns://", string.Empty, StringComparison.Ordinal));
            }

            Console.Out.Write(VersionText());
        }

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigusr1 = OperatingSystem.IsLinux()
            ? PosixSignalRegistration.Create((PosixSignal)10, c =>
            {
                c.Cancel = true;
                _ = server.ReloadAsync("SIGUSR1", CancellationToken.None);
            })
            : null;

        await stop.Task.ConfigureAwait(false);
        LogStopping(logger);
        await server.DisposeAsync().ConfigureAwait(false);
        if (pidFile is not null)
        {
            File.Delete(pidFile);
        }

        return 0;
    }

    private static string VersionText()
    {
        var version = typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : OperatingSystem.IsWindows() ? "windows" : "unknown";
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        return $"MeshDns-{version}\n{os}/{arch}, .NET {Environment.Version}, {Server.BuildInfo.Revision}\n";
    }

    private static string PluginsText()
    {
        var builder = new System.Text.StringBuilder();
        builder.Append("Server types:\n  dns\n\nCaddyfile loaders:\n  flag\n  default\n\nOther plugins:\n");
        foreach (var name in PluginCatalog.CreateRegistry().Names)
        {
            builder.Append("  dns.").Append(name).Append('\n');
        }

        return builder.ToString();
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Shutting down")]
    private static partial void LogStopping(ILogger logger);

}
