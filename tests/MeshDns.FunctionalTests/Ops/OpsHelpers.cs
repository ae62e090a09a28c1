using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;
using MeshDns.Testing.Dns;

namespace MeshDns.FunctionalTests.Ops;

/// <summary>Small pieces the operational-plugin tests share: HTTP probes, a UDP client with a known port, bounded waits.</summary>
internal static class OpsHelpers
{
    public static async Task<(int Status, string Body)> GetAsync(TestDnsServer server, string address, string path)
    {
        var uris = server.Server.Services.Http.GetBoundUris(address);
        Assert.NotEmpty(uris);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.GetAsync(new Uri(uris[0], path));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Sends <paramref name="query"/> over UDP from a socket whose port the caller learns (for exact log lines).</summary>
    public static async Task<(DnsMessage Reply, int ClientPort, int QuerySize, int ReplySize)> QueryFromKnownPortAsync(IPEndPoint server, DnsMessage query)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Connect(server);
        var bytes = query.ToArray();
        await socket.SendAsync(bytes, SocketFlags.None);
        var buffer = new byte[65535];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var length = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return (DnsTestClient.ParseReply(query, buffer[..length]), ((IPEndPoint)socket.LocalEndPoint!).Port, bytes.Length, length);
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("timed out waiting until " + what);
            }
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);
}
