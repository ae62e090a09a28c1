using System.Globalization;
using MeshDns.Kubernetes.Auth;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Kubernetes.Tests;

/// <summary>Every way of authenticating, against the fake API server over real HTTPS.</summary>
public sealed class AuthTests : IAsyncLifetime, IDisposable
{
    private const string Token = "tok-3f9a1c77d2-secret";
    private readonly TempDirectory _dir = new();
    private FakeKubernetesServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesServer.StartAsync(new() { ClusterName = "auth" });
        _server.Upsert(FakeObjects.Namespace("dns-test"));
        _server.Upsert(FakeObjects.Service("dns-test", "web", "10.96.10.10", [new FakePort("http", 80)]));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    internal static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private KubeconfigYaml Config(string userName, params string[] userLines) =>
        new KubeconfigYaml().Cluster("fake", _server.BaseAddress, _server.Pki.CaPem).User(userName, userLines).Context("ctx", "fake", userName, current: true);

    private async Task AssertSyncsAsync(KubernetesConnectionOptions connection, CapturingLoggerFactory? logs = null)
    {
        await using var source = Fast.Source(_server, connection: connection, logs: logs);
        Assert.StartsWith("v1.24", await source.ProbeAsync(CancellationToken.None), StringComparison.Ordinal);
        await source.StartAsync(CancellationToken.None);
        Assert.True(await source.WaitForSyncAsync(Fast.SyncTimeout, CancellationToken.None), source.Status.ToString());
        Assert.NotNull(source.Snapshot.GetService("dns-test", "web"));
    }

    [Theory]
    [InlineData(TestKeyFormat.RsaPkcs1)]
    [InlineData(TestKeyFormat.RsaPkcs8)]
    [InlineData(TestKeyFormat.EcSec1)]
    [InlineData(TestKeyFormat.EcPkcs8)]
    public async Task ClientCertificate_EveryKeyFormat_Syncs(TestKeyFormat format)
    {
        var client = _server.Pki.IssueClientCertificate("dns-reader", format, "dns-readers");
        var path = _dir.File("config", Config("cert",
            $"client-certificate-data: {KubeconfigYaml.Base64(client.CertificatePem)}",
            $"client-key-data: {KubeconfigYaml.Base64(client.KeyPem)}").ToString());
        await AssertSyncsAsync(KubeConfigLoader.Load([path]));
        Assert.Contains(_server.Requests, r => r.User == "dns-reader" && r.Verb == "list");
    }

    [Fact]
    public async Task BearerToken_Valid_SyncsAndWrongTokenIsNeverShown()
    {
        _server.AddToken(Token, "token-user");
        await AssertSyncsAsync(KubeConfigLoader.Load([_dir.File("config", Config("t", $"token: {Token}").ToString())]));

        var wrong = "wrong-" + Token;
        var logs = new CapturingLoggerFactory();
        await using var source = Fast.Source(_server, connection: KubeConfigLoader.Load([_dir.File("bad", Config("t", $"token: {wrong}").ToString())]), logs: logs);
        var error = await Assert.ThrowsAsync<KubernetesApiException>(() => source.ProbeAsync(CancellationToken.None));
        Assert.Equal(401, error.StatusCode);
        await source.StartAsync(CancellationToken.None);
        await Fast.Eventually(() => source.Status.State == SyncState.Retrying, "retrying after 401");
        Assert.Contains("401", source.Status.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Token, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, source.Status.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BasicAuth_Valid_Syncs()
    {
        _server.AddBasicUser("admin", "pa55:word");
        await AssertSyncsAsync(KubeConfigLoader.Load([_dir.File("config", Config("b", "username: admin", "password: 'pa55:word'").ToString())]));
    }

    [Fact]
    public async Task TokenFile_Rotated_NewTokenUsedAfter401()
    {
        _server.AddToken("first-token", "sa");
        var tokenPath = _dir.File("token", "first-token\n");
        var connection = KubeConfigLoader.Load([_dir.File("config", Config("f", "tokenFile: token").ToString())]);
        await using var source = await Fast.StartSyncedAsync(_server, connection: connection);

        // The kubelet rotates the projected token; the server stops accepting the old one.
        File.WriteAllText(tokenPath, "second-token\n");
        _server.AddToken("second-token", "sa");
        _server.RemoveToken("first-token");
        _server.DropWatches();
        _server.Upsert(FakeObjects.Service("dns-test", "after-rotation", "10.96.10.11", [new FakePort("http", 80)]));

        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "after-rotation") is not null, "service created after rotation");
        Assert.Contains(_server.Requests, r => r.User == "sa" && r.Verb == "watch" && r.StatusCode == 200);
    }

