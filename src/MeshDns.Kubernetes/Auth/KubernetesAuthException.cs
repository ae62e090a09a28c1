namespace MeshDns.Kubernetes;

/// <summary>Thrown when credentials cannot be obtained; the message names the source, never the secret.</summary>
public sealed class KubernetesAuthException : Exception
{
    public KubernetesAuthException()
    {
    }

    public KubernetesAuthException(string message)
        : base(message)
    {
    }

    public KubernetesAuthException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
