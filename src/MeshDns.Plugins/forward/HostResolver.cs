using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;

namespace MeshDns.Plugins.Forward;

/// <summary>The addresses a host name had, and how long they may be used (the records' TTL).</summary>
public sealed record HostAddresses(IReadOnlyList<IPAddress> Addresses, TimeSpan Ttl);

/// <summary>
/// Resolves host-name upstreams (an NLB's DNS name). Injectable so tests can make a name stop resolving or
/// change address.
/// </summary>
public interface IUpstreamHostResolver
{
    /// <summary>The A and AAAA addresses of <paramref name="hostName"/>; throws when it does not resolve.</summary>
    ValueTask<HostAddresses> ResolveAsync(string hostName, CancellationToken cancellationToken);
}

/// <summary>
/// Asks DNS servers (the <c>resolver</c> option, else /etc/resolv.conf's) for A and AAAA records with the
/// project's codec, so the records' TTL is known: <see cref="System.Net.Dns"/> does not expose it. CNAME chains
/// in the answer are followed; the TTL is the smallest of every record used.
/// </summary>
public sealed class DnsUpstreamHostResolver : IUpstreamHostResolver
{
    private readonly Func<IReadOnlyList<IPEndPoint>> _servers;
    private readonly TimeSpan _timeout;

    public DnsUpstreamHostResolver(IReadOnlyList<IPEndPoint> servers, TimeSpan timeout)
        : this(() => servers, timeout)
    {
    }

    /// <summary>Servers read when needed (resolv.conf may change while running).</summary>
    public DnsUpstreamHostResolver(Func<IReadOnlyList<IPEndPoint>> servers, TimeSpan timeout)
    {
        _servers = servers;
        _timeout = timeout;
    }

    /// <summary>The name servers of /etc/resolv.conf, port 53.</summary>
    public static IReadOnlyList<IPEndPoint> SystemServers()
    {
        try
        {
            return ResolvConf.ReadNameServers(ResolvConf.DefaultPath).Select(a => new IPEndPoint(a, 53)).ToArray();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public async ValueTask<HostAddresses> ResolveAsync(string hostName, CancellationToken cancellationToken)
    {
        var servers = _servers();
        if (servers.Count == 0)
        {
            throw new UpstreamException(UpstreamFailure.NoAddress, $"no resolver to look up {hostName}");
        }

        var name = DnsName.Parse(hostName.EndsWith('.') ? hostName : hostName + ".");
        Exception? last = null;
        foreach (var server in servers)
        {
            try
            {
                var v4 = QueryAsync(server, name, DnsRecordType.A, cancellationToken);
                var v6 = QueryAsync(server, name, DnsRecordType.AAAA, cancellationToken);
                var (addresses4, ttl4, rcode4) = await v4.ConfigureAwait(false);
                var (addresses6, ttl6, rcode6) = await v6.ConfigureAwait(false);
                var addresses = addresses4.Concat(addresses6).ToArray();
                if (addresses.Length > 0)
                {
                    return new HostAddresses(addresses, TimeSpan.FromSeconds(Math.Min(addresses4.Count > 0 ? ttl4 : uint.MaxValue, addresses6.Count > 0 ? ttl6 : uint.MaxValue)));
                }

                last = new UpstreamException(UpstreamFailure.NoAddress, $"{hostName} has no address ({DnsTypeNames.RcodeToString(rcode4 != DnsResponseCode.NoError ? rcode4 : rcode6)})");
            }
            catch (Exception exception) when (exception is UpstreamException or SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = exception;
            }
        }

        throw last as UpstreamException ?? new UpstreamException(UpstreamFailure.NoAddress, $"cannot resolve {hostName}: {last?.Message}", last);
    }

    private async Task<(IReadOnlyList<IPAddress> Addresses, uint Ttl, DnsResponseCode Rcode)> QueryAsync(IPEndPoint server, DnsName name, DnsRecordType type, CancellationToken cancellationToken)
    {
        var query = DnsMessage.CreateQuery(name, type, UpstreamWire.NewId()).ToArray();
        var reply = await ExchangeUdpAsync(server, query, cancellationToken).ConfigureAwait(false);
        if (reply.Truncated)
        {
            UpstreamWire.SetId(query, UpstreamWire.NewId());
            reply = await ExchangeTcpAsync(server, query, cancellationToken).ConfigureAwait(false);
        }

        // Follow the CNAME chain the server put in the answer, then take the addresses of its end.
        var ttl = uint.MaxValue;
        var current = name;
        for (var hops = 0; hops < 8; hops++)
        {
            var cname = reply.Answers.OfType<CnameRecord>().FirstOrDefault(r => r.Name.Equals(current));
            if (cname is null)
            {
                break;
            }

            ttl = Math.Min(ttl, cname.Ttl);
            current = cname.Target;
        }

        var addresses = new List<IPAddress>();
        foreach (var record in reply.Answers)
        {
            if (!record.Name.Equals(current))
            {
                continue;
            }

            switch (record)
            {
                case ARecord a when type == DnsRecordType.A:
                    addresses.Add(a.Address);
                    ttl = Math.Min(ttl, a.Ttl);
                    break;
                case AaaaRecord aaaa when type == DnsRecordType.AAAA:
                    addresses.Add(aaaa.Address);
                    ttl = Math.Min(ttl, aaaa.Ttl);
                    break;
            }
        }

        return (addresses, ttl, reply.ResponseCode);
    }

    private async Task<DnsMessage> ExchangeUdpAsync(IPEndPoint server, byte[] query, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var buffer = ArrayPool<byte>.Shared.Rent(UpstreamWire.MaxMessageSize);
        try
        {
            await socket.SendAsync(query, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            while (true)
            {
                var length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                switch (UpstreamWire.Check(query, buffer.AsSpan(0, length), out var reply))
                {
                    case ReplyMatch.Match:
                        return reply!;
                    case ReplyMatch.Malformed:
                        throw new UpstreamException(UpstreamFailure.Malformed, $"malformed reply from {server}");
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException(UpstreamFailure.Timeout, $"no reply from {server} within {_timeout.TotalSeconds:0.###}s");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<DnsMessage> ExchangeTcpAsync(IPEndPoint server, byte[] query, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(server, timeout.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var frame = new byte[query.Length + 2];
            frame[0] = (byte)(query.Length >> 8);
            frame[1] = (byte)query.Length;
            query.CopyTo(frame, 2);
            await stream.WriteAsync(frame, timeout.Token).ConfigureAwait(false);
            var prefix = new byte[2];
            await stream.ReadExactlyAsync(prefix, timeout.Token).ConfigureAwait(false);
            var body = new byte[(prefix[0] << 8) | prefix[1]];
            await stream.ReadExactlyAsync(body, timeout.Token).ConfigureAwait(false);
            return UpstreamWire.Check(query, body, out var reply) == ReplyMatch.Match
                ? reply!
                : throw new UpstreamException(UpstreamFailure.Mismatch, $"reply from {server} does not answer the query");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException(UpstreamFailure.Timeout, $"no reply from {server} within {_timeout.TotalSeconds:0.###}s");
        }
    }
}
