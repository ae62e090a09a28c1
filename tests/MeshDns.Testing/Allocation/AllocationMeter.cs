using System.Runtime.CompilerServices;

namespace MeshDns.Testing.Allocation;

/// <summary>
/// Measures what a hot-path call allocates on the calling thread, the way a test can trust: warm first, then count
/// bytes over rounds of many calls until one round allocates nothing (at most five rounds). The runtime may allocate
/// once while it finishes compiling (tier-1 re-JIT, class initialisers) and that lands in an early round; a per-call
/// allocation shows in every round, so a non-zero result is a real per-call cost.
/// </summary>
public static class AllocationMeter
{
    /// <summary>Bytes allocated by the last measured round of <paramref name="callsPerRound"/> calls; 0 means none.</summary>
    /// <remarks>
    /// Optimized at once: a loop still at tier 0 would be replaced on the stack mid-way (on-stack replacement), and
    /// that allocates a little on this thread.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long BytesPerRound(Action call, int callsPerRound = 1000, int warmupCalls = 3000)
    {
        ArgumentNullException.ThrowIfNull(call);
        for (var i = 0; i < warmupCalls; i++)
        {
            call();
        }

        long allocated = 0;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < callsPerRound; i++)
            {
                call();
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                break;
            }
        }

        return allocated;
    }
}
