using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MeshDns.Testing.FakeKubernetes;

/// <summary>How a <see cref="FakeKubernetesServer"/> behaves.</summary>
public sealed record FakeKubernetesServerOptions
{
    public string ClusterName { get; init; } = "fake";

    /// <summary>HTTPS with a certificate from <see cref="Pki"/> (default), or plain HTTP.</summary>
    public bool UseHttps { get; init; } = true;

    /// <summary>The CA that signs the server certificate and accepted client certificates; a new one when null.</summary>
    public TestPki? Pki { get; init; }

    /// <summary>Names the server certificate is valid for (default localhost and 127.0.0.1).</summary>
    public IReadOnlyList<string> ServerCertificateNames { get; init; } = ["localhost", "127.0.0.1"];

    /// <summary>The resourceVersion the store starts at (like etcd's revision after bootstrap).</summary>
    public long InitialResourceVersion { get; init; } = 200;

    /// <summary>Events kept per kind for watches that resume; older resourceVersions get 410 Expired.</summary>
    public int HistoryLimit { get; init; } = 50_000;

    /// <summary>Caps a watch's timeoutSeconds (tests want short watches).</summary>
    public TimeSpan? MaxWatchDuration { get; init; }

    /// <summary>When set, a bookmark every interval (if the kind had events); otherwise one shortly before the watch ends, like kube-apiserver.</summary>
    public TimeSpan? BookmarkInterval { get; init; }

    /// <summary>Requests without a known client certificate, token or basic user get 401.</summary>
    public bool RequireAuthentication { get; init; } = true;

    /// <summary>Serve multicluster.x-k8s.io ServiceExports (as if the CRD were installed).</summary>
    public bool ServiceExportsInstalled { get; init; } = true;

    /// <summary>Serve flomesh.io GlobalTrafficPolicies (as if FSM's CRD were installed); a 404 when false.</summary>
    public bool GlobalTrafficPoliciesInstalled { get; init; } = true;

    /// <summary>How long a LIST with a resourceVersion from the future waits before its 504 (seconds on a real server).</summary>
    public TimeSpan TooLargeResourceVersionDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public HttpProtocols Protocols { get; init; } = HttpProtocols.Http1AndHttp2;
}

/// <summary>One request the fake served (for assertions).</summary>
public sealed record FakeRequest(string Verb, string Resource, string Path, string Query, int StatusCode, string? User);

/// <summary>Ways a response body can be broken.</summary>
public enum FakeBrokenBody
{
    /// <summary>502 with an HTML page, as a proxy or load balancer sends.</summary>
    Html,

    /// <summary>200, Content-Type application/json, the body cut off in the middle.</summary>
    TruncatedJson,

    /// <summary>200, Content-Type application/json, a body that is not JSON.</summary>
    NotJson,
}
