using System.Collections.Immutable;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using System.Text.Json;

namespace BucketGuard.Core.Evidence;

/// <summary>What one source of access evidence covered for the bucket.</summary>
/// <param name="Enabled">The source records this bucket at all: a trail selects its data events, or its server access
/// logging is on. False: the source says nothing, and that is a gap.</param>
/// <param name="From">The earliest time the files read cover (UTC); null when none was read.</param>
/// <param name="To">The latest time they cover.</param>
/// <param name="Gap">Why the source is known to miss requests even where it covers the time (for example objects owned
/// by other accounts on an ACL bucket, whose reads the owner's trail may not receive), or null.</param>
/// <param name="Complete">False when the source is known to record only part of the bucket's requests (a trail whose
/// event selectors select a prefix or some callers): it then never covers the window alone, its Gap says why.</param>
public sealed record SourceCoverage(RequestSource Source, bool Enabled, DateTimeOffset? From, DateTimeOffset? To, string? Gap = null, bool Complete = true);

/// <summary>The answer to "was it read, and by whom", for one exposure window.</summary>
public enum LedgerVerdict
{
    /// <summary>At least one object was read by a caller outside the bucket's account (a lower bound where coverage has gaps).</summary>
    Read,

    /// <summary>Callers outside the account tried and were refused, and nothing was read.</summary>
    Attempted,

    /// <summary>The window is covered by a source and it shows no request from outside the account.</summary>
    NoOutsideAccess,

    /// <summary>No source covered the window; never "no access".</summary>
    Unknown,
}

/// <summary>The access ledger of one bucket over its exposure window (issue "after the lock"): every request seen in the
/// account's CloudTrail data events and S3 server access logs, each counted once (a request in both sources is the
/// same Request ID and Host ID), aggregated per object for callers outside the bucket's account (anonymous, another
/// account, outside the organisation); the account's own requests are counted, not listed. Memory holds only the
/// per-object aggregates (at most MaxListed source IPs and user agents each) and 8 to 16 bytes per distinct request id
/// (its hash, in a table at most half full).
/// Reads are successful GetObject requests; denied attempts (403, AccessDenied) count as attempts, not reads; bytes
/// are the response bytes sent (Bytes Sent, bytesTransferredOut), not the object size.</summary>
public sealed class AccessLedger(string bucket, string bucketAccount, DateTimeOffset from, DateTimeOffset? to, IReadOnlySet<string>? organizationAccounts = null)
{
    /// <summary>Distinct source IPs and user agents kept per object; more are counted.</summary>
    public const int MaxListed = 16;

    /// <summary>Distinct requesters whose kind of caller is remembered; more are worked out each time.</summary>
    private const int MaxCallersRemembered = 4096;

    private readonly Dictionary<byte[], ObjectAccess> objects = new(Utf8Text.Ordinal);
    private readonly Hashes seen = new(1024);
    private readonly ValueIds valueIds = new();
    private readonly int[] requestsByCaller = new int[Enum.GetValues<CallerKind>().Length];
    private readonly byte[] bucketUtf8 = Encoding.UTF8.GetBytes(bucket);
    private readonly Dictionary<byte[], CallerKind> callers = new(Utf8Text.Ordinal);

    private readonly List<LedgerSource> sources = [];
    private int keepSources;

    public int Counted { get; private set; }

    /// <summary>Whether the readers should hand over each request's raw record (KeepSources).</summary>
    public bool KeepsSources => keepSources > 0;

    /// <summary>The raw records of the requests from outside the account that were counted, in the order read: the
    /// evidence the ledger's outside numbers recompute from (EvidenceBundle.ForReport). At most the number KeepSources
    /// set; SourcesNotKept counts the others.</summary>
    public IReadOnlyList<LedgerSource> Sources => sources;

    public int SourcesNotKept { get; private set; }

    /// <summary>Keeps the raw record of each counted request from outside the account, up to <paramref name="max"/>.</summary>
    public AccessLedger KeepSources(int max)
    {
        keepSources = max;
        return this;
    }

