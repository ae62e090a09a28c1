using System.Text.Json;

namespace MeshDns.Kubernetes.Informers;

internal enum WatchEventType
{
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
}

/// <summary>
/// Splits one watch line (<c>{"type":...,"object":{...}}</c>) into its type and the raw bytes of its object, in any
/// property order, without materialising anything else.
/// </summary>
internal static class WatchEventDecoder
{
    public static bool TryDecode(ReadOnlySpan<byte> line, out WatchEventType type, out int objectStart, out int objectLength, out string? error)
    {
        type = default;
        objectStart = -1;
        objectLength = 0;
        error = null;
        string? typeText = null;
        try
        {
            var reader = new Utf8JsonReader(line, isFinalBlock: true, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "not a JSON object";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    typeText = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("object"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    objectStart = start;
                    objectLength = (int)reader.BytesConsumed - start;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "trailing or truncated JSON";
                return false;
            }
        }
        catch (JsonException ex)
        {
            error = $"malformed JSON at byte {ex.BytePositionInLine}";
            return false;
        }

        if (objectStart < 0)
        {
            error = "no \"object\"";
            return false;
        }

        switch (typeText)
        {
            case "ADDED": type = WatchEventType.Added; return true;
            case "MODIFIED": type = WatchEventType.Modified; return true;
            case "DELETED": type = WatchEventType.Deleted; return true;
            case "BOOKMARK": type = WatchEventType.Bookmark; return true;
            case "ERROR": type = WatchEventType.Error; return true;
            default:
                error = typeText is null ? "no \"type\"" : $"unknown event type \"{typeText}\"";
                return false;
        }
    }
}
