using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshDns.Protocol;
using MeshDns.Server;

namespace MeshDns.Plugins.Log;

/// <summary>
/// A query-log format parsed once at setup into literals and placeholders, then rendered per logged query.
/// Parsing follows CoreDNS's replacer: find a <c>}</c>, go back to the nearest <c>{</c>; a known label becomes a
/// placeholder, <c>{/name}</c> a metadata lookup, anything else stays literal text.
/// </summary>
public sealed class LogFormat
{
    /// <summary>CoreDNS's common log format (the default).</summary>
    public const string Common = "{remote}:{port} - {>id} \"{type} {class} {name} {proto} {size} {>do} {>bufsize}\" {rcode} {>rflags} {rsize} {duration}";

    /// <summary>The common log format plus the query opcode.</summary>
    public const string Combined = Common + " \"{>opcode}\"";

    /// <summary>What an empty or unknown value prints as.</summary>
    public const string EmptyValue = "-";

    private static readonly FrozenDictionary<string, Label> Labels = new Dictionary<string, Label>(StringComparer.Ordinal)
    {
        ["{type}"] = Label.Type,
        ["{name}"] = Label.Name,
        ["{class}"] = Label.Class,
        ["{proto}"] = Label.Proto,
        ["{size}"] = Label.Size,
        ["{remote}"] = Label.Remote,
        ["{port}"] = Label.Port,
        ["{local}"] = Label.Local,
        ["{>id}"] = Label.Id,
        ["{>opcode}"] = Label.Opcode,
        ["{>do}"] = Label.Do,
        ["{>bufsize}"] = Label.Bufsize,
        ["{rcode}"] = Label.Rcode,
        ["{rsize}"] = Label.Rsize,
        ["{duration}"] = Label.Duration,
        ["{>rflags}"] = Label.Rflags,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly Node[] _nodes;

    private LogFormat(string text, Node[] nodes)
    {
        Text = text;
        _nodes = nodes;
    }

    private enum Label : byte
    {
        Literal,
        Metadata,
        Type,
        Name,
        Class,
        Proto,
        Size,
        Remote,
        Port,
        Local,
        Id,
        Opcode,
        Do,
        Bufsize,
        Rcode,
        Rsize,
        Duration,
        Rflags,
    }

    /// <summary>The format as written.</summary>
    public string Text { get; }

    /// <summary>Parses a format; <c>{common}</c> and <c>{combined}</c> stand for the two standard formats.</summary>
    public static LogFormat Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var format = text switch
        {
            "{common}" => Common,
            "{combined}" => Combined,
            _ => text,
        };
        var nodes = new List<Node>();
        var rest = format.AsSpan();
        while (true)
        {
            var close = rest.IndexOf('}');
            if (close < 0)
            {
                break;
            }

            var open = rest[..close].LastIndexOf('{');
            if (open < 0)
            {
                AddLiteral(nodes, rest[..(close + 1)]);
                rest = rest[(close + 1)..];
                continue;
            }

            var candidate = rest[open..(close + 1)].ToString();
            if (Labels.TryGetValue(candidate, out var label))
            {
                AddLiteral(nodes, rest[..open]);
                nodes.Add(new Node(label, candidate));
            }
            else if (candidate.StartsWith("{/", StringComparison.Ordinal))
            {
                AddLiteral(nodes, rest[..open]);
                nodes.Add(new Node(Label.Metadata, candidate[2..^1]));
            }
            else
            {
                AddLiteral(nodes, rest[..(close + 1)]);
            }

            rest = rest[(close + 1)..];
        }

        AddLiteral(nodes, rest);
        return new LogFormat(text, nodes.ToArray());
    }

    /// <summary>Renders the line for a completed request whose response was <paramref name="responseSize"/> octets.</summary>
    public string Render(DnsRequestContext context, int responseSize)
    {
        ArgumentNullException.ThrowIfNull(context);
        var line = new LineBuilder(stackalloc char[512]);
        try
        {
            foreach (var node in _nodes)
            {
                Append(ref line, node, context, responseSize);
            }

            return line.ToString();
        }
        finally
        {
            line.Dispose();
        }
    }

    private static void AddLiteral(List<Node> nodes, ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return;
        }

        if (nodes.Count > 0 && nodes[^1].Label == Label.Literal)
        {
            nodes[^1] = new Node(Label.Literal, nodes[^1].Value + text.ToString());
            return;
        }

