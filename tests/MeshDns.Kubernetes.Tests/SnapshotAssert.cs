namespace MeshDns.Kubernetes.Tests;

/// <summary>Checks that a snapshot's indexes say exactly what its object maps say (no ghost, nothing missing).</summary>
internal static class SnapshotAssert
{
    public static void IndexesConsistent(ClusterSnapshot snapshot)
    {
        var expectedByIP = snapshot.Services.Values
            .SelectMany(s => s.ClusterIPs.Select(ip => $"{ip}->{s.Key}@{s.ResourceVersion}"))
            .Order(StringComparer.Ordinal).ToList();
        var actualByIP = snapshot.ServicesByClusterIP
            .SelectMany(p => p.Value.Select(s => $"{p.Key}->{s.Key}@{s.ResourceVersion}"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedByIP, actualByIP);

        var expectedSlices = snapshot.EndpointSlices.Values.Where(s => s.ServiceKey is not null)
            .Select(s => $"{s.ServiceKey}->{s.Key}@{s.ResourceVersion}").Order(StringComparer.Ordinal).ToList();
        var actualSlices = snapshot.EndpointSlicesByService
            .SelectMany(p => p.Value.Select(s => $"{p.Key}->{s.Key}@{s.ResourceVersion}")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedSlices, actualSlices);
        Assert.DoesNotContain(snapshot.EndpointSlicesByService, p => p.Value.IsEmpty);

        var expectedEndpoints = snapshot.EndpointSlices.Values
            .SelectMany(s => s.Endpoints.SelectMany(e => e.Addresses.Select(a => $"{a}->{s.Key}@{s.ResourceVersion}")))
            .Order(StringComparer.Ordinal).ToList();
        var actualEndpoints = snapshot.EndpointsByIP
            .SelectMany(p => p.Value.Select(r => $"{p.Key}->{r.Slice.Key}@{r.Slice.ResourceVersion}"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedEndpoints, actualEndpoints);

        var expectedPods = snapshot.Pods.Values.SelectMany(p => p.IPs.Select(ip => $"{ip}->{p.Key}@{p.ResourceVersion}")).Order(StringComparer.Ordinal).ToList();
        var actualPods = snapshot.PodsByIP.SelectMany(p => p.Value.Select(pod => $"{p.Key}->{pod.Key}@{pod.ResourceVersion}")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedPods, actualPods);
    }
}
