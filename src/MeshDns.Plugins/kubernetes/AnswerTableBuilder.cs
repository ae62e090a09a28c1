using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using MeshDns.Kubernetes;
using MeshDns.Plugins.Hosts;
using MeshDns.Protocol;
using MeshDns.Server.Hosting;

namespace MeshDns.Plugins.Kubernetes;

/// <summary>What one build produced: the new table, the names whose answers changed, and DNS programming delays.</summary>
public sealed record TableUpdate(AnswerTable Table, NameChange? Changes, IReadOnlyList<TimeSpan> ProgrammingDelays);

/// <summary>
/// Turns cluster snapshots into <see cref="AnswerTable"/>s the way CoreDNS's kubernetes plugin answers (the Kubernetes
/// DNS-Based Service Discovery specification), precomputing every record. After the first build, a
/// <see cref="ClusterChange"/> rebuilds only the names of the services, namespaces, addresses and pods it touched,
/// and copies only the table shards holding them. Not thread-safe: one writer (the cluster's applier) at a time.
/// </summary>
public sealed class AnswerTableBuilder
{
    private const uint DnsVersionTtl = 28800;

    private readonly KubernetesOptions _options;
    private readonly TimeProvider _time;
    private readonly DnsName[] _forwardZones;
    private readonly DnsName[] _reverseZones;
    private readonly DnsName _primaryZone;
    private readonly Dictionary<ObjectKey, List<DnsName>> _serviceNames = [];
    private readonly Dictionary<string, List<DnsName>> _namespaceNames = new(StringComparer.Ordinal);
    private readonly Dictionary<(IPAddress Address, string Namespace), List<DnsName>> _podNames = [];
    private readonly Dictionary<IPAddress, DnsName> _ptrNames = [];
    private List<DnsName> _apexNames = [];
    private AnswerTable _table;
    private long _builtVersion = -1;

    public AnswerTableBuilder(KubernetesOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        _forwardZones = [.. options.Zones.Where(z => !RecordNames.IsReverseZone(z))];
        _reverseZones = [.. options.Zones.Where(RecordNames.IsReverseZone)];
        _primaryZone = options.PrimaryZone;
        _table = new AnswerTable(AnswerTableEdit.EmptyShards(), [], false, 0, -1, 0);
        Rebuild(ClusterSnapshot.Empty(options.ClusterName));
    }

    /// <summary>The table built last.</summary>
    public AnswerTable Table => _table;

    /// <summary>Builds the whole table from <paramref name="snapshot"/> (first build, or when a change was missed).</summary>
    public TableUpdate Rebuild(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _serviceNames.Clear();
        _namespaceNames.Clear();
        _podNames.Clear();
        _ptrNames.Clear();
        _apexNames = [];
        var edit = new AnswerTableEdit(AnswerTableEdit.EmptyShards());
        UpdateApex(edit, snapshot);
        foreach (var ns in snapshot.Namespaces.Keys)
        {
            UpdateNamespace(edit, ns, snapshot);
        }

        foreach (var key in snapshot.Services.Keys)
        {
            UpdateService(edit, key, snapshot);
        }

        foreach (var address in snapshot.ServicesByClusterIP.Keys.Concat(snapshot.EndpointsByIP.Keys).Distinct())
        {
            UpdatePtr(edit, address, snapshot);
        }

        if (_options.Pods == PodMode.Verified)
        {
            foreach (var pod in snapshot.Pods.Values)
            {
                foreach (var address in pod.IPs)
                {
                    UpdatePod(edit, address, pod.Namespace, snapshot);
                }
            }
        }

        edit.Changed = true;
        var update = Publish(edit, snapshot, []);
        var all = new NameChange([], [.. _options.Zones]);
        return update with { Changes = all };
    }

    /// <summary>
    /// Applies one published change. Rebuilds everything when the change does not follow the snapshot built last
    /// (a subscription that started late); ignores a change already included.
    /// </summary>
    public TableUpdate? Apply(ClusterChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Snapshot.Version <= _builtVersion)
        {
            return null;
        }

        if (change.Previous.Version != _builtVersion)
        {
            return Rebuild(change.Snapshot);
        }

