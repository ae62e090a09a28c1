using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;

namespace MeshDns.Testing.Dns;

/// <summary>A small DNS client built on the project's own codec, for tests: UDP, TCP and raw packets, always with a timeout.</summary>
public static class DnsTestClient
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Builds a query: RD set, random ID, optional EDNS with the given UDP size and DO bit.</summary>
    public static DnsMessage CreateQuery(string name, DnsRecordType type, bool edns = false, ushort udpSize = 1232, bool dnssecOk = false)
    {
        var query = DnsMessage.CreateQuery(DnsName.Parse(name), type, (ushort)Random.Shared.Next(1, ushort.MaxValue));
        if (edns)
        {
            var opt = query.EnableEdns();
            opt.UdpPayloadSize = udpSize;
            opt.DnssecOk = dnssecOk;
        }

        return query;
    }

    public static Task<DnsMessage> QueryAsync(IPEndPoint server, string name, DnsRecordType type, bool tcp = false, bool edns = false, ushort udpSize = 1232) =>
        tcp ? QueryTcpAsync(server, CreateQuery(name, type, edns, udpSize)) : QueryUdpAsync(server, CreateQuery(name, type, edns, udpSize));

    /// <summary>Sends over UDP and parses the reply; checks that ID and question match the query.</summary>
    public static async Task<DnsMessage> QueryUdpAsync(IPEndPoint server, DnsMessage query, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        var reply = await SendUdpAsync(server, query.ToArray(), timeout ?? DefaultTimeout) ?? throw new TimeoutException($"no UDP reply from {server} for {query.Questions[0]}");
        return ParseReply(query, reply);
    }

    /// <summary>Sends over a new TCP connection and parses the reply.</summary>
    public static async Task<DnsMessage> QueryTcpAsync(IPEndPoint server, DnsMessage query, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(server);
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, cts.Token);
        await WriteFrameAsync(socket, query.ToArray(), cts.Token);
        var reply = await ReadFrameAsync(socket, cts.Token) ?? throw new IOException($"TCP connection to {server} closed without a reply");
        return ParseReply(query, reply);
    }

    /// <summary>Sends raw bytes over UDP; returns the raw reply, or null when none came in time.</summary>
    public static async Task<byte[]?> SendUdpAsync(IPEndPoint server, byte[] packet, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(server);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server);
        await socket.SendAsync(packet, SocketFlags.None);
        var buffer = new byte[65535];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var length = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return buffer[..length];
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Writes one length-prefixed message.</summary>
    public static async Task WriteFrameAsync(Socket socket, byte[] message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(message);
        var frame = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
        message.CopyTo(frame, 2);
        await socket.SendAsync(frame, SocketFlags.None, cancellationToken);
    }

    /// <summary>Reads one length-prefixed message; null when the server closed the connection first.</summary>
    public static async Task<byte[]?> ReadFrameAsync(Socket socket, CancellationToken cancellationToken)
    {
        var prefix = new byte[2];
        if (!await ReadExactlyAsync(socket, prefix, cancellationToken))
        {
            return null;
        }

        var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        return await ReadExactlyAsync(socket, body, cancellationToken) ? body : null;
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>Parses a reply and checks it answers <paramref name="query"/> (same ID and question), as a careful client would.</summary>
    public static DnsMessage ParseReply(DnsMessage query, byte[] reply)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!DnsMessage.TryParse(reply, out var message, out var error))
        {
            throw new InvalidDataException($"unparseable reply ({error}): {Convert.ToHexString(reply)}");
        }

        if (message.Id != query.Id)
        {
            throw new InvalidDataException($"reply ID {message.Id} does not match query ID {query.Id}");
        }

        if (message.Questions.Count > 0 && query.Questions.Count > 0 && !message.Questions[0].Name.EqualsExact(query.Questions[0].Name))
        {
            throw new InvalidDataException($"reply question {message.Questions[0].Name} does not echo {query.Questions[0].Name}");
        }

        return message;
    }
}