    [Fact]
    public async Task InCluster_ServiceAccountFiles_Syncs()
    {
        _server.AddToken("sa-token", "system:serviceaccount:kube-system:coredns");
        _dir.File("token", "sa-token");
        _dir.File("ca.crt", _server.Pki.CaPem);
        var env = new Dictionary<string, string>
        {
            ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1",
            ["KUBERNETES_SERVICE_PORT"] = _server.BaseAddress.Port.ToString(CultureInfo.InvariantCulture),
        };
        await AssertSyncsAsync(InClusterConfig.Load(_dir.Path, name => env.GetValueOrDefault(name)));
    }

    [Fact]
    public async Task EndpointAndTls_CoreDnsForm_Syncs()
    {
        var client = _server.Pki.IssueClientCertificate("coredns", TestKeyFormat.RsaPkcs1);
        await AssertSyncsAsync(KubernetesConnectionOptions.FromEndpoint(
            _server.BaseAddress.ToString(), _dir.File("c.crt", client.CertificatePem), _dir.File("c.key", client.KeyPem), _dir.File("ca.crt", _server.Pki.CaPem)));
    }

    [Fact]
    public async Task PlainHttp_WithToken_Syncs()
    {
        await using var http = await FakeKubernetesServer.StartAsync(new() { UseHttps = false, ClusterName = "plain" });
        http.AddToken(Token, "u");
        http.Upsert(FakeObjects.Service("dns-test", "web", "10.96.10.10", [new FakePort("http", 80)]));
        var path = _dir.File("config", new KubeconfigYaml().Cluster("c", http.BaseAddress).User("u", $"token: {Token}").Context("x", "c", "u", current: true).ToString());
        await using var source = await Fast.StartSyncedAsync(http, connection: KubeConfigLoader.Load([path]));
        Assert.NotNull(source.Snapshot.GetService("dns-test", "web"));
    }

