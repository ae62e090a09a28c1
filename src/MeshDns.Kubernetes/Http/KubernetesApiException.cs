namespace MeshDns.Kubernetes;

/// <summary>
/// The API server answered with an error status (or, for watches, an ERROR event). The message carries the verb,
/// resource, code and the server's own Status message; never a credential.
/// </summary>
public sealed class KubernetesApiException : Exception
{
    public KubernetesApiException()
    {
    }

    public KubernetesApiException(string message)
        : base(message)
    {
    }

    public KubernetesApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal KubernetesApiException(string verb, string resource, int statusCode, string? reason, string? serverMessage, TimeSpan? retryAfter)
        : base($"{verb} {resource}: HTTP {statusCode}{(reason is null ? string.Empty : " " + reason)}{(string.IsNullOrEmpty(serverMessage) ? string.Empty : ": " + serverMessage)}")
    {
        Verb = verb;
        Resource = resource;
        StatusCode = statusCode;
        Reason = reason;
        ServerMessage = serverMessage;
        RetryAfter = retryAfter;
    }

    public string Verb { get; } = string.Empty;

    public string Resource { get; } = string.Empty;

    public int StatusCode { get; }

    /// <summary>Status.reason (Expired, Forbidden, NotFound, TooManyRequests, Timeout, ...).</summary>
    public string? Reason { get; }

    public string? ServerMessage { get; }

    /// <summary>From the Retry-After header or Status.details.retryAfterSeconds.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>410 Gone / reason Expired: the resourceVersion or continue token is too old; list again.</summary>
    public bool IsExpired => StatusCode == 410 || Reason is "Expired" or "Gone";
}

/// <summary>The API server's answer could not be understood (HTML from a proxy, truncated or malformed JSON).</summary>
public sealed class KubernetesProtocolException : Exception
{
    public KubernetesProtocolException()
    {
    }

    public KubernetesProtocolException(string message)
        : base(message)
    {
    }

    public KubernetesProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
