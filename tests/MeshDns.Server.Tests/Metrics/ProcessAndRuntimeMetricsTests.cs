using MeshDns.Server.Metrics;

namespace MeshDns.Server.Tests.Metrics;

public sealed class ProcessAndRuntimeMetricsTests : IDisposable
{
    private readonly string _fakeProc = Directory.CreateTempSubdirectory("meshdns-proc-").FullName;

    public void Dispose() => Directory.Delete(_fakeProc, recursive: true);

    [Fact]
    public void ProcessMetrics_ThisProcess_ValuesAreSane()
    {
        var registry = new MetricsRegistry();
        ProcessMetrics.Register(registry);
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        string text = registry.Serialize();

        Assert.InRange(ExpositionParser.Value(text, "process_cpu_seconds_total"), 0.001, 1e6);
        Assert.InRange(ExpositionParser.Value(text, "process_start_time_seconds"), now - 86_400, now + 1);
        double resident = ExpositionParser.Value(text, "process_resident_memory_bytes");
        Assert.InRange(resident, 1 << 20, 1L << 40);
        Assert.InRange(ExpositionParser.Value(text, "process_virtual_memory_bytes"), resident, double.MaxValue);
        if (OperatingSystem.IsLinux())
        {
            double open = ExpositionParser.Value(text, "process_open_fds");
            Assert.InRange(open, 3, ExpositionParser.Value(text, "process_max_fds"));
            Assert.True(ExpositionParser.Value(text, "process_virtual_memory_max_bytes") > resident);
            Assert.Contains("# TYPE process_cpu_seconds_total counter\n", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ProcessMetrics_RegisteredTwice_WritesEachFamilyOnce()
    {
        var registry = new MetricsRegistry();

        ProcessMetrics.Register(registry);
        ProcessMetrics.Register(registry);

        Assert.Single(ExpositionParser.Parse(registry.Serialize()), s => s.Name == "process_start_time_seconds");
    }

    [Fact]
    public void ProcessMetrics_FakeProcDirectory_ReadsStatLimitsAndFds()
    {
        // A command name with spaces and a ')' must not shift the fields.
        File.WriteAllText(
            Path.Combine(_fakeProc, "stat"),
            "4242 (meshdns (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 12 0 777 123456789 2500 18446744073709551615\n");
        File.WriteAllText(
            Path.Combine(_fakeProc, "limits"),
            """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max open files            4096                 524288               files
            Max address space         unlimited            unlimited            bytes

            """);
        Directory.CreateDirectory(Path.Combine(_fakeProc, "fd"));
        foreach (string fd in new[] { "0", "1", "2", "7" })
        {
            File.WriteAllText(Path.Combine(_fakeProc, "fd", fd), string.Empty);
        }

        var registry = new MetricsRegistry();
        ProcessMetrics.Register(registry, _fakeProc);
        string text = registry.Serialize();

        Assert.Equal(123456789, ExpositionParser.Value(text, "process_virtual_memory_bytes"));
        Assert.Equal(2500.0 * Environment.SystemPageSize, ExpositionParser.Value(text, "process_resident_memory_bytes"));
        Assert.Equal(4, ExpositionParser.Value(text, "process_open_fds"));
        Assert.Equal(4096, ExpositionParser.Value(text, "process_max_fds"));
        Assert.Contains("process_virtual_memory_max_bytes 1.8446744073709552e+19\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ProcessMetrics_ProcFilesMissing_LeavesThoseFamiliesOut()
    {
        var registry = new MetricsRegistry();
        ProcessMetrics.Register(registry, _fakeProc);

        string[] names = [.. ExpositionParser.Parse(registry.Serialize()).Select(s => s.Name)];

        Assert.Equal(["process_cpu_seconds_total", "process_start_time_seconds"], names);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1 (short) S 1 2 3")]
    [InlineData("1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 notanumber 10")]
    public void TryParseStat_Malformed_ReturnsFalse(string text)
    {
        Assert.False(ProcFs.TryParseStat(text, out _, out _));
    }

    [Theory]
    [InlineData("Max open files            1024                 4096                 files", 1024d)]
    [InlineData("Max open files            unlimited            unlimited            files", ProcFs.Unlimited)]
    public void TryParseLimit_Row_ReadsSoftLimit(string text, double expected)
    {
        Assert.True(ProcFs.TryParseLimit(text, "Max open files", out double limit));
        Assert.Equal(expected, limit);
    }

    [Fact]
    public void TryParseLimit_RowMissing_ReturnsFalse()
    {
        Assert.False(ProcFs.TryParseLimit("Max cpu time unlimited unlimited seconds", "Max open files", out _));
    }

    [Fact]
    public void RuntimeMetrics_AfterCollection_CountsGenerationsAndReportsPools()
    {
        var registry = new MetricsRegistry();
        RuntimeMetrics.Register(registry);
        RuntimeMetrics.Register(registry);
        double before = ExpositionParser.Value(registry.Serialize(), "dotnet_gc_collections_total", ("generation", "2"));

        GC.Collect();
        string text = registry.Serialize();

        Assert.True(ExpositionParser.Value(text, "dotnet_gc_collections_total", ("generation", "2")) > before);
        Assert.Equal(GC.MaxGeneration + 1, ExpositionParser.Parse(text).Count(s => s.Name == "dotnet_gc_collections_total"));
        Assert.Equal(1, ExpositionParser.Value(text, "dotnet_info", ("version", Environment.Version.ToString())));
        Assert.True(ExpositionParser.Value(text, "dotnet_gc_heap_size_bytes") > 0);
        Assert.True(ExpositionParser.Value(text, "dotnet_gc_allocated_bytes_total") > 0);
        Assert.True(ExpositionParser.Value(text, "dotnet_gc_committed_bytes") > 0);
        Assert.True(ExpositionParser.Value(text, "dotnet_threadpool_threads") >= 0);
        Assert.True(ExpositionParser.Value(text, "dotnet_threadpool_queue_length") >= 0);
        Assert.True(ExpositionParser.Value(text, "dotnet_threadpool_completed_items_total") >= 0);
        Assert.True(ExpositionParser.Value(text, "dotnet_gc_pause_seconds_total") > 0);
        Assert.True(ExpositionParser.Value(text, "dotnet_monitor_lock_contentions_total") >= 0);
        Assert.All(registry.Names, name => Assert.StartsWith("dotnet_", name, StringComparison.Ordinal));
    }
}
