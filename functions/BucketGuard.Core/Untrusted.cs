using System.Globalization;
using System.Text;

namespace BucketGuard.Core;

/// <summary>Text that came from an event, a tag or a policy, made safe to show to a person: the caller chooses every
/// byte of a user agent, an object key or a tag, so none of it may start a new line, reorder the text around it
/// (Unicode bidi controls, the "Trojan Source" trick), hide itself (zero-width characters) or run on for pages.</summary>
public static class Untrusted
{
    /// <summary>The longest a single field is shown in a notification's text (characters).</summary>
    public const int FieldLength = 256;

    /// <summary>The longest one line of a notification's text is shown (characters).</summary>
    public const int LineLength = 4000;

    /// <summary>Replaces every character that could change how the text around it reads with a visible escape
    /// (<c>\u000A</c>), and shortens what is longer than <paramref name="maxLength"/> to that many characters plus
    /// "… (N more characters)". Null stays null. Shape: one line, printable, at most maxLength + 32 characters.</summary>
    public static string? Clean(string? value, int maxLength = FieldLength)
    {
        if (value is null)
        {
            return null;
        }

        StringBuilder? b = null;
        var shown = 0;
        for (var i = 0; i < value.Length; i++)
        {
            if (shown >= maxLength)
            {
                b ??= new StringBuilder(value, 0, i, maxLength + 32);
                b.Append(CultureInfo.InvariantCulture, $"… ({value.Length - i} more characters)");
                return b.ToString();
            }

            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                b?.Append(c).Append(value[i + 1]);
                i++;
                shown++;
                continue;
            }

            if (IsUnsafe(c))
            {
                b ??= new StringBuilder(value, 0, i, value.Length + 16);
                b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                b?.Append(c);
            }

            shown++;
        }

        return b?.ToString() ?? value;
    }

    /// <summary>Control characters (C0, DEL, C1: CR, LF, TAB, ESC...), line and paragraph separators, bidi embedding,
    /// override and isolate controls and marks, zero-width characters, the byte-order mark and lone surrogates.</summary>
    public static bool IsUnsafe(char c) => char.IsControl(c) || char.IsSurrogate(c) || c switch
    {
        '\u061C' or '\u200B' or '\u200C' or '\u200D' or '\u200E' or '\u200F' or '\u2028' or '\u2029' or '\uFEFF' => true,
        >= '\u202A' and <= '\u202E' => true,
        >= '\u2066' and <= '\u2069' => true,
        _ => false,
    };

    /// <summary>Whether a character may appear in an SNS message or string attribute: the XML 1.0 character set
    /// (#x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD and paired surrogates), per the SNS API reference, Publish.</summary>
    public static bool IsXmlChar(string value, int index) => value[index] switch
    {
        '\t' or '\n' or '\r' => true,
        < ' ' => false,
        var c when char.IsHighSurrogate(c) => index + 1 < value.Length && char.IsLowSurrogate(value[index + 1]),
        var c when char.IsLowSurrogate(c) => index > 0 && char.IsHighSurrogate(value[index - 1]),
        '\uFFFE' or '\uFFFF' => false,
        _ => true,
    };
}
