using System.Net;
using MeshDns.Kubernetes;
using MeshDns.Plugins.Hosts;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Protocol;
using MeshDns.Server.Hosting;

namespace MeshDns.Plugins.Clusterset;

/// <summary>One member as the builder sees it: its latest snapshot, whether it is past <c>max_stale</c>, its stanza's naming rules.</summary>
public sealed record ClustersetMemberData(ClustersetMember Member, ClusterSnapshot Snapshot, bool Stale, bool EndpointPodNames, bool NoEndpoints);

/// <summary>What one build produced: a table per client-local member (indexed like the members), and the names that changed.</summary>
public sealed record ClustersetUpdate(AnswerTable[] Tables, NameChange? Changes);

/// <summary>
/// Builds the merged clusterset answers: one <see cref="AnswerTable"/> per member as the client's local cluster (the
/// only per-query choice), every policy decision precomputed. A change rebuilds only the services it touched, in
/// every variant, copying only the shards they live in. Not thread-safe: one writer at a time.
/// </summary>
public sealed class ClustersetTableBuilder
{
    /// <summary>Cilium: the service's endpoints in every cluster are merged.</summary>
    public const string CiliumGlobalAnnotation = "service.cilium.io/global";

    /// <summary>Cilium: <c>"false"</c> keeps this cluster's endpoints to its own clients.</summary>
    public const string CiliumSharedAnnotation = "service.cilium.io/shared";

    /// <summary>Cilium before 1.12 spelled the two markers this way; still honoured.</summary>
    public const string LegacyCiliumGlobalAnnotation = "io.cilium/global-service";

    public const string LegacyCiliumSharedAnnotation = "io.cilium/shared-service";

    /// <summary>Cilium: <c>local</c>, <c>remote</c> or <c>none</c>.</summary>
    public const string CiliumAffinityAnnotation = "service.cilium.io/affinity";

    /// <summary>MeshDns: <c>activeactive</c>, <c>failover</c> or <c>locality</c>.</summary>
    public const string TrafficPolicyAnnotation = "meshdns.io/traffic-policy";

    private const uint DnsVersionTtl = 28800;

    private readonly ClustersetOptions _options;
    private readonly TimeProvider _time;
    private readonly DnsName[] _forwardZones;
    private readonly DnsName[] _reverseZones;
    private readonly Variant[] _variants;
    private ClustersetMemberData[] _members;
    private uint _serial;
    private ZoneAnswers[] _zones = [];

    public ClustersetTableBuilder(ClustersetOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        _forwardZones = [.. options.Zones.Where(z => !RecordNames.IsReverseZone(z))];
        _reverseZones = [.. options.Zones.Where(RecordNames.IsReverseZone)];
        _variants = [.. options.Members.Select(_ => new Variant())];
        _members = [.. options.Members.Select(m => new ClustersetMemberData(m, ClusterSnapshot.Empty(m.Name), false, false, false))];
        Rebuild(_members);
    }

    /// <summary>The tables built last, one per client-local member.</summary>
    public AnswerTable[] Tables => [.. _variants.Select(v => v.Table)];

    /// <summary>Builds every variant from scratch (start, a member going stale or back, namespaces changing).</summary>
    public ClustersetUpdate Rebuild(IReadOnlyList<ClustersetMemberData> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        _members = [.. members];
        var keys = new HashSet<ObjectKey>();
        foreach (var member in _members)
        {
            keys.UnionWith(member.Snapshot.Services.Keys);
        }

        var edits = new AnswerTableEdit[_variants.Length];
        for (var local = 0; local < _variants.Length; local++)
        {
            var variant = _variants[local];
            variant.Clear();
            var edit = edits[local] = new AnswerTableEdit(AnswerTableEdit.EmptyShards()) { Changed = true };
            UpdateApex(variant, edit);
            UpdateNamespaces(variant, edit);
            var addresses = new HashSet<IPAddress>();
            foreach (var key in keys)
            {
                UpdateService(variant, edit, local, key, addresses);
            }

            UpdatePtrs(variant, edit, addresses);
        }

        var update = Publish(edits);
        return update with { Changes = new NameChange([], [.. _options.Zones]) };
    }

