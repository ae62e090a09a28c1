using BenchmarkDotNet.Running;

namespace MeshDns.Benchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        // A console measurement BenchmarkDotNet cannot express (a latency distribution across processes' threads).
        if (args is [Kubernetes.KubernetesLatency.Command, ..])
        {
            return Kubernetes.KubernetesLatency.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args is [Forward.ForwardBenchmarks.CpuCommand, ..])
        {
            return Forward.ForwardBenchmarks.MeasureCpuAsync(args[1..]).GetAwaiter().GetResult();
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
