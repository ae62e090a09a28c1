using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MeshDns.Server.Transport;

/// <summary>
/// recvmmsg/sendmmsg/sendmsg with IP_PKTINFO / IPV6_PKTINFO on Linux. .NET's managed UDP API cannot choose the source
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
    public const int MsgWaitForOne = 0x10000;

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

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMMsg(nint socket, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMMsg(nint socket, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(nint socket, MsgHdr* message, int flags);

    /// <summary>True where these calls are usable: 64-bit Linux (the struct layouts above assume LP64).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>
    /// Lets several sockets share the port, sets the receive timeout, and (with <paramref name="destinationInfo"/>, for
    /// wildcard addresses) asks the kernel to report each datagram's destination address.
    /// </summary>
    public static void Configure(Socket socket, bool reusePort, TimeSpan receiveTimeout, bool destinationInfo)
    {
        if (reusePort)
        {
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
        }

        Span<byte> timeval = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(timeval, (long)receiveTimeout.TotalSeconds);
        BinaryPrimitives.WriteInt64LittleEndian(timeval[8..], receiveTimeout.Milliseconds * 1000L);
        socket.SetRawSocketOption(SolSocket, SoRcvTimeo, timeval);
        if (!destinationInfo)
        {
            return;
        }

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
    /// <summary>The address of the first element of a pinned array (allocated with <c>GC.AllocateArray(..., pinned: true)</c>).</summary>
    private static byte* PinnedAddress(byte[] pinned) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

    /// <summary>
    /// The message headers of one receive loop for recvmmsg/sendmmsg: up to <see cref="Capacity"/> datagrams per
    /// system call each way. Headers live in native memory; they point into pinned arrays the loop owns. Owned by
    /// one thread; not thread-safe.
    /// </summary>
    public sealed class MessageBatch : IDisposable
    {
        private MMsgHdr* _receive;
        private IoVec* _receiveIov;
        private MMsgHdr* _send;
        private IoVec* _sendIov;

        public MessageBatch(int capacity)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
            Capacity = capacity;
            _receive = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(MMsgHdr));
            _receiveIov = (IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(IoVec));
            _send = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(MMsgHdr));
            _sendIov = (IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(IoVec));
        }

        public int Capacity { get; }

        /// <summary>Points receive slot <paramref name="index"/> at pinned buffers (again before every receive: the kernel overwrites the lengths).</summary>
        public void ArmReceive(int index, byte[] data, byte[] sockAddr, byte[] control)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Capacity, nameof(index));
            _receiveIov[index] = new IoVec { Base = PinnedAddress(data), Length = (nuint)data.Length };
            _receive[index] = new MMsgHdr
            {
                Header = new MsgHdr
                {
                    Name = PinnedAddress(sockAddr),
                    NameLength = (uint)sockAddr.Length,
                    Iov = &_receiveIov[index],
                    IovLength = 1,
                    Control = PinnedAddress(control),
                    ControlLength = (nuint)control.Length,
                },
            };
        }

        /// <summary>
        /// Waits for at least one datagram, then takes those already queued, up to <see cref="Capacity"/>. Returns how
        /// many, or -1 with <paramref name="errno"/> set (EAGAIN when the socket's receive timeout passed).
        /// </summary>
        public int Receive(nint socket, out int errno)
        {
            var received = RecvMMsg(socket, _receive, (uint)Capacity, MsgWaitForOne, null);
            errno = received < 0 ? Marshal.GetLastPInvokeError() : 0;
            return received;
        }

        /// <summary>What the kernel reported for received datagram <paramref name="index"/>.</summary>
        public int Received(int index, out int sockAddrLength, out int controlLength, out bool truncated)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Capacity, nameof(index));
            ref var message = ref _receive[index];
            sockAddrLength = (int)message.Header.NameLength;
            controlLength = (int)message.Header.ControlLength;
            truncated = (message.Header.Flags & MsgTrunc) != 0;
            return (int)message.Length;
        }

        /// <summary>Queues reply <paramref name="index"/> (0, 1, ... in order) for <see cref="SendReplies"/>; the arrays must be pinned.</summary>
        public void SetReply(int index, byte[] data, int length, byte[] sockAddr, int sockAddrLength, byte[] control, int controlLength)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Capacity, nameof(index));
            _sendIov[index] = new IoVec { Base = PinnedAddress(data), Length = (nuint)length };
            _send[index] = new MMsgHdr
            {
                Header = new MsgHdr
                {
                    Name = PinnedAddress(sockAddr),
                    NameLength = (uint)sockAddrLength,
                    Iov = &_sendIov[index],
                    IovLength = 1,
                    Control = controlLength > 0 ? PinnedAddress(control) : null,
                    ControlLength = (nuint)controlLength,
                },
            };
        }

        /// <summary>
        /// Sends the first <paramref name="count"/> queued replies, as few system calls as the kernel allows. A reply
        /// that fails is sent once more without its source address (the address may be gone), then skipped.
        /// </summary>
        public void SendReplies(nint socket, int count)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)Capacity, nameof(count));
            var offset = 0;
            while (offset < count)
            {
                var sent = SendMMsg(socket, _send + offset, (uint)(count - offset), 0);
                if (sent > 0)
                {
                    offset += sent;
                    continue;
                }

                if (sent < 0 && Marshal.GetLastPInvokeError() == Eintr)
                {
                    continue;
                }

                var failed = &_send[offset].Header;
                if (failed->ControlLength > 0)
                {
                    failed->Control = null;
                    failed->ControlLength = 0;
                    SendMsg(socket, failed, 0);
                }

                offset++;
            }
        }

        public void Dispose()
        {
            NativeMemory.Free(_receive);
            NativeMemory.Free(_receiveIov);
            NativeMemory.Free(_send);
            NativeMemory.Free(_sendIov);
            _receive = _send = null;
            _receiveIov = _sendIov = null;
        }
    }
}
