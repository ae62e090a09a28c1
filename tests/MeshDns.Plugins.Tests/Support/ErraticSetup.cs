using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Corefile;
using MeshDns.Server.Plugins;

namespace MeshDns.Plugins.Tests.Support;

/// <summary>
/// A test-only responder registered under the directive <c>erratic</c> (a CoreDNS plugin MeshDns does not ship):
/// <code>
/// erratic {
///     answer "www.example.org. 5 IN A 10.0.0.1"     # records to answer with (also authority / additional)
///     rcode NXDOMAIN                                 # response code of the written answer
///     fail SERVFAIL forward "no healthy upstream"    # return an error without writing
///     delay 20ms                                     # complete asynchronously after a real delay
///     throw                                          # throw (a panic)
///     drop                                           # send nothing
///     notready NAME "DETAIL"                         # a readiness reporter (see TestReadiness)
/// }
/// </code>
/// </summary>
public sealed class ErraticSetup : IPluginSetup
{
    public const string Directive = "erratic";

    public string Name => Directive;

    public void Setup(PluginSetupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var behaviour = new ErraticBehaviour();
        foreach (var option in context.Directive.Block)
        {
            var args = option.ArgValues;
            switch (option.Name)
            {
                case "answer":
                    behaviour.Answers.AddRange(args.Select(ResourceRecord.Parse));
                    break;
                case "authority":
                    behaviour.Authorities.AddRange(args.Select(ResourceRecord.Parse));
                    break;
                case "additional":
                    behaviour.Additionals.AddRange(args.Select(ResourceRecord.Parse));
                    break;
                case "rcode":
                    behaviour.Rcode = DnsTypeNames.TryParseRcode(args[0], out var rcode) ? rcode : throw new FormatException(args[0]);
                    break;
                case "fail":
                    _ = DnsTypeNames.TryParseRcode(args[0], out var failure) ? failure : throw new FormatException(args[0]);
                    behaviour.Failure = PluginResult.Failure(failure, args[1], args[2]);
                    break;
                case "delay":
                    behaviour.Delay = CorefileValues.TryParseDuration(args[0], out var delay, out _) ? delay : throw new FormatException(args[0]);
                    break;
                case "throw":
                    behaviour.Throw = true;
                    break;
                case "drop":
                    behaviour.Drop = true;
                    break;
                case "notready":
                    context.AddReadiness(new TestReadiness(args[0], args.Count > 1 ? args[1] : null));
                    break;
                default:
                    context.Error(option, option.UnknownProperty());
                    break;
            }
        }

        context.AddHandler(_ => new ErraticHandler(behaviour));
    }
}

public sealed class ErraticBehaviour
{
    public List<ResourceRecord> Answers { get; } = [];

    public List<ResourceRecord> Authorities { get; } = [];

    public List<ResourceRecord> Additionals { get; } = [];

    public DnsResponseCode Rcode { get; set; }

    public PluginResult? Failure { get; set; }

    public TimeSpan Delay { get; set; }

    public bool Throw { get; set; }

    public bool Drop { get; set; }
}

public sealed class ErraticHandler(ErraticBehaviour behaviour) : DnsHandler
{
    public override string Name => ErraticSetup.Directive;

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        return behaviour.Delay > TimeSpan.Zero ? DelayedAsync(context) : ValueTask.FromResult(Serve(context));
    }

    private async ValueTask<PluginResult> DelayedAsync(DnsRequestContext context)
    {
        await Task.Delay(behaviour.Delay);
        return Serve(context);
    }

    private PluginResult Serve(DnsRequestContext context)
    {
        if (behaviour.Throw)
        {
            throw new InvalidOperationException("erratic was told to throw");
        }

        if (behaviour.Drop)
        {
            context.Drop();
            return PluginResult.Success;
        }

        if (behaviour.Failure is { } failure)
        {
            return failure;
        }

        var response = context.Response;
        response.ResponseCode = behaviour.Rcode;
        response.Authoritative = true;
        response.Answers.AddRange(behaviour.Answers);
        response.Authorities.AddRange(behaviour.Authorities);
        response.Additionals.AddRange(behaviour.Additionals);
        context.WriteResponse(Name);
        return PluginResult.Success;
    }
}

/// <summary>A readiness reporter a test can flip.</summary>
public sealed class TestReadiness(string name, string? detail) : IReadinessReporter
{
    public string ReadinessName { get; } = name;

    public bool IsReady { get; set; }

    public int Checks { get; private set; }

    public ReadinessStatus CheckReadiness()
    {
        Checks++;
        return new ReadinessStatus(IsReady, IsReady ? null : detail);
    }
}
