using System.Net.Sockets;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Clusterset;

/// <summary>
/// Answers the merged clusterset zone from precomputed tables. The only per-query work beyond the kubernetes
/// plugin's lookup is picking the client's local member (from <c>local_cidrs</c>, else the <c>local</c> member),
/// which selects the table whose policy decisions were made for that member. Allocates nothing.
/// </summary>
public sealed class ClustersetHandler : ChainedDnsHandler
{
    private readonly ClustersetAnswers _answers;
    private readonly string _name;
    private readonly ClientNetwork[] _networks;
    private readonly int _defaultLocal;

    public ClustersetHandler(DnsHandler next, string name, ClustersetAnswers answers)
        : base(next)
    {
        ArgumentNullException.ThrowIfNull(answers);
        _name = name;
        _answers = answers;
        _networks = [.. answers.Options.LocalNetworks.Select(n => new ClientNetwork(n.Member, n.Network.BaseAddress.GetAddressBytes(), n.Network.PrefixLength))];
        _defaultLocal = answers.Options.DefaultLocal;
    }

    public override string Name => _name;

    public ClustersetAnswers Answers => _answers;

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.QuestionNameLower;
        var tables = _answers.Tables;
        var table = tables[LocalMember(context)];
        var zoneIndex = table.MatchZone(name);
        if (zoneIndex < 0)
        {
            return NextAsync(context);
        }

        var zone = table.Zones[zoneIndex];
        var decision = TableLookup.Decide(context, table, zone, name, podsInsecure: false, srvSpellings: false);
        switch (decision.Kind)
        {
            case DecisionKind.Answer:
                return TableLookup.Write(context, Name, decision);
            case DecisionKind.NoData:
            case DecisionKind.Chase:
                return TableLookup.Negative(context, Name, zone, DnsResponseCode.NoError);
            default:
                if (_answers.Options.Fallthrough.Through(name))
                {
                    return NextAsync(context);
                }

                return TableLookup.Negative(context, Name, zone, table.HasSynced ? DnsResponseCode.NXDomain : DnsResponseCode.ServFail);
        }
    }

    /// <summary>The member the client is local to: the longest <c>local_cidrs</c> network holding its address, else the default.</summary>
    public int LocalMember(DnsRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_networks.Length == 0)
        {
            return _defaultLocal;
        }

        var address = context.RemoteAddressBytes;
        if (context.RemoteFamily == AddressFamily.InterNetworkV6 && address.Length == 16 && IsV4Mapped(address))
        {
            address = address[12..];
        }

        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return network.Member;
            }
        }

        return _defaultLocal;
    }

    private static bool IsV4Mapped(ReadOnlySpan<byte> address) =>
        address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xFF && address[11] == 0xFF;

    /// <summary>A <c>local_cidrs</c> network as bytes, for prefix matching without allocating.</summary>
    private readonly record struct ClientNetwork(int Member, byte[] Prefix, int Length)
    {
        public bool Contains(ReadOnlySpan<byte> address)
        {
            if (address.Length != Prefix.Length)
            {
                return false;
            }

            var whole = Length / 8;
            if (!address[..whole].SequenceEqual(Prefix.AsSpan(0, whole)))
            {
                return false;
            }

            var rest = Length % 8;
            if (rest == 0)
            {
                return true;
            }

            var mask = (byte)(0xFF << (8 - rest));
            return (address[whole] & mask) == (Prefix[whole] & mask);
        }
    }
}
