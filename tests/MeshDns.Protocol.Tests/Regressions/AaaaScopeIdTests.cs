using System.Net;
using MeshDns.Protocol.Tests.Support;

namespace MeshDns.Protocol.Tests.Regressions;

/// <summary>
/// Bug: an AAAA record built from a scoped <see cref="IPAddress"/> (fe80::1%2) kept the scope, which the wire cannot
/// carry: the record printed "fe80::1%2" (not zone-file text) while the same record read from the wire printed
/// "fe80::1", though the two compared equal.
/// </summary>
public sealed class AaaaScopeIdTests
{
    [Fact]
    public void AaaaRecord_ScopedAddress_DropsScope()
    {
        var record = new AaaaRecord(DnsName.Parse("a.example."), 5, IPAddress.Parse("fe80::1%2"));

        Assert.Equal(0, record.Address.ScopeId);
        Assert.Equal("a.example. 5 IN AAAA fe80::1", record.ToString());
    }

    [Fact]
    public void AaaaRecord_ScopedAddress_PrintsAsItsWireForm()
    {
        var message = new DnsMessage { IsResponse = true };
        message.Answers.Add(new AaaaRecord(DnsName.Parse("a.example."), 5, IPAddress.Parse("fe80::1%2")));

        var parsed = MessageAssert.Parses(message.ToArray());

        MessageAssert.Equal(message, parsed);
        Assert.Equal(message.Answers[0], ResourceRecord.Parse(message.Answers[0].ToString()));
    }
}
