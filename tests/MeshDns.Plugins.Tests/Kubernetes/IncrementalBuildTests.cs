using MeshDns.Kubernetes;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Protocol;
using MeshDns.Testing.Time;
using static MeshDns.Plugins.Tests.Kubernetes.K8s;

namespace MeshDns.Plugins.Tests.Kubernetes;

/// <summary>
/// Tables follow cluster changes: only what changed is rebuilt and announced, the SOA serial moves with the answers,
/// and any sequence of changes ends in the same table as a build from scratch.
/// </summary>
public sealed class IncrementalBuildTests
{
    private static readonly KubernetesOptions Options = new()
    {
        Directive = "kubernetai",
        Zones = [DnsName.Parse("aws-euwest1.local."), DnsName.Parse("10.in-addr.arpa."), DnsName.Parse("ip6.arpa.")],
        ClusterName = "aws-euwest1.local",
        Pods = PodMode.Verified,
    };

    [Fact]
    public void Apply_StatefulSetScaledUpAndDown_SrvFollowsAndOnlyItsSubtreeIsAnnounced()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var source = new InMemoryClusterSource("aws-euwest1.local");
        source.ReplaceAll([Namespace("db"), Service("db", "cassandra", "None", Port("cql", 9042)), Service("db", "other", "10.96.0.9", Port("p", 1)), Members(2)]);
        var builder = new AnswerTableBuilder(Options, clock);
        builder.Rebuild(source.Snapshot);
        var updates = new List<TableUpdate>();
        using var subscription = source.Subscribe(change => updates.Add(builder.Apply(change)!));
        var serial = builder.Table.Serial;

        clock.Advance(TimeSpan.FromSeconds(3));
        source.Upsert(Members(3));
        var up = builder.Table;
        clock.Advance(TimeSpan.FromSeconds(3));
        source.Upsert(Members(1));
        var down = builder.Table;

        Assert.Equal(3, Srv(up, "_cql._tcp.cassandra.db.svc.aws-euwest1.local.").Length);
        Assert.Equal(33, ((SrvRecord)Srv(up, "_cql._tcp.cassandra.db.svc.aws-euwest1.local.")[0]).Weight);
        Assert.Single(Srv(down, "_cql._tcp.cassandra.db.svc.aws-euwest1.local."));
        Assert.Null(down.Find(DnsName.Parse("cassandra-2.cassandra.db.svc.aws-euwest1.local.").Wire));
        Assert.NotNull(up.Find(DnsName.Parse("3.1.244.10.in-addr.arpa.").Wire));
        Assert.Null(down.Find(DnsName.Parse("3.1.244.10.in-addr.arpa.").Wire));
        Assert.Equal(serial + 3, up.Serial);
        Assert.Equal(serial + 6, down.Serial);
        Assert.Equal(up.Serial, up.Zones[0].Soa.Serial);

