using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;

namespace MeshDns.Kubernetes;

/// <summary>
/// Shares the instances of strings that repeat across thousands of objects (namespaces, node names, zones, port
/// names, protocols, label keys). Bounded: past <see cref="MaxEntries"/> strings are simply not shared.
/// </summary>
internal sealed class StringPool
{
    internal const int MaxEntries = 20_000;

    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _portSets = new(StringComparer.Ordinal);

    public string? Get(string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (_strings.TryGetValue(value, out var shared))
        {
            return shared;
        }

        return _strings.Count < MaxEntries ? _strings.GetOrAdd(value, value) : value;
    }

    public string Get(string value, string fallback) => Get(value) ?? fallback;

    /// <summary>
    /// Shares a whole port list: most services (and their slices) have one of a handful of port sets, and the
    /// records are immutable, so one instance serves them all.
    /// </summary>
    public ImmutableArray<T> Share<T>(ImmutableArray<T> ports, Func<T, string> signature)
    {
        if (ports.IsEmpty)
        {
            return ports;
        }

        var key = new StringBuilder(typeof(T).Name);
        foreach (var port in ports)
        {
            key.Append('|').Append(signature(port));
        }

        var text = key.ToString();
        if (_portSets.TryGetValue(text, out var shared))
        {
            return (ImmutableArray<T>)shared;
        }

        return _portSets.Count < MaxEntries ? (ImmutableArray<T>)_portSets.GetOrAdd(text, ports) : ports;
    }
}
