using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace BucketGuard.Core.Evidence;

/// <summary>S3 server access log records (S3 User Guide, "Amazon S3 server access log format"): newline-delimited,
/// space-delimited fields; the time in brackets ([06/Feb/2019:00:00:38 +0000]); Request-URI, Referer and User-Agent in
/// double quotes (a quote or backslash inside escaped with a backslash); any field "-" when unknown or not applicable.
/// Fields are read by position: Bucket Owner, Bucket, Time, Remote IP, Requester, Request ID, Operation, Key
/// (URL-encoded), Request-URI, HTTP status, Error Code, Bytes Sent, Object Size, Total Time, Turn-Around Time, Referer,
/// User-Agent, Version Id, Host Id, then (newer records) Signature Version, Cipher Suite, Authentication Type, Host
/// Header, TLS version, Access Point ARN, aclRequired, and whatever S3 adds after them, which never makes a record
/// unreadable. A record needs the first 17 fields; Version Id and Host Id are read where present. Records are read as
/// UTF-8 bytes in place: a log object streams into the ledger with no string made for a field the ledger already
/// holds, which is what brings reading near twice the time of decompressing the files (README, the ledger's speed).</summary>
public static class ServerAccessLog
{
    /// <summary>Fields every record has (through User-Agent).</summary>
    public const int RequiredFields = 17;

    /// <summary>The longest record read (bytes); a longer line is an error, not a reason to hold the whole object.</summary>
    public const int MaxRecordLength = 64 * 1024;

    private const int Owner = 0, Bucket = 1, Time = 2, RemoteIp = 3, Requester = 4, RequestId = 5, Operation = 6, Key = 7,
        Status = 9, Error = 10, BytesSent = 11, UserAgent = 16, VersionId = 17, HostId = 18;

    /// <summary>Where one field is in a record's bytes; Escaped when a backslash escape is inside its quotes.</summary>
    private readonly record struct Field(int Start, int Length, bool Escaped);