    /// <summary>Rebuilds the names of <paramref name="services"/> (after a member changed them) in every variant.</summary>
    public ClustersetUpdate Apply(IReadOnlyList<ClustersetMemberData> members, IReadOnlyCollection<ObjectKey> services)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(services);
        _members = [.. members];
        var edits = new AnswerTableEdit[_variants.Length];
        for (var local = 0; local < _variants.Length; local++)
        {
            var variant = _variants[local];
            var edit = edits[local] = new AnswerTableEdit(variant.Table.Shards);
            var addresses = new HashSet<IPAddress>();
            foreach (var key in services)
            {
                UpdateService(variant, edit, local, key, addresses);
            }

            UpdatePtrs(variant, edit, addresses);
        }

        return Publish(edits);
    }

    private ClustersetUpdate Publish(AnswerTableEdit[] edits)
    {
        var changed = edits.Any(e => e.Changed);
        if (changed || _zones.Length == 0)
        {
            var now = (uint)Math.Clamp(_time.GetUtcNow().ToUnixTimeSeconds(), 0, uint.MaxValue);
            var serial = Math.Max(_serial, now);
            if (serial != _serial || _zones.Length == 0)
            {
                _serial = serial;
                _zones = [.. _options.Zones.Select(z => new ZoneAnswers(z, RecordNames.IsReverseZone(z), AnswerTableEdit.Soa(z, _options.Ttl, serial)))];
            }
        }

        var synced = _members.All(m => m.Stale || m.Snapshot.HasSynced);
        var names = new HashSet<DnsName>(DnsNameComparer.Instance);
        var subtrees = new HashSet<DnsName>(DnsNameComparer.Instance);
        for (var i = 0; i < _variants.Length; i++)
        {
            var variant = _variants[i];
            var old = variant.Table;
            var shards = edits[i].Finish();
            variant.Table = new AnswerTable(shards, _zones, synced, _serial, old.SnapshotVersion + 1, shards.Sum(s => s.Map.Count));
            names.UnionWith(edits[i].Names);
            subtrees.UnionWith(edits[i].Subtrees);
            if (synced != old.HasSynced)
            {
                subtrees.UnionWith(_options.Zones);
            }
        }

        var changes = names.Count > 0 || subtrees.Count > 0 ? new NameChange([.. names], [.. subtrees]) : null;
        return new ClustersetUpdate(Tables, changes);
    }

    // ---- apex, namespaces ----

    private void UpdateApex(Variant variant, AnswerTableEdit edit)
    {
        var entries = new Dictionary<DnsName, NameEntry>(DnsNameComparer.Instance);
        var ttl = _options.Ttl;
        foreach (var zone in _options.Zones)
        {
            RecordNames.TryJoin(zone, out var nsName, "ns", "dns");
            var glue = _options.LocalAddresses.Select(a => ServiceRecords.AddressRecord(nsName, a, ttl)).ToArray();
            entries[zone] = new NameEntry
            {
                IsApex = true,
                Ns = glue.Length == 0 ? [] : [new NsRecord(zone, ttl, nsName)],
                NsAdditional = glue,
            };
            entries[nsName] = new NameEntry
            {
                A = [.. glue.Where(r => r.Type == DnsRecordType.A)],
                Aaaa = [.. glue.Where(r => r.Type == DnsRecordType.AAAA)],
            };
            RecordNames.TryJoin(zone, out var svc, "svc");
            RecordNames.TryJoin(zone, out var version, "dns-version");
            entries[svc] = NameEntry.Exists;
            entries[version] = new NameEntry { Txt = [new TxtRecord(version, DnsVersionTtl, KubernetesOptions.SchemaVersion)], OnlyType = DnsRecordType.TXT };
        }

        variant.ApexNames = AnswerTableEdit.Replace(edit, variant.ApexNames, entries, subtree: null);
    }

    /// <summary><c>ns.svc.zone</c> exists where the namespace exists in a member that is not stale (namespace sameness).</summary>
    private void UpdateNamespaces(Variant variant, AnswerTableEdit edit)
    {
        var entries = new Dictionary<DnsName, NameEntry>(DnsNameComparer.Instance);
        foreach (var member in _members.Where(m => !m.Stale))
        {
            foreach (var ns in member.Snapshot.Namespaces.Keys)
            {
                foreach (var zone in _forwardZones)
                {
                    if (RecordNames.TryJoin(zone, out var name, ns.ToLowerInvariant(), "svc"))
                    {
                        entries[name] = NameEntry.Exists;
                    }
                }
            }
        }

        variant.NamespaceNames = AnswerTableEdit.Replace(edit, variant.NamespaceNames, entries, subtree: null);
    }

    // ---- services ----

    /// <summary>A member where the service exists, is exported and the member is fresh.</summary>
    private sealed record Participant(int Index, ServiceInfo Service, List<ReadyAddress> Ready, bool Shared);

    private void UpdateService(Variant variant, AnswerTableEdit edit, int local, ObjectKey key, HashSet<IPAddress> addresses)
    {
        var participants = Participants(key);
        var entries = new Dictionary<DnsName, NameEntry>(DnsNameComparer.Instance);
        var ptrs = new Dictionary<IPAddress, List<DnsName>>();
        if (participants.Count > 0)
        {
            var (policy, order) = Effective(key, local, participants);
            var visible = participants.Where(p => p.Shared || p.Index == local).ToList();
            var offered = order.Select(i => visible.Find(p => p.Index == i)).OfType<Participant>().Where(p => p.Ready.Count > 0).ToList();
            List<Participant> chosen = policy switch
            {
                TrafficPolicy.ActiveActive => offered,
                TrafficPolicy.Failover => [.. offered.Take(1)],
                _ => [.. offered.Where(p => p.Index == local)],
            };
            for (var z = 0; z < _forwardZones.Length; z++)
            {
                BuildService(entries, _forwardZones[z], key, visible, chosen, z == 0 ? ptrs : null);
            }
        }

        List<DnsName>? subtrees = null;
        foreach (var zone in _forwardZones)
        {
            if (RecordNames.TryJoin(zone, out var name, key.Name.ToLowerInvariant(), key.Namespace.ToLowerInvariant(), "svc"))
            {
                (subtrees ??= []).Add(name);
            }
        }

        var names = AnswerTableEdit.Replace(edit, variant.ServiceNames.GetValueOrDefault(key) ?? [], entries, subtrees);
        AnswerTableEdit.Store(variant.ServiceNames, key, names);

        // PTR: the addresses this service named before and names now.
        if (_reverseZones.Length > 0)
        {
            if (variant.PtrByService.Remove(key, out var before))
            {
                foreach (var address in before.Keys)
                {
                    addresses.Add(address);
                    variant.PtrOwners[address].Remove(key);
                }
            }

            if (ptrs.Count > 0)
            {
                variant.PtrByService[key] = ptrs;
                foreach (var (address, targets) in ptrs)
                {
                    addresses.Add(address);
                    if (!variant.PtrOwners.TryGetValue(address, out var owners))
                    {
                        variant.PtrOwners[address] = owners = [];
                    }

                    owners[key] = targets;
                }
            }
        }
    }

    private List<Participant> Participants(ObjectKey key)
    {
        var participants = new List<Participant>();
        for (var i = 0; i < _members.Length; i++)
        {
            var member = _members[i];
            var snapshot = member.Snapshot;
            if (member.Stale || snapshot.Services.GetValueOrDefault(key) is not { } service || !snapshot.Namespaces.ContainsKey(key.Namespace)
                || service.Type == ServiceType.ExternalName || !IsExported(snapshot, service))
            {
                continue;
            }

            var clusterId = member.Member.ClusterId;
            var ready = ServiceRecords.ReadyAddresses(service, snapshot, member.EndpointPodNames, member.NoEndpoints)
                .Select(r => r with { Host = r.Host + "." + clusterId })
                .ToList();
            var shared = !IsFalse(service.Annotations.GetValueOrDefault(CiliumSharedAnnotation) ?? service.Annotations.GetValueOrDefault(LegacyCiliumSharedAnnotation));
            participants.Add(new Participant(i, service, ready, shared));
        }

        return participants;
    }

    private bool IsExported(ClusterSnapshot snapshot, ServiceInfo service) =>
        _options.Export == ExportMode.All
        || IsTrue(service.Annotations.GetValueOrDefault(CiliumGlobalAnnotation) ?? service.Annotations.GetValueOrDefault(LegacyCiliumGlobalAnnotation))
        || snapshot.ServiceExports.ContainsKey(service.Key);

    private static bool IsTrue(string? value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    private static bool IsFalse(string? value) => string.Equals(value, "false", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The policy for clients local to <paramref name="local"/>, and the member order it works through: an FSM
    /// GlobalTrafficPolicy in the local cluster first, then the service's own annotations (the local member's copy of
    /// the service, else the first member's), then the stanza's <c>policy</c>.
    /// </summary>
    private (TrafficPolicy Policy, int[] Order) Effective(ObjectKey key, int local, List<Participant> participants)
    {
        var memberOrder = Enumerable.Range(0, _members.Length).ToArray();
        var localFirst = memberOrder.Where(i => i != local).Prepend(local).ToArray();
        if (!_members[local].Stale && _members[local].Snapshot.GlobalTrafficPolicies.GetValueOrDefault(key) is { } gtp)
        {
            // FSM: this cluster first; targets (when listed) are the other clusters allowed, in their order.
            var targets = gtp.Targets.Select(t => IndexOfMember(t.ClusterName)).Where(i => i >= 0 && i != local).Distinct().ToArray();
            int[] order = targets.Length > 0 ? [local, .. targets] : localFirst;
            return (ClustersetSetup.ParsePolicy(gtp.LbType) ?? TrafficPolicy.Locality, order);
        }

        var source = participants.Find(p => p.Index == local) ?? participants[0];
        var annotations = source.Service.Annotations;
        if (annotations.GetValueOrDefault(TrafficPolicyAnnotation) is { } text && ClustersetSetup.ParsePolicy(text) is { } policy)
        {
            return (policy, memberOrder);
        }

        switch (annotations.GetValueOrDefault(CiliumAffinityAnnotation)?.ToLowerInvariant())
        {
            case "local":
                return (TrafficPolicy.Failover, localFirst);
            case "remote":
                return (TrafficPolicy.Failover, [.. memberOrder.Where(i => i != local), local]);
            case "none":
                return (TrafficPolicy.ActiveActive, memberOrder);
        }

        return (_options.Policy, memberOrder);
    }

    private int IndexOfMember(string clusterName)
    {
        for (var i = 0; i < _members.Length; i++)
        {
            var member = _members[i].Member;
            if (string.Equals(member.Name, clusterName, StringComparison.OrdinalIgnoreCase) || string.Equals(member.ClusterId, clusterName, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private void BuildService(Dictionary<DnsName, NameEntry> entries, DnsName zone, ObjectKey key, List<Participant> visible, List<Participant> chosen, Dictionary<IPAddress, List<DnsName>>? ptrs)
    {
        if (!RecordNames.TryJoin(zone, out var serviceName, key.Name.ToLowerInvariant(), key.Namespace.ToLowerInvariant(), "svc"))
        {
            return;
        }

        // host.clusterid.svc.ns.svc.zone for every endpoint of every member this client may see, whatever the policy.
        var ready = visible.SelectMany(p => p.Ready).ToList();
        var hosts = ServiceRecords.BuildHosts(entries, ready, HostName, _options.Ttl);
        if (ptrs is not null)
        {
            foreach (var host in hosts.Values)
            {
                foreach (var address in host.Records.Keys)
                {
                    if (!ptrs.TryGetValue(address, out var targets))
                    {
                        ptrs[address] = targets = [];
                    }

                    targets.Add(host.Name);
                }
            }
        }

        if (chosen.Count == 0)
        {
            return; // no member to send the client to: NXDOMAIN, as FSM's Locality fails
        }

        if (MergedEntry(serviceName, serviceName, chosen, hosts, null) is { } entry)
        {
            entries[serviceName] = entry;
        }

        // _port._proto names: every named port of the chosen members, merged by name and protocol.
        var ports = new HashSet<(string Name, string Protocol)>();
        foreach (var participant in chosen)
        {
            if (UsesClusterIPs(participant))
            {
                ports.UnionWith(participant.Service.Ports.Where(p => !string.IsNullOrEmpty(p.Name)).Select(p => (p.Name!.ToLowerInvariant(), p.Protocol.ToLowerInvariant())));
            }
            else
            {
                ports.UnionWith(participant.Ready.SelectMany(r => r.Ports).Where(p => !string.IsNullOrEmpty(p.Name)).Select(p => (p.Name!.ToLowerInvariant(), p.Protocol.ToLowerInvariant())));
            }
        }

        foreach (var port in ports)
        {
            if (RecordNames.TryJoin(serviceName, out var portName, "_" + port.Name, "_" + port.Protocol)
                && MergedEntry(portName, serviceName, chosen, hosts, port) is { } portEntry)
            {
                entries[portName] = portEntry;
            }
        }

        DnsName? HostName(string hostKey)
        {
            var dot = hostKey.LastIndexOf('.');
            return RecordNames.TryJoin(serviceName, out var name, hostKey[..dot], hostKey[(dot + 1)..]) ? name : null;
        }
    }

    private bool UsesClusterIPs(Participant participant) =>
        _options.Answer == AnswerMode.ClusterIPs && !participant.Service.IsHeadless && participant.Service.ClusterIPs.Length > 0;

    /// <summary>
    /// The A/AAAA and SRV answers of a service name (<paramref name="port"/> null) or a port name over the chosen
    /// members: endpoint addresses with SRV to their host names, or (<c>answer clusterips</c>) ClusterIPs with SRV to
    /// the service name, as CoreDNS answers headless and ClusterIP services. Null when nothing matches.
    /// </summary>
    private NameEntry? MergedEntry(DnsName owner, DnsName serviceName, List<Participant> chosen, Dictionary<string, ServiceHost> hosts, (string Name, string Protocol)? port)
    {
        var ttl = _options.Ttl;
        var addresses = new List<IPAddress>();
        var targets = new List<(DnsName Target, int Port, ResourceRecord Glue)>();
        bool Matches(string? name, string protocol) =>
            port is not { } wanted || (string.Equals(name, wanted.Name, StringComparison.OrdinalIgnoreCase) && string.Equals(protocol, wanted.Protocol, StringComparison.OrdinalIgnoreCase));

        foreach (var participant in chosen)
        {
            if (UsesClusterIPs(participant))
            {
                var servicePorts = participant.Service.Ports.Where(p => Matches(p.Name, p.Protocol)).ToList();
                if (servicePorts.Count == 0)
                {
                    continue; // as CoreDNS: a ClusterIP service answers through its ports
                }

                foreach (var address in participant.Service.ClusterIPs)
                {
                    addresses.Add(address);
                    var glue = ServiceRecords.AddressRecord(serviceName, address, ttl);
                    targets.AddRange(servicePorts.Select(p => (serviceName, p.Port, glue)));
                }

                continue;
            }

            foreach (var item in participant.Ready)
            {
                var endpointPorts = item.Ports.Where(p => Matches(p.Name, p.Protocol)).ToList();
                if (port is not null && endpointPorts.Count == 0)
                {
                    continue;
                }

                addresses.Add(item.Address);
                if (hosts.TryGetValue(item.Host, out var host))
                {
                    targets.AddRange(endpointPorts.Select(p => (host.Name, p.Port, host.Records[item.Address])));
                }
            }
        }

        if (addresses.Count == 0)
        {
            return null;
        }

        var srv = new SrvRecordSet(ServiceRecords.WeightFor(targets.Count));
        foreach (var (target, number, glue) in targets)
        {
            srv.Add(owner, target, number, glue, ttl);
        }

        var own = addresses.Distinct().Select(a => ServiceRecords.AddressRecord(owner, a, ttl)).ToList();
        return new NameEntry
        {
            A = [.. own.Where(r => r.Type == DnsRecordType.A)],
            Aaaa = [.. own.Where(r => r.Type == DnsRecordType.AAAA)],
            Srv = [.. srv.Records],
            SrvAdditional = [.. srv.Additional],
        };
    }

    // ---- reverse (PTR) ----

    private void UpdatePtrs(Variant variant, AnswerTableEdit edit, HashSet<IPAddress> addresses)
    {
        foreach (var address in addresses)
        {
            var reverse = HostsMap.ReverseName(address).ToLowerInvariant();
            var targets = variant.PtrOwners.TryGetValue(address, out var owners)
                ? owners.OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal).SelectMany(o => o.Value).Distinct().ToList()
                : [];
            if (owners is { Count: 0 })
            {
                variant.PtrOwners.Remove(address);
            }

            if (targets.Count == 0 || !_reverseZones.Any(reverse.IsSubdomainOf))
            {
                edit.Remove(reverse);
                continue;
            }

            edit.Set(reverse, new NameEntry { Ptr = [.. targets.Select(t => (ResourceRecord)new PtrRecord(reverse, _options.Ttl, t))], OnlyType = DnsRecordType.PTR });
        }
    }

    /// <summary>The table and bookkeeping of one client-local member.</summary>
    private sealed class Variant
    {
        public AnswerTable Table { get; set; } = new(AnswerTableEdit.EmptyShards(), [], false, 0, -1, 0);

        public List<DnsName> ApexNames { get; set; } = [];

        public List<DnsName> NamespaceNames { get; set; } = [];

        public Dictionary<ObjectKey, List<DnsName>> ServiceNames { get; } = [];

        /// <summary>Endpoint address → the services naming it, with the names (PTR targets).</summary>
        public Dictionary<IPAddress, Dictionary<ObjectKey, List<DnsName>>> PtrOwners { get; } = [];

        public Dictionary<ObjectKey, Dictionary<IPAddress, List<DnsName>>> PtrByService { get; } = [];

        public void Clear()
        {
            ApexNames = [];
            NamespaceNames = [];
            ServiceNames.Clear();
            PtrOwners.Clear();
            PtrByService.Clear();
        }
    }
}
