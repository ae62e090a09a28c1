using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MeshDns.Server.Metrics;

namespace MeshDns.Server.Tests.Metrics;

public sealed class FormattingPropertyTests
{
    [Fact]
    public void WriteNumber_AnyDouble_ParsesBackToTheSameValue()
    {
        Prop.ForAll<double>(value =>
        {
            string text = Format(value);
            double parsed = ExpositionParser.ParseNumber(text);
            bool same = double.IsNaN(value) ? double.IsNaN(parsed) : parsed == value;
            return same && !text.Contains('E', StringComparison.Ordinal) && !text.Contains(',', StringComparison.Ordinal);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void WriteNumber_AnyLong_WrittenWithoutExponentWhenExact()
    {
        Prop.ForAll<long>(value =>
        {
            double asDouble = value;
            string text = Format(asDouble);
            return Math.Abs(asDouble) > 9007199254740992d || text == ((long)asDouble).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void LabelValue_AnyString_RoundTripsThroughEscaping()
    {
        Prop.ForAll<string>(value =>
        {
            if (value is null || !IsWellFormedUtf16(value))
            {
                return true;
            }

            var registry = new MetricsRegistry();
            registry.Counter("c_total", "Help.", "v").WithLabels(value).Inc();
            string text = registry.Serialize();

            ParsedSample sample = Assert.Single(ExpositionParser.Parse(text));
            return sample.Label("v") == value && text.Split('\n').Length == 4;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void HelpText_AnyString_StaysOnOneLine()
    {
        Prop.ForAll<string>(help =>
        {
            if (string.IsNullOrWhiteSpace(help) || !IsWellFormedUtf16(help))
            {
                return true;
            }

            var registry = new MetricsRegistry();
            registry.Gauge("g", help);
            string[] lines = registry.Serialize().Split('\n');
            string unescaped = lines[0]["# HELP g ".Length..].Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            return lines.Length == 4 && lines[1] == "# TYPE g gauge" && (help.Contains("\\n", StringComparison.Ordinal) || unescaped == help);
        }).QuickCheckThrowOnFailure();
    }

    private static string Format(double value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new ExpositionWriter(buffer).WriteNumber(value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static bool IsWellFormedUtf16(string value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
