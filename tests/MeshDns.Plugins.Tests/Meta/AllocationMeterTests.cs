using MeshDns.Testing.Allocation;

namespace MeshDns.Plugins.Tests.Meta;

/// <summary>The meter every zero-allocation test relies on must see a per-call allocation and pass a clean call.</summary>
public sealed class AllocationMeterTests
{
    [Fact]
    public void BytesPerRound_CallAllocates_CountedInEveryRound()
    {
        object? sink = null;

        var bytes = AllocationMeter.BytesPerRound(() => sink = new byte[16], callsPerRound: 100, warmupCalls: 10);

        Assert.True(bytes >= 100 * 16, $"measured {bytes} B for 100 allocations of 16 B");
        Assert.NotNull(sink);
    }

    [Fact]
    public void BytesPerRound_CallAllocatesNothing_Zero()
    {
        var counter = 0;

        Assert.Equal(0, AllocationMeter.BytesPerRound(() => counter++));
        Assert.True(counter > 3000);
    }
}
