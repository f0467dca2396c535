using System.Text.RegularExpressions;
using System.Globalization;
using System.Text.Json;

namespace BucketGuard.Core.Json;

/// <summary>Tolerant readers for the JSON shapes AWS and the tools around it produce: keys in any case,
/// a single value where a list is usual, numbers and booleans where strings are usual.</summary>
public static class JsonRead
{
    /// <summary>Looks a property up by exact name first (the common case, no allocation), then ignoring case.</summary>
    public static bool TryGet(this JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (element.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    /// <summary>Tries several spellings of one key (for example "xsi:type" and "xsi_type").</summary>
    public static bool TryGetAny(this JsonElement element, out JsonElement value, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (element.TryGet(name, out value))
            {
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>A string, number or boolean as text; the first element of a one-element list (CloudTrail
    /// records some headers as ["value"]); null for anything else.</summary>
    public static string? Text(this JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => StringOf(element),
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array when element.GetArrayLength() > 0 => element[0].Text(),
        _ => null,
    };

    /// <summary>A JSON string's value. A string that escapes half a surrogate pair ("\uD800", valid JSON but not valid
    /// UTF-16) makes GetString throw: its raw text is decoded by hand instead, the lone half kept as is (Untrusted.Clean
    /// shows it as an escape), so a hostile field cannot make the event unreadable.</summary>
    private static string? StringOf(JsonElement element)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            var raw = element.GetRawText();
            return Regex.Unescape(raw[1..^1]);
        }
    }

    public static string? TextOf(this JsonElement element, string name) =>
        element.TryGet(name, out var value) ? value.Text() : null;

    /// <summary>A value that may be a scalar or a list, as the list of its items (null and missing: none).
    /// A struct enumerable, so hot loops over policies allocate nothing.</summary>
    public static Items OneOrMany(this JsonElement element) => new(element);

    /// <summary>Scalars (or a list of scalars) as strings; null when any item is not a scalar.</summary>
    public static List<string>? Strings(this JsonElement element)
    {
        var result = new List<string>();
        foreach (var item in element.OneOrMany())
        {
            switch (item.ValueKind)
            {
                case JsonValueKind.String:
                    result.Add(item.GetString()!);
                    break;
                case JsonValueKind.Number:
                    result.Add(item.GetRawText());
                    break;
                case JsonValueKind.True:
                    result.Add("true");
                    break;
                case JsonValueKind.False:
                    result.Add("false");
                    break;
                default:
                    return null;
            }
        }

        return result;
    }

    public static bool? Bool(this JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(element.GetString(), out var b) => b,
        _ => null,
    };

    /// <summary>A reader token in the same words as <see cref="Describe(JsonValueKind)"/>.</summary>
    public static string Describe(JsonTokenType token) => Describe(token switch
    {
        JsonTokenType.StartObject => JsonValueKind.Object,
        JsonTokenType.StartArray => JsonValueKind.Array,
        JsonTokenType.String => JsonValueKind.String,
        JsonTokenType.Number => JsonValueKind.Number,
        JsonTokenType.True => JsonValueKind.True,
        JsonTokenType.False => JsonValueKind.False,
        JsonTokenType.Null => JsonValueKind.Null,
        _ => JsonValueKind.Undefined,
    });

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    public static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    /// <summary>Parses JSON text; on failure says where and why instead of throwing.</summary>
    public static bool TryParse(string text, out JsonDocument? document, out string? error)
    {
        try
        {
            document = JsonDocument.Parse(text, Options);
            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            document = null;
            error = Describe(ex);
            return false;
        }
    }

    /// <summary>"not valid JSON (line L, byte B): reason", for a parser's exception.</summary>
    public static string Describe(JsonException ex) =>
        string.Create(CultureInfo.InvariantCulture, $"not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}): {FirstSentence(ex.Message)}");

    public static readonly JsonReaderOptions ReaderOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends its own position and path; the caller already says where.
        foreach (var marker in (ReadOnlySpan<string>)[" LineNumber:", " Path:"])
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        return message.Trim();
    }

    public readonly struct Items(JsonElement element) : IEnumerable<JsonElement>
    {
        public Enumerator GetEnumerator() => new(element);

        IEnumerator<JsonElement> IEnumerable<JsonElement>.GetEnumerator() => GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public struct Enumerator : IEnumerator<JsonElement>
    {
        private readonly JsonElement single;
        private readonly bool isArray;
        private JsonElement.ArrayEnumerator array;
        private int state;

        public Enumerator(JsonElement element)
        {
            isArray = element.ValueKind == JsonValueKind.Array;
            array = isArray ? element.EnumerateArray() : default;
            single = element;
            state = isArray || element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? 1 : 0;
        }

        public JsonElement Current { get; private set; }

        readonly object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (isArray)
            {
                if (array.MoveNext())
                {
                    Current = array.Current;
                    return true;
                }

                return false;
            }

            if (state == 0)
            {
                state = 1;
                Current = single;
                return true;
            }

            return false;
        }

        public void Reset() => throw new NotSupportedException();

        public readonly void Dispose()
        {
        }
    }
}
