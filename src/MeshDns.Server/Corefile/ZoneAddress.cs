namespace MeshDns.Server.Corefile;

/// <summary>
/// A server key resolved the way CoreDNS does: transport (<c>dns</c>, <c>tls</c>, <c>https</c>, <c>grpc</c>,
/// <c>quic</c>), a lower-case fully qualified zone, and a port.
/// </summary>
/// <param name="Transport">Scheme of the key; <c>dns</c> when the key has none.</param>
/// <param name="Zone">Lower-case FQDN, e.g. <c>example.org.</c>, <c>.</c> or <c>0.0.10.in-addr.arpa.</c>.</param>
/// <param name="Port">Port from the key, or the transport's default.</param>
/// <param name="Original">The key text this address came from.</param>
public sealed record ZoneAddress(string Transport, string Zone, int Port, string Original)
{
    /// <summary>Same shape as CoreDNS prints it, e.g. <c>dns://example.org.:53</c>.</summary>
    public override string ToString() => $"{Transport}://{Zone}:{Port}";
}
