using System.Globalization;
using System.Net;
using MeshDns.Plugins;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;

namespace MeshDns.Testing.Dns;

/// <summary>
/// A test-only plugin under CoreDNS's <c>erratic</c> directive (CoreDNS's own testing plugin), registered only in test
/// registries. Options: <c>records N</c> (answer N A records 10.0.x.y), <c>txt N SIZE</c> (N TXT records of SIZE octets),
/// <c>additional N</c>, <c>throw</c>, <c>delay DURATION</c>, <c>rcode NAME</c> (return it without writing),
/// <c>silent</c> (return NOERROR without writing), <c>drop</c>.
/// </summary>
public sealed class ErraticTestSetup : IPluginSetup
{
    public string Name => "erratic";

    /// <summary>The full MeshDns catalog plus this test plugin.</summary>
    public static PluginRegistry RegistryWithErratic() => new([.. PluginCatalog.All(), new ErraticTestSetup()]);

    public void Setup(PluginSetupContext context)
    {
        var options = new ErraticOptions();
        foreach (var line in context.Directive.Block)
        {
            var args = line.ArgValues;
            switch (line.Name)
            {
                case "records":
                    options.Records = int.Parse(args[0], CultureInfo.InvariantCulture);
                    break;
                case "additional":
                    options.Additional = int.Parse(args[0], CultureInfo.InvariantCulture);
                    break;
                case "txt":
                    options.TxtRecords = int.Parse(args[0], CultureInfo.InvariantCulture);
                    options.TxtSize = int.Parse(args[1], CultureInfo.InvariantCulture);
                    break;
                case "throw":
                    options.Throw = true;
                    break;
                case "drop":
                    options.Drop = true;
                    break;
                case "silent":
                    options.Silent = true;
                    break;
                case "delay":
                    if (!CorefileValues.TryParseDuration(args[0], out var delay, out var error))
                    {
                        context.Error(line, error!);
                    }

                    options.Delay = delay;
                    break;
                case "rcode":
                    if (!DnsTypeNames.TryParseRcode(args[0], out var rcode))
                    {
                        context.Error(line, "unknown rcode " + args[0]);
                    }

                    options.Rcode = rcode;
                    break;
                default:
                    context.Error(line, line.UnknownProperty());
                    break;
            }
        }

        context.AddHandler(_ => new ErraticTestHandler(options));
    }
}

public sealed class ErraticOptions
{
    public int Records { get; set; } = 1;

    public int Additional { get; set; }

    public int TxtRecords { get; set; }

    public int TxtSize { get; set; }

    public bool Throw { get; set; }

    public bool Drop { get; set; }

    public bool Silent { get; set; }

    public TimeSpan Delay { get; set; }

    public DnsResponseCode? Rcode { get; set; }
}

public sealed class ErraticTestHandler(ErraticOptions options) : DnsHandler
{
    public override string Name => "erratic";

    /// <summary>Queries this handler has seen.</summary>
    public int Seen => Volatile.Read(ref _seen);

    private int _seen;

    public override async ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        Interlocked.Increment(ref _seen);
        if (options.Delay > TimeSpan.Zero)
        {
            await Task.Delay(options.Delay, context.RequestAborted);
        }

        if (options.Throw)
        {
            throw new InvalidOperationException("erratic: asked to throw");
        }

        if (options.Drop)
        {
            context.Drop();
            return PluginResult.Success;
        }

        if (options.Rcode is { } rcode)
        {
            return new PluginResult(rcode);
        }

        if (options.Silent)
        {
            return PluginResult.Success;
        }

        var name = context.GetQuestionName();
        var response = context.Response;
        response.Authoritative = true;
        for (var i = 0; i < options.Records; i++)
        {
            response.Answers.Add(new ARecord(name, 30, new IPAddress([10, 0, (byte)(i / 256), (byte)(i % 256)])));
        }

        for (var i = 0; i < options.TxtRecords; i++)
        {
            response.Answers.Add(new TxtRecord(name.Prepend("t" + i.ToString(CultureInfo.InvariantCulture)), 30, [new byte[options.TxtSize]]));
        }

        for (var i = 0; i < options.Additional; i++)
        {
            response.Additionals.Add(new ARecord(name.Prepend("glue" + i.ToString(CultureInfo.InvariantCulture)), 30, new IPAddress([10, 1, (byte)(i / 256), (byte)(i % 256)])));
        }

        context.WriteResponse(Name);
        return PluginResult.Success;
    }
}