    [Fact]
    public async Task WrongCertificateAuthority_ClearTlsErrorNamingKubeconfig()
    {
        using var otherPki = TestPki.Create("other-ca");
        _server.AddToken(Token, "u");
        var path = _dir.File("config", new KubeconfigYaml().Cluster("fake", _server.BaseAddress, otherPki.CaPem)
            .User("u", $"token: {Token}").Context("ctx", "fake", "u", current: true).ToString());
        await using var source = Fast.Source(_server, connection: KubeConfigLoader.Load([path]));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => source.ProbeAsync(CancellationToken.None));
        Assert.Contains("does not verify against the certificate-authority", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("context \"ctx\"", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InsecureSkipTlsVerify_WrongCa_WorksAndWarns()
    {
        using var otherPki = TestPki.Create("other-ca");
        _server.AddToken(Token, "u");
        var path = _dir.File("config", new KubeconfigYaml().Cluster("fake", _server.BaseAddress, insecure: true)
            .User("u", $"token: {Token}").Context("ctx", "fake", "u", current: true).ToString());
        var logs = new CapturingLoggerFactory();
        await AssertSyncsAsync(KubeConfigLoader.Load([path]), logs);
        Assert.Contains(logs.Lines, l => l.EventId == 3000 && l.Text.Contains("insecure-skip-tls-verify", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TlsServerName_CertificateForOtherName_ChecksThatName()
    {
        await using var named = await FakeKubernetesServer.StartAsync(new() { ServerCertificateNames = ["kubernetes.internal"], ClusterName = "named" });
        named.AddToken(Token, "u");
        var without = _dir.File("without", new KubeconfigYaml().Cluster("c", named.BaseAddress, named.Pki.CaPem)
            .User("u", $"token: {Token}").Context("x", "c", "u", current: true).ToString());
        await using (var failing = Fast.Source(named, connection: KubeConfigLoader.Load([without])))
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => failing.ProbeAsync(CancellationToken.None));
            Assert.Contains("not valid for \"127.0.0.1\"", error.Message, StringComparison.Ordinal);
        }

        var with = _dir.File("with", new KubeconfigYaml().Cluster("c", named.BaseAddress, named.Pki.CaPem, tlsServerName: "kubernetes.internal")
            .User("u", $"token: {Token}").Context("x", "c", "u", current: true).ToString());
        await using var working = Fast.Source(named, connection: KubeConfigLoader.Load([with]));
        Assert.StartsWith("v1.24", await working.ProbeAsync(CancellationToken.None), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ExecCredentialOptions.ApiVersionV1)]
    [InlineData(ExecCredentialOptions.ApiVersionV1Beta1)]
    public async Task Exec_PluginPrintsCredential_SyncsAndCachesUntilExpiry(string apiVersion)
    {
        var plugin = ExecPlugin("exec-token-1", DateTimeOffset.UtcNow.AddHours(1));
        _server.AddToken("exec-token-1", "exec-user");
        var path = _dir.File("config", Config("e", "exec:", $"  apiVersion: {apiVersion}", $"  command: {plugin.Script}", $"  args: [\"{apiVersion}\"]",
            $"  env: [{{name: COUNT_FILE, value: {plugin.CountFile}}}, {{name: TOKEN_FILE, value: {plugin.TokenFile}}}, {{name: EXPIRY, value: \"{plugin.Expiry}\"}}]").ToString());
        await AssertSyncsAsync(KubeConfigLoader.Load([path]));
        // Cached: one run for the probe, the lists and the watches.
        Assert.Equal(1, plugin.Runs);
    }

    [Fact]
    public async Task Exec_ProvideClusterInfo_PluginSeesServerAndCa()
    {
        var script = _dir.File("cluster-info.sh", """
            #!/bin/sh
            # Answers only if KUBERNETES_EXEC_INFO carries spec.cluster for this server.
            case "$KUBERNETES_EXEC_INFO" in
              *"\"server\":\"$EXPECTED_SERVER\""*"certificate-authority-data"*) ;;
              *) echo "no cluster info: $KUBERNETES_EXEC_INFO" >&2; exit 4 ;;
            esac
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"cluster-info-token"}}\n'
            """.Replace("\r", string.Empty, StringComparison.Ordinal) + "\n");
        MakeExecutable(script);
        _server.AddToken("cluster-info-token", "exec-user");
        var path = _dir.File("config", Config("e", "exec:", $"  apiVersion: {ExecCredentialOptions.ApiVersionV1}", $"  command: {script}",
            "  provideClusterInfo: true", $"  env: [{{name: EXPECTED_SERVER, value: \"{_server.BaseAddress.ToString().TrimEnd('/')}\"}}]").ToString());
        var connection = KubeConfigLoader.Load([path]);
        Assert.True(Assert.IsType<KubernetesAuth.Exec>(connection.Auth).Options.ProvideClusterInfo);
        await AssertSyncsAsync(connection);
    }

    [Fact]
    public async Task Exec_TokenRejected_PluginRunsAgain()
    {
        var plugin = ExecPlugin("old-exec-token", DateTimeOffset.UtcNow.AddHours(1));
        _server.AddToken("old-exec-token", "exec-user");
        var path = _dir.File("config", Config("e", "exec:", $"  apiVersion: {ExecCredentialOptions.ApiVersionV1}", $"  command: {plugin.Script}",
            $"  args: [\"{ExecCredentialOptions.ApiVersionV1}\"]",
            $"  env: [{{name: COUNT_FILE, value: {plugin.CountFile}}}, {{name: TOKEN_FILE, value: {plugin.TokenFile}}}, {{name: EXPIRY, value: \"{plugin.Expiry}\"}}]").ToString());
        await using var source = await Fast.StartSyncedAsync(_server, connection: KubeConfigLoader.Load([path]));
        Assert.Equal(1, plugin.Runs);

        File.WriteAllText(plugin.TokenFile, "new-exec-token");
        _server.AddToken("new-exec-token", "exec-user");
        _server.RemoveToken("old-exec-token");
        _server.DropWatches();
        _server.Upsert(FakeObjects.Service("dns-test", "after-401", "10.96.10.12", [new FakePort("http", 80)]));
        await Fast.Eventually(() => source.Snapshot.GetService("dns-test", "after-401") is not null, "service after exec refresh");
        Assert.True(plugin.Runs >= 2);
    }

    [Fact]
    public async Task Exec_Expired_RunsEachTime()
    {
        var plugin = ExecPlugin("short-lived", DateTimeOffset.UtcNow.AddMinutes(-1));
        _server.AddToken("short-lived", "exec-user");
        var options = new ExecCredentialOptions
        {
            Command = plugin.Script,
            Args = [ExecCredentialOptions.ApiVersionV1],
            Env = [new("COUNT_FILE", plugin.CountFile), new("TOKEN_FILE", plugin.TokenFile), new("EXPIRY", plugin.Expiry)],
        };
        var connection = Fast.ClientCertificate(_server) with { ClientCertificate = null, Auth = new KubernetesAuth.Exec(options) };
        await using var source = Fast.Source(_server, connection: connection);
        await source.ProbeAsync(CancellationToken.None);
        await source.ProbeAsync(CancellationToken.None);
        Assert.Equal(2, plugin.Runs);
    }

    [Fact]
    public async Task Exec_MissingCommand_ErrorCarriesInstallHint()
    {
        var options = new ExecCredentialOptions
        {
            Command = Path.Combine(_dir.Path, "gke-gcloud-auth-plugin"),
            InstallHint = "Install gke-gcloud-auth-plugin for use with kubectl by following https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl",
        };
        var connection = Fast.ClientCertificate(_server) with { ClientCertificate = null, Auth = new KubernetesAuth.Exec(options) };
        await using var source = Fast.Source(_server, connection: connection);
        var error = await Assert.ThrowsAsync<KubernetesAuthException>(() => source.ProbeAsync(CancellationToken.None));
        Assert.Contains("Install gke-gcloud-auth-plugin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_PluginFails_ErrorHasStderrNotStdout()
    {
        var script = _dir.File("failing.sh", "#!/bin/sh\necho 'secret-on-stdout'\necho 'could not refresh SSO session' >&2\nexit 7\n");
        MakeExecutable(script);
        var connection = Fast.ClientCertificate(_server) with { ClientCertificate = null, Auth = new KubernetesAuth.Exec(new ExecCredentialOptions { Command = script }) };
        await using var source = Fast.Source(_server, connection: connection);
        var error = await Assert.ThrowsAsync<KubernetesAuthException>(() => source.ProbeAsync(CancellationToken.None));
        Assert.Contains("exited with code 7", error.Message, StringComparison.Ordinal);
        Assert.Contains("could not refresh SSO session", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-on-stdout", error.Message, StringComparison.Ordinal);
    }

    private Plugin ExecPlugin(string token, DateTimeOffset expiry)
    {
        var script = _dir.File($"plugin-{Guid.NewGuid():N}.sh", """
            #!/bin/sh
            # A stand-in for `aws eks get-token` / `gke-gcloud-auth-plugin`: prints an ExecCredential.
            echo run >> "$COUNT_FILE"
            [ -n "$KUBERNETES_EXEC_INFO" ] || { echo "KUBERNETES_EXEC_INFO not set" >&2; exit 3; }
            printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\n' "$1" "$(cat "$TOKEN_FILE")" "$EXPIRY"
            """.Replace("\r", string.Empty, StringComparison.Ordinal) + "\n");
        MakeExecutable(script);
        var tokenFile = _dir.File($"exec-token-{Guid.NewGuid():N}", token);
        var countFile = Path.Combine(_dir.Path, $"count-{Guid.NewGuid():N}");
        return new Plugin(script, tokenFile, countFile, expiry.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
    }

    private sealed record Plugin(string Script, string TokenFile, string CountFile, string Expiry)
    {
        public int Runs => File.Exists(CountFile) ? File.ReadAllLines(CountFile).Length : 0;
    }
}