    public int Duplicates { get; private set; }

    public int InsideRequests { get; private set; }

    /// <summary>Counts a request once: false when it is for another bucket, outside the window, or already counted.</summary>
    /// <param name="bucketOwnerCanonicalId">The access log record's Bucket Owner, so the owner's own requests are inside.</param>
    public bool Add(AccessRequest request, string? bucketOwnerCanonicalId = null)
    {
        if (request.Bucket != bucket || !InWindow(request.Time))
        {
            return false;
        }

        var id = RequestKey(request);
        var caller = request.Caller(bucketAccount, organizationAccounts, bucketOwnerCanonicalId);
        var counted = Add(request.Time, id, caller, Utf8(request.Key), request.Effect, request.BytesSent, Utf8(request.SourceIp), Utf8(request.UserAgent));
        if (counted && caller != CallerKind.Inside && KeepsSources && request.Raw is { } raw)
        {
            Keep(request.Source, raw);
        }

        return counted;
    }

    /// <summary>Keeps one counted outside request's raw record, or counts it as not kept past the limit.</summary>
    internal void Keep(RequestSource source, string raw)
    {
        if (sources.Count < keepSources)
        {
            sources.Add(new LedgerSource(source, raw));
        }
        else
        {
            SourcesNotKept++;
        }
    }

    /// <summary>The bucket's name in UTF-8, for readers that compare it in place.</summary>
    internal byte[] BucketUtf8 => bucketUtf8;

    /// <summary>Whether a request for this bucket (its name in UTF-8) at this time belongs in the ledger at all.</summary>
    internal bool Takes(ReadOnlySpan<byte> bucketName, DateTimeOffset time) => bucketName.SequenceEqual(bucketUtf8) && InWindow(time);

    /// <summary>The kind of an authenticated requester (UTF-8) that is not the bucket owner's canonical user ID (an
    /// ARN, an account, another canonical user ID), remembered for the next request from it.</summary>
    internal CallerKind CallerOf(ReadOnlySpan<byte> requester)
    {
        var remembered = callers.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (remembered.TryGetValue(requester, out var kind))
        {
            return kind;
        }

        kind = AccessRequest.CallerOf(AccessRequest.AccountOf(Encoding.UTF8.GetString(requester)), isBucketOwner: false, bucketAccount, organizationAccounts);
        if (callers.Count < MaxCallersRemembered)
        {
            callers[requester.ToArray()] = kind;
        }

        return kind;
    }

    /// <summary>Counts one request of this bucket in the window, from either source: the one place the ledger's
    /// numbers are made. Text arrives as decoded UTF-8 spans (empty: not recorded), so that a request adds a string
    /// only for a key, source IP or user agent not seen before.</summary>
    /// <param name="id">RequestKey of its Request ID and Host ID; null when the record has no Request ID.</param>
    /// <returns>False when the request was already counted.</returns>
    internal bool Add(DateTimeOffset time, ulong? id, CallerKind caller, ReadOnlySpan<byte> key, RequestEffect effect, long bytesSent, ReadOnlySpan<byte> sourceIp, ReadOnlySpan<byte> userAgent)
    {
        if (id is { } request && !seen.Add(request))
        {
            Duplicates++;
            return false;
        }

        Counted++;
        requestsByCaller[(int)caller]++;
        if (caller == CallerKind.Inside)
        {
            InsideRequests++;
            return true;
        }

        var lookup = objects.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(key, out var access))
        {
            objects[key.ToArray()] = access = new ObjectAccess();
        }

