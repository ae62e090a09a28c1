using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;
using Xunit.Abstractions;

namespace MeshDns.Plugins.Tests.Forward;

/// <summary>The UDP path's reuse of its waiting machinery must not show: a new port and ID per query, timeouts that stay with their query.</summary>
public sealed class ForwardUdpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ServeAsync_SequentialQueries_EachFromItsOwnSourcePortAndId()
    {
        using var upstream = new RawUdpUpstream(dropFirst: 0);
        await using var host = await ForwardTestHost.StartAsync($"forward . 127.0.0.1:{upstream.Port} {{\n max_fails 0\n}}", output);

        for (var i = 0; i < 20; i++)
        {
            var result = await host.QueryAsync($"q{i}.example.org.", DnsRecordType.A);
            Assert.Equal(DnsResponseCode.NoError, result.Response.ResponseCode);
        }

        var seen = upstream.Seen.ToArray();
        Assert.Equal(20, seen.Length);

        // Random ephemeral ports and random IDs may collide by chance now and then; one shared socket or a counter would give 1.
        Assert.True(seen.Select(s => s.Port).Distinct().Count() >= 15, string.Join(", ", seen.Select(s => s.Port)));
        Assert.True(seen.Select(s => s.Id).Distinct().Count() >= 15, string.Join(", ", seen.Select(s => s.Id)));
    }

    [Fact]
    public async Task ServeAsync_AfterATimeout_NextQueriesAreNotCutShort()
    {
        // The first query goes unanswered and times out; the waiter it used serves the next queries, and its timer must
        // not end any of them early.
        using var upstream = new RawUdpUpstream(dropFirst: 1);
        await using var host = await ForwardTestHost.StartAsync($"forward . 127.0.0.1:{upstream.Port} {{\n max_fails 0\n}}", output);

        var first = await host.QueryAsync("first.example.org.", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.NoError, first.Response.ResponseCode); // answered on the second attempt

        upstream.Delay = TimeSpan.FromMilliseconds(300);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            var result = await host.QueryAsync($"next{i}.example.org.", DnsRecordType.A);
            Assert.Equal(DnsResponseCode.NoError, result.Response.ResponseCode);
        }

        Assert.Equal(7, upstream.Seen.Count);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(1400), $"{watch.Elapsed}");
    }

    /// <summary>Answers every A query with 192.0.2.1 (after an optional delay), recording the source port and ID; drops the first N.</summary>
    private sealed class RawUdpUpstream : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
        private readonly Task _loop;
        private int _dropFirst;

        public RawUdpUpstream(int dropFirst)
        {
            _dropFirst = dropFirst;
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
            _loop = Task.Run(ServeAsync);
        }

        public int Port { get; }

        public TimeSpan Delay { get; set; }

        public ConcurrentQueue<(int Port, ushort Id)> Seen { get; } = new();

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }

            _stop.Dispose();
        }

        private async Task ServeAsync()
        {
            var buffer = new byte[65535];
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                Assert.True(DnsMessage.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out var query, out _));
                Seen.Enqueue((((IPEndPoint)received.RemoteEndPoint).Port, BinaryPrimitives.ReadUInt16BigEndian(buffer)));
                if (Interlocked.Decrement(ref _dropFirst) >= 0)
                {
                    continue;
                }

                if (Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, _stop.Token);
                }

                var reply = new DnsMessage { Id = query!.Id, Flags = DnsHeaderFlags.QR | DnsHeaderFlags.RA };
                reply.Questions.Add(query!.Questions[0]);
                reply.Answers.Add(ResourceRecord.Parse($"{query.Questions[0].Name} 300 IN A 192.0.2.1"));
                await _socket.SendToAsync(reply.ToArray(), SocketFlags.None, received.RemoteEndPoint, _stop.Token);
            }
        }
    }
}
