using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using MeshDns.Plugins.Forward;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Benchmarks.Forward;

/// <summary>
/// One uncached query through the server pipeline and the forward plugin to an upstream on loopback UDP: the query
/// built and sent on a fresh socket, the reply received, checked and relayed, the response encoded for the client.
/// The upstream is a canned responder on its own thread (one A record, OPT echoed), so the time includes two
/// loopback hops and its small share; what the forward path itself allocates shows in the Allocated column.
/// </summary>
[MemoryDiagnoser]
public class ForwardBenchmarks
{
    private readonly byte[] _response = new byte[ushort.MaxValue];
    private CannedUpstream _upstream = null!;
    private ForwardEngine _engine = null!;
    private RequestProcessor _processor = null!;
    private DnsRequestContext _context = null!;
    private byte[] _query = null!;
    private byte[] _queryEdns = null!;

    [GlobalSetup]
    public void Setup()
    {
        _upstream = new CannedUpstream();
        var options = new ForwardOptions
        {
            Upstreams = [new UpstreamConfig(UpstreamTransport.Dns, "127.0.0.1", _upstream.Port, IPAddress.Loopback)],
            MaxFails = 0, // no health checks: only the queries reach the upstream
        };
        _engine = new ForwardEngine(options, new MetricsRegistry(), TimeProvider.System, NullLogger.Instance);
        _engine.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        var handler = new ForwardHandler(new ChainTerminator(), _engine);
        _processor = new RequestProcessor(
            "dns://:53",
            new ZoneRouter([new ServerBlockRuntime("dns://.:53", [DnsName.Root], handler, ["forward"])]),
            NullLogger.Instance);
        _context = new DnsRequestContext();
        _context.SetEndpoints(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 53));
        _query = DnsMessage.CreateQuery(DnsName.Parse("Host4242.Bench.TEST."), DnsRecordType.A, 0x4242).ToArray();
        var edns = DnsMessage.CreateQuery(DnsName.Parse("host77.bench.test."), DnsRecordType.A, 0x77);
        edns.EnableEdns().UdpPayloadSize = 1232;
        _queryEdns = edns.ToArray();
    }

    /// <summary>
    /// <c>forward-cpu [QUERIES] [CONCURRENCY]</c>: process CPU time and bytes allocated per forwarded query, with
    /// that many queries in flight, the number to compare on a busy machine where the mean wall time is noise.
    /// The canned upstream's two system calls per query are in it, the same before and after a change.
    /// </summary>
    public const string CpuCommand = "forward-cpu";

    public static async Task<int> MeasureCpuAsync(string[] args)
    {
        var queries = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
        var concurrency = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 16;
        var bench = new ForwardBenchmarks();
        bench.Setup();
        try
        {
            await bench.RunManyAsync(queries / 4, concurrency).ConfigureAwait(false); // tiered compilation settles
            for (var round = 0; round < 3; round++)
            {
                var process = System.Diagnostics.Process.GetCurrentProcess();
                var cpu = process.TotalProcessorTime;
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var wall = System.Diagnostics.Stopwatch.StartNew();
                await bench.RunManyAsync(queries, concurrency).ConfigureAwait(false);
                wall.Stop();
                process.Refresh();
                var cpuPerQuery = (process.TotalProcessorTime - cpu).TotalMicroseconds / queries;
                var bytesPerQuery = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / queries;
                Console.WriteLine(System.FormattableString.Invariant(
                    $"{queries} queries, {concurrency} in flight: {queries / wall.Elapsed.TotalSeconds:F0} q/s, CPU {cpuPerQuery:F1} us/query, {bytesPerQuery:F0} B/query allocated"));
            }
        }
        finally
        {
            bench.Cleanup();
        }

        return 0;
    }

    private async Task RunManyAsync(int queries, int concurrency)
    {
        var remaining = queries;
        var workers = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            workers[i] = Task.Run(async () =>
            {
                var context = new DnsRequestContext();
                context.SetEndpoints(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 53));
                var response = new byte[ushort.MaxValue];
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    await _processor.ProcessAsync(context, _queryEdns, DnsTransport.Udp, response).ConfigureAwait(false);
                }
            });
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _upstream.Dispose();
    }

    [Benchmark(Baseline = true, Description = "forward A over UDP")]
    public Task<int> Forward() => RunAsync(_query);

    [Benchmark(Description = "forward A over UDP, EDNS")]
    public Task<int> ForwardEdns() => RunAsync(_queryEdns);

    private async Task<int> RunAsync(byte[] query)
    {
        var length = await _processor.ProcessAsync(_context, query, DnsTransport.Udp, _response).ConfigureAwait(false);
        if (length == 0 || (_response[3] & 0xF) != 0)
        {
            throw new InvalidOperationException("the forward did not answer NOERROR");
        }

        return length;
    }

    /// <summary>
    /// A UDP responder on a dedicated thread: the query's header and question back with QR and RA, one A record
    /// (a pointer to the question name) and the query's additional section (its OPT) after it.
    /// </summary>
    private sealed class CannedUpstream : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Thread _thread;

        public CannedUpstream()
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
            _thread = new Thread(Serve) { IsBackground = true, Name = "canned upstream" };
            _thread.Start();
        }

        public int Port { get; }

        public void Dispose() => _socket.Dispose();

        private void Serve()
        {
            var query = new byte[ushort.MaxValue];
            var reply = new byte[ushort.MaxValue];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            try
            {
                while (true)
                {
                    var length = _socket.ReceiveFrom(query, ref from);
                    var size = Answer(query.AsSpan(0, length), reply);
                    if (size > 0)
                    {
                        _socket.SendTo(reply, 0, size, SocketFlags.None, from);
                    }
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private static int Answer(ReadOnlySpan<byte> query, Span<byte> reply)
        {
            var end = 12;
            while (end < query.Length && query[end] != 0)
            {
                end += query[end] + 1;
            }

            end += 5; // root label, type, class
            if (end > query.Length)
            {
                return 0;
            }

            query[..end].CopyTo(reply);
            reply[2] = (byte)(0x80 | (query[2] & 0x01)); // QR, RD echoed
            reply[3] = 0x80; // RA, NOERROR
            BinaryPrimitives.WriteUInt16BigEndian(reply[6..], 1);
            BinaryPrimitives.WriteUInt16BigEndian(reply[8..], 0);
            var position = end;
            ReadOnlySpan<byte> answer = [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 10, 0, 16, 146];
            answer.CopyTo(reply[position..]);
            position += answer.Length;
            query[end..].CopyTo(reply[position..]);
            return position + query.Length - end;
        }
    }
}