        var announced = updates[0].Changes!;
        Assert.Equal(["cassandra.db.svc.aws-euwest1.local."], announced.Subtrees.Select(n => n.ToString()));
        Assert.Equal(["3.1.244.10.in-addr.arpa."], announced.Names.Select(n => n.ToString()));
        Assert.True(announced.Affects(DnsName.Parse("_cql._tcp.cassandra.db.svc.aws-euwest1.local.")));
        Assert.False(announced.Affects(DnsName.Parse("other.db.svc.aws-euwest1.local.")));
        // Shards that hold no changed name are shared, not copied.
        Assert.True(up.Shards.Zip(down.Shards).Count(p => ReferenceEquals(p.First, p.Second)) > AnswerTable.ShardCount / 2);
    }

    [Fact]
    public void Apply_ChangeInvisibleToDns_NothingAnnouncedAndSerialKept()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var source = new InMemoryClusterSource("aws-euwest1.local");
        source.ReplaceAll([Namespace("db"), Service("db", "cassandra", "None", Port("cql", 9042)), Members(2)]);
        var builder = new AnswerTableBuilder(Options, clock);
        builder.Rebuild(source.Snapshot);
        TableUpdate? update = null;
        using var subscription = source.Subscribe(change => update = builder.Apply(change));
        var before = builder.Table;

        clock.Advance(TimeSpan.FromSeconds(10));
        source.Upsert(Members(2) with { ResourceVersion = "changed" }); // e.g. a nodeName moved: same answers

        Assert.NotNull(update);
        Assert.Null(update.Changes);
        Assert.Equal(before.Serial, builder.Table.Serial);
        Assert.True(before.Shards.Zip(builder.Table.Shards).All(p => ReferenceEquals(p.First, p.Second)));
    }

    [Fact]
    public void Apply_NamespaceDeletedAndRecreated_ItsServicesAndPodsGoAndComeBack()
    {
        var source = new InMemoryClusterSource("aws-euwest1.local");
        source.ReplaceAll([Namespace("db"), Service("db", "cassandra", "None", Port("cql", 9042)), Members(2), Pod("db", "cassandra-0", "10.244.1.1")]);
        var builder = new AnswerTableBuilder(Options);
        builder.Rebuild(source.Snapshot);
        using var subscription = source.Subscribe(change => builder.Apply(change));
        var service = DnsName.Parse("cassandra.db.svc.aws-euwest1.local.");
        var pod = DnsName.Parse("10-244-1-1.db.pod.aws-euwest1.local.");

        source.Delete(ResourceKind.Namespace, new ObjectKey(string.Empty, "db"));
        var gone = builder.Table;
        source.Upsert(Namespace("db"));

        Assert.Null(gone.Find(service.Wire));
        Assert.Null(gone.Find(pod.Wire));
        Assert.Null(gone.Find(DnsName.Parse("db.svc.aws-euwest1.local.").Wire));
        Assert.NotNull(builder.Table.Find(service.Wire));
        Assert.NotNull(builder.Table.Find(pod.Wire));
    }

    [Fact]
    public void Apply_HeadlessSliceWithTriggerTime_ReportsTheProgrammingDelay()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var source = new InMemoryClusterSource("aws-euwest1.local");
        source.ReplaceAll([Namespace("db"), Service("db", "cassandra", "None", Port("cql", 9042)), Service("db", "web", "10.96.0.1", Port("http", 80))]);
        var builder = new AnswerTableBuilder(Options, clock);
        builder.Rebuild(source.Snapshot);
        var updates = new List<TableUpdate>();
        using var subscription = source.Subscribe(change => updates.Add(builder.Apply(change)!));

        source.Upsert(Members(2) with { LastChangeTriggerTime = clock.GetUtcNow() - TimeSpan.FromMilliseconds(40) });
        source.Upsert(Slice("db", "web-1", "web", [Endpoint("10.244.9.9")]) with { LastChangeTriggerTime = clock.GetUtcNow() });

        Assert.Equal([TimeSpan.FromMilliseconds(40)], updates[0].ProgrammingDelays);
        Assert.Empty(updates[1].ProgrammingDelays); // CoreDNS measures headless services only
    }

    [Fact]
    public void Apply_MissedChange_RebuildsFromTheNewSnapshot()
    {
        var source = new InMemoryClusterSource("aws-euwest1.local");
        source.ReplaceAll([Namespace("db"), Service("db", "cassandra", "None", Port("cql", 9042)), Members(1)]);
        var builder = new AnswerTableBuilder(Options);
        builder.Rebuild(source.Snapshot);
        ClusterChange? last = null;
        using (source.Subscribe(change => last = change))
        {
            source.Upsert(Members(2));
            source.Upsert(Members(3)); // the builder never saw the change before this one
        }

        var update = builder.Apply(last!);

        Assert.NotNull(update);
        Assert.Equal(3, Srv(builder.Table, "cassandra.db.svc.aws-euwest1.local.").Length);
        Assert.Equal(Options.Zones, update.Changes!.Subtrees);
        Assert.Null(builder.Apply(last!)); // already included
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Apply_RandomChanges_SameTableAsABuildFromScratch(int seed)
    {
        var random = new Random(seed);
        var source = new InMemoryClusterSource("aws-euwest1.local");
        source.ReplaceAll([Namespace("a"), Namespace("b")]);
        var builder = new AnswerTableBuilder(Options);
        builder.Rebuild(source.Snapshot);
        using var subscription = source.Subscribe(change => builder.Apply(change));

        for (var step = 0; step < 300; step++)
        {
            var ns = random.Next(3) switch { 0 => "a", 1 => "b", _ => "c" };
            var name = "s" + random.Next(6);
            switch (random.Next(10))
            {
                case 0:
                    source.Delete(ResourceKind.Service, new ObjectKey(ns, name));
                    break;
                case 1:
                    source.Delete(ResourceKind.EndpointSlice, new ObjectKey(ns, name + "-1"));
                    break;
                case 2:
                    if (random.Next(4) == 0)
                    {
                        source.Delete(ResourceKind.Namespace, new ObjectKey(string.Empty, ns));
                    }
                    else
                    {
                        source.Upsert(Namespace(ns));
                    }

                    break;
                case 3:
                    source.Upsert(Pod(ns, "p" + random.Next(4), $"10.244.0.{random.Next(8)}", deleting: random.Next(5) == 0));
                    break;
                case 4:
                    source.Upsert(ExternalName(ns, name, random.Next(2) == 0 ? "x.example.org" : "10.0.0.1"));
                    break;
                case 5 or 6:
                    source.Upsert(random.Next(2) == 0
                        ? Service(ns, name, "None", Port("p" + random.Next(2), 80))
                        : Service(ns, name, $"10.96.{random.Next(3)}.{random.Next(3)},fd00::{random.Next(3)}", Port("p" + random.Next(2), 80), Port(null, 81, "UDP")));
                    break;
                default:
                    var endpoints = Enumerable.Range(0, random.Next(4))
                        .Select(i => Endpoint($"10.244.0.{random.Next(8)}", random.Next(2) == 0 ? $"h{i}" : null, ready: random.Next(6) != 0, terminating: random.Next(8) == 0))
                        .ToArray();
                    source.Upsert(Slice(ns, name + "-1", name, endpoints, SlicePort("p" + random.Next(2), 8080)));
                    break;
            }
        }

        var scratch = new AnswerTableBuilder(Options);
        scratch.Rebuild(source.Snapshot);
        var incremental = builder.Table.Entries.ToDictionary(e => e.Key, e => e.Value, DnsNameComparer.Instance);
        var expected = scratch.Table.Entries.ToList();
        Assert.Equal(expected.Count, incremental.Count);
        foreach (var (name, entry) in expected)
        {
            Assert.True(incremental.TryGetValue(name, out var other), $"{name} missing after incremental updates");
            Assert.True(entry.SameAs(other), $"{name} differs after incremental updates");
        }
    }

    private static EndpointSliceInfo Members(int count) =>
        Slice("db", "cassandra-abc", "cassandra",
            [.. Enumerable.Range(0, count).Select(i => Endpoint($"10.244.1.{i + 1}", $"cassandra-{i}"))],
            SlicePort("cql", 9042)) with { ResourceVersion = count.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static ResourceRecord[] Srv(AnswerTable table, string name) =>
        table.Find(DnsName.Parse(name).Wire)?.Srv ?? [];
}
