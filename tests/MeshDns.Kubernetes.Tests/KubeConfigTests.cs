using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Kubernetes.Tests;

public sealed class KubeConfigTests : IDisposable
{
    private const string SecretToken = "s3cr3t-t0ken-value-never-logged";
    private static readonly Uri Server = new("https://127.0.0.1:6443");
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose()
    {
        _dir.Dispose();
        _pki.Dispose();
    }

    [Fact]
    public void Load_CurrentContext_UsedWhenNoneNamed()
    {
        var path = _dir.File("config", new KubeconfigYaml()
            .Cluster("c1", Server, _pki.CaPem).Cluster("c2", new Uri("https://10.9.9.9:443"), _pki.CaPem)
            .User("u1", $"token: {SecretToken}")
            .Context("one", "c1", "u1").Context("two", "c2", "u1", current: true).ToString());

        var options = KubeConfigLoader.Load([path]);
        Assert.Equal("https://10.9.9.9/", options.Server.ToString());
        Assert.Contains("context \"two\"", options.Description, StringComparison.Ordinal);
        Assert.Equal(new SecretValue(SecretToken), Assert.IsType<KubernetesAuth.BearerToken>(options.Auth).Token);
        Assert.Equal("https://127.0.0.1:6443/", KubeConfigLoader.Load([path], "one").Server.ToString());
    }

    [Fact]
    public void Load_SeveralFiles_FirstDefinitionWins()
    {
        var first = _dir.File("a", new KubeconfigYaml().Cluster("shared", Server, _pki.CaPem).Context("ctx", "shared", null, current: true).ToString());
        var second = _dir.File("b", new KubeconfigYaml()
            .Cluster("shared", new Uri("https://192.0.2.1"), _pki.CaPem).Cluster("only-b", new Uri("https://192.0.2.2"), _pki.CaPem)
            .Context("ctx", "only-b", null).Context("b", "only-b", null, current: true).ToString());

        var merged = KubeConfigLoader.Load($"{first}{Path.PathSeparator}{second}");
        Assert.Equal(Server, merged.Server);
        Assert.Equal(new Uri("https://192.0.2.2"), KubeConfigLoader.Load([first, second], "b").Server);
    }

