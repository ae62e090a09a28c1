using System.Buffers;

namespace MeshDns.Kubernetes.Http;

/// <summary>
/// Splits a watch stream into newline-terminated lines, holding at most one line (plus one read) in memory.
/// A returned line is valid until the next call.
/// </summary>
internal sealed class LineReader(Stream stream, int maxLineBytes) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _start;
    private int _end;
    private int _scanned;

    /// <summary>The next non-blank line, or null at the end of the stream. A last line without '\n' is returned as is.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _scanned, _end - _scanned);
            if (newline >= 0)
            {
                var line = new ReadOnlyMemory<byte>(_buffer, _start, newline - _start);
                _start = newline + 1;
                _scanned = _start;
                if (IsBlank(line.Span))
                {
                    continue;
                }

                return line;
            }

            _scanned = _end;
            if (_end == _buffer.Length)
            {
                MakeRoom();
            }

            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                if (_start < _end)
                {
                    var rest = new ReadOnlyMemory<byte>(_buffer, _start, _end - _start);
                    _start = _end;
                    if (!IsBlank(rest.Span))
                    {
                        return rest;
                    }
                }

                return null;
            }

            _end += read;
        }
    }

    private void MakeRoom()
    {
        var used = _end - _start;
        if (_start > 0 && used < _buffer.Length / 2)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, used);
        }
        else
        {
            if (_buffer.Length >= maxLineBytes)
            {
                throw new InvalidDataException($"a watch event is longer than {maxLineBytes} bytes");
            }

            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(maxLineBytes, _buffer.Length * 2));
            Buffer.BlockCopy(_buffer, _start, bigger, 0, used);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        _scanned -= _start;
        _end = used;
        _start = 0;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\r' or (byte)'\t'))
            {
                return false;
            }
        }

        return true;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