        access.Add(time, caller, effect, bytesSent, sourceIp, userAgent, valueIds);
        return true;
    }

    /// <summary>Brings the slot a request id would take into cache ahead of Add (Hashes.Touch: a prefetch on x86), so that
    /// the wait for it overlaps the reading that comes before Add.</summary>
    internal void Touch(ulong id) => seen.Touch(id);

    private static ulong? RequestKey(AccessRequest request) => request.RequestId is { } requestId
        ? RequestKey(Utf8(requestId), Utf8(request.HostId))
        : null;

    private static byte[] Utf8(string? text) => text is null ? [] : Encoding.UTF8.GetBytes(text);

    /// <summary>One request's identity across both sources, in this process: the hash (Utf8Text.Hash) of the UTF-8 of
    /// its Request ID, a newline, and its Host ID (x-amz-id-2; empty when the record has none).</summary>
    internal static ulong RequestKey(ReadOnlySpan<byte> requestId, ReadOnlySpan<byte> hostId)
    {
        Span<byte> text = requestId.Length + hostId.Length < 512 ? stackalloc byte[requestId.Length + 1 + hostId.Length] : new byte[requestId.Length + 1 + hostId.Length];
        requestId.CopyTo(text);
        text[requestId.Length] = (byte)'\n';
        hostId.CopyTo(text[(requestId.Length + 1)..]);
        return Utf8Text.Hash(text);
    }

    private bool InWindow(DateTimeOffset time) => time >= from && (to is not { } end || time <= end);

    /// <summary>The ledger as it stands, with the verdict the coverage allows.</summary>
    public LedgerReport Report(IEnumerable<SourceCoverage> coverage)
    {
        var sources = coverage.ToImmutableArray();
        var windowEnd = to ?? DateTimeOffset.MaxValue;
        var gaps = ImmutableArray.CreateBuilder<string>();
        var covered = false;
        foreach (var source in sources)
        {
            var name = source.Source == RequestSource.DataEvent ? "CloudTrail data events" : "server access logs";
            if (!source.Enabled)
            {
                gaps.Add($"{name} are not recorded for this bucket");
            }
            else if (source.From is not { } first || source.To is not { } last)
            {
                gaps.Add($"no {name} files were found for the window");
            }
            else if (first > from || (to is not null && last < windowEnd))
            {
                gaps.Add($"{name} cover {first:u} to {last:u}, not the whole window");
            }
            else if (source.Complete)
            {
                covered = true;
            }

            if (source.Gap is { } gap)
            {
                gaps.Add($"{name}: {gap}");
            }

            if (source.Enabled && source.Source == RequestSource.AccessLog)
            {
                gaps.Add("server access logs are delivered on a best-effort basis: late records update this ledger");
            }
        }

        var reads = objects.Values.Sum(o => o.Reads);
        var denied = objects.Values.Sum(o => o.Denied);
        var verdict = reads > 0 ? LedgerVerdict.Read
            : !covered ? LedgerVerdict.Unknown
            : denied > 0 ? LedgerVerdict.Attempted
            : LedgerVerdict.NoOutsideAccess;
        return new LedgerReport(
            bucket, from, to, verdict, sources, gaps.ToImmutable(), Counted, Duplicates, InsideRequests,
            Enum.GetValues<CallerKind>().Where(c => requestsByCaller[(int)c] > 0).ToImmutableSortedDictionary(c => c, c => requestsByCaller[(int)c]),
            [.. objects.Select(o => (Key: Encoding.UTF8.GetString(o.Key), o.Value)).OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => o.Value.Entry(o.Key))]);
    }

    /// <summary>A set of 64-bit hashes (request ids; values past the listed ones): open addressing, linear probing, at
    /// most half full, 0 kept apart. HashSet&lt;ulong&gt; would do, but a ledger over millions of requests waits on
    /// memory for each lookup, twice in HashSet's buckets-then-entries layout, and only a set whose slot is known ahead
    /// (Touch) lets a batch of lookups wait together.</summary>
    /// <param name="capacity">Slots to start with, a power of two.</param>
    private sealed class Hashes(int capacity)
    {
        private ulong[] slots = new ulong[capacity];
        private int count;
        private bool hasZero;
        private ulong touched;

        /// <returns>False when the id is already in.</returns>
        public bool Add(ulong id)
        {
            if (id == 0)
            {
                var added = !hasZero;
                hasZero = true;
                return added;
            }

            if ((count + 1) * 2 > slots.Length)
            {
                Grow();
            }

            var mask = slots.Length - 1;
            for (var i = Slot(id); ; i = (i + 1) & mask)
            {
                if (slots[i] == id)
                {
                    return false;
                }

                if (slots[i] == 0)
                {
                    slots[i] = id;
                    count++;
                    return true;
                }
            }
        }

        public int Count => count + (hasZero ? 1 : 0);

        /// <summary>Has the id's first slot brought into cache for Add: a prefetch where the processor has one (x86),
        /// which lets work go on while the memory is read; elsewhere a read that is kept, so it is not dropped.</summary>
        public unsafe void Touch(ulong id)
        {
            ref var slot = ref slots[Slot(id)];
            if (Sse.IsSupported)
            {
                // Not pinned: should the collector move the table in between, the hint names stale memory, which a
                // prefetch never faults on.
                Sse.Prefetch0(Unsafe.AsPointer(ref slot));
            }
            else
            {
                touched ^= slot;
            }
        }

        /// <summary>The id's top log2(slots) bits, so that doubling the table sends old slot i to new slot 2i or 2i + 1:
        /// Grow re-adds in slot order and writes the new table front to back, not at random.</summary>
        private int Slot(ulong id) => (int)(id >> (64 - BitOperations.Log2((uint)slots.Length)));

        private void Grow()
        {
            var old = slots;
            // Written once before Add reads it: a page fresh from the system that is read first faults twice (mapped
            // to the zero page, then copied on the first write), which for a table of millions of slots costs more
            // than the writing.
            slots = new ulong[old.Length * 2];
            Array.Clear(slots);
            count = 0;
            foreach (var id in old)
            {
                if (id != 0)
                {
                    Add(id);
                }
            }
        }
    }

    private sealed class ObjectAccess
    {
        public int Reads;
        public int Denied;
        public int Other;
        public long BytesSent;
        // UTC ticks: compared once a request, as plain numbers.
        private long first = long.MaxValue;
        private long last = long.MinValue;
        public readonly Distinct SourceIps = new();
        public readonly Distinct UserAgents = new();
        private int callers;

        public void Add(DateTimeOffset time, CallerKind caller, RequestEffect effect, long bytesSent, ReadOnlySpan<byte> sourceIp, ReadOnlySpan<byte> userAgent, ValueIds ids)
        {
            switch (effect)
            {
                case RequestEffect.Denied:
                    Denied++;
                    break;
                case RequestEffect.Read:
                    Reads++;
                    BytesSent += bytesSent;
                    break;
                case RequestEffect.Other:
                    Other++;
                    break;
            }

            callers |= 1 << (int)caller;
            var ticks = time.UtcTicks;
            first = Math.Min(first, ticks);
            last = Math.Max(last, ticks);
            SourceIps.Add(sourceIp, ids);
            UserAgents.Add(userAgent, ids);
        }

        public ObjectLedgerEntry Entry(string key) => new(
            key.Length == 0 ? null : key, Reads, Denied, Other, BytesSent, new DateTimeOffset(first, TimeSpan.Zero), new DateTimeOffset(last, TimeSpan.Zero),
            [.. Enum.GetValues<CallerKind>().Where(c => (callers & (1 << (int)c)) != 0)],
            SourceIps.Listed, SourceIps.More, UserAgents.Listed, UserAgents.More);
    }

    /// <summary>Distinct values of one field (UTF-8), told apart by their 64-bit hash (Utf8Text.Hash): the first
    /// MaxListed kept as text, the others counted (at most MaxCounted of them, beyond which the count is a lower
    /// bound). A value the ledger has numbered (ValueIds) is one bit of this object's; any other, a hash in a table of
    /// this object's own. One hash a request, with no string made for a value seen before.</summary>
    private sealed class Distinct
    {
        public const int MaxCounted = 4096;

        private readonly List<string> listed = [];
        private ulong[]? numbered;
        private Hashes? others;
        private int count;

        public ImmutableArray<string> Listed => [.. listed.Order(StringComparer.Ordinal)];

        public int More => count - listed.Count;

        public void Add(ReadOnlySpan<byte> value, ValueIds ids)
        {
            if (value.IsEmpty || count >= MaxListed + MaxCounted)
            {
                return;
            }

            var hash = Utf8Text.Hash(value);
            if (ids.IdOf(hash) is var id and >= 0)
            {
                var word = id >> 6;
                if (numbered is null || numbered.Length <= word)
                {
                    Array.Resize(ref numbered, word + 1);
                }

                var bit = 1UL << (id & 63);
                if ((numbered[word] & bit) != 0)
                {
                    return;
                }

                numbered[word] |= bit;
            }
            else if (!(others ??= new Hashes(16)).Add(hash))
            {
                return;
            }

            count++;
            if (listed.Count < MaxListed)
            {
                listed.Add(Encoding.UTF8.GetString(value));
            }
        }
    }

    /// <summary>The ledger's numbers for the first MaxValues distinct source IPs and user agents it meets (by their
    /// hash), so that each object tells its values apart by a bit (Distinct) instead of in a table of its own: one
    /// small table that stays in cache, in place of one per object that does not. Values met after it is full are not
    /// numbered.</summary>
    private sealed class ValueIds
    {
        // Twice as many slots as values, so a probe ends soon; a slot is the hash's top SlotBits bits.
        private const int SlotBits = 11;

        public const int MaxValues = 1 << (SlotBits - 1);

        // id + 1 in ids, 0 for an empty slot.
        private readonly ulong[] hashes = new ulong[2 * MaxValues];
        private readonly short[] ids = new short[2 * MaxValues];
        private int count;

        /// <returns>The value's number, from 0, or -1 when it has none and the table is full.</returns>
        public int IdOf(ulong hash)
        {
            const int Mask = (2 * MaxValues) - 1;
            for (var i = (int)(hash >> (64 - SlotBits)); ; i = (i + 1) & Mask)
            {
                if (ids[i] == 0)
                {
                    if (count == MaxValues)
                    {
                        return -1;
                    }

                    hashes[i] = hash;
                    ids[i] = (short)++count;
                    return count - 1;
                }

                if (hashes[i] == hash)
                {
                    return ids[i] - 1;
                }
            }
        }
    }
}