        var snapshot = change.Snapshot;
        var previous = change.Previous;
        var services = new HashSet<ObjectKey>();
        var addresses = new HashSet<IPAddress>();
        var pods = new HashSet<(IPAddress, string)>();
        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        var delays = new List<TimeSpan>();
        var now = _time.GetUtcNow();
        foreach (var item in change.Changes)
        {
            switch (item.Kind)
            {
                case ResourceKind.Service:
                    services.Add(item.Key);
                    AddClusterIPs(addresses, previous.Services.GetValueOrDefault(item.Key));
                    AddClusterIPs(addresses, snapshot.Services.GetValueOrDefault(item.Key));
                    break;
                case ResourceKind.EndpointSlice:
                    var before = previous.EndpointSlices.GetValueOrDefault(item.Key);
                    var after = snapshot.EndpointSlices.GetValueOrDefault(item.Key);
                    foreach (var slice in (ReadOnlySpan<EndpointSliceInfo?>)[before, after])
                    {
                        if (slice?.ServiceKey is { } owner)
                        {
                            services.Add(owner);
                        }

                        AddEndpointAddresses(addresses, slice);
                    }

                    if (after is { LastChangeTriggerTime: { } triggered, ServiceKey: { } service }
                        && snapshot.Services.GetValueOrDefault(service) is { IsHeadless: true }
                        && now >= triggered)
                    {
                        delays.Add(now - triggered);
                    }

                    break;
                case ResourceKind.Namespace:
                    namespaces.Add(item.Key.Name);
                    break;
                case ResourceKind.Pod:
                    foreach (var pod in (ReadOnlySpan<PodInfo?>)[previous.Pods.GetValueOrDefault(item.Key), snapshot.Pods.GetValueOrDefault(item.Key)])
                    {
                        foreach (var address in pod?.IPs ?? [])
                        {
                            pods.Add((address, item.Key.Namespace));
                        }
                    }

                    break;
            }
        }

        // A namespace that appears or vanishes takes its services and pods with it (rare: one scan for all of them).
        if (namespaces.Count > 0)
        {
            services.UnionWith(snapshot.Services.Keys.Where(k => namespaces.Contains(k.Namespace)));
            services.UnionWith(_serviceNames.Keys.Where(k => namespaces.Contains(k.Namespace)));
            foreach (var pod in snapshot.Pods.Values.Concat(previous.Pods.Values).Where(p => namespaces.Contains(p.Namespace)))
            {
                foreach (var address in pod.IPs)
                {
                    pods.Add((address, pod.Namespace));
                }
            }
        }

        var edit = new AnswerTableEdit(_table.Shards);
        foreach (var ns in namespaces)
        {
            UpdateNamespace(edit, ns, snapshot);
        }

        foreach (var key in services)
        {
            UpdateService(edit, key, snapshot);
        }

        foreach (var address in addresses)
        {
            UpdatePtr(edit, address, snapshot);
        }

        foreach (var (address, ns) in pods)
        {
            UpdatePod(edit, address, ns, snapshot);
        }

        if (!_options.LocalAddresses.IsEmpty && services.Count > 0)
        {
            UpdateApex(edit, snapshot);
        }

