using MeshDns.Plugins.Clusterset;
using MeshDns.Plugins.Kubernetes;
using MeshDns.Plugins.Tests.Support;

namespace MeshDns.Plugins.Tests.Clusterset;

/// <summary>The clusterset stanza and the kubernetai <c>cluster NAME</c> option: parsing, errors with file and line, member lookup.</summary>
public sealed class ClustersetSetupTests
{
    private const string Members = """
            kubernetai aws.local {
                cluster aws-euwest1
                kubeconfig /nonexistent/kubeconfig aws
            }
            kubernetai gcp.local {
                manifests /nonexistent/gcp
            }
        """;

    public static TheoryData<string, string> Errors => new()
    {
        { "member aws-euwest1 remote", "unknown member flag 'remote' (only 'local')" },
        { "member aws-euwest1\n        member aws-euwest1", "member 'aws-euwest1' is listed twice" },
        { "member aws-euwest1 local\n        member gcp.local local", "only one member can be local" },
        { "member aws-euwest1\n        export some", "wrong value for export: some, must be one of: all, global" },
        { "member aws-euwest1\n        policy random", "wrong value for policy: random, must be one of: activeactive, failover, locality" },
        { "member aws-euwest1\n        answer vips", "wrong value for answer: vips, must be one of: endpoints, clusterips" },
        { "member aws-euwest1\n        local_cidrs aws-euwest1 10.0.0.0/33", "local_cidrs: invalid CIDR '10.0.0.0/33'" },
        { "member aws-euwest1\n        local_cidrs azure 10.0.0.0/16", "local_cidrs: 'azure' is not a member" },
        { "member aws-euwest1\n        max_stale 0s", "max_stale must be positive: '0s'" },
        { "member aws-euwest1\n        ttl 3601", "value '3601'" },
        { "member aws-euwest1\n        shiny", "unknown property 'shiny'" },
        { "export all", "at least one member is required" },
        { "member azure", "member 'azure': no kubernetes or kubernetai stanza names this cluster (set `cluster azure` in one)" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Setup_BadStanza_ErrorNamesFileLineAndProblem(string body, string message)
    {
        var errors = PluginHarness.SetupErrors($".:0 {{\n{Members}\n    clusterset clusterset.local {{\n        {body}\n    }}\n}}");

        var error = Assert.Single(errors);
        Assert.Contains("plugin/clusterset: " + message, error, StringComparison.Ordinal);
        Assert.Matches("^Corefile:(9|1[0-2]) ", error); // the clusterset line (9) or one of its own lines
    }

    [Fact]
    public void Setup_UnknownMember_ErrorPointsAtItsLine()
    {
        var error = Assert.Single(PluginHarness.SetupErrors($".:0 {{\n{Members}\n    clusterset clusterset.local {{\n        member gcp.local\n        member azure\n    }}\n}}"));
        Assert.StartsWith("Corefile:11 ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_EveryOption_Parsed_MembersFromAnotherBlock_WatchMulticlusterObjects()
    {
        var corefile = """
            clusterset.local:0 10.0.0.0/8 {
                bind 192.0.2.1
                clusterset {
                    member aws-euwest1
                    member gcp.local local
                    export all
                    policy locality
                    answer clusterips
                    local_cidrs aws-euwest1 10.0.0.0/16 10.1.0.0/16
                    local_cidrs gcp.local 10.0.5.0/24
                    max_stale 90s
                    ttl 30
                    fallthrough in-addr.arpa
                }
            }
            .:0 {
                bind 127.0.0.1
                kubernetai aws.local {
                    cluster aws-euwest1
                    kubeconfig /nonexistent/kubeconfig aws
                }
                kubernetai gcp.local {
                    manifests /nonexistent/gcp
                }
                kubernetai azure.local {
                    manifests /nonexistent/azure
                }
            }
            """;
        await using var harness = PluginHarness.Build(corefile);

        var options = Assert.Single(harness.Instance.Readiness.OfType<ClustersetAnswers>()).Options;
        Assert.Equal(["clusterset.local.", "10.in-addr.arpa."], options.Zones.Select(z => z.ToString()));
        Assert.Equal([new ClustersetMember("aws-euwest1", "aws-euwest1", false), new ClustersetMember("gcp.local", "gcp-local", true)], options.Members.ToArray());
        Assert.Equal(1, options.DefaultLocal);
        Assert.Equal(ExportMode.All, options.Export);
        Assert.Equal(TrafficPolicy.Locality, options.Policy);
        Assert.Equal(AnswerMode.ClusterIPs, options.Answer);
        Assert.Equal(["10.0.5.0/24 1", "10.0.0.0/16 0", "10.1.0.0/16 0"], options.LocalNetworks.Select(n => $"{n.Network} {n.Member}"));
        Assert.Equal(TimeSpan.FromSeconds(90), options.MaxStale);
        Assert.Equal(30u, options.Ttl);
        Assert.True(options.Fallthrough.Through(Protocol.DnsName.Parse("1.0.0.10.in-addr.arpa.").Wire));
        Assert.Equal(["192.0.2.1"], options.LocalAddresses.Select(a => a.ToString()));
        Assert.Equal(["clusterset.local."], harness.Instance.AuthoritativeZones.Where(z => z.Plugin == "clusterset").Select(z => z.Zone.ToString()));

        // Members watch ServiceExports and GlobalTrafficPolicies; a cluster no clusterset names does not.
        var clusters = harness.Instance.Readiness.OfType<ClusterAnswers>().ToDictionary(c => c.Options.ClusterName);
        Assert.Equal(["aws-euwest1", "azure.local", "gcp.local"], clusters.Keys.Order(StringComparer.Ordinal));
        Assert.True(clusters["aws-euwest1"].Options.WatchMulticlusterObjects);
        Assert.True(clusters["gcp.local"].Options.WatchMulticlusterObjects);
        Assert.False(clusters["azure.local"].Options.WatchMulticlusterObjects);
        Assert.Equal("kubernetai/aws-euwest1", clusters["aws-euwest1"].ReadinessName);
    }

    [Fact]
    public async Task Setup_Defaults_GlobalActiveActiveEndpointsFiveMinutes_FirstMemberLocal()
    {
        await using var harness = PluginHarness.Build(".:0 {\n    bind 127.0.0.1\n    kubernetai a.local\n    clusterset clusterset.local {\n        member a.local\n    }\n}");

        var options = Assert.Single(harness.Instance.Readiness.OfType<ClustersetAnswers>()).Options;
        Assert.Equal(ExportMode.Global, options.Export);
        Assert.Equal(TrafficPolicy.ActiveActive, options.Policy);
        Assert.Equal(AnswerMode.Endpoints, options.Answer);
        Assert.Equal(TimeSpan.FromMinutes(5), options.MaxStale);
        Assert.Equal(5u, options.Ttl);
        Assert.Equal(0, options.DefaultLocal);
        Assert.Empty(options.LocalNetworks);
    }

    [Theory]
    [InlineData("cluster", "Wrong argument count or unexpected line ending after 'cluster'")]
    [InlineData("cluster a b", "Wrong argument count or unexpected line ending after 'b'")]
    [InlineData("cluster under_score", "invalid cluster name 'under_score': use 1 to 63 letters, digits, '-' and '.'")]
    public void Setup_BadClusterOption_Refused(string option, string message)
    {
        var error = Assert.Single(PluginHarness.SetupErrors($".:0 {{\n    kubernetai a.local {{\n        {option}\n    }}\n}}"));
        Assert.Contains("plugin/kubernetai: " + message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Setup_SameClusterNameForTwoDifferentClusters_RefusedAtTheSecond()
    {
        var errors = PluginHarness.SetupErrors(".:0 {\n    kubernetai a.local {\n        cluster prod\n        manifests /nonexistent/a\n    }\n    kubernetai b.local {\n        cluster prod\n        manifests /nonexistent/b\n    }\n}");

        var error = Assert.Single(errors);
        Assert.StartsWith("Corefile:6 ", error, StringComparison.Ordinal); // the second block's line
        Assert.Contains("plugin/kubernetai: cluster 'prod' already names another cluster (manifests /nonexistent/a)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_SameClusterInTwoServerBlocks_Accepted()
    {
        // One cluster served on two ports (or for a forward and a reverse zone) is one cluster, not a clash.
        await using var harness = PluginHarness.Build(".:0 {\n    bind 127.0.0.1\n    kubernetai a.local {\n        manifests /nonexistent/a\n    }\n}\na.local:0 {\n    bind 127.0.0.1\n    kubernetai a.local {\n        manifests /nonexistent/a\n    }\n}");

        Assert.Equal(2, harness.Instance.Readiness.OfType<ClusterAnswers>().Count());
    }

    [Fact]
    public async Task Setup_OneZoneTwoClusters_DefaultNamesShared_Accepted()
    {
        // kubernetai's classic "one zone, several clusters": both blocks default to the name mesh.local.
        await using var harness = PluginHarness.Build(".:0 {\n    bind 127.0.0.1\n    kubernetai mesh.local {\n        manifests /nonexistent/a\n        fallthrough\n    }\n    kubernetai mesh.local {\n        manifests /nonexistent/b\n    }\n}");

        Assert.Equal(2, harness.Instance.Readiness.OfType<ClusterAnswers>().Count());
    }

    [Fact]
    public void Setup_MemberNamedByAmbiguousDefaultName_Refused()
    {
        var error = Assert.Single(PluginHarness.SetupErrors(".:0 {\n    kubernetai mesh.local {\n        manifests /nonexistent/a\n        fallthrough\n    }\n    kubernetai mesh.local {\n        manifests /nonexistent/b\n    }\n    clusterset clusterset.local {\n        member mesh.local\n    }\n}"));

        Assert.StartsWith("Corefile:10 ", error, StringComparison.Ordinal);
        Assert.Contains("plugin/clusterset: member 'mesh.local': several stanzas watch different clusters under this default name", error, StringComparison.Ordinal);
    }
}