    [Fact]
    public void Load_UnknownContext_NamesContextAndChoices()
    {
        var path = _dir.File("config", new KubeconfigYaml().Cluster("c", Server, _pki.CaPem).Context("prod", "c", null).ToString());
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load([path], "staging"));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("\"staging\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("prod", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_NamesFile()
    {
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load([Path.Combine(_dir.Path, "nope")]));
        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MalformedYaml_NamesFileAndLineButNotContent()
    {
        var path = _dir.File("config", $"users:\n- name: u\n  user:\n    token: {SecretToken}\n  - : : [\n");
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load([path]));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("line", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretToken, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://x", "server")]
    [InlineData("", "server")]
    public void Load_BadServer_NamesField(string server, string field)
    {
        var path = _dir.File("config", $"clusters:\n- name: c\n  cluster:\n    server: \"{server}\"\ncontexts:\n- name: x\n  context: {{cluster: c}}\ncurrent-context: x\n");
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load([path]));
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.Contains("cluster \"c\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CertificateNotMatchingKey_NamesUserAndFields()
    {
        var one = _pki.IssueClientCertificate("one");
        var two = _pki.IssueClientCertificate("two");
        var path = _dir.File("config", new KubeconfigYaml().Cluster("c", Server, _pki.CaPem)
            .User("u", $"client-certificate-data: {KubeconfigYaml.Base64(one.CertificatePem)}", $"client-key-data: {KubeconfigYaml.Base64(two.KeyPem)}")
            .Context("x", "c", "u", current: true).ToString());
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load([path]));
        Assert.Contains("user \"u\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not match", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestKeyFormat.RsaPkcs1)]
    [InlineData(TestKeyFormat.RsaPkcs8)]
    [InlineData(TestKeyFormat.EcSec1)]
    [InlineData(TestKeyFormat.EcPkcs8)]
    public void Load_ClientCertificateFiles_EveryKeyFormat(TestKeyFormat format)
    {
        var client = _pki.IssueClientCertificate("user", format);
        _dir.File("client.crt", client.CertificatePem);
        _dir.File("client.key", client.KeyPem);
        _dir.File("ca.crt", _pki.CaPem);
        // Relative paths are relative to the kubeconfig's folder.
        var path = _dir.File("config", new KubeconfigYaml().Cluster("c", Server, caFile: "ca.crt")
            .User("u", "client-certificate: client.crt", "client-key: client.key").Context("x", "c", "u", current: true).ToString());
        var options = KubeConfigLoader.Load([path]);
        Assert.True(options.ClientCertificate!.HasPrivateKey);
        Assert.Equal(_pki.CaCertificate.Thumbprint, options.CertificateAuthorities!.Single().Thumbprint);
    }

    [Fact]
    public void Load_BadBase64_NamesField()
    {
        var path = _dir.File("config", "clusters:\n- name: c\n  cluster:\n    server: https://x\n    certificate-authority-data: '%%%'\ncontexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n");
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load([path]));
        Assert.Contains("certificate-authority-data", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CertificateAuthorityFileMissing_NamesField()
    {
        var path = _dir.File("config", new KubeconfigYaml().Cluster("c", Server, caFile: "missing-ca.crt").Context("x", "c", null, current: true).ToString());
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load([path]));
        Assert.Contains("certificate-authority", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing-ca.crt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AuthProvider_SaysUseExec()
    {
        var path = _dir.File("config", new KubeconfigYaml().Cluster("c", Server, _pki.CaPem)
            .User("gke", "auth-provider:", "  name: gcp", "  config: {access-token: " + SecretToken + "}").Context("x", "c", "gke", current: true).ToString());
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load([path]));
        Assert.Contains("auth-provider \"gcp\" is not supported", error.Message, StringComparison.Ordinal);
        Assert.Contains("exec", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretToken, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExecAndBasicAndTokenFile_AllRead()
    {
        var tokenFile = _dir.File("token", SecretToken);
        var path = _dir.File("config", new KubeconfigYaml().Cluster("c", Server, _pki.CaPem, tlsServerName: "kubernetes", insecure: false)
            .User("exec", "exec:", "  apiVersion: client.authentication.k8s.io/v1beta1", "  command: ./bin/get-token", "  args: [a, b]",
                "  env: [{name: REGION, value: eu-west-1}]", "  installHint: install get-token")
            .User("basic", "username: admin", $"password: {SecretToken}")
            .User("file", "tokenFile: token")
            .Context("exec", "c", "exec").Context("basic", "c", "basic").Context("file", "c", "file").ToString());

        var exec = Assert.IsType<KubernetesAuth.Exec>(KubeConfigLoader.Load([path], "exec").Auth).Options;
        Assert.Equal(Path.Combine(_dir.Path, "bin", "get-token"), exec.Command);
        Assert.Equal(["a", "b"], exec.Args.ToArray());
        Assert.Equal("eu-west-1", exec.Env.Single().Value);
        Assert.Equal(ExecCredentialOptions.ApiVersionV1Beta1, exec.ApiVersion);
        Assert.Equal("kubernetes", KubeConfigLoader.Load([path], "exec").TlsServerName);

        var basic = Assert.IsType<KubernetesAuth.Basic>(KubeConfigLoader.Load([path], "basic").Auth);
        Assert.Equal("admin", basic.Username);
        Assert.Equal(tokenFile, Assert.IsType<KubernetesAuth.TokenFile>(KubeConfigLoader.Load([path], "file").Auth).Path);
    }

    [Fact]
    public void Options_PrintedForm_NeverShowsSecrets()
    {
        var path = _dir.File("config", new KubeconfigYaml().Cluster("c", Server, _pki.CaPem)
            .User("basic", "username: admin", $"password: {SecretToken}").User("tok", $"token: {SecretToken}")
            .Context("basic", "c", "basic").Context("tok", "c", "tok").ToString());
        foreach (var context in new[] { "basic", "tok" })
        {
            var printed = KubeConfigLoader.Load([path], context).ToString();
            Assert.DoesNotContain(SecretToken, printed, StringComparison.Ordinal);
            Assert.Contains("***", printed, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Load_UnsupportedExecApiVersion_NamesField()
    {
        var path = _dir.File("config", new KubeconfigYaml().Cluster("c", Server, _pki.CaPem)
            .User("u", "exec:", "  apiVersion: client.authentication.k8s.io/v1alpha1", "  command: x").Context("x", "c", "u", current: true).ToString());
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigLoader.Load([path]));
        Assert.Contains("exec.apiVersion", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InCluster_EnvironmentAndMountedFiles_Read()
    {
        _dir.File("token", SecretToken);
        _dir.File("ca.crt", _pki.CaPem);
        _dir.File("namespace", "kube-system\n");
        var env = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "fd00::1", ["KUBERNETES_SERVICE_PORT"] = "443" };
        var options = InClusterConfig.Load(_dir.Path, name => env.GetValueOrDefault(name));
        Assert.Equal("https://[fd00::1]/", options.Server.ToString());
        Assert.Equal("kube-system", options.Namespace);
        Assert.IsType<KubernetesAuth.TokenFile>(options.Auth);
        Assert.True(InClusterConfig.IsAvailable(_dir.Path, name => env.GetValueOrDefault(name)));

        var error = Assert.Throws<KubeConfigException>(() => InClusterConfig.Load(_dir.Path, _ => null));
        Assert.Contains("KUBERNETES_SERVICE_HOST", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEndpoint_TlsFiles_Read()
    {
        var client = _pki.IssueClientCertificate("coredns", TestKeyFormat.RsaPkcs1);
        var options = KubernetesConnectionOptions.FromEndpoint(
            "https://127.0.0.1:6443", _dir.File("c.crt", client.CertificatePem), _dir.File("c.key", client.KeyPem), _dir.File("ca.crt", _pki.CaPem));
        Assert.NotNull(options.ClientCertificate);
        Assert.Single(options.CertificateAuthorities!);
        Assert.Throws<KubeConfigException>(() => KubernetesConnectionOptions.FromEndpoint("127.0.0.1:6443"));
        Assert.Throws<KubeConfigException>(() => KubernetesConnectionOptions.FromEndpoint("https://x", certFile: "only-cert"));
    }
}
