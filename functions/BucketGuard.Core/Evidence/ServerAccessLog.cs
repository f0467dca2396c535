using System.Globalization;

namespace BucketGuard.Core.Evidence;

/// <summary>S3 server access log records (S3 User Guide, "Amazon S3 server access log format"): newline-delimited,
/// space-delimited fields; the time in brackets ([06/Feb/2019:00:00:38 +0000]); Request-URI, Referer and User-Agent in
/// double quotes (a quote or backslash inside escaped with a backslash); any field "-" when unknown or not applicable.
/// Fields are read by position: Bucket Owner, Bucket, Time, Remote IP, Requester, Request ID, Operation, Key,
/// Request-URI, HTTP status, Error Code, Bytes Sent, Object Size, Total Time, Turn-Around Time, Referer, User-Agent,
/// Version Id, Host Id, then (newer records) Signature Version, Cipher Suite, Authentication Type, Host Header, TLS
/// version, Access Point ARN, aclRequired, and whatever S3 adds after them, which is tokenized and kept, never a
/// reason to drop the record. A record needs the first 17 fields; Version Id and Host Id are read where present.</summary>
public static class ServerAccessLog
{
    /// <summary>Fields every record has (through User-Agent).</summary>
    public const int RequiredFields = 17;

    private const int Owner = 0, Bucket = 1, Time = 2, RemoteIp = 3, Requester = 4, RequestId = 5, Operation = 6, Key = 7,
        Status = 9, Error = 10, BytesSent = 11, UserAgent = 16, VersionId = 17, HostId = 18;

    /// <summary>Every field of a record, in order, "-" as null, quotes and brackets removed and escapes resolved.</summary>
    /// <returns>Null (with the error) when a quote or bracket is not closed.</returns>
    public static List<string?>? Tokenize(string line, out string? error)
    {
        var fields = new (int Start, int Length, bool Escaped)[line.Length / 2 + 1];
        var count = Split(line, fields, out error);
        return count < 0 ? null : [.. fields[..count].Select(f => Text(line, f))];
    }

    /// <summary>One record as a request.</summary>
    /// <param name="bucketOwner">The record's Bucket Owner (canonical user ID), for telling the owner's own requests.</param>
    public static Parsed<AccessRequest> Parse(string line, out string? bucketOwner)
    {
        bucketOwner = null;

        // Only the first HostId + 1 fields are read; the rest are tokenized (a quote must still close) and counted.
        Span<(int Start, int Length, bool Escaped)> fields = stackalloc (int, int, bool)[HostId + 1];
        var count = Split(line, fields, out var error);
        if (count < 0)
        {
            return Parsed<AccessRequest>.Failure(error!);
        }

        if (count < RequiredFields)
        {
            return Parsed<AccessRequest>.Failure($"an access log record has {RequiredFields} fields or more; this one has {count}");
        }

        var found = fields[..Math.Min(count, fields.Length)];
        string? Field(ReadOnlySpan<(int Start, int Length, bool Escaped)> f, int i) => i < f.Length ? Text(line, f[i]) : null;
        if (Field(found, Bucket) is not { } bucket || Field(found, Operation) is not { } operation)
        {
            return Parsed<AccessRequest>.Failure("an access log record names its bucket and operation");
        }

        if (!TryTime(line.AsSpan(found[Time].Start, found[Time].Length), out var time))
        {
            return Parsed<AccessRequest>.Failure($"the time \"{Untrusted.Clean(Field(found, Time))}\" is not [dd/MMM/yyyy:HH:mm:ss +hhmm]");
        }

        bucketOwner = Field(found, Owner);
        var requester = Field(found, Requester);
        var key = Field(found, Key) is { } encoded ? (encoded.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(encoded) : encoded) : null;
        var status = line.AsSpan(found[Status].Start, found[Status].Length);
        var sent = line.AsSpan(found[BytesSent].Start, found[BytesSent].Length);
        return Parsed<AccessRequest>.Success(new AccessRequest(
            RequestSource.AccessLog, time, bucket, key, Field(found, VersionId), operation,
            Anonymous: requester is null, requester, AccessRequest.AccountOf(requester), Field(found, RemoteIp), Field(found, UserAgent),
            int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null,
            Field(found, Error),
            long.TryParse(sent, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : 0,
            Field(found, RequestId), Field(found, HostId)));
    }

    /// <summary>Finds each field: [bracketed], "quoted" (backslash escapes), or up to the next space. The first
    /// fields.Length are recorded; all are counted.</summary>
    /// <returns>How many fields the record has, or -1 (with the error) when a bracket or quote is not closed.</returns>
    private static int Split(string line, Span<(int Start, int Length, bool Escaped)> fields, out string? error)
    {
        error = null;
        var count = 0;
        var i = 0;
        while (i < line.Length)
        {
            if (line[i] == ' ')
            {
                i++;
                continue;
            }

            int start;
            var escaped = false;
            if (line[i] is '[' or '"')
            {
                var close = line[i] == '[' ? ']' : '"';
                start = ++i;
                while (i < line.Length && line[i] != close)
                {
                    if (close == '"' && line[i] == '\\' && i + 1 < line.Length)
                    {
                        escaped = true;
                        i++;
                    }

                    i++;
                }

                if (i >= line.Length)
                {
                    error = $"field {count + 1} opens with {line[start - 1]} and is never closed";
                    return -1;
                }

                if (count < fields.Length)
                {
                    fields[count] = (start, i - start, escaped);
                }

                i++;
            }
            else
            {
                start = i;
                var space = line.AsSpan(i).IndexOf(' ');
                i = space < 0 ? line.Length : i + space;
                if (count < fields.Length)
                {
                    fields[count] = (start, i - start, false);
                }
            }

            count++;
        }

        return count;
    }

    private static string? Text(string line, (int Start, int Length, bool Escaped) field)
    {
        var span = line.AsSpan(field.Start, field.Length);
        if (span is "-")
        {
            return null;
        }

        if (!field.Escaped)
        {
            return span.ToString();
        }

        var text = new System.Text.StringBuilder(span.Length);
        for (var i = 0; i < span.Length; i++)
        {
            text.Append(span[i] == '\\' && i + 1 < span.Length ? span[++i] : span[i]);
        }

        return text.ToString();
    }

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>06/Feb/2019:00:00:38 +0000 (the brackets already removed), read by position: this runs once a line.</summary>
    private static bool TryTime(ReadOnlySpan<char> text, out DateTimeOffset time)
    {
        time = default;
        if (text.Length != 26 || text[2] != '/' || text[6] != '/' || text[11] != ':' || text[14] != ':' || text[17] != ':' || text[20] != ' '
            || text[21] is not ('+' or '-')
            || !Number(text[..2], out var day) || !Number(text[7..11], out var year) || !Number(text[12..14], out var hour)
            || !Number(text[15..17], out var minute) || !Number(text[18..20], out var second)
            || !Number(text[22..24], out var offsetHours) || !Number(text[24..26], out var offsetMinutes))
        {
            return false;
        }

        var month = 0;
        for (var m = 0; m < Months.Length && month == 0; m++)
        {
            month = text[3..6].SequenceEqual(Months[m]) ? m + 1 : 0;
        }

        if (month == 0 || year < 1 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || offsetHours > 14 || offsetMinutes > 59)
        {
            return false;
        }

        var offset = new TimeSpan(offsetHours, offsetMinutes, 0) * (text[21] == '-' ? -1 : 1);
        time = new DateTimeOffset(year, month, day, hour, minute, second, offset).ToUniversalTime();
        return true;
    }

    private static bool Number(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
