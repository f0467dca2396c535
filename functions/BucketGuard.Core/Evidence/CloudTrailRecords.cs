using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace BucketGuard.Core.Evidence;

/// <summary>Reads a CloudTrail log file ({"Records":[...]}, as the trail delivers it to S3, already decompressed) one record
/// at a time, so that memory is bounded by a megabyte (LogStream.BufferBytes) or the largest record, not the file. S3
/// data events become AccessRequests (S3 User Guide, "Amazon S3 CloudTrail events"; CloudTrail User Guide, "CloudTrail
/// record contents"). Records are read with System.Text.Json's Utf8JsonReader straight from the stream's buffer: a data
/// event is read in one pass, with no document built for it.</summary>
public static class CloudTrailRecords
{
    /// <summary>Each element of the file's Records array, as its own JSON document.</summary>
    /// <exception cref="FormatException">The stream is not a CloudTrail log file (no Records array), or ends inside a record.</exception>
    /// <exception cref="JsonException">A record is not valid JSON.</exception>
    public static async IAsyncEnumerable<JsonDocument> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var records = new Records(stream);
        while (await records.NextAsync(ReadDocument, cancellationToken).ConfigureAwait(false))
        {
            yield return records.Document!;
        }
    }

    /// <summary>Every S3 data event of the file for the ledger's bucket, into the ledger; other records are passed over
    /// without a string made for them.</summary>
    /// <returns>How many records the file has.</returns>
    /// <exception cref="FormatException">The stream is not a CloudTrail log file, or ends inside a record.</exception>
    /// <exception cref="JsonException">A record is not valid JSON.</exception>
    public static async Task<int> ReadDataEventsAsync(Stream stream, AccessLedger ledger, CancellationToken cancellationToken = default)
    {
        using var records = new Records(stream) { Ledger = ledger };
        var count = 0;
        try
        {
            while (await records.NextAsync(ReadIntoLedger, cancellationToken).ConfigureAwait(false))
            {
                count++;
            }
        }
        finally
        {
            // The last data event read (also when a later record is not valid, as every one before it is in).
            records.Waiting.AddTo(ledger);
        }

        return count;
    }

    /// <summary>An S3 data event as a request; null for any other record (management events, other services).</summary>
    public static AccessRequest? DataEvent(JsonElement record) => DataEvent(JsonMarshal.GetRawUtf8Value(record));

    /// <summary>An S3 data event (one record's JSON, UTF-8) as a request; null for any other record.</summary>
    /// <exception cref="JsonException">The text is not one JSON object.</exception>
    public static AccessRequest? DataEvent(ReadOnlySpan<byte> record)
    {
        var found = default(Found);
        var last = default(LastTime);
        if (Read(record, true, ref found, ref last) != record.Length && record.Length > 0)
        {
            throw new JsonException("one CloudTrail record was expected");
        }

        if (!found.IsDataEventOf([]))
        {
            return null;
        }

        // Anonymous has no requester; otherwise the requester is its ARN (or its account) and its account where given.
        var anonymous = found.Anonymous;
        var accountId = found.Account.Text();
        var arnText = found.Arn.Text();
        return new AccessRequest(
            RequestSource.DataEvent, found.Time.ToUniversalTime(), found.BucketName.Text()!, found.Key.Text(), found.VersionId.Text(), found.Name.Text()!,
            anonymous, anonymous ? null : arnText ?? accountId, anonymous ? null : AccountId.IsValid(accountId) ? accountId : AccessRequest.AccountOf(arnText),
            found.Ip.Text(), found.Agent.Text(), HttpStatus: null, found.Error.Text(), found.BytesOut, found.RequestId.Text(), found.HostId.Text());
    }

    /// <summary>Reads one record from <paramref name="buffered"/> (which starts at it).</summary>
    /// <returns>Its length in bytes, or 0 when it is not all buffered and <paramref name="final"/> is false.</returns>
    private delegate int RecordReader(Records records, ReadOnlySpan<byte> buffered, bool final);

    private static readonly RecordReader ReadDocument = static (records, buffered, final) =>
    {
        var reader = new Utf8JsonReader(buffered, final, default);
        if (!JsonDocument.TryParseValue(ref reader, out var document))
        {
            return 0;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new FormatException("a CloudTrail Records element is not an object");
        }

        records.Document = document;
        return (int)reader.BytesConsumed;
    };

    /// <summary>A data event of the ledger's bucket into the ledger, read in place: what DataEvent makes of a record, with
    /// no string made for a value the ledger already holds.</summary>
    private static readonly RecordReader ReadIntoLedger = static (records, buffered, final) =>
    {
        var found = default(Found);
        var length = Read(buffered, final, ref found, ref records.Last);
        var ledger = records.Ledger!;
        if (length == 0 || !found.IsDataEventOf(ledger.BucketUtf8) || !ledger.Takes(ledger.BucketUtf8, found.Time.ToUniversalTime()))
        {
            return length;
        }

        // The request id's slot is prefetched now and the request added after the next record is read, so that the wait for
        // the slot (a table of millions of ids is not in cache) overlaps reading that record.
        ulong? id = found.RequestId.Present ? AccessLedger.RequestKey(found.RequestId.Utf8(), found.HostId.Utf8()) : null;
        if (id is { } key)
        {
            ledger.Touch(key);
        }

        // As AccessRequest.Caller for DataEvent's requester and account: the account where the record gives a valid
        // one, else the ARN's.
        var caller = found.Anonymous ? CallerKind.Anonymous
            : found.Account.Utf8() is var account && AccountId.IsValid(account) ? ledger.CallerOf(account)
            : found.Arn.Present ? ledger.CallerOf(found.Arn.Utf8())
            : CallerKind.OtherAccount;
        var effect = AccessRequest.EffectOf(
            AccessRequest.IsObjectGetOperation(found.Name.Utf8()), null, found.Error.Is("AccessDenied"u8), found.Error.Present);
        records.Waiting.AddTo(ledger);
        records.Waiting.Hold(
            found.Time.ToUniversalTime(), id, caller, effect, found.BytesOut, found.Key.Utf8(), found.Ip.Utf8(), found.Agent.Utf8(),
            caller != CallerKind.Inside && ledger.KeepsSources ? Encoding.UTF8.GetString(buffered[..length]) : null);
        return length;
    };

    /// <summary>One data event read and not yet added to the ledger: its numbers, and its key, source IP and user agent
    /// (UTF-8) copied out of the reader's buffer, which the next read may move.</summary>
    private sealed class WaitingRequest
    {
        private byte[] text = new byte[1024];
        private int keyLength, ipLength, agentLength;
        private DateTimeOffset time;
        private ulong? id;
        private CallerKind caller;
        private RequestEffect effect;
        private long bytesSent;
        private string? raw;
        private bool holds;

        /// <param name="raw">The record's JSON, kept for the evidence when the ledger counts it; null: not kept.</param>
        public void Hold(DateTimeOffset time, ulong? id, CallerKind caller, RequestEffect effect, long bytesSent, ReadOnlySpan<byte> key, ReadOnlySpan<byte> sourceIp, ReadOnlySpan<byte> userAgent, string? raw)
        {
            var length = key.Length + sourceIp.Length + userAgent.Length;
            if (length > text.Length)
            {
                text = new byte[Math.Max(length, text.Length * 2)];
            }

            key.CopyTo(text);
            sourceIp.CopyTo(text.AsSpan(key.Length));
            userAgent.CopyTo(text.AsSpan(key.Length + sourceIp.Length));
            (keyLength, ipLength, agentLength) = (key.Length, sourceIp.Length, userAgent.Length);
            (this.time, this.id, this.caller, this.effect, this.bytesSent, this.raw, holds) = (time, id, caller, effect, bytesSent, raw, true);
        }

        /// <summary>The request held, if any, into the ledger.</summary>
        public void AddTo(AccessLedger ledger)
        {
            if (!holds)
            {
                return;
            }

            holds = false;
            var counted = ledger.Add(
                time, id, caller, text.AsSpan(0, keyLength), effect, bytesSent, text.AsSpan(keyLength, ipLength), text.AsSpan(keyLength + ipLength, agentLength));
            if (counted && raw is not null)
            {
                ledger.Keep(RequestSource.DataEvent, raw);
            }
        }
    }

    /// <summary>The members of one record that a data event needs, where the reader found them.</summary>
    private ref struct Found
    {
        public Value Source, Category, Name, Ip, Agent, Error, RequestId, Type, Principal, Account, Arn, BucketName, Key, VersionId, HostId;
        public bool HasIdentity, HasTime, HasParameters;
        public DateTimeOffset Time;
        public long BytesOut;

        /// <summary>An S3 data event of this bucket (UTF-8; empty: any bucket), with its time.</summary>
        public readonly bool IsDataEventOf(ReadOnlySpan<byte> bucket) =>
            Source.Is("s3.amazonaws.com"u8) && (!Category.Present || Category.Is("Data"u8)) && Name.Present && HasParameters
            && BucketName.Present && (bucket.IsEmpty || BucketName.Is(bucket)) && HasTime;

        /// <summary>Anonymous, as CloudTrail has written it over the years: an AWSAccount with no principal, whose accountId
        /// is ANONYMOUS_PRINCIPAL (older records), anonymous (newer) or empty.</summary>
        public readonly bool Anonymous => HasIdentity && Type.Is("AWSAccount"u8) && Principal.IsNullOrEmpty
            && (Account.IsNullOrEmpty || Account.Is("ANONYMOUS_PRINCIPAL"u8) || Account.Is("anonymous"u8));
    }

    /// <summary>The members of a record that a data event needs (CloudTrail User Guide, "CloudTrail record contents"),
    /// and those of its userIdentity, requestParameters and additionalEventData; Other for every other name.</summary>
    private enum Member
    {
        Other,
        UserIdentity,
        RequestParameters,
        AdditionalEventData,
        EventSource,
        EventCategory,
        EventName,
        EventTime,
        SourceIPAddress,
        UserAgent,
        ErrorCode,
        RequestID,
        Type,
        PrincipalId,
        AccountId,
        Arn,
        BucketName,
        Key,
        VersionId,
        HostId,
        BytesTransferredOut,
    }

    /// <summary>A member name of a record (UTF-8, as written: unescaped) as a Member: told apart by its length first, so
    /// that each name is compared with at most one or two others, not with all of them.</summary>
    private static Member MemberOf(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 => name.SequenceEqual("arn"u8) ? Member.Arn : name.SequenceEqual("key"u8) ? Member.Key : Member.Other,
        4 => name.SequenceEqual("type"u8) ? Member.Type : Member.Other,
        9 => name[5] switch
        {
            (byte)'N' => name.SequenceEqual("eventName"u8) ? Member.EventName : Member.Other,
            (byte)'T' => name.SequenceEqual("eventTime"u8) ? Member.EventTime : Member.Other,
            (byte)'g' => name.SequenceEqual("userAgent"u8) ? Member.UserAgent : Member.Other,
            (byte)'C' => name.SequenceEqual("errorCode"u8) ? Member.ErrorCode : Member.Other,
            (byte)'s' => name.SequenceEqual("requestID"u8) ? Member.RequestID : Member.Other,
            (byte)'n' => name.SequenceEqual("accountId"u8) ? Member.AccountId : Member.Other,
            (byte)'o' => name.SequenceEqual("versionId"u8) ? Member.VersionId : Member.Other,
            _ => Member.Other,
        },
        10 => name.SequenceEqual("bucketName"u8) ? Member.BucketName : name.SequenceEqual("x-amz-id-2"u8) ? Member.HostId : Member.Other,
        11 => name.SequenceEqual("eventSource"u8) ? Member.EventSource : name.SequenceEqual("principalId"u8) ? Member.PrincipalId : Member.Other,
        12 => name.SequenceEqual("userIdentity"u8) ? Member.UserIdentity : Member.Other,
        13 => name.SequenceEqual("eventCategory"u8) ? Member.EventCategory : Member.Other,
        15 => name.SequenceEqual("sourceIPAddress"u8) ? Member.SourceIPAddress : Member.Other,
        17 => name.SequenceEqual("requestParameters"u8) ? Member.RequestParameters : Member.Other,
        19 => name.SequenceEqual("additionalEventData"u8) ? Member.AdditionalEventData
            : name.SequenceEqual("bytesTransferredOut"u8) ? Member.BytesTransferredOut : Member.Other,
        _ => Member.Other,
    };

    /// <summary>The one reading of a record: the members a data event needs into <paramref name="found"/>, every other
    /// member skipped.</summary>
    /// <param name="last">The eventTime of the record read before, reused when this one has the same text.</param>
    /// <returns>The record's length, or 0 when it is not all buffered.</returns>
    private static int Read(ReadOnlySpan<byte> buffered, bool final, ref Found found, ref LastTime last)
    {
        var reader = new Utf8JsonReader(buffered, final, default);
        if (!reader.Read())
        {
            return 0;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("a CloudTrail Records element is not an object");
        }

        while (true)
        {
            if (!reader.Read())
            {
                return 0;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            // A member name written with escapes is none of the names a data event needs, as CloudTrail writes them.
            var member = reader.ValueIsEscaped ? Member.Other : MemberOf(reader.ValueSpan);
            if (!reader.Read())
            {
                return 0;
            }

            var taken = member switch
            {
                Member.UserIdentity or Member.RequestParameters or Member.AdditionalEventData => Inner(ref reader, member, ref found),
                Member.EventSource => Value.Take(ref reader, out found.Source),
                Member.EventCategory => Value.Take(ref reader, out found.Category),
                Member.EventName => Value.Take(ref reader, out found.Name),
                Member.EventTime => Time(ref reader, ref found, ref last),
                Member.SourceIPAddress => Value.Take(ref reader, out found.Ip),
                Member.UserAgent => Value.Take(ref reader, out found.Agent),
                Member.ErrorCode => Value.Take(ref reader, out found.Error),
                Member.RequestID => Value.Take(ref reader, out found.RequestId),
                _ => Skip(ref reader),
            };
            if (!taken)
            {
                return 0;
            }
        }

        return (int)reader.BytesConsumed;
    }

    /// <summary>eventTime: ISO 8601 as CloudTrail writes it (2026-11-21T09:45:10Z); anything else leaves the record
    /// without a time.</summary>
    /// <returns>False when skipping a value that is not a string needs more bytes than are buffered.</returns>
    private static bool Time(scoped ref Utf8JsonReader reader, ref Found found, ref LastTime last)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return Skip(ref reader);
        }

        // Text written with escapes is parsed each time (never kept: its raw bytes are not the time's text).
        var text = reader.ValueIsEscaped ? [] : reader.ValueSpan;
        if (last.Matches(text, out found.Time))
        {
            found.HasTime = true;
            return true;
        }

        found.HasTime = reader.TryGetDateTimeOffset(out found.Time);
        if (found.HasTime)
        {
            last.Remember(text, found.Time);
        }

        return true;
    }

    /// <summary>The members of userIdentity, requestParameters or additionalEventData (the reader on the value) that a
    /// data event needs; a value that is not an object is skipped.</summary>
    /// <returns>False when the object is not all buffered.</returns>
    private static bool Inner(scoped ref Utf8JsonReader reader, Member outer, ref Found found)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Skip(ref reader);
        }

        found.HasIdentity |= outer == Member.UserIdentity;
        found.HasParameters |= outer == Member.RequestParameters;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            var member = reader.ValueIsEscaped ? Member.Other : MemberOf(reader.ValueSpan);
            if (!reader.Read())
            {
                return false;
            }

            var taken = (outer, member) switch
            {
                (Member.UserIdentity, Member.Type) => Value.Take(ref reader, out found.Type),
                (Member.UserIdentity, Member.PrincipalId) => Value.Take(ref reader, out found.Principal),
                (Member.UserIdentity, Member.AccountId) => Value.Take(ref reader, out found.Account),
                (Member.UserIdentity, Member.Arn) => Value.Take(ref reader, out found.Arn),
                (Member.RequestParameters, Member.BucketName) => Value.Take(ref reader, out found.BucketName),
                (Member.RequestParameters, Member.Key) => Value.Take(ref reader, out found.Key),
                (Member.RequestParameters, Member.VersionId) => Value.Take(ref reader, out found.VersionId),
                (Member.AdditionalEventData, Member.HostId) => Value.Take(ref reader, out found.HostId),
                (Member.AdditionalEventData, Member.BytesTransferredOut) => BytesOut(ref reader, ref found),
                _ => Skip(ref reader),
            };
            if (!taken)
            {
                return false;
            }
        }
    }

    /// <summary>bytesTransferredOut where it is an integer; any other value is skipped.</summary>
    private static bool BytesOut(scoped ref Utf8JsonReader reader, ref Found found)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n))
        {
            found.BytesOut = n;
            return true;
        }

        return Skip(ref reader);
    }

    /// <summary>Passes over the value the reader is on: a number, string, true, false or null is read already; an
    /// object or array is skipped to its end (TrySkip, without a call for the many values that need none).</summary>
    /// <returns>False when skipping it needs more bytes than are buffered.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Skip(scoped ref Utf8JsonReader reader) =>
        reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray) || reader.TrySkip();

    /// <summary>A string member's value where the reader found it: its UTF-8 in the buffer, or (written with escapes) the
    /// string itself. Any other JSON value counts as absent, as a missing member does.</summary>
    private readonly ref struct Value
    {
        private readonly ReadOnlySpan<byte> raw;
        private readonly string? unescaped;

        private Value(ReadOnlySpan<byte> raw, string? unescaped, bool present)
        {
            this.raw = raw;
            this.unescaped = unescaped;
            Present = present;
        }

        public bool Present { get; }

        /// <summary>The value the reader is on; any other JSON value is skipped.</summary>
        /// <returns>False when skipping it needs more bytes than are buffered.</returns>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Take(scoped ref Utf8JsonReader reader, out Value value)
        {
            value = reader.TokenType != JsonTokenType.String ? default
                : reader.ValueIsEscaped ? new Value([], reader.GetString(), true)
                : new Value(reader.ValueSpan, null, true);
            return value.Present || Skip(ref reader);
        }

        public bool Is(ReadOnlySpan<byte> utf8) => Present && (unescaped is null ? raw.SequenceEqual(utf8) : unescaped == Encoding.UTF8.GetString(utf8));

        public bool IsNullOrEmpty => !Present || (unescaped is null ? raw.IsEmpty : unescaped.Length == 0);

        /// <summary>The value as UTF-8 (empty when absent): in the buffer, or encoded from the unescaped string.</summary>
        public ReadOnlySpan<byte> Utf8() => unescaped is null ? raw : Encoding.UTF8.GetBytes(unescaped);

        public string? Text() => !Present ? null : unescaped ?? Encoding.UTF8.GetString(raw);
    }

    /// <summary>The Records array of one file, element by element, through one buffer that grows to the largest record.</summary>
    private sealed class Records(Stream stream) : IDisposable
    {
        private static ReadOnlySpan<byte> RecordsKey => "\"Records\""u8;

        private byte[] buffer = ArrayPool<byte>.Shared.Rent(LogStream.BufferBytes);
        private int length;
        private int position;
        private bool inArray;
        private bool ended;

        /// <summary>The ledger ReadIntoLedger adds to.</summary>
        public AccessLedger? Ledger { get; init; }

        /// <summary>The eventTime ReadIntoLedger read last.</summary>
        public LastTime Last;

        /// <summary>The data event ReadIntoLedger read last, added when it reads the next one or at the end.</summary>
        public WaitingRequest Waiting { get; } = new();

        public JsonDocument? Document { get; set; }

        /// <summary>Reads the next record with <paramref name="read"/>: false at the end of the array.</summary>
        public async ValueTask<bool> NextAsync(RecordReader read, CancellationToken cancellationToken)
        {
            while (true)
            {
                if (Scan(read) is { } found)
                {
                    return found;
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

                (var got, ended) = await LogStream.FillAsync(stream, buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                length += got;
            }
        }

        /// <returns>True: a record was read; false: the array ended; null: more bytes are needed.</returns>
        private bool? Scan(RecordReader read)
        {
            if (!inArray)
            {
                var key = buffer.AsSpan(0, length).IndexOf(RecordsKey);
                var open = key < 0 ? -1 : buffer.AsSpan(key, length - key).IndexOf((byte)'[');
                if (open < 0)
                {
                    return null;
                }

                position = key + open + 1;
                inArray = true;
            }

            while (position < length && buffer[position] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)',')
            {
                position++;
            }

            if (position >= length)
            {
                return null;
            }

            if (buffer[position] == (byte)']')
            {
                return false;
            }

            if (buffer[position] != (byte)'{')
            {
                throw new FormatException("a CloudTrail Records element is not an object");
            }

            // Never the final block: a record cut off by the end of the file is then "more needed" at the end, which is the
            // FormatException below, not a JSON error.
            var used = read(this, buffer.AsSpan(position, length - position), false);
            if (used == 0)
            {
                return null;
            }

            position += used;
            return true;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }
}
