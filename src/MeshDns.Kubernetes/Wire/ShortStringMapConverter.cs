using System.Text.Json;
using System.Text.Json.Serialization;

namespace MeshDns.Kubernetes.Wire;

/// <summary>
/// Reads a string map (labels, annotations) but drops values longer than <see cref="MaxValueBytes"/> without
/// materialising them: <c>kubectl.kubernetes.io/last-applied-configuration</c> can be the size of the whole object,
/// and nothing DNS reads is that long.
/// </summary>
internal sealed class ShortStringMapConverter : JsonConverter<Dictionary<string, string>>
{
    internal const int MaxValueBytes = 4096;

    public override Dictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected a JSON object of strings.");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return map;
            }

            var key = reader.GetString() ?? string.Empty;
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                if (length <= MaxValueBytes)
                {
                    map[key] = reader.GetString() ?? string.Empty;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        throw new JsonException("Unterminated JSON object.");
    }

    public override void Write(Utf8JsonWriter writer, Dictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, item) in value)
        {
            writer.WriteString(key, item);
        }

        writer.WriteEndObject();
    }
}
