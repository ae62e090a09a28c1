using MeshDns.Plugins.Kubernetes;
using MeshDns.Plugins.Tests.Support;

namespace MeshDns.Plugins.Tests.Kubernetes;

/// <summary>The stanza's syntax: every option of CoreDNS's kubernetes plugin, MeshDns's <c>manifests</c>, and the errors.</summary>
public sealed class KubernetesSetupTests
{
    public static TheoryData<string, string> Errors() => new()
    {
        { "pods wrong", "wrong value for pods: wrong,  must be one of: disabled, verified, insecure" },
        { "pods", "Wrong argument count or unexpected line ending after 'pods'" },
        { "ttl 3601", "ttl must be in range [0, 3600]: 3601" },
        { "ttl -1", "ttl must be in range [0, 3600]: -1" },
        { "ttl x", "invalid integer 'x'" },
        { "ttl", "Wrong argument count or unexpected line ending after 'ttl'" },
        { "ignore full_service", "unable to parse ignore value: 'full_service'" },
        { "tls a b", "Wrong argument count or unexpected line ending after 'b'" },
        { "tls a b c", "tls needs an endpoint" },
        { "kubeconfig a b c", "Wrong argument count or unexpected line ending after 'c'" },
        { "endpoint https://a:6443\n        kubeconfig k", "use only one of endpoint, kubeconfig and manifests" },
        { "manifests /x\n        kubeconfig k", "use only one of endpoint, kubeconfig and manifests" },
        { "namespaces a\n        namespace_labels team=dns", "namespaces and namespace_labels cannot both be set" },
        { "labels a in (b", "unable to parse label selector value: 'a in (b'" },
        { "namespace_labels ==x", "unable to parse namespace_label selector value: '==x'" },
        { "startup_timeout soon", "invalid duration \"soon\"" },
        { "apiserver_qps fast", "invalid apiserver_qps value: 'fast'" },
        { "apiserver_burst -1", "invalid apiserver_burst value" },
        { "apiserver_max_inflight x", "invalid apiserver_max_inflight value" },
        { "endpoint_pod_names yes", "Wrong argument count or unexpected line ending after 'yes'" },
        { "noendpoints yes", "Wrong argument count or unexpected line ending after 'yes'" },
        { "multicluster clusterset.local", "option 'multicluster' of CoreDNS's kubernetes plugin is not supported by MeshDns" },
        { "upstream", "option 'upstream' of CoreDNS's kubernetes plugin is not supported by MeshDns" },
        { "resyncperiod 30s", "option 'resyncperiod' of CoreDNS's kubernetes plugin is not supported by MeshDns" },
        { "shiny", "unknown property 'shiny'" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Setup_BadOption_ErrorNamesIt(string option, string message)
    {
        foreach (var directive in new[] { "kubernetes", "kubernetai" })
        {
            var errors = PluginHarness.SetupErrors($".:0 {{\n    {directive} cluster.local {{\n        {option}\n    }}\n}}");

            var error = Assert.Single(errors);
            Assert.Contains($"plugin/{directive}: {message}", error, StringComparison.Ordinal);
            Assert.StartsWith("Corefile:", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Setup_OnlyReverseZones_Refused()
    {
        var error = Assert.Single(PluginHarness.SetupErrors(".:0 {\n    kubernetes 10.in-addr.arpa\n}"));

        Assert.Contains("non-reverse zone name must be used", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_EveryOption_Parsed()
    {
        var corefile = """
            example.org:0 10.0.0.0/15 {
                bind 192.0.2.1
                kubernetes {
                    endpoint https://10.0.0.1:6443 https://10.0.0.2:6443
                    tls cert.pem key.pem ca.pem
                    namespace_labels team in (dns, mesh)
                    labels app=web
                    pods verified
                    endpoint_pod_names
                    ttl 30
                    noendpoints
                    fallthrough in-addr.arpa
                    ignore empty_service
                    startup_timeout 30s
                    apiserver_qps 50.5
                    apiserver_burst 100
                    apiserver_max_inflight 0
                }
            }
            """;
        await using var harness = PluginHarness.Build(corefile);

        var options = Assert.Single(harness.Instance.Readiness.OfType<ClusterAnswers>()).Options;
        Assert.Equal(["example.org.", "0.10.in-addr.arpa.", "1.10.in-addr.arpa."], options.Zones.Select(z => z.ToString()));
        Assert.Equal("example.org", options.ClusterName);
        Assert.Equal("kubernetes", options.ReadinessName);
        Assert.Equal(new ClusterConnection.Endpoint("https://10.0.0.1:6443", "cert.pem", "key.pem", "ca.pem"), options.Connection);
        Assert.Equal("team in (dns,mesh)", options.Filter.NamespaceLabels?.ToString());
        Assert.Equal("app=web", options.Filter.Labels?.ToString());
        Assert.Equal(PodMode.Verified, options.Pods);
        Assert.True(options.EndpointPodNames && options.NoEndpoints && options.IgnoreEmptyService);
        Assert.Equal(30u, options.Ttl);
        Assert.True(options.Fallthrough.Through(Protocol.DnsName.Parse("1.0.10.in-addr.arpa.").Wire));
        Assert.False(options.Fallthrough.Through(Protocol.DnsName.Parse("a.example.org.").Wire));
        Assert.Equal(TimeSpan.FromSeconds(30), options.StartupTimeout);
        Assert.Equal(50.5, options.Limits.Qps);
        Assert.Equal(100, options.Limits.Burst);
        Assert.Equal(0, options.Limits.MaxInflight);
        Assert.Equal(["192.0.2.1"], options.LocalAddresses.Select(a => a.ToString()));
        Assert.Equal(["example.org."], harness.Instance.AuthoritativeZones.Select(z => z.Zone.ToString()));
    }

    [Fact]
    public async Task Setup_Defaults_InClusterFiveSecondsPodsDisabled()
    {
        await using var harness = PluginHarness.Build("cluster.local:0 {\n    bind 127.0.0.1\n    kubernetai\n}");

        var options = Assert.Single(harness.Instance.Readiness.OfType<ClusterAnswers>()).Options;
        Assert.Equal(["cluster.local."], options.Zones.Select(z => z.ToString()));
        Assert.IsType<ClusterConnection.InCluster>(options.Connection);
        Assert.Equal(PodMode.Disabled, options.Pods);
        Assert.Equal(5u, options.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(5), options.StartupTimeout);
        Assert.Empty(options.LocalAddresses); // loopback only: NS answers NODATA, as CoreDNS
        Assert.Equal("kubernetai/cluster.local", options.ReadinessName);
    }

    [Fact]
    public async Task Setup_KubeconfigAndRelativeManifests_PathsAsGiven()
    {
        var corefilePath = Path.Combine(Path.GetTempPath(), "meshdns-setup", "Corefile");
        var corefile = ".:0 {\n    kubernetai a.local {\n        kubeconfig /etc/kube/config:/etc/kube/other prod\n    }\n    kubernetai b.local {\n        manifests deploy/demo/b\n    }\n}";
        await using var harness = PluginHarness.Build(corefile, corefilePath: corefilePath);

        var options = harness.Instance.Readiness.OfType<ClusterAnswers>().Select(c => c.Options).ToArray();
        Assert.Equal(new ClusterConnection.KubeConfig("/etc/kube/config:/etc/kube/other", "prod"), options[0].Connection);
        Assert.Equal(new ClusterConnection.Manifests(Path.Combine(Path.GetTempPath(), "meshdns-setup", "deploy", "demo", "b")), options[1].Connection);
    }

    [Fact]
    public async Task Start_MissingKubeconfig_FailsTheStartNamingIt()
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() =>
            PluginHarness.StartAsync(".:0 {\n    kubernetai a.local {\n        kubeconfig /nonexistent/meshdns/kubeconfig\n    }\n}"));

        Assert.Contains("plugin/kubernetai: kubeconfig /nonexistent/meshdns/kubeconfig", exception.Message, StringComparison.Ordinal);
    }
}