    /// <summary>Every field of a record, in order, "-" as null, quotes and brackets removed and escapes resolved.</summary>
    /// <returns>Null (with the error) when a quote or bracket is not closed.</returns>
    public static List<string?>? Tokenize(string line, out string? error)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var fields = new Field[(bytes.Length / 2) + 1];
        var count = Split(bytes, fields, new ulong[StructureLength(bytes.Length)], out error);
        return count < 0 ? null : [.. fields[..count].Select(f => Text(bytes, f))];
    }

    /// <summary>One record as a request.</summary>
    /// <param name="bucketOwner">The record's Bucket Owner (canonical user ID), for telling the owner's own requests.</param>
    public static Parsed<AccessRequest> Parse(string line, out string? bucketOwner)
    {
        bucketOwner = null;
        var bytes = Encoding.UTF8.GetBytes(line);
        Span<Field> fields = stackalloc Field[HostId + 1];
        var last = default(LastTime);
        if (Check(bytes, fields, new ulong[StructureLength(bytes.Length)], out var count, out var time, ref last) is { } error)
        {
            return Parsed<AccessRequest>.Failure(error);
        }

        string? At(ReadOnlySpan<Field> found, int i) => i < count ? Text(bytes, found[i]) : null;
        bucketOwner = At(fields, Owner);
        var requester = At(fields, Requester);
        var key = At(fields, Key) is { } encoded ? (encoded.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(encoded) : encoded) : null;
        return Parsed<AccessRequest>.Success(new AccessRequest(
            RequestSource.AccessLog, time, At(fields, Bucket)!, key, At(fields, VersionId), At(fields, Operation)!,
            Anonymous: requester is null, requester, AccessRequest.AccountOf(requester), At(fields, RemoteIp), At(fields, UserAgent),
            Number(Span(bytes, fields[Status])) is { } status ? (int)status : null, At(fields, Error),
            Number(Span(bytes, fields[BytesSent])) ?? 0, At(fields, RequestId), At(fields, HostId))
        {
            Raw = line,
        });
    }

    /// <summary>Every record of one log object (UTF-8 text, newline-delimited, a final newline optional) into the
    /// ledger, streamed through one buffer of a megabyte (LogStream.BufferBytes): memory is bounded by it, not by the
    /// object.</summary>
    /// <param name="onError">Called with the line number (from 1) and the reason for each non-empty line that is not a
    /// record; reading goes on with the next line.</param>
    /// <returns>How many records were read (whether or not the ledger counted them: another bucket, outside the window,
    /// a duplicate).</returns>
    public static async Task<int> ReadAsync(Stream stream, AccessLedger ledger, Action<int, string> onError, CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(LogStream.BufferBytes, MaxRecordLength + 1));
        var structure = ArrayPool<ulong>.Shared.Rent(StructureLength(MaxRecordLength));
        var scratch = ArrayPool<byte>.Shared.Rent(MaxRecordLength);
        try
        {
            var reading = new Reading(ledger, onError, structure, scratch);
            var length = 0;
            while (true)
            {
                var (read, final) = await LogStream.FillAsync(stream, buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                length += read;
                var used = reading.Lines(buffer.AsSpan(0, length), final);
                Buffer.BlockCopy(buffer, used, buffer, 0, length - used);
                length -= used;
                if (final)
                {
                    return reading.Records;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<ulong>.Shared.Return(structure);
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static readonly string TooLong = $"an access log record is at most {MaxRecordLength} bytes; this line is longer";

    /// <summary>Lines split and checked before any goes into the ledger, so that their request-id lookups overlap.</summary>
    private const int Batch = 16;

    /// <summary>The fields a reader records of one line (through Host Id).</summary>
    [InlineArray(HostId + 1)]
    private struct Fields
    {
        private Field first;
    }

    /// <summary>One line of a batch: where it is in the buffer, its fields, and what checking it found.</summary>
    private struct Pending
    {
        public int Start;
        public int Length;
        public int Line;
        public int Count;
        public DateTimeOffset Time;
        public ulong? Id;
        public string? Error;
        public Fields Fields;
    }

    /// <summary>The line-by-line state of one ReadAsync.</summary>
    /// <param name="structure">Room for the Structure of the longest record.</param>
    /// <param name="scratch">Room for the longest record, where Add decodes a field with escapes at its own offset.</param>
    private sealed class Reading(AccessLedger ledger, Action<int, string> onError, ulong[] structure, byte[] scratch)
    {
        private readonly Pending[] pending = new Pending[Batch];
        private LastTime last;
        private int waiting;
        private int line;
        private bool skipping;
        private bool started;

        public int Records { get; private set; }

        /// <returns>The bytes used: every complete line, and at the end (final) the rest. Every line used is in the
        /// ledger (or reported) before it returns, while <paramref name="data"/> still holds it.</returns>
        public int Lines(ReadOnlySpan<byte> data, bool final)
        {
            var used = 0;
            if (!started)
            {
                // A byte order mark before the first record (as an editor or StreamWriter writes one) is not part of it.
                if (data.Length < 3 && !final)
                {
                    return 0;
                }

                started = true;
                used = data.StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
            }

            while (used < data.Length)
            {
                var newline = data[used..].IndexOf((byte)'\n');
                if (newline < 0 && !final)
                {
                    // A line longer than the buffer: said once, then skipped up to its end.
                    if (used == 0 && data.Length > MaxRecordLength)
                    {
                        if (!skipping)
                        {
                            Flush(data);
                            onError(line + 1, TooLong);
                        }

                        skipping = true;
                        return data.Length;
                    }

                    break;
                }

                var start = used;
                var length = newline < 0 ? data.Length - used : newline;
                used += newline < 0 ? length : newline + 1;
                line++;
                if (skipping)
                {
                    skipping = false;
                    continue;
                }

                if (length > 0 && data[start + length - 1] == (byte)'\r')
                {
                    length--;
                }

                if (length == 0)
                {
                    continue;
                }

                ref var next = ref pending[waiting++];
                next.Start = start;
                next.Length = length;
                next.Line = line;
                next.Error = length > MaxRecordLength ? TooLong : Check(data.Slice(start, length), next.Fields, structure, out next.Count, out next.Time, ref last);
                next.Id = next.Error is null ? RequestKey(data.Slice(start, length), next.Fields, next.Count) : null;
                if (next.Id is { } id)
                {
                    // Its slot prefetched now, added at the end of the batch: the wait for it overlaps reading the lines after it.
                    ledger.Touch(id);
                }
                if (waiting == Batch)
                {
                    Flush(data);
                }
            }

            Flush(data);
            return used;
        }

        private void Flush(ReadOnlySpan<byte> data)
        {
            for (var i = 0; i < waiting; i++)
            {
                ref var record = ref pending[i];
                if (record.Error is { } error)
                {
                    onError(record.Line, error);
                    continue;
                }

                Records++;
                Add(data.Slice(record.Start, record.Length), record.Fields, record.Time, record.Id, ledger, scratch);
            }

            waiting = 0;
        }
    }

    /// <summary>The record's Request ID with its Host ID (AccessLedger.RequestKey); null when it has no Request ID.</summary>
    private static ulong? RequestKey(ReadOnlySpan<byte> line, ReadOnlySpan<Field> fields, int count) =>
        Span(line, fields[RequestId]) is var requestId && !IsDash(requestId)
            ? AccessLedger.RequestKey(requestId, count > HostId && Span(line, fields[HostId]) is var host && !IsDash(host) ? host : [])
            : null;

    /// <summary>One checked record into the ledger, its fields read in place as UTF-8: strings are made only for what
    /// the ledger keeps anew (a key, source IP or user agent it has not seen).</summary>
    /// <param name="scratch">At least the line's length: a field with escapes is decoded at its own offset in it.</param>
    private static void Add(ReadOnlySpan<byte> line, ReadOnlySpan<Field> fields, DateTimeOffset time, ulong? id, AccessLedger ledger, Span<byte> scratch)
    {
        if (!ledger.Takes(Span(line, fields[Bucket]), time))
        {
            return;
        }

        var requester = Span(line, fields[Requester]);
        var owner = Span(line, fields[Owner]);
        var anonymous = IsDash(requester);
        var caller = anonymous ? CallerKind.Anonymous
            : requester.SequenceEqual(owner) && !IsDash(owner) ? CallerKind.Inside
            : ledger.CallerOf(Utf8(line, fields[Requester], scratch));
        var status = Number(Span(line, fields[Status]));
        var operation = Span(line, fields[Operation]);
        var errorCode = Span(line, fields[Error]);
        var effect = AccessRequest.EffectOf(
            AccessRequest.IsObjectGetOperation(operation), (int?)status, errorCode.SequenceEqual("AccessDenied"u8), !IsDash(errorCode));

        // The key is URL-encoded in the log: decoded as Uri.UnescapeDataString does (a sequence that is not UTF-8 stays
        // as written), into a string only when it has an escape.
        var key = Utf8(line, fields[Key], scratch);
        if (key.Contains((byte)'%'))
        {
            key = Encoding.UTF8.GetBytes(Uri.UnescapeDataString(Encoding.UTF8.GetString(key)));
        }

        var counted = ledger.Add(time, id, caller, key, effect, Number(Span(line, fields[BytesSent])) ?? 0,
            Utf8(line, fields[RemoteIp], scratch), Utf8(line, fields[UserAgent], scratch));
        if (counted && caller != CallerKind.Inside && ledger.KeepsSources)
        {
            ledger.Keep(RequestSource.AccessLog, Encoding.UTF8.GetString(line));
        }
    }

    /// <summary>Splits a record and checks what every reader needs: the fields through User-Agent, a bucket, an
    /// operation, a time.</summary>
    /// <returns>Null, or why the line is not a record.</returns>
    private static string? Check(ReadOnlySpan<byte> line, Span<Field> fields, Span<ulong> structure, out int count, out DateTimeOffset time, ref LastTime last)
    {
        time = default;
        count = Split(line, fields, structure, out var error);
        if (count < 0)
        {
            return error!;
        }

        if (count < RequiredFields)
        {
            return $"an access log record has {RequiredFields} fields or more; this one has {count}";
        }

        if (IsDash(Span(line, fields[Bucket])) || IsDash(Span(line, fields[Operation])))
        {
            return "an access log record names its bucket and operation";
        }

        var text = Span(line, fields[Time]);
        if (last.Matches(text, out time))
        {
            return null;
        }

        if (TryTime(text, out time))
        {
            last.Remember(text, time);
            return null;
        }

        return $"the time \"{Untrusted.Clean(Text(line, fields[Time]))}\" is not [dd/MMM/yyyy:HH:mm:ss +hhmm]";
    }

    /// <summary>Finds each field: [bracketed], "quoted" (backslash escapes), or up to the next space. The first
    /// fields.Length are recorded. The fields after them are not needed: read on only to count up to the ones every
    /// record has, so what S3 adds at the end never makes a record unreadable.</summary>
    /// <param name="structure">At least StructureLength(line.Length) long: where the line's spaces, quotes and brackets
    /// are, found for all of it at once (Structure), so that a field's end is a bit scan, not a search.</param>
    /// <returns>How many fields were found (at least fields.Length when there are that many), or -1 (with the error)
    /// when a bracket or quote is not closed.</returns>
    private static int Split(ReadOnlySpan<byte> line, Span<Field> fields, Span<ulong> structure, out string? error)
    {
        error = null;
        Structure(line, structure);
        var count = 0;
        var i = 0;
        var all = fields.Length > HostId + 1;
        while (i < line.Length && (all || count < fields.Length))
        {
            if (line[i] == (byte)' ')
            {
                i++;
                continue;
            }

            int start;
            var escaped = false;
            if (line[i] is (byte)'[' or (byte)'"')
            {
                var quoted = line[i] == (byte)'"';
                start = ++i;
                while (true)
                {
                    var stop = Next(structure, quoted ? QuotesAndBackslashes : ClosingBrackets, i, line.Length);
                    if (stop < 0)
                    {
                        error = $"field {count + 1} opens with {(quoted ? '"' : '[')} and is never closed";
                        return -1;
                    }

                    i = stop;
                    if (line[i] != (byte)'\\')
                    {
                        break;
                    }

                    escaped = true;
                    i = Math.Min(i + 2, line.Length);
                }

                fields[count] = new Field(start, i - start, escaped);
                i++;
            }
            else
            {
                start = i;
                var space = Next(structure, Spaces, i, line.Length);
                i = space < 0 ? line.Length : space;
                fields[count] = new Field(start, i - start, false);
            }

            count++;
        }

        return count;
    }

    /// <summary>The bit masks Structure writes: three for each 64 bytes of a line.</summary>
    private const int Spaces = 0, QuotesAndBackslashes = 1, ClosingBrackets = 2, Masks = 3;

    private static int StructureLength(int lineLength) => Masks * ((lineLength + 63) / 64);

    /// <summary>For each 64 bytes of the line, three masks whose bit n is byte n of the block: a space; a double quote
    /// or backslash; a closing bracket. Compared a vector at a time; past the line's end every bit is 0.</summary>
    private static void Structure(ReadOnlySpan<byte> line, Span<ulong> structure)
    {
        Span<byte> tail = stackalloc byte[64];
        for (int at = 0, mask = 0; at < line.Length; at += 64, mask += Masks)
        {
            if (line.Length - at >= 64)
            {
                Block(line.Slice(at, 64), structure.Slice(mask, Masks));
            }
            else
            {
                tail.Clear();
                line[at..].CopyTo(tail);
                Block(tail, structure.Slice(mask, Masks));
            }
        }
    }

    /// <param name="block">64 bytes.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block(ReadOnlySpan<byte> block, Span<ulong> masks)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var bytes = Vector512.Create(block);
            masks[Spaces] = Vector512.Equals(bytes, Vector512.Create((byte)' ')).ExtractMostSignificantBits();
            masks[QuotesAndBackslashes] = (Vector512.Equals(bytes, Vector512.Create((byte)'"')) | Vector512.Equals(bytes, Vector512.Create((byte)'\\'))).ExtractMostSignificantBits();
            masks[ClosingBrackets] = Vector512.Equals(bytes, Vector512.Create((byte)']')).ExtractMostSignificantBits();
            return;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var low = Vector256.Create(block[..32]);
            var high = Vector256.Create(block[32..]);
            masks[Spaces] = Bits(Vector256.Equals(low, Vector256.Create((byte)' ')), Vector256.Equals(high, Vector256.Create((byte)' ')));
            masks[QuotesAndBackslashes] = Bits(
                Vector256.Equals(low, Vector256.Create((byte)'"')) | Vector256.Equals(low, Vector256.Create((byte)'\\')),
                Vector256.Equals(high, Vector256.Create((byte)'"')) | Vector256.Equals(high, Vector256.Create((byte)'\\')));
            masks[ClosingBrackets] = Bits(Vector256.Equals(low, Vector256.Create((byte)']')), Vector256.Equals(high, Vector256.Create((byte)']')));
            return;
        }

        ulong spaces = 0, quotes = 0, brackets = 0;
        for (var at = 0; at < 64; at += 16)
        {
            var bytes = Vector128.Create(block.Slice(at, 16));
            spaces |= (ulong)Vector128.Equals(bytes, Vector128.Create((byte)' ')).ExtractMostSignificantBits() << at;
            quotes |= (ulong)(Vector128.Equals(bytes, Vector128.Create((byte)'"')) | Vector128.Equals(bytes, Vector128.Create((byte)'\\'))).ExtractMostSignificantBits() << at;
            brackets |= (ulong)Vector128.Equals(bytes, Vector128.Create((byte)']')).ExtractMostSignificantBits() << at;
        }

        (masks[Spaces], masks[QuotesAndBackslashes], masks[ClosingBrackets]) = (spaces, quotes, brackets);
    }

    private static ulong Bits(Vector256<byte> low, Vector256<byte> high) => low.ExtractMostSignificantBits() | ((ulong)high.ExtractMostSignificantBits() << 32);

    /// <summary>The first byte at or after <paramref name="from"/> that the mask marks, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Next(ReadOnlySpan<ulong> structure, int mask, int from, int length)
    {
        if (from >= length)
        {
            return -1;
        }

        var block = from >> 6;
        var blocks = (length + 63) >> 6;
        var bits = structure[(Masks * block) + mask] & (ulong.MaxValue << (from & 63));
        while (bits == 0)
        {
            if (++block >= blocks)
            {
                return -1;
            }

            bits = structure[(Masks * block) + mask];
        }

        return (block << 6) + BitOperations.TrailingZeroCount(bits);
    }

    private static bool IsDash(ReadOnlySpan<byte> field) => field.Length == 1 && field[0] == (byte)'-';

    private static ReadOnlySpan<byte> Span(ReadOnlySpan<byte> line, Field field) => line.Slice(field.Start, field.Length);

    /// <summary>A field as text, "-" as null, escapes resolved.</summary>
    private static string? Text(ReadOnlySpan<byte> line, Field field) =>
        IsDash(Span(line, field)) ? null : Encoding.UTF8.GetString(Utf8(line, field, new byte[line.Length]));

    /// <summary>A field as UTF-8, "-" as empty, escapes resolved into <paramref name="scratch"/> at the field's own offset
    /// (so fields decoded together never overlap).</summary>
    private static ReadOnlySpan<byte> Utf8(ReadOnlySpan<byte> line, Field field, Span<byte> scratch)
    {
        var span = Span(line, field);
        if (IsDash(span))
        {
            return [];
        }

        if (!field.Escaped)
        {
            return span;
        }

        var into = scratch.Slice(field.Start, field.Length);
        var kept = 0;
        for (var i = 0; i < span.Length; i++)
        {
            into[kept++] = span[i] == (byte)'\\' && i + 1 < span.Length ? span[++i] : span[i];
        }

        return into[..kept];
    }

    /// <summary>A non-negative decimal number of at most 18 digits; null for "-" or anything else.</summary>
    private static long? Number(ReadOnlySpan<byte> digits)
    {
        if (digits.Length is 0 or > 18)
        {
            return null;
        }

        long value = 0;
        foreach (var digit in digits)
        {
            var n = (uint)(digit - '0');
            if (n > 9)
            {
                return null;
            }

            value = (value * 10) + n;
        }

        return value;
    }

    private static readonly byte[][] Months = [.. new[] { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }.Select(Encoding.ASCII.GetBytes)];

    /// <summary>06/Feb/2019:00:00:38 +0000 (the brackets already removed), read by position: this runs once a line.</summary>
    private static bool TryTime(ReadOnlySpan<byte> text, out DateTimeOffset time)
    {
        time = default;
        if (text.Length != 26 || text[2] != '/' || text[6] != '/' || text[11] != ':' || text[14] != ':' || text[17] != ':' || text[20] != ' '
            || text[21] is not ((byte)'+' or (byte)'-')
            || Number(text[..2]) is not { } day || Number(text[7..11]) is not { } year || Number(text[12..14]) is not { } hour
            || Number(text[15..17]) is not { } minute || Number(text[18..20]) is not { } second
            || Number(text[22..24]) is not { } offsetHours || Number(text[24..26]) is not { } offsetMinutes)
        {
            return false;
        }

        var month = 0;
        for (var m = 0; m < Months.Length && month == 0; m++)
        {
            month = text[3..6].SequenceEqual(Months[m]) ? m + 1 : 0;
        }

        if (month == 0 || year is < 1970 or > 9998 || day < 1 || day > DateTime.DaysInMonth((int)year, month) || hour > 23 || minute > 59 || second > 59 || offsetHours > 14 || offsetMinutes > 59)
        {
            return false;
        }

        var offset = new TimeSpan((int)offsetHours, (int)offsetMinutes, 0) * (text[21] == '-' ? -1 : 1);
        time = new DateTimeOffset(new DateTime((int)year, month, (int)day, (int)hour, (int)minute, (int)second, DateTimeKind.Unspecified) - offset, TimeSpan.Zero);
        return true;
    }
}
