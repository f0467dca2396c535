using System.Text;
using System.Text.Json;

namespace BucketGuard.Core;

/// <summary>The one writer of JSON log lines: every value goes through Utf8JsonWriter, so a quote, a newline or a
/// forged <c>","level":"info</c> in an event field stays inside its string and can never add or override a key.</summary>
public static class JsonLine
{
    /// <summary>The level and the RFC 3339 timestamp (UTC, milliseconds), first in every line.</summary>
    public static void Header(Utf8JsonWriter w, string level, DateTimeOffset time)
    {
        w.WriteString("level", level);
        w.WriteString("timestamp", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }

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

    /// <summary>{"level": level, "timestamp": RFC 3339, "message": message, field: value...}; null values are written
    /// as null. Lambda's JSON log format filters by "level" only when "timestamp" is a valid RFC 3339 time (Lambda
    /// Developer Guide, "Log-level filtering"), so every line carries both.</summary>
    public static string Log(string level, DateTimeOffset time, string message, params ReadOnlySpan<(string Name, string? Value)> fields)
    {
        var copy = fields.ToArray();
        return Write(w =>
        {
            Header(w, level, time);
            w.WriteString("message", message);
            foreach (var (name, value) in copy)
            {
                w.WriteString(name, value);
            }
        });
    }
}
