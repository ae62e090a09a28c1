namespace MeshDns.Protocol.Tests.Golden;

/// <summary>
/// A message in wire form next to the object model it means.
/// </summary>
/// <param name="Name">Test-case name.</param>
/// <param name="Source">Who produced the bytes: a real tool (captured on loopback) or this codec's writer (checked by hand).</param>
/// <param name="Wire">The bytes, laid out one field per line in <see cref="GoldenVectors"/>.</param>
/// <param name="Model">Builds the message the bytes encode; a new instance per call.</param>
/// <param name="RawCapture">For captured packets, the capture as one hex line, exactly as the tool sent it.</param>
internal sealed record GoldenVector(string Name, string Source, byte[] Wire, Func<DnsMessage> Model, string? RawCapture = null)
{
    public override string ToString() => Name;
}
