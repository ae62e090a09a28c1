using System.Diagnostics;

namespace MeshDns.Server.Metrics;

/// <summary>
/// The <c>process_*</c> metrics of client_golang's process collector (which CoreDNS exposes), computed at
/// scrape time: CPU time, open and maximum file descriptors, resident and virtual memory, the address-space
/// limit and the start time. On Linux they come from <c>/proc/self</c>; elsewhere from
/// <see cref="Process"/>, and those the platform cannot tell are left out.
/// </summary>
public static class ProcessMetrics
{
    private const string ProcSelf = "/proc/self";

    /// <summary>Registers the process collectors; a second call on the same registry does nothing.</summary>
    public static void Register(MetricsRegistry registry)
    {
        bool useProcFs = OperatingSystem.IsLinux() && File.Exists(Path.Combine(ProcSelf, "stat"));
        Register(registry, useProcFs ? ProcSelf : null);
    }

    /// <summary>Test seam: <paramref name="procSelf"/> is a directory laid out like <c>/proc/self</c>, or null for the portable path.</summary>
    internal static void Register(MetricsRegistry registry, string? procSelf)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (registry.Names.Contains("process_cpu_seconds_total"))
        {
            return;
        }

        double startTime = StartTimeSeconds();
        registry.RegisterCollector(
            "process_cpu_seconds_total", "User and system CPU time used by the process, in seconds.", MetricType.Counter,
            sink => sink.Add(Environment.CpuUsage.TotalTime.TotalSeconds));
        registry.RegisterCollector(
            "process_start_time_seconds", "When the process started, in seconds since the Unix epoch.", MetricType.Gauge,
            sink => sink.Add(startTime));

        if (procSelf is null)
        {
            RegisterPortable(registry);
            return;
        }

        registry.RegisterCollector(
            "process_resident_memory_bytes", "Resident set size of the process, in bytes.", MetricType.Gauge,
            sink =>
            {
                if (ProcFs.TryParseStat(ReadOrEmpty(procSelf, "stat"), out _, out long pages))
                {
                    sink.Add((double)pages * Environment.SystemPageSize);
                }
            });
        registry.RegisterCollector(
            "process_virtual_memory_bytes", "Virtual memory size of the process, in bytes.", MetricType.Gauge,
            sink =>
            {
                if (ProcFs.TryParseStat(ReadOrEmpty(procSelf, "stat"), out long bytes, out _))
                {
                    sink.Add(bytes);
                }
            });
        registry.RegisterCollector(
            "process_open_fds", "Number of file descriptors the process has open.", MetricType.Gauge,
            sink =>
            {
                string fdDirectory = Path.Combine(procSelf, "fd");
                if (Directory.Exists(fdDirectory))
                {
                    sink.Add(Directory.EnumerateFileSystemEntries(fdDirectory).Count());
                }
            });
        registry.RegisterCollector(
            "process_max_fds", "Limit on the number of file descriptors the process may open (soft limit).", MetricType.Gauge,
            sink =>
            {
                if (ProcFs.TryParseLimit(ReadOrEmpty(procSelf, "limits"), "Max open files", out double limit))
                {
                    sink.Add(limit);
                }
            });
        registry.RegisterCollector(
            "process_virtual_memory_max_bytes", "Limit on the virtual memory of the process, in bytes (soft limit).", MetricType.Gauge,
            sink =>
            {
                if (ProcFs.TryParseLimit(ReadOrEmpty(procSelf, "limits"), "Max address space", out double limit))
                {
                    sink.Add(limit);
                }
            });
    }

    private static void RegisterPortable(MetricsRegistry registry)
    {
        registry.RegisterCollector(
            "process_resident_memory_bytes", "Resident set size of the process, in bytes.", MetricType.Gauge,
            sink =>
            {
                using var process = Process.GetCurrentProcess();
                sink.Add(process.WorkingSet64);
            });
        registry.RegisterCollector(
            "process_virtual_memory_bytes", "Virtual memory size of the process, in bytes.", MetricType.Gauge,
            sink =>
            {
                using var process = Process.GetCurrentProcess();
                sink.Add(process.VirtualMemorySize64);
            });
        if (OperatingSystem.IsWindows())
        {
            registry.RegisterCollector(
                "process_open_fds", "Number of handles the process has open.", MetricType.Gauge,
                sink =>
                {
                    using var process = Process.GetCurrentProcess();
                    sink.Add(process.HandleCount);
                });
        }
    }

    private static double StartTimeSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
    }

    private static string ReadOrEmpty(string directory, string file)
    {
        try
        {
            return File.ReadAllText(Path.Combine(directory, file));
        }
        catch (IOException)
        {
            // A scrape must not fail because one /proc file vanished; the sample is simply left out.
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