        return Publish(edit, snapshot, delays);
    }

    private TableUpdate Publish(AnswerTableEdit edit, ClusterSnapshot snapshot, IReadOnlyList<TimeSpan> delays)
    {
        var old = _table;
        var shards = edit.Finish();
        var serial = old.Serial;
        var zones = old.Zones as ZoneAnswers[] ?? [.. old.Zones];
        if (edit.Changed || zones.Length == 0)
        {
            var now = (uint)Math.Clamp(_time.GetUtcNow().ToUnixTimeSeconds(), 0, uint.MaxValue);
            serial = Math.Max(serial, now);
        }

        if (serial != old.Serial || zones.Length == 0)
        {
            zones = [.. _options.Zones.Select(z => new ZoneAnswers(z, RecordNames.IsReverseZone(z), Soa(z, serial)))];
        }

        _table = new AnswerTable(shards, zones, snapshot.HasSynced, serial, snapshot.Version, shards.Sum(s => s.Map.Count));
        _builtVersion = snapshot.Version;
        var subtrees = edit.Subtrees;
        if (snapshot.HasSynced != old.HasSynced)
        {
            // The answers that were SERVFAIL before the first sync are real now.
            subtrees = [.. subtrees, .. _options.Zones];
        }

        var changes = edit.Names.Count > 0 || subtrees.Count > 0 ? new NameChange(edit.Names, subtrees) : null;
        return new TableUpdate(_table, changes, delays);
    }

    private SoaRecord Soa(DnsName zone, uint serial) => AnswerTableEdit.Soa(zone, _options.Ttl, serial);

    // ---- the zone's own names: apex (NS), svc., pod., dns-version., ns.dns. ----

    private void UpdateApex(AnswerTableEdit edit, ClusterSnapshot snapshot)
    {
        var entries = new Dictionary<DnsName, NameEntry>(DnsNameComparer.Instance);
        var ttl = _options.Ttl;
        foreach (var zone in _options.Zones)
        {
            RecordNames.TryJoin(zone, out var nsName, "ns", "dns");
            var servers = NameServers(zone, nsName, snapshot);
            var ns = new List<ResourceRecord>();
            var glue = new List<ResourceRecord>();
            foreach (var (target, address) in servers)
            {
                if (!ns.Any(r => ((NsRecord)r).Target.Equals(target)))
                {
                    ns.Add(new NsRecord(zone, ttl, target));
                }

                glue.Add(ServiceRecords.AddressRecord(target, address, _options.Ttl));
            }

            entries[zone] = new NameEntry { IsApex = true, Ns = [.. ns], NsAdditional = [.. glue] };
            entries[nsName] = new NameEntry
            {
                A = [.. servers.Where(s => s.Address.AddressFamily == AddressFamily.InterNetwork).Select(s => ServiceRecords.AddressRecord(nsName, s.Address, _options.Ttl))],
                Aaaa = [.. servers.Where(s => s.Address.AddressFamily == AddressFamily.InterNetworkV6).Select(s => ServiceRecords.AddressRecord(nsName, s.Address, _options.Ttl))],
            };
            RecordNames.TryJoin(zone, out var svc, "svc");
            RecordNames.TryJoin(zone, out var pod, "pod");
            RecordNames.TryJoin(zone, out var version, "dns-version");
            entries[svc] = NameEntry.Exists;
            entries[pod] = NameEntry.Exists;
            entries[version] = new NameEntry { Txt = [new TxtRecord(version, DnsVersionTtl, KubernetesOptions.SchemaVersion)], OnlyType = DnsRecordType.TXT };
        }

        _apexNames = AnswerTableEdit.Replace(edit, _apexNames, entries, subtree: null);
    }

    /// <summary>
    /// CoreDNS's nsAddrs: the services whose endpoints are this server's own addresses (MeshDns running in the
    /// cluster), else <c>ns.dns.zone</c> with those addresses; nothing when the addresses are unknown.
    /// </summary>
    private List<(DnsName Target, IPAddress Address)> NameServers(DnsName zone, DnsName nsName, ClusterSnapshot snapshot)
    {
        var servers = new List<(DnsName, IPAddress)>();
        foreach (var local in _options.LocalAddresses)
        {
            foreach (var reference in snapshot.GetEndpointsByIP(local))
            {
                if (reference.Service is not { } key || snapshot.Services.GetValueOrDefault(key) is not { } service
                    || !RecordNames.TryJoin(zone, out var serviceName, service.Name, service.Namespace, "svc"))
                {
                    continue;
                }

                if (!service.IsHeadless && service.ClusterIPs.Length > 0)
                {
                    servers.Add((serviceName, service.ClusterIPs[0]));
                    continue;
                }

                foreach (var ready in ServiceRecords.ReadyAddresses(service, snapshot, _options.EndpointPodNames, _options.NoEndpoints))
                {
                    if (RecordNames.TryJoin(serviceName, out var host, ready.Host))
                    {
                        servers.Add((host, ready.Address));
                    }
                }
            }
        }

        if (servers.Count == 0)
        {
            servers.AddRange(_options.LocalAddresses.Select(a => (nsName, a)));
        }

        return [.. servers.Distinct()];
    }

    // ---- namespaces ----

    private void UpdateNamespace(AnswerTableEdit edit, string ns, ClusterSnapshot snapshot)
    {
        var entries = new Dictionary<DnsName, NameEntry>(DnsNameComparer.Instance);
        if (snapshot.Namespaces.ContainsKey(ns))
        {
            foreach (var zone in _forwardZones)
            {
                if (RecordNames.TryJoin(zone, out var svc, Lower(ns), "svc"))
                {
                    entries[svc] = NameEntry.Exists;
                }

                if (_options.Pods != PodMode.Disabled && RecordNames.TryJoin(zone, out var pod, Lower(ns), "pod"))
                {
                    entries[pod] = NameEntry.Exists;
                }
            }
        }

        var names = AnswerTableEdit.Replace(edit, _namespaceNames.GetValueOrDefault(ns) ?? [], entries, subtree: null);
        AnswerTableEdit.Store(_namespaceNames, ns, names);
    }

    // ---- services ----

    private void UpdateService(AnswerTableEdit edit, ObjectKey key, ClusterSnapshot snapshot)
    {
        var entries = new Dictionary<DnsName, NameEntry>(DnsNameComparer.Instance);
        if (snapshot.Services.GetValueOrDefault(key) is { } service && snapshot.Namespaces.ContainsKey(key.Namespace))
        {
            var ready = service.Type == ServiceType.ExternalName ? [] : ServiceRecords.ReadyAddresses(service, snapshot, _options.EndpointPodNames, _options.NoEndpoints);
            foreach (var zone in _forwardZones)
            {
                BuildService(entries, zone, service, ready);
            }
        }

        List<DnsName>? subtrees = null;
        foreach (var zone in _forwardZones)
        {
            if (RecordNames.TryJoin(zone, out var name, Lower(key.Name), Lower(key.Namespace), "svc"))
            {
                (subtrees ??= []).Add(name);
            }
        }

        var names = AnswerTableEdit.Replace(edit, _serviceNames.GetValueOrDefault(key) ?? [], entries, subtrees);
        AnswerTableEdit.Store(_serviceNames, key, names);
    }

    private void BuildService(Dictionary<DnsName, NameEntry> entries, DnsName zone, ServiceInfo service, List<ReadyAddress> ready)
    {
        if (!RecordNames.TryJoin(zone, out var serviceName, Lower(service.Name), Lower(service.Namespace), "svc"))
        {
            return;
        }

        var ttl = _options.Ttl;
        if (service.Type == ServiceType.ExternalName)
        {
            // An address in externalName is not a name: NXDOMAIN, as in CoreDNS.
            var external = service.ExternalName;
            if (string.IsNullOrEmpty(external) || IPAddress.TryParse(external, out _) || !DnsName.TryParse(external, out var target))
            {
                return;
            }

            entries[serviceName] = new NameEntry { Cname = new CnameRecord(serviceName, ttl, target), CnameTargetLower = target.ToLowerInvariant() };
            return;
        }

        if (!service.IsHeadless && _options.IgnoreEmptyService && ready.Count == 0)
        {
            return;
        }

        var hosts = ServiceRecords.BuildHosts(entries, ready, h => RecordNames.TryJoin(serviceName, out var hostName, h) ? hostName : null, ttl);
        if (service.IsHeadless)
        {
            BuildHeadless(entries, serviceName, ready, hosts);
        }
        else
        {
            BuildClusterIP(entries, serviceName, service);
        }
    }

    private void BuildClusterIP(Dictionary<DnsName, NameEntry> entries, DnsName serviceName, ServiceInfo service)
    {
        // CoreDNS builds a ClusterIP service's answers from its ports: a service without ports has no name.
        if (service.Ports.IsEmpty)
        {
            return;
        }

        var addresses = service.ClusterIPs.Distinct().ToArray();
        var records = addresses.Select(a => ServiceRecords.AddressRecord(serviceName, a, _options.Ttl)).ToArray();
        entries[serviceName] = ClusterIPEntry(serviceName, serviceName, service.Ports, addresses, records);

        foreach (var group in service.Ports.Where(p => !string.IsNullOrEmpty(p.Name)).GroupBy(p => (Lower(p.Name!), Lower(p.Protocol))))
        {
            if (!RecordNames.TryJoin(serviceName, out var portName, "_" + group.Key.Item1, "_" + group.Key.Item2))
            {
                continue;
            }

            entries[portName] = ClusterIPEntry(portName, serviceName, [.. group], addresses, records);
        }
    }

    private NameEntry ClusterIPEntry(DnsName owner, DnsName serviceName, ImmutableArray<ServicePortInfo> ports, IPAddress[] addresses, ResourceRecord[] serviceRecords)
    {
        var srv = new SrvRecordSet(ServiceRecords.WeightFor(ports.Length * addresses.Length));
        if (addresses.Length > 0)
        {
            foreach (var port in ports)
            {
                for (var i = 0; i < addresses.Length; i++)
                {
                    srv.Add(owner, serviceName, port.Port, serviceRecords[i], _options.Ttl);
                }
            }
        }

        var own = owner.Equals(serviceName) ? serviceRecords : addresses.Select(a => ServiceRecords.AddressRecord(owner, a, _options.Ttl)).ToArray();
        return new NameEntry
        {
            A = [.. own.Where(r => r.Type == DnsRecordType.A)],
            Aaaa = [.. own.Where(r => r.Type == DnsRecordType.AAAA)],
            Srv = [.. srv.Records],
            SrvAdditional = [.. srv.Additional],
        };
    }

    private void BuildHeadless(Dictionary<DnsName, NameEntry> entries, DnsName serviceName, List<ReadyAddress> ready, Dictionary<string, ServiceHost> hosts)
    {
        if (ready.Count == 0)
        {
            return;
        }

        entries[serviceName] = ServiceRecords.HeadlessEntry(serviceName, ready, hosts, port => true, _options.Ttl);
        var keys = ready.SelectMany(r => r.Ports).Where(p => !string.IsNullOrEmpty(p.Name)).Select(p => (Lower(p.Name!), Lower(p.Protocol))).Distinct();
        foreach (var (name, protocol) in keys)
        {
            if (RecordNames.TryJoin(serviceName, out var portName, "_" + name, "_" + protocol))
            {
                entries[portName] = ServiceRecords.HeadlessEntry(portName, ready, hosts, p => Lower(p.Name ?? string.Empty) == name && Lower(p.Protocol) == protocol, _options.Ttl);
            }
        }
    }

    // ---- reverse (PTR) ----

    private void UpdatePtr(AnswerTableEdit edit, IPAddress address, ClusterSnapshot snapshot)
    {
        if (_reverseZones.Length == 0)
        {
            return;
        }

        var reverse = HostsMap.ReverseName(address).ToLowerInvariant();
        if (!_reverseZones.Any(reverse.IsSubdomainOf))
        {
            return;
        }

        var targets = new List<DnsName>();
        foreach (var service in snapshot.GetServicesByClusterIP(address))
        {
            // As CoreDNS: a cluster IP names its service (one service has it), before any endpoint.
            if (RecordNames.TryJoin(_primaryZone, out var target, Lower(service.Name), Lower(service.Namespace), "svc"))
            {
                targets.Add(target);
                break;
            }
        }

        if (targets.Count == 0 && !_options.NoEndpoints)
        {
            foreach (var reference in snapshot.GetEndpointsByIP(address))
            {
                var endpoint = reference.Endpoint;
                if (!endpoint.Ready || endpoint.Terminating || reference.Slice.ServiceName is not { } serviceName
                    || reference.Slice.AddressType == EndpointAddressType.Fqdn)
                {
                    continue;
                }

                var host = Lower(RecordNames.EndpointHostname(endpoint, address, _options.EndpointPodNames));
                if (RecordNames.TryJoin(_primaryZone, out var target, host, Lower(serviceName), Lower(reference.Slice.Namespace), "svc")
                    && !targets.Contains(target))
                {
                    targets.Add(target);
                }
            }
        }

        if (targets.Count == 0)
        {
            if (_ptrNames.Remove(address, out var old))
            {
                edit.Remove(old);
            }

            return;
        }

        _ptrNames[address] = reverse;
        edit.Set(reverse, new NameEntry { Ptr = [.. targets.Select(t => (ResourceRecord)new PtrRecord(reverse, _options.Ttl, t))], OnlyType = DnsRecordType.PTR });
    }

    // ---- pods (verified mode) ----

    private void UpdatePod(AnswerTableEdit edit, IPAddress address, string ns, ClusterSnapshot snapshot)
    {
        if (_options.Pods != PodMode.Verified)
        {
            return;
        }

        var entries = new Dictionary<DnsName, NameEntry>(DnsNameComparer.Instance);
        var exists = snapshot.Namespaces.ContainsKey(ns)
            && snapshot.GetPodsByIP(address).Any(p => p.Namespace == ns && !p.IsDeleting);
        if (exists)
        {
            var label = RecordNames.DashedAddress(address, zeroAfterTrailingDash: false);
            foreach (var zone in _forwardZones)
            {
                if (RecordNames.TryJoin(zone, out var name, label, Lower(ns), "pod"))
                {
                    var record = ServiceRecords.AddressRecord(name, address, _options.Ttl);
                    entries[name] = address.AddressFamily == AddressFamily.InterNetwork ? new NameEntry { A = [record] } : new NameEntry { Aaaa = [record] };
                }
            }
        }

        var key = (address, ns);
        var names = AnswerTableEdit.Replace(edit, _podNames.GetValueOrDefault(key) ?? [], entries, subtree: null);
        AnswerTableEdit.Store(_podNames, key, names);
    }

    // ---- helpers ----

    private static string Lower(string text) => text.ToLowerInvariant();

    private static void AddClusterIPs(HashSet<IPAddress> addresses, ServiceInfo? service)
    {
        if (service is not null)
        {
            addresses.UnionWith(service.ClusterIPs);
        }
    }

    private static void AddEndpointAddresses(HashSet<IPAddress> addresses, EndpointSliceInfo? slice)
    {
        if (slice is not null)
        {
            foreach (var endpoint in slice.Endpoints)
            {
                addresses.UnionWith(endpoint.Addresses);
            }
        }
    }


}
