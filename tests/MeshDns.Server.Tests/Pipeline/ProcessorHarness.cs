using MeshDns.Protocol;
using MeshDns.Testing.Dns;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Server.Tests.Pipeline;

/// <summary>A request processor over hand-built server blocks, driven in-process (no sockets).</summary>
internal sealed class ProcessorHarness
{
    public ProcessorHarness(params (string[] Zones, DnsHandler Chain)[] blocks)
    {
        var runtimes = blocks.Select((b, i) => new ServerBlockRuntime($"dns://{b.Zones[0]}:53", b.Zones.Select(z => DnsName.Parse(z)).ToArray(), b.Chain, ["test"]));
        Processor = new RequestProcessor("dns://:53", new ZoneRouter(runtimes), NullLogger.Instance) { Observer = Observer };
    }

    public RequestProcessor Processor { get; }

    public RecordingObserver Observer { get; } = new();

    /// <summary>Processes raw bytes; returns the raw response (empty when nothing is sent).</summary>
    public byte[] Process(byte[] request, DnsTransport transport = DnsTransport.Udp)
    {
        var context = new DnsRequestContext();
        context.SetEndpoints(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5353), null);
        var buffer = new byte[ushort.MaxValue];
        var pending = Processor.ProcessAsync(context, request, transport, buffer);
        var length = pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        return buffer[..length];
    }

    /// <summary>Processes a query message and parses the response.</summary>
    public DnsMessage Query(DnsMessage query, DnsTransport transport = DnsTransport.Udp)
    {
        var response = Process(query.ToArray(), transport);
        Assert.NotEmpty(response);
        return DnsTestClient.ParseReply(query, response);
    }

    public DnsMessage Query(string name, DnsRecordType type, DnsTransport transport = DnsTransport.Udp, bool edns = false, ushort udpSize = 1232) =>
        Query(DnsTestClient.CreateQuery(name, type, edns, udpSize), transport);
}

/// <summary>Counts what the server reports outside the chain.</summary>
internal sealed class RecordingObserver : IServerObserver
{
    public int Refused { get; private set; }

    public int Panics { get; private set; }

    public void OnRefusedNoZone(DnsRequestContext context, int responseSize) => Refused++;

    public void OnPanic(DnsRequestContext context, Exception exception) => Panics++;
}

/// <summary>Answers every query with one A record owned by the question name and remembers which block took it.</summary>
internal sealed class NamedAnswerHandler(string tag) : DnsHandler
{
    public override string Name => "test";

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        context.Response.Answers.Add(new TxtRecord(context.GetQuestionName(), 5, tag));
        context.WriteResponse(Name);
        return ValueTask.FromResult(PluginResult.Success);
    }
}
