using System.Globalization;

namespace MeshDns.Server.Metrics;

/// <summary>
/// .NET runtime metrics in the spirit of client_golang's <c>go_*</c> ones, named <c>dotnet_*</c>:
/// garbage collector, thread pool and lock contention, read at scrape time from the runtime's counters.
/// </summary>
public static class RuntimeMetrics
{
    /// <summary>Registers the runtime collectors; a second call on the same registry does nothing.</summary>
    public static void Register(MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (registry.Names.Contains("dotnet_info"))
        {
            return;
        }

        string version = Environment.Version.ToString();
        registry.RegisterCollector(
            "dotnet_info", "Constant 1, labelled by the .NET runtime version.", MetricType.Gauge, ["version"],
            sink => sink.Add(1, version));

        string[] generations = [.. Enumerable.Range(0, GC.MaxGeneration + 1).Select(g => g.ToString(CultureInfo.InvariantCulture))];
        registry.RegisterCollector(
            "dotnet_gc_collections_total", "Garbage collections since the process started, by generation.",
            MetricType.Counter, ["generation"],
            sink =>
            {
                for (int g = 0; g < generations.Length; g++)
                {
                    sink.Add(GC.CollectionCount(g), generations[g]);
                }
            });
        registry.RegisterCollector(
            "dotnet_gc_heap_size_bytes", "Bytes currently allocated on the managed heap, including garbage not yet collected.",
            MetricType.Gauge, sink => sink.Add(GC.GetTotalMemory(forceFullCollection: false)));
        registry.RegisterCollector(
            "dotnet_gc_committed_bytes", "Bytes of memory the garbage collector has committed, as of the last collection.",
            MetricType.Gauge, sink => sink.Add(GC.GetGCMemoryInfo().TotalCommittedBytes));
        registry.RegisterCollector(
            "dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap since the process started.",
            MetricType.Counter, sink => sink.Add(GC.GetTotalAllocatedBytes(precise: false)));
        registry.RegisterCollector(
            "dotnet_gc_pause_seconds_total", "Time the runtime was paused for garbage collection since the process started, in seconds.",
            MetricType.Counter, sink => sink.Add(GC.GetTotalPauseDuration().TotalSeconds));
        registry.RegisterCollector(
            "dotnet_threadpool_threads", "Thread-pool threads that currently exist.",
            MetricType.Gauge, sink => sink.Add(ThreadPool.ThreadCount));
        registry.RegisterCollector(
            "dotnet_threadpool_queue_length", "Work items queued to the thread pool and not yet started.",
            MetricType.Gauge, sink => sink.Add(ThreadPool.PendingWorkItemCount));
        registry.RegisterCollector(
            "dotnet_threadpool_completed_items_total", "Work items the thread pool has completed since the process started.",
            MetricType.Counter, sink => sink.Add(ThreadPool.CompletedWorkItemCount));
        registry.RegisterCollector(
            "dotnet_monitor_lock_contentions_total", "Times a thread waited for a lock held by another since the process started.",
            MetricType.Counter, sink => sink.Add(Monitor.LockContentionCount));
    }
}
