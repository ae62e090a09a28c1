using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MeshDns.Server.Transport;

/// <summary>
/// recvmsg/sendmsg with IP_PKTINFO / IPV6_PKTINFO on Linux. .NET's managed UDP API cannot choose the source
/// address of a reply, and a server bound to a wildcard address must answer from the address the query was sent
/// to (multi-homed hosts, secondary IPs, load-balancer VIPs). These calls also allocate nothing.
/// </summary>
internal static unsafe partial class LinuxUdp
{
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int Eagain = 11;
    public const int Eintr = 4;
    public const int MsgTrunc = 0x20;

    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    private const int IpPktinfo = 8;
    private const int Ipv6RecvPktinfo = 49;
    private const int Ipv6Pktinfo = 50;
    private const int SolSocket = 1;
    private const int SoReusePort = 15;
    private const int SoRcvTimeo = 20;

    /// <summary>Bytes for a sockaddr_storage.</summary>
    public const int SockAddrSize = 128;

    /// <summary>Bytes for the control messages we send and receive.</summary>
    public const int ControlSize = 128;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(nint socket, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(nint socket, MsgHdr* message, int flags);

    /// <summary>True where these calls are usable: 64-bit Linux (the struct layouts above assume LP64).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>Asks the kernel to report each datagram's destination address, and lets several sockets share the port.</summary>
    public static void Configure(Socket socket, bool reusePort, TimeSpan receiveTimeout)
    {
        if (reusePort)
        {
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
        }

        Span<byte> timeval = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(timeval, (long)receiveTimeout.TotalSeconds);
        BinaryPrimitives.WriteInt64LittleEndian(timeval[8..], receiveTimeout.Milliseconds * 1000L);
        socket.SetRawSocketOption(SolSocket, SoRcvTimeo, timeval);
        if (socket.AddressFamily == AddressFamily.InterNetwork)
        {
            socket.SetRawSocketOption(SolIp, IpPktinfo, BitConverter.GetBytes(1));
        }
        else
        {
            socket.SetRawSocketOption(SolIpv6, Ipv6RecvPktinfo, BitConverter.GetBytes(1));
        }
    }

    /// <summary>Enables SO_REUSEPORT on any platform that has it (Linux value), so several receive loops share a port.</summary>
    public static void EnableReusePort(Socket socket) => socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));

    /// <summary>
    /// Receives one datagram. Returns its length, or -1 with <paramref name="errno"/> set. <paramref name="truncated"/>
    /// tells that the datagram was longer than <paramref name="buffer"/>.
    /// </summary>
    public static int Receive(nint socket, Span<byte> buffer, Span<byte> sockAddr, out int sockAddrLength, Span<byte> control, out int controlLength, out bool truncated, out int errno)
    {
        fixed (byte* data = buffer)
        fixed (byte* name = sockAddr)
        fixed (byte* ctrl = control)
        {
            var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
            var header = new MsgHdr
            {
                Name = name,
                NameLength = (uint)sockAddr.Length,
                Iov = &iov,
                IovLength = 1,
                Control = ctrl,
                ControlLength = (nuint)control.Length,
            };
            var received = RecvMsg(socket, &header, 0);
            if (received < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                sockAddrLength = controlLength = 0;
                truncated = false;
                return -1;
            }

            errno = 0;
            sockAddrLength = (int)header.NameLength;
            controlLength = (int)header.ControlLength;
            truncated = (header.Flags & MsgTrunc) != 0;
            return (int)received;
        }
    }

    /// <summary>Sends one datagram to <paramref name="sockAddr"/>, from the source address given by <paramref name="control"/> (may be empty).</summary>
    public static int Send(nint socket, ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> sockAddr, ReadOnlySpan<byte> control, out int errno)
    {
        fixed (byte* data = datagram)
        fixed (byte* name = sockAddr)
        fixed (byte* ctrl = control)
        {
            var iov = new IoVec { Base = data, Length = (nuint)datagram.Length };
            var header = new MsgHdr
            {
                Name = name,
                NameLength = (uint)sockAddr.Length,
                Iov = &iov,
                IovLength = 1,
                Control = control.IsEmpty ? null : ctrl,
                ControlLength = (nuint)control.Length,
            };
            var sent = SendMsg(socket, &header, 0);
            errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)sent;
        }
    }

    /// <summary>Reads family, address and port from a sockaddr_in / sockaddr_in6.</summary>
    public static bool TryParseSockAddr(ReadOnlySpan<byte> sockAddr, Span<byte> address, out int addressLength, out AddressFamily family, out int port)
    {
        addressLength = 0;
        family = AddressFamily.Unspecified;
        port = 0;
        if (sockAddr.Length < 2)
        {
            return false;
        }

        var rawFamily = BinaryPrimitives.ReadUInt16LittleEndian(sockAddr);
        if (rawFamily == AfInet && sockAddr.Length >= 8)
        {
            family = AddressFamily.InterNetwork;
            port = BinaryPrimitives.ReadUInt16BigEndian(sockAddr[2..]);
            sockAddr.Slice(4, 4).CopyTo(address);
            addressLength = 4;
            return true;
        }

        if (rawFamily == AfInet6 && sockAddr.Length >= 24)
        {
            family = AddressFamily.InterNetworkV6;
            port = BinaryPrimitives.ReadUInt16BigEndian(sockAddr[2..]);
            sockAddr.Slice(8, 16).CopyTo(address);
            addressLength = 16;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Finds the destination address of a received datagram in its control messages and builds the control
    /// message that makes the reply leave from it. Returns the reply control length (0 when none was found).
    /// </summary>
    public static int BuildReplyControl(ReadOnlySpan<byte> received, Span<byte> reply, Span<byte> localAddress, out int localAddressLength)
    {
        localAddressLength = 0;
        const int HeaderSize = 16; // struct cmsghdr on LP64: size_t len; int level; int type
        var offset = 0;
        while (offset + HeaderSize <= received.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(received[offset..]);
            var level = BinaryPrimitives.ReadInt32LittleEndian(received[(offset + 8)..]);
            var type = BinaryPrimitives.ReadInt32LittleEndian(received[(offset + 12)..]);
            if (length < HeaderSize || offset + length > received.Length)
            {
                return 0;
            }

            var data = received.Slice(offset + HeaderSize, length - HeaderSize);
            if (level == SolIp && type == IpPktinfo && data.Length >= 12)
            {
                // struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }: ipi_addr is where the datagram went.
                data.Slice(8, 4).CopyTo(localAddress);
                localAddressLength = 4;
                reply[..32].Clear();
                BinaryPrimitives.WriteUInt64LittleEndian(reply, HeaderSize + 12);
                BinaryPrimitives.WriteInt32LittleEndian(reply[8..], SolIp);
                BinaryPrimitives.WriteInt32LittleEndian(reply[12..], IpPktinfo);
                data.Slice(8, 4).CopyTo(reply[(HeaderSize + 4)..]); // ipi_spec_dst = the address the query was sent to
                return 32;
            }

            if (level == SolIpv6 && type == Ipv6Pktinfo && data.Length >= 20)
            {
                // struct in6_pktinfo { in6_addr ipi6_addr; unsigned ipi6_ifindex; }: keep both (link-local needs the interface).
                data[..16].CopyTo(localAddress);
                localAddressLength = 16;
                reply[..40].Clear();
                BinaryPrimitives.WriteUInt64LittleEndian(reply, HeaderSize + 20);
                BinaryPrimitives.WriteInt32LittleEndian(reply[8..], SolIpv6);
                BinaryPrimitives.WriteInt32LittleEndian(reply[12..], Ipv6Pktinfo);
                data[..20].CopyTo(reply[HeaderSize..]);
                return 40;
            }

            offset += (length + 7) & ~7;
        }

        return 0;
    }
}
