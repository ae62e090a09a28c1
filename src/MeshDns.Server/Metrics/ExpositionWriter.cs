using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace MeshDns.Server.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4 as UTF-8 straight into a buffer writer.
/// Names are validated ASCII at registration, so only help texts and label values need escaping.
/// </summary>
internal sealed class ExpositionWriter(IBufferWriter<byte> output)
{
    // The longest shortest-round-trip double ("-1.7976931348623157E+308") is 24 characters.
    private const int MaxNumberLength = 32;

    // Integral values up to 2^53 are exact in a double and are written as plain integers, never with an exponent.
    private const double MaxExactInteger = 9007199254740992d;

    public void WriteHeader(string name, string help, MetricType type)
    {
        Write("# HELP "u8);
        WriteAscii(name);
        WriteByte((byte)' ');
        WriteEscaped(help, escapeQuote: false);
        Write("\n# TYPE "u8);
        WriteAscii(name);
        WriteByte((byte)' ');
        WriteAscii(type.ToExpositionName());
        WriteByte((byte)'\n');
    }

    /// <summary>One sample line: <c>name_suffix{labels[,le="bound"]} value</c>.</summary>
    public void WriteSample(
        string name,
        ReadOnlySpan<byte> suffix,
        ImmutableArray<string> labelNames,
        ImmutableArray<int> order,
        ImmutableArray<string> labelValues,
        double value,
        double? le = null)
    {
        WriteAscii(name);
        Write(suffix);
        if (order.Length > 0 || le.HasValue)
        {
            WriteByte((byte)'{');
            bool first = true;
            foreach (int i in order)
            {
                if (!first)
                {
                    WriteByte((byte)',');
                }

                first = false;
                WriteAscii(labelNames[i]);
                Write("=\""u8);
                WriteEscaped(labelValues[i], escapeQuote: true);
                WriteByte((byte)'"');
            }

            if (le.HasValue)
            {
                Write(first ? "le=\""u8 : ",le=\""u8);
                WriteNumber(le.Value);
                WriteByte((byte)'"');
            }

            WriteByte((byte)'}');
        }

        WriteByte((byte)' ');
        WriteNumber(value);
        WriteByte((byte)'\n');
    }

    /// <summary>
    /// Integers without exponent where exact, <c>+Inf</c>/<c>-Inf</c>/<c>NaN</c> as the format spells them,
    /// otherwise the shortest text that parses back to the same double (invariant culture, lower-case <c>e</c>).
    /// </summary>
    public void WriteNumber(double value)
    {
        if (double.IsNaN(value))
        {
            Write("NaN"u8);
            return;
        }

        if (double.IsInfinity(value))
        {
            Write(value > 0 ? "+Inf"u8 : "-Inf"u8);
            return;
        }

        Span<byte> span = output.GetSpan(MaxNumberLength);
        int written;
        bool formatted = Math.Abs(value) <= MaxExactInteger && value == Math.Floor(value)
            ? ((long)value).TryFormat(span, out written, default, CultureInfo.InvariantCulture)
            : value.TryFormat(span, out written, "R", CultureInfo.InvariantCulture);
        if (!formatted)
        {
            throw new InvalidOperationException("A number did not fit its buffer.");
        }

        for (int i = 0; i < written; i++)
        {
            if (span[i] == (byte)'E')
            {
                span[i] = (byte)'e';
            }
        }

        output.Advance(written);
    }

    private void WriteEscaped(string text, bool escapeQuote)
    {
        ReadOnlySpan<char> rest = text;
        while (!rest.IsEmpty)
        {
            int special = escapeQuote ? rest.IndexOfAny('\\', '\n', '"') : rest.IndexOfAny('\\', '\n');
            if (special < 0)
            {
                WriteUtf8(rest);
                return;
            }

            // The characters escaped are ASCII, so cutting here never splits a surrogate pair.
            WriteUtf8(rest[..special]);
            Write(rest[special] switch
            {
                '\\' => "\\\\"u8,
                '\n' => "\\n"u8,
                _ => "\\\""u8,
            });
            rest = rest[(special + 1)..];
        }
    }

    private void WriteUtf8(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty)
        {
            return;
        }

        Span<byte> span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(chars.Length));
        output.Advance(Encoding.UTF8.GetBytes(chars, span));
    }

    private void WriteAscii(string text)
    {
        Span<byte> span = output.GetSpan(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }

        output.Advance(text.Length);
    }

    private void Write(ReadOnlySpan<byte> bytes) => output.Write(bytes);

    private void WriteByte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