/// <summary>One request's record as its source wrote it: an access log line, or a CloudTrail record's JSON.</summary>
public sealed record LedgerSource(RequestSource Source, string Text);

/// <summary>One object's requests from outside the bucket's account in the window.</summary>
/// <param name="Key">Null for bucket-level requests (listing, reading the ACL or policy).</param>
/// <param name="Other">Requests that were neither reads nor refused (HEAD, a listing, a write).</param>
/// <param name="MoreSourceIps">Distinct source IPs beyond the MaxListed shown (counted up to 4,096, a lower bound
/// beyond); MoreUserAgents likewise.</param>
public sealed record ObjectLedgerEntry(
    string? Key, int Reads, int Denied, int Other, long BytesSent, DateTimeOffset First, DateTimeOffset Last,
    ImmutableArray<CallerKind> Callers, ImmutableArray<string> SourceIps, int MoreSourceIps, ImmutableArray<string> UserAgents, int MoreUserAgents)
{
    /// <summary>One line for a person: "KEY: N read(s), N refused, N bytes, FIRST to LAST, by CALLERS from IPS"; key and
    /// IPs neutralised.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Untrusted.Clean(Key ?? "(the bucket)")}: {Reads} read(s), {Denied} refused, {BytesSent} bytes, {First:u} to {Last:u}, by {string.Join(", ", Callers.Select(LedgerReport.CallerName))} from {string.Join(", ", SourceIps.Select(ip => Untrusted.Clean(ip)))}{(MoreSourceIps > 0 ? $" and {MoreSourceIps} more" : string.Empty)}");
}

