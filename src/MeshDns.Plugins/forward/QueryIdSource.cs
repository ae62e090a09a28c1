using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MeshDns.Plugins.Forward;

/// <summary>
/// Cryptographically random query IDs, drawn from the system generator a block at a time: one generator call per
/// query costs more than the rest of building the query. Each ID is handed out once.
/// </summary>
internal sealed class QueryIdSource
{
    private const int BlockSize = 512; // 256 IDs per refill

    private readonly Lock _gate = new();
    private readonly byte[] _block = new byte[BlockSize];
    private int _next = BlockSize;

    public ushort Next()
    {
        lock (_gate)
        {
            if (_next == BlockSize)
            {
                RandomNumberGenerator.Fill(_block);
                _next = 0;
            }

            var id = BinaryPrimitives.ReadUInt16BigEndian(_block.AsSpan(_next));
            _next += 2;
            return id;
        }
    }
}
