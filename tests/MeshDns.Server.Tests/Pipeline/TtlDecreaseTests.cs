using System.Net;
using MeshDns.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Server.Tests.Pipeline;

/// <summary>A handler's <see cref="DnsRequestContext.TtlDecrease"/> reaches the wire, and internal requests inherit routing.</summary>
public sealed class TtlDecreaseTests
{
    [Theory]
    [InlineData(0u, 300u)]
    [InlineData(100u, 200u)]
    [InlineData(300u, 0u)]
    [InlineData(uint.MaxValue, 0u)]
    public async Task ProcessAsync_HandlerSetsTtlDecrease_EncodedTtlsAreReduced(uint decrease, uint expected)
    {
        var processor = CreateProcessor(new AnsweringHandler(decrease));
        var context = new DnsRequestContext();

        var reply = await ProcessAsync(processor, context, "a.example.org.");

        Assert.Equal(expected, Assert.Single(reply.Answers).Ttl);
        Assert.Equal(expected, Assert.Single(reply.Authorities).Ttl);
    }

    [Fact]
    public async Task ProcessAsync_ContextReused_TtlDecreaseIsResetBetweenRequests()
    {
        var handler = new AnsweringHandler(100);
        var processor = CreateProcessor(handler);
        var context = new DnsRequestContext();
        await ProcessAsync(processor, context, "a.example.org.");

        handler.Decrease = null;
        var reply = await ProcessAsync(processor, context, "a.example.org.");

        Assert.Equal(300u, Assert.Single(reply.Answers).Ttl);
    }

    [Fact]
    public async Task ResolveAsync_HandlerSetsTtlDecrease_CopiedRecordsCarryTheReducedTtl()
    {
        var processor = CreateProcessor(new AnsweringHandler(120));
        var parent = new DnsRequestContext();
        parent.Load(DnsMessage.CreateQuery(DnsName.Parse("b.example.org."), DnsRecordType.A).ToArray(), DnsTransport.Udp);

        var result = await processor.ResolveAsync(parent, DnsName.Parse("a.example.org."), DnsRecordType.A, CancellationToken.None);

        Assert.Equal(180u, Assert.Single(result.Answers).Ttl);
    }

    [Fact]
    public void InheritRouting_FromParent_CopiesServerEndpointsAndDepth()
    {
        var parent = new DnsRequestContext();
        parent.Load(DnsMessage.CreateQuery(DnsName.Parse("b.example.org."), DnsRecordType.A).ToArray(), DnsTransport.Udp);
        parent.SetEndpoints(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 4242), new IPEndPoint(IPAddress.Loopback, 53));
        parent.ServerAddress = "dns://:53";
        parent.Zone = "example.org.";
        using var cts = new CancellationTokenSource();

        var child = new DnsRequestContext();
        child.Load(DnsMessage.CreateQuery(DnsName.Parse("a.example.org."), DnsRecordType.A).ToArray(), DnsTransport.Internal);
        child.InheritRouting(parent, cts.Token);

        Assert.Equal("dns://:53", child.ServerAddress);
        Assert.Equal("example.org.", child.Zone);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), child.RemoteAddress);
        Assert.Equal(4242, child.RemotePort);
        Assert.Equal(1, child.Depth);
        Assert.Equal(cts.Token, child.RequestAborted);
        Assert.Equal(DnsTransport.Internal, child.Transport);
    }

    private static RequestProcessor CreateProcessor(DnsHandler chain)
    {
        var block = new ServerBlockRuntime("dns://example.org.:53", [DnsName.Parse("example.org.")], chain, ["test"]);
        return new RequestProcessor("dns://:53", new ZoneRouter([block]), NullLogger.Instance);
    }

    private static async Task<DnsMessage> ProcessAsync(RequestProcessor processor, DnsRequestContext context, string name)
    {
        var query = DnsMessage.CreateQuery(DnsName.Parse(name), DnsRecordType.A, id: 7);
        var buffer = new byte[1232];
        var length = await processor.ProcessAsync(context, query.ToArray(), DnsTransport.Tcp, buffer);
        Assert.True(DnsMessage.TryParse(buffer.AsSpan(0, length), out var reply, out var error), error.ToString());
        return reply;
    }

    private sealed class AnsweringHandler(uint? decrease) : DnsHandler
    {
        private static readonly ResourceRecord Answer = ResourceRecord.Parse("a.example.org. 300 IN A 10.0.0.1");
        private static readonly ResourceRecord Soa = ResourceRecord.Parse("example.org. 300 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 30");

        public uint? Decrease { get; set; } = decrease;

        public override string Name => "test";

        public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
        {
            context.Response.Answers.Add(Answer);
            context.Response.Authorities.Add(Soa);
            if (Decrease is { } value)
            {
                context.TtlDecrease = value;
            }

            context.WriteResponse(Name);
            return ValueTask.FromResult(PluginResult.Success);
        }
    }
}