/// <summary>The ledger of one exposure window, for the outputs and `bucketguard exposure`.</summary>
public sealed record LedgerReport(
    string Bucket, DateTimeOffset From, DateTimeOffset? To, LedgerVerdict Verdict, ImmutableArray<SourceCoverage> Sources,
    ImmutableArray<string> Gaps, int Requests, int Duplicates, int InsideRequests,
    ImmutableSortedDictionary<CallerKind, int> RequestsByCaller, ImmutableArray<ObjectLedgerEntry> Objects)
{
    public int Reads => Objects.Sum(o => o.Reads);

    public int Denied => Objects.Sum(o => o.Denied);

    public long BytesSent => Objects.Sum(o => o.BytesSent);

    /// <summary>The ledger as JSON, members in a fixed order and every text from a log (keys, user agents, IPs)
    /// neutralised by Untrusted.Clean, as event text is in every other output.</summary>
    /// <param name="maxObjects">List at most this many objects, the most read first (then the most refused), and count
    /// the rest in objectsNotListed: a notification must fit SNS's 256 KiB. Default: all, in key order.</param>
    public string Json(int? maxObjects = null) => JsonLine.Write(w =>
    {
        w.WriteNumber("version", 1);
        w.WriteString("bucket", Bucket);
        w.WriteString("from", From.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("to", To?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("verdict", VerdictName(Verdict));
        w.WriteStartArray("gaps");
        foreach (var gap in Gaps)
        {
            w.WriteStringValue(gap);
        }

        w.WriteEndArray();
        w.WriteNumber("requests", Requests);
        w.WriteNumber("duplicates", Duplicates);
        w.WriteNumber("insideRequests", InsideRequests);
        w.WriteNumber("reads", Reads);
        w.WriteNumber("denied", Denied);
        w.WriteNumber("bytesSent", BytesSent);
        w.WriteStartObject("requestsByCaller");
        foreach (var (caller, count) in RequestsByCaller)
        {
            w.WriteNumber(CallerName(caller), count);
        }

        w.WriteEndObject();
        var listed = maxObjects is { } max && max < Objects.Length
            ? [.. Objects.OrderByDescending(o => o.Reads).ThenByDescending(o => o.Denied).ThenBy(o => o.Key, StringComparer.Ordinal).Take(max)]
            : Objects;
        w.WriteStartArray("objects");
        foreach (var o in listed)
        {
            w.WriteStartObject();
            w.WriteString("key", Untrusted.Clean(o.Key, 1024));
            w.WriteNumber("reads", o.Reads);
            w.WriteNumber("denied", o.Denied);
            w.WriteNumber("other", o.Other);
            w.WriteNumber("bytesSent", o.BytesSent);
            w.WriteString("first", o.First.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("last", o.Last.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteStartArray("callers");
            foreach (var caller in o.Callers)
            {
                w.WriteStringValue(CallerName(caller));
            }

            w.WriteEndArray();
            Strings(w, "sourceIps", o.SourceIps, o.MoreSourceIps);
            Strings(w, "userAgents", o.UserAgents, o.MoreUserAgents);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("objectsNotListed", Objects.Length - listed.Length);
    });

    private static void Strings(Utf8JsonWriter w, string name, ImmutableArray<string> values, int more)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(Untrusted.Clean(value));
        }

        w.WriteEndArray();
        w.WriteNumber(name + "NotListed", more);
    }

    public static string VerdictName(LedgerVerdict verdict) => verdict switch
    {
        LedgerVerdict.Read => "read",
        LedgerVerdict.Attempted => "attempted",
        LedgerVerdict.NoOutsideAccess => "no-outside-access",
        LedgerVerdict.Unknown => "unknown",
    };

    public static string CallerName(CallerKind caller) => caller switch
    {
        CallerKind.Anonymous => "anonymous",
        CallerKind.Inside => "inside",
        CallerKind.OrganizationAccount => "organization-account",
        CallerKind.OutsideOrganization => "outside-organization",
        CallerKind.OtherAccount => "other-account",
    };
}
