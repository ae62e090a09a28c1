namespace MeshDns.Plugins.Forward;

/// <summary>Why an exchange with an upstream failed.</summary>
public enum UpstreamFailure
{
    /// <summary>No reply within the read timeout.</summary>
    Timeout,
    /// <summary>The upstream refused the connection or the port is closed (ICMP port unreachable).</summary>
    Refused,
    /// <summary>Any other socket or stream error, a connection closed in the middle of a message included.</summary>
    Network,
    /// <summary>The TLS handshake failed: most often a certificate that does not verify.</summary>
    Tls,
    /// <summary>A reply with our ID and question that does not parse.</summary>
    Malformed,
    /// <summary>On a stream, a reply that is not for our question.</summary>
    Mismatch,
    /// <summary>A pooled connection the upstream had closed; retried on a new one.</summary>
    CachedClosed,
    /// <summary>A host-name upstream with no address (never resolved).</summary>
    NoAddress,
}

/// <summary>An exchange with an upstream failed; the message reads like CoreDNS's network errors.</summary>
public sealed class UpstreamException : Exception
{
    public UpstreamException()
    {
    }

    public UpstreamException(string message)
        : base(message)
    {
    }

    public UpstreamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UpstreamException(UpstreamFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public UpstreamFailure Failure { get; }
}
