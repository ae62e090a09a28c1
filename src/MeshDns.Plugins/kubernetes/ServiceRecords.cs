using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using MeshDns.Kubernetes;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>One ready endpoint address: <see cref="Host"/> is the key of its own name (the host label in one cluster).</summary>
internal readonly record struct ReadyAddress(IPAddress Address, string Host, ImmutableArray<EndpointPortInfo> Ports);

/// <summary>One endpoint name and the addresses (and their records) it answers with.</summary>
internal sealed class ServiceHost(DnsName name)
{
    public DnsName Name { get; } = name;

    public List<ReadyAddress> Members { get; } = [];

    public Dictionary<IPAddress, ResourceRecord> Records { get; } = [];
}

/// <summary>
/// The records of one service's names as CoreDNS builds them (endpoint names, headless answers with SRV and glue),
/// shared by the kubernetes and clusterset table builders.
/// </summary>
internal static class ServiceRecords
{
    private static readonly EndpointPortInfo SentinelPort = new(null, string.Empty, -1, null);

    public static ResourceRecord AddressRecord(DnsName owner, IPAddress address, uint ttl) =>
        address.AddressFamily == AddressFamily.InterNetwork ? new ARecord(owner, ttl, address) : new AaaaRecord(owner, ttl, address);

    /// <summary>CoreDNS's SRV weight: 100 shared by the records of one answer.</summary>
    public static ushort WeightFor(int count) => count <= 0 ? (ushort)100 : (ushort)Math.Max(1, 100 / count);

    /// <summary>
    /// A name for every ready endpoint (<c>host.svc.ns.svc.zone</c>; <paramref name="nameOf"/> turns its host key into
    /// the name, null to skip it): its addresses, and SRV for its ports.
    /// </summary>
    public static Dictionary<string, ServiceHost> BuildHosts(Dictionary<DnsName, NameEntry> entries, List<ReadyAddress> ready, Func<string, DnsName?> nameOf, uint ttl)
    {
        var hosts = new Dictionary<string, ServiceHost>(StringComparer.Ordinal);
        foreach (var item in ready)
        {
            if (!hosts.TryGetValue(item.Host, out var host))
            {
                if (nameOf(item.Host) is not { } hostName)
                {
                    continue;
                }

                hosts[item.Host] = host = new ServiceHost(hostName);
            }

            host.Members.Add(item);
            if (!host.Records.ContainsKey(item.Address))
            {
                host.Records[item.Address] = AddressRecord(host.Name, item.Address, ttl);
            }
        }

        foreach (var host in hosts.Values)
        {
            var srv = new SrvRecordSet(WeightFor(host.Members.Sum(m => Math.Max(1, m.Ports.Length))));
            foreach (var member in host.Members)
            {
                foreach (var port in member.Ports)
                {
                    srv.Add(host.Name, host.Name, port.Port, host.Records[member.Address], ttl);
                }
            }

            entries[host.Name] = new NameEntry
            {
                A = [.. host.Records.Values.Where(r => r.Type == DnsRecordType.A)],
                Aaaa = [.. host.Records.Values.Where(r => r.Type == DnsRecordType.AAAA)],
                Srv = [.. srv.Records],
                SrvAdditional = [.. srv.Additional],
            };
        }

        return hosts;
    }

    /// <summary>A headless name (service or port): the addresses that have a matching port, SRV to their host names.</summary>
    public static NameEntry HeadlessEntry(DnsName owner, List<ReadyAddress> ready, Dictionary<string, ServiceHost> hosts, Func<EndpointPortInfo, bool> portMatches, uint ttl)
    {
        var matching = new List<(ReadyAddress Member, EndpointPortInfo? Port)>();
        foreach (var member in ready)
        {
            if (member.Ports.IsEmpty)
            {
                // CoreDNS's "no ports" sentinel: the address answers A queries and counts in SRV weights only.
                if (portMatches(SentinelPort))
                {
                    matching.Add((member, null));
                }

                continue;
            }

            foreach (var port in member.Ports)
            {
                if (portMatches(port))
                {
                    matching.Add((member, port));
                }
            }
        }

        var srv = new SrvRecordSet(WeightFor(matching.Count));
        var a = new List<ResourceRecord>();
        var aaaa = new List<ResourceRecord>();
        var seen = new HashSet<IPAddress>();
        foreach (var (member, port) in matching)
        {
            if (seen.Add(member.Address))
            {
                (member.Address.AddressFamily == AddressFamily.InterNetwork ? a : aaaa).Add(AddressRecord(owner, member.Address, ttl));
            }

            if (port is not null && hosts.TryGetValue(member.Host, out var host))
            {
                srv.Add(owner, host.Name, port.Port, host.Records[member.Address], ttl);
            }
        }

        return new NameEntry { A = [.. a], Aaaa = [.. aaaa], Srv = [.. srv.Records], SrvAdditional = [.. srv.Additional] };
    }

    /// <summary>Ready, not terminating endpoint addresses of the service's slices (none with <c>noendpoints</c>).</summary>
    public static List<ReadyAddress> ReadyAddresses(ServiceInfo service, ClusterSnapshot snapshot, bool endpointPodNames, bool noEndpoints)
    {
        var ready = new List<ReadyAddress>();
        if (noEndpoints)
        {
            return ready;
        }

        foreach (var slice in snapshot.GetEndpointSlices(service.Namespace, service.Name).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            if (slice.AddressType == EndpointAddressType.Fqdn)
            {
                continue;
            }

            foreach (var endpoint in slice.Endpoints)
            {
                if (!endpoint.Ready || endpoint.Terminating)
                {
                    continue;
                }

                foreach (var address in endpoint.Addresses)
                {
                    ready.Add(new ReadyAddress(address, RecordNames.EndpointHostname(endpoint, address, endpointPodNames).ToLowerInvariant(), slice.Ports));
                }
            }
        }

        return ready;
    }
}
