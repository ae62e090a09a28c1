using Microsoft.Extensions.Logging;

namespace MeshDns.Kubernetes;

/// <summary>Every log line of MeshDns.Kubernetes, with stable event ids (3000-3099). No secret is ever a parameter.</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Warning, "Cluster {Cluster}: insecure-skip-tls-verify is set ({Description}); the API server's certificate is not checked")]
    public static partial void InsecureSkipTlsVerify(ILogger logger, string cluster, string description);

    [LoggerMessage(3001, LogLevel.Information, "Cluster {Cluster}: {Resource} synced ({Count} objects, resourceVersion {ResourceVersion})")]
    public static partial void Synced(ILogger logger, string cluster, string resource, int count, string resourceVersion);

    [LoggerMessage(3002, LogLevel.Warning, "Cluster {Cluster}: {Verb} {Resource} failed, retrying in {Delay}: {Error}")]
    public static partial void RequestFailed(ILogger logger, string cluster, string verb, string resource, TimeSpan delay, string error);

    [LoggerMessage(3003, LogLevel.Error, "Cluster {Cluster}: forbidden: RBAC must allow verb \"{Verb}\" on resource \"{Resource}\" in API group \"{Group}\" {Scope} ({Message})")]
    public static partial void Forbidden(ILogger logger, string cluster, string verb, string resource, string group, string scope, string message);

    [LoggerMessage(3004, LogLevel.Information, "Cluster {Cluster}: watch of {Resource} expired at resourceVersion {ResourceVersion}; listing again")]
    public static partial void WatchExpired(ILogger logger, string cluster, string resource, string resourceVersion);

    [LoggerMessage(3005, LogLevel.Debug, "Cluster {Cluster}: watch of {Resource} ended ({Reason}); watching again from resourceVersion {ResourceVersion}")]
    public static partial void WatchEnded(ILogger logger, string cluster, string resource, string reason, string resourceVersion);

    [LoggerMessage(3006, LogLevel.Warning, "Cluster {Cluster}: watch of {Resource} sent no event or bookmark for {Bound}; treating it as dead and reconnecting")]
    public static partial void WatchDead(ILogger logger, string cluster, string resource, TimeSpan bound);

    [LoggerMessage(3007, LogLevel.Warning, "Cluster {Cluster}: watch of {Resource} sent a line that is not a watch event ({Error}); watching again from resourceVersion {ResourceVersion}")]
    public static partial void WatchGarbage(ILogger logger, string cluster, string resource, string error, string resourceVersion);

    [LoggerMessage(3008, LogLevel.Information, "Cluster {Cluster}: {Resource} is not served by this API server (404); treating it as absent")]
    public static partial void ResourceAbsent(ILogger logger, string cluster, string resource);

    [LoggerMessage(3009, LogLevel.Information, "Cluster {Cluster}: credentials rejected (401); refreshing them")]
    public static partial void Unauthorized(ILogger logger, string cluster);

    [LoggerMessage(3010, LogLevel.Warning, "Cluster {Cluster}: watch of {Resource} returned error {Code} {Reason}: {Message}")]
    public static partial void WatchErrorEvent(ILogger logger, string cluster, string resource, int code, string reason, string message);

    [LoggerMessage(3011, LogLevel.Error, "Cluster {Cluster}: a change subscriber threw")]
    public static partial void SubscriberFailed(ILogger logger, Exception exception, string cluster);

    [LoggerMessage(3012, LogLevel.Information, "Manifests {Directory}: loaded {Files} files ({Objects} objects)")]
    public static partial void ManifestsLoaded(ILogger logger, string directory, int files, int objects);

    [LoggerMessage(3013, LogLevel.Warning, "Manifests {Directory}: {File}: {Reason}; keeping the last good snapshot")]
    public static partial void ManifestBroken(ILogger logger, string directory, string file, string reason);

    [LoggerMessage(3014, LogLevel.Information, "Manifests {Directory}: {File}: ignoring {Kind} {Name}")]
    public static partial void ManifestKindIgnored(ILogger logger, string directory, string file, string kind, string name);

    [LoggerMessage(3015, LogLevel.Debug, "Exec credential plugin {Command} ran; credential valid until {Expiry}")]
    public static partial void ExecCredentialRefreshed(ILogger logger, string command, string expiry);

    [LoggerMessage(3016, LogLevel.Information, "Cluster {Cluster}: {Resource} quiet for {Count} watches in a row; listing again in case resourceVersions moved")]
    public static partial void QuietRelist(ILogger logger, string cluster, string resource, int count);
}
