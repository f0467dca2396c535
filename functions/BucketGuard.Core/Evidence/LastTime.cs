using System.Runtime.CompilerServices;

namespace BucketGuard.Core.Evidence;

/// <summary>The last time a log reader parsed and its text (UTF-8), so that the records of one second, most of a busy
/// log, are parsed once: an access log's [dd/MMM/yyyy:HH:mm:ss +hhmm] (26 bytes) or a CloudTrail eventTime
/// (2026-11-21T09:45:10Z, 20 bytes, or longer with fractions or an offset). A text longer than MaxLength is not kept.</summary>
internal struct LastTime
{
    public const int MaxLength = 40;

    private TimeText text;
    private int length;
    private DateTimeOffset value;

    /// <summary>The time parsed last, when <paramref name="utf8"/> is the same text.</summary>
    public readonly bool Matches(ReadOnlySpan<byte> utf8, out DateTimeOffset time)
    {
        time = value;
        return length > 0 && utf8.Length == length && utf8.SequenceEqual(((ReadOnlySpan<byte>)text)[..length]);
    }

    /// <summary>Keeps a time just parsed from <paramref name="utf8"/>.</summary>
    public void Remember(ReadOnlySpan<byte> utf8, DateTimeOffset time)
    {
        if (utf8.Length is > 0 and <= MaxLength)
        {
            utf8.CopyTo(text);
            (length, value) = (utf8.Length, time);
        }
    }

    [InlineArray(MaxLength)]
    private struct TimeText
    {
        private byte first;
    }
}
