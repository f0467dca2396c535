using System.Text;
using System.Text.Json;

namespace BucketGuard.Core;

/// <summary>The one writer of JSON log lines: every value goes through Utf8JsonWriter, so a quote, a newline or a
/// forged <c>","level":"info</c> in an event field stays inside its string and can never add or override a key.</summary>
public static class JsonLine
{
    /// <summary>One JSON object on one line, with the members the body writes.</summary>
    public static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>{"level": level, "message": message, field: value...}; null values are written as null.</summary>
    public static string Log(string level, string message, params ReadOnlySpan<(string Name, string? Value)> fields)
    {
        var copy = fields.ToArray();
        return Write(w =>
        {
            w.WriteString("level", level);
            w.WriteString("message", message);
            foreach (var (name, value) in copy)
            {
                w.WriteString(name, value);
            }
        });
    }
}
