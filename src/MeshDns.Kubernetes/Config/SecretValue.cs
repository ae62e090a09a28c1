namespace MeshDns.Kubernetes;

/// <summary>
/// A token, password or key. <see cref="ToString"/> never shows the value, so a secret that ends up in a log line,
/// an exception message or a record's printed form reads <c>***</c>.
/// </summary>
public sealed class SecretValue : IEquatable<SecretValue>
{
    private readonly string _value;

    public SecretValue(string value) => _value = value ?? throw new ArgumentNullException(nameof(value));

    /// <summary>The secret itself; call only where it is sent (an HTTP header, a TLS handshake).</summary>
    public string Reveal() => _value;

    public bool IsEmpty => _value.Length == 0;

    public override string ToString() => "***";

    public bool Equals(SecretValue? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as SecretValue);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);
}