        nodes.Add(new Node(Label.Literal, text.ToString()));
    }

    private static void Append(ref LineBuilder line, Node node, DnsRequestContext context, int responseSize)
    {
        var written = !context.IsDropped && responseSize > 0;
        switch (node.Label)
        {
            case Label.Literal:
                line.Append(node.Value);
                break;
            case Label.Metadata:
                line.Append(context.Items.TryGetValue(node.Value, out var value) && value?.ToString() is { Length: > 0 } text ? text : EmptyValue);
                break;
            case Label.Type:
                line.Append(DnsTypeNames.TypeToString(context.OriginalQuestionType));
                break;
            case Label.Name:
                AppendName(ref line, context.OriginalQuestionName);
                break;
            case Label.Class:
                line.Append(DnsTypeNames.ClassToString(context.QuestionClass));
                break;
            case Label.Proto:
                line.Append(context.Transport is DnsTransport.Tcp or DnsTransport.Tls ? "tcp" : "udp");
                break;
            case Label.Size:
                line.Append(context.RequestSize);
                break;
            case Label.Remote:
                AppendAddress(ref line, context.RemoteAddressBytes);
                break;
            case Label.Port:
                line.Append(context.RemotePort);
                break;
            case Label.Local:
                AppendAddress(ref line, context.LocalAddressBytes);
                break;
            case Label.Id:
                line.Append(context.Id);
                break;
            case Label.Opcode:
                line.Append((int)context.OpCode);
                break;
            case Label.Do:
                line.Append(context.DnssecOk ? "true" : "false");
                break;
            case Label.Bufsize:
                // CoreDNS's request.Size(): 64 KiB on TCP, else the advertised EDNS size but at least 512.
                line.Append(context.Transport is DnsTransport.Tcp or DnsTransport.Tls ? ushort.MaxValue : Math.Max((int)context.EdnsUdpSize, 512));
                break;
            case Label.Rcode:
                if (!written)
                {
                    line.Append(EmptyValue);
                }
                else
                {
                    var rcode = context.Response.ResponseCode;
                    var name = DnsTypeNames.RcodeToString(rcode);
                    if (name.StartsWith("RCODE", StringComparison.Ordinal))
                    {
                        line.Append((int)rcode);
                    }
                    else
                    {
                        line.Append(name);
                    }
                }

                break;
            case Label.Rsize:
                line.Append(responseSize);
                break;
            case Label.Duration:
                AppendDuration(ref line, Stopwatch.GetElapsedTime(context.StartTimestamp));
                break;
            case Label.Rflags:
                if (written)
                {
                    AppendFlags(ref line, context.Response.Flags | DnsHeaderFlags.QR);
                }
                else
                {
                    line.Append(EmptyValue);
                }

                break;
        }
    }

    private static void AppendName(ref LineBuilder line, ReadOnlySpan<byte> wire)
    {
        // request.Name() in CoreDNS: the question in lower case, presentation form, with the trailing dot.
        Span<byte> lower = stackalloc byte[WireName.MaxLength];
        var length = WireName.ToLower(wire, lower);
        line.Append(WireName.ToPresentation(lower[..length]));
    }

    private static void AppendAddress(ref LineBuilder line, ReadOnlySpan<byte> address)
    {
        if (address.Length != 4 && address.Length != 16)
        {
            line.Append(EmptyValue);
            return;
        }

        var ip = new IPAddress(address);
        Span<char> text = stackalloc char[64];
        if (!ip.TryFormat(text, out var length))
        {
            line.Append(EmptyValue);
            return;
        }

        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            line.Append('[');
            line.Append(text[..length]);
            line.Append(']');
        }
        else
        {
            line.Append(text[..length]);
        }
    }

    private static void AppendDuration(ref LineBuilder line, TimeSpan elapsed)
    {
        Span<char> text = stackalloc char[400];
        var length = GoFormat.FormatFixed(elapsed.TotalSeconds, text);
        line.Append(text[..length]);
        line.Append('s');
    }

    private static void AppendFlags(ref LineBuilder line, DnsHeaderFlags flags)
    {
        var first = true;
        Flag(ref line, ref first, flags, DnsHeaderFlags.QR, "qr");
        Flag(ref line, ref first, flags, DnsHeaderFlags.AA, "aa");
        Flag(ref line, ref first, flags, DnsHeaderFlags.TC, "tc");
        Flag(ref line, ref first, flags, DnsHeaderFlags.RD, "rd");
        Flag(ref line, ref first, flags, DnsHeaderFlags.RA, "ra");
        Flag(ref line, ref first, flags, DnsHeaderFlags.Z, "z");
        Flag(ref line, ref first, flags, DnsHeaderFlags.AD, "ad");
        Flag(ref line, ref first, flags, DnsHeaderFlags.CD, "cd");

        static void Flag(ref LineBuilder line, ref bool first, DnsHeaderFlags flags, DnsHeaderFlags flag, string name)
        {
            if ((flags & flag) == 0)
            {
                return;
            }

            if (!first)
            {
                line.Append(',');
            }

            line.Append(name);
            first = false;
        }
    }

    private readonly record struct Node(Label Label, string Value);

    /// <summary>Builds one line in a stack buffer, moving to a pooled array only for very long lines.</summary>
    private ref struct LineBuilder
    {
        private Span<char> _buffer;
        private char[]? _rented;
        private int _length;

        public LineBuilder(Span<char> initial)
        {
            _buffer = initial;
            _rented = null;
            _length = 0;
        }

        public void Append(char value)
        {
            Reserve(1);
            _buffer[_length++] = value;
        }

        public void Append(scoped ReadOnlySpan<char> value)
        {
            Reserve(value.Length);
            value.CopyTo(_buffer[_length..]);
            _length += value.Length;
        }

        public void Append(string value) => Append(value.AsSpan());

        public void Append(long value)
        {
            Reserve(20);
            value.TryFormat(_buffer[_length..], out var written, default, CultureInfo.InvariantCulture);
            _length += written;
        }

        public override readonly string ToString() => new(_buffer[.._length]);

        public void Dispose()
        {
            if (_rented is not null)
            {
                ArrayPool<char>.Shared.Return(_rented);
                _rented = null;
            }
        }

        private void Reserve(int count)
        {
            if (_length + count <= _buffer.Length)
            {
                return;
            }

            var larger = ArrayPool<char>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
            _buffer[.._length].CopyTo(larger);
            if (_rented is not null)
            {
                ArrayPool<char>.Shared.Return(_rented);
            }

            _rented = larger;
            _buffer = larger;
        }
    }
}
