using System.Collections.Immutable;
using System.IO.Hashing;
using System.Runtime.InteropServices;
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
/// per-object aggregates (at most MaxListed source IPs and user agents each) and 8 bytes per distinct request id.
/// Reads are successful GetObject requests; denied attempts (403, AccessDenied) count as attempts, not reads; bytes
/// are the response bytes sent (Bytes Sent, bytesTransferredOut), not the object size.</summary>
public sealed class AccessLedger(string bucket, string bucketAccount, DateTimeOffset from, DateTimeOffset? to, IReadOnlySet<string>? organizationAccounts = null)
{
    /// <summary>Distinct source IPs and user agents kept per object; more are counted.</summary>
    public const int MaxListed = 16;

    private readonly Dictionary<string, ObjectAccess> objects = new(StringComparer.Ordinal);
    private readonly HashSet<ulong> seen = [];
    private readonly Dictionary<CallerKind, int> requestsByCaller = [];

    public int Counted { get; private set; }

    public int Duplicates { get; private set; }

    public int InsideRequests { get; private set; }

    /// <summary>Counts a request once: false when it is for another bucket, outside the window, or already counted.</summary>
    /// <param name="bucketOwnerCanonicalId">The access log record's Bucket Owner, so the owner's own requests are inside.</param>
    public bool Add(AccessRequest request, string? bucketOwnerCanonicalId = null)
    {
        if (request.Bucket != bucket || request.Time < from || (to is { } end && request.Time > end))
        {
            return false;
        }

        if (request.RequestId is { } id && !seen.Add(Id(id, request.HostId)))
        {
            Duplicates++;
            return false;
        }

        Counted++;
        var caller = request.Caller(bucketAccount, organizationAccounts, bucketOwnerCanonicalId);
        requestsByCaller[caller] = requestsByCaller.GetValueOrDefault(caller) + 1;
        if (caller == CallerKind.Inside)
        {
            InsideRequests++;
            return true;
        }

        var key = request.Key ?? string.Empty;
        if (!objects.TryGetValue(key, out var access))
        {
            objects[key] = access = new ObjectAccess();
        }

        access.Add(request, caller);
        return true;
    }

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
            requestsByCaller.ToImmutableSortedDictionary(),
            [.. objects.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => o.Value.Entry(o.Key))]);
    }

    /// <summary>Request ID and Host ID, hashed (XxHash64 over their UTF-16 code units, a separator between them).</summary>
    private static ulong Id(string requestId, string? hostId)
    {
        var length = requestId.Length + 1 + (hostId?.Length ?? 0);
        Span<char> text = length <= 256 ? stackalloc char[length] : new char[length];
        requestId.CopyTo(text);
        text[requestId.Length] = '\n';
        hostId?.CopyTo(text[(requestId.Length + 1)..]);
        return XxHash64.HashToUInt64(MemoryMarshal.AsBytes((ReadOnlySpan<char>)text));
    }

    private sealed class ObjectAccess
    {
        public int Reads;
        public int Denied;
        public int Other;
        public long BytesSent;
        public DateTimeOffset? First;
        public DateTimeOffset? Last;
        public readonly Distinct SourceIps = new();
        public readonly Distinct UserAgents = new();
        private int callers;

        public void Add(AccessRequest request, CallerKind caller)
        {
            if (request.IsDenied)
            {
                Denied++;
            }
            else if (request.IsRead)
            {
                Reads++;
                BytesSent += request.BytesSent;
            }
            else
            {
                Other++;
            }

            callers |= 1 << (int)caller;
            First = First is { } f && f <= request.Time ? f : request.Time;
            Last = Last is { } l && l >= request.Time ? l : request.Time;
            SourceIps.Add(request.SourceIp);
            UserAgents.Add(request.UserAgent);
        }

        public ObjectLedgerEntry Entry(string key) => new(
            key.Length == 0 ? null : key, Reads, Denied, Other, BytesSent, First!.Value, Last!.Value,
            [.. Enum.GetValues<CallerKind>().Where(c => (callers & (1 << (int)c)) != 0)],
            SourceIps.Listed, SourceIps.More, UserAgents.Listed, UserAgents.More);
    }

    /// <summary>Distinct values of one field: the first MaxListed kept, the others counted by their hash (at most
    /// MaxCounted of them, beyond which the count is a lower bound).</summary>
    private sealed class Distinct
    {
        public const int MaxCounted = 4096;

        private readonly HashSet<string> listed = new(StringComparer.Ordinal);
        private readonly HashSet<ulong> others = [];

        public ImmutableArray<string> Listed => [.. listed.Order(StringComparer.Ordinal)];

        public int More => others.Count;

        public void Add(string? value)
        {
            if (value is null || listed.Contains(value))
            {
                return;
            }

            if (listed.Count < MaxListed)
            {
                listed.Add(value);
            }
            else if (others.Count < MaxCounted)
            {
                others.Add(XxHash64.HashToUInt64(MemoryMarshal.AsBytes(value.AsSpan())));
            }
        }
    }
}

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
