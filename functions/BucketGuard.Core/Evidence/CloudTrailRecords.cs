using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace BucketGuard.Core.Evidence;

/// <summary>Reads a CloudTrail log file ({"Records":[...]}, as the trail delivers it to S3, already decompressed) one record
/// at a time, so that memory is bounded by the largest record, not the file. S3 data events become AccessRequests
/// (S3 User Guide, "Amazon S3 CloudTrail events"; CloudTrail User Guide, "CloudTrail record contents").</summary>
public static class CloudTrailRecords
{
    private static ReadOnlySpan<byte> RecordsKey => "\"Records\""u8;

    /// <summary>Each element of the file's Records array, as its own JSON document.</summary>
    /// <exception cref="FormatException">The stream is not a CloudTrail log file (no Records array), or ends inside a record.</exception>
    public static async IAsyncEnumerable<JsonDocument> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int length = 0, position = 0;
            var inArray = false;
            var ended = false;
            while (true)
            {
                // Scan what is buffered: before the array, look for its start; inside, take each complete element.
                while (true)
                {
                    if (!inArray)
                    {
                        var key = buffer.AsSpan(0, length).IndexOf(RecordsKey);
                        var open = key < 0 ? -1 : buffer.AsSpan(key, length - key).IndexOf((byte)'[');
                        if (open < 0)
                        {
                            break;
                        }

                        position = key + open + 1;
                        inArray = true;
                    }

                    position = SkipSeparators(buffer, position, length);
                    if (position < length && buffer[position] == (byte)']')
                    {
                        yield break;
                    }

                    var end = ElementEnd(buffer, position, length);
                    if (end < 0)
                    {
                        break;
                    }

                    // A copy: the buffer moves on, and the document must outlive it.
                    yield return JsonDocument.Parse(buffer.AsSpan(position, end - position).ToArray());
                    position = end;
                }

                if (ended)
                {
                    throw new FormatException(inArray ? "the CloudTrail log file ends inside a record" : "not a CloudTrail log file: no \"Records\" array");
                }

                // Keep the unread tail at the front, grow the buffer when one record fills it, and read more.
                var keep = inArray ? position : Math.Max(0, length - RecordsKey.Length - 16);
                Buffer.BlockCopy(buffer, keep, buffer, 0, length - keep);
                length -= keep;
                position -= inArray ? keep : 0;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, larger, 0, length);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                ended = read == 0;
                length += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int SkipSeparators(byte[] buffer, int position, int length)
    {
        while (position < length && buffer[position] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)',')
        {
            position++;
        }

        return position;
    }

    /// <summary>The end (exclusive) of the object starting at <paramref name="start"/>, or -1 when it is not all buffered.</summary>
    private static int ElementEnd(byte[] buffer, int start, int length)
    {
        if (start >= length)
        {
            return -1;
        }

        if (buffer[start] != (byte)'{')
        {
            throw new FormatException("a CloudTrail Records element is not an object");
        }

        var depth = 0;
        var inString = false;
        for (var i = start; i < length; i++)
        {
            var b = buffer[i];
            if (inString)
            {
                if (b == (byte)'\\')
                {
                    i++;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b == (byte)'"')
            {
                inString = true;
            }
            else if (b == (byte)'{' || b == (byte)'[')
            {
                depth++;
            }
            else if ((b == (byte)'}' || b == (byte)']') && --depth == 0)
            {
                return i + 1;
            }
        }

        return -1;
    }

    /// <summary>An S3 data event as a request; null for any other record (management events, other services).</summary>
    public static AccessRequest? DataEvent(JsonElement record)
    {
        if (Text(record, "eventSource") != "s3.amazonaws.com" || Text(record, "eventCategory") is { } category && category != "Data"
            || Text(record, "eventName") is not { } eventName
            || !record.TryGetProperty("requestParameters", out var parameters) || parameters.ValueKind != JsonValueKind.Object
            || Text(parameters, "bucketName") is not { } bucket
            || !DateTimeOffset.TryParse(Text(record, "eventTime"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time))
        {
            return null;
        }

        var identity = record.TryGetProperty("userIdentity", out var id) && id.ValueKind == JsonValueKind.Object ? id : default;
        var account = identity.ValueKind == JsonValueKind.Object ? Text(identity, "accountId") : null;

        // Anonymous, as CloudTrail has written it over the years: an AWSAccount with no principal, whose accountId is
        // ANONYMOUS_PRINCIPAL (older records), anonymous (newer) or empty.
        var anonymous = identity.ValueKind == JsonValueKind.Object && Text(identity, "type") == "AWSAccount"
            && string.IsNullOrEmpty(Text(identity, "principalId"))
            && (string.IsNullOrEmpty(account) || account is "ANONYMOUS_PRINCIPAL" or "anonymous");
        var arn = identity.ValueKind == JsonValueKind.Object ? Text(identity, "arn") : null;
        var extra = record.TryGetProperty("additionalEventData", out var data) && data.ValueKind == JsonValueKind.Object ? data : default;
        long bytes = extra.ValueKind == JsonValueKind.Object && extra.TryGetProperty("bytesTransferredOut", out var sent) && sent.ValueKind == JsonValueKind.Number && sent.TryGetInt64(out var n) ? n : 0;
        return new AccessRequest(
            RequestSource.DataEvent, time.ToUniversalTime(), bucket, Text(parameters, "key"), Text(parameters, "versionId"), eventName,
            anonymous, anonymous ? null : arn ?? account, anonymous ? null : AccountId.IsValid(account) ? account : AccessRequest.AccountOf(arn),
            Text(record, "sourceIPAddress"), Text(record, "userAgent"), HttpStatus: null, Text(record, "errorCode"), bytes,
            Text(record, "requestID"), extra.ValueKind == JsonValueKind.Object ? Text(extra, "x-amz-id-2") : null);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
