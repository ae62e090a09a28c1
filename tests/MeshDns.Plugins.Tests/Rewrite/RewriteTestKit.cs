using MeshDns.Plugins.Rewrite;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Corefile;

namespace MeshDns.Plugins.Tests.Rewrite;

/// <summary>
/// The plugin after rewrite in handler tests: records the question it was asked and answers, like CoreDNS's test
/// responder, with an A record owned by that name, or with the records a test gives (<c>{q}</c> stands for the name).
/// </summary>
internal sealed class RecordingUpstream : DnsHandler
{
    public override string Name => "recorder";

    public string? SeenName { get; private set; }

    public DnsRecordType SeenType { get; private set; }

    public int Calls { get; private set; }

    public DnsResponseCode Rcode { get; set; } = DnsResponseCode.NoError;

    public string[]? Answer { get; set; }

    public string[] Authority { get; set; } = [];

    public string[] Additional { get; set; } = [];

    /// <summary>Also put a question into the response, as a plugin copying an upstream reply would.</summary>
    public bool EchoQuestion { get; set; }

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        Calls++;
        var name = context.GetQuestionName().ToString();
        SeenName = name;
        SeenType = context.QuestionType;
        var response = context.Response;
        response.ResponseCode = Rcode;
        if (EchoQuestion)
        {
            response.Questions.Add(new DnsQuestion(context.GetQuestionName(), context.QuestionType));
        }

        foreach (var line in Answer ?? [$"{name} 300 IN A 127.0.0.1"])
        {
            response.Answers.Add(ResourceRecord.Parse(line.Replace("{q}", name, StringComparison.Ordinal)));
        }

        response.Authorities.AddRange(Authority.Select(ResourceRecord.Parse));
        response.Additionals.AddRange(Additional.Select(ResourceRecord.Parse));
        context.WriteResponse(Name);
        return ValueTask.FromResult(PluginResult.Success);
    }
}

internal static class RewriteKit
{
    /// <summary>Rules from lines written as in a Corefile after <c>rewrite</c>.</summary>
    public static RewriteRule[] Rules(params string[] lines) => lines.Select(Rule).ToArray();

    public static RewriteRule Rule(string line)
    {
        var rule = RewriteSetup.ParseRule(Tokens(line), out var error, out _);
        return rule ?? throw new InvalidOperationException($"'{line}': {error}");
    }

    public static string? Error(string line)
    {
        var rule = RewriteSetup.ParseRule(Tokens(line), out var error, out _);
        return rule is null ? error : null;
    }

    public static CorefileToken[] Tokens(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => new CorefileToken(t, new SourceLocation("test", 1))).ToArray();

    public static DnsRequestContext Context(string name, DnsRecordType type = DnsRecordType.A)
    {
        var context = new DnsRequestContext();
        context.Load(DnsMessage.CreateQuery(DnsName.Parse(name), type, 1).ToArray(), DnsTransport.Udp);
        return context;
    }

    public static async Task<DnsRequestContext> ServeAsync(DnsHandler handler, string name, DnsRecordType type = DnsRecordType.A)
    {
        var context = Context(name, type);
        await handler.ServeAsync(context);
        return context;
    }
}
