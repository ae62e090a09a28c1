using MeshDns.Protocol;

namespace MeshDns.Plugins.Forward;

/// <summary>
/// What <c>loop</c> and the <c>forward</c>s of one server block share: the loop probe's name, which forwards sent
/// it upstream, and whether a loop was found (those forwards then stop forwarding).
/// </summary>
public sealed class ForwardLoopGuard
{
    private readonly Lock _gate = new();
    private readonly List<ForwardEngine> _forwarders = [];
    private readonly HashSet<ForwardEngine> _probeForwarders = [];
    private byte[]? _probeName;

    /// <summary>The key under which a block's guard is shared (<c>GetOrAddShared</c>).</summary>
    public static string SharedKey(int blockIndex) => $"forward-loop-guard/{blockIndex}";

    /// <summary>The forwards of the block.</summary>
    public IReadOnlyList<ForwardEngine> Forwarders
    {
        get
        {
            lock (_gate)
            {
                return _forwarders.ToArray();
            }
        }
    }

    internal void Register(ForwardEngine forwarder)
    {
        lock (_gate)
        {
            _forwarders.Add(forwarder);
        }
    }

    /// <summary>Sets the probe name (lower case, wire form) loop is about to send.</summary>
    public void SetProbe(DnsName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Volatile.Write(ref _probeName, name.ToLowerInvariant().Wire.ToArray());
    }

    /// <summary>Called by a forward for every HINFO query it sends upstream; remembers it when it is the probe.</summary>
    internal void NoteForwarded(ReadOnlySpan<byte> lowerName, ForwardEngine forwarder)
    {
        var probe = Volatile.Read(ref _probeName);
        if (probe is null || !lowerName.SequenceEqual(probe))
        {
            return;
        }

        lock (_gate)
        {
            _probeForwarders.Add(forwarder);
        }
    }

    /// <summary>
    /// A loop was seen: disables the forwards of the block that sent the probe upstream and returns them (none when
    /// the loop went through some other plugin; then only loop's log line tells).
    /// </summary>
    public IReadOnlyList<ForwardEngine> DisableLooping()
    {
        ForwardEngine[] looping;
        lock (_gate)
        {
            looping = _probeForwarders.Count > 0 ? _probeForwarders.ToArray() : [];
        }

        foreach (var forwarder in looping)
        {
            forwarder.DisableForLoop();
        }

        return looping;
    }
}
