using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BucketGuard.Core.Evidence;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Incidents;

/// <summary>One version of an incident's exposure report (the after-lock function's window and access ledger), as the
/// incident keeps it: the numbers a breach assessment asks for, not the objects. Times UTC.</summary>
/// <param name="Access">The ledger's verdict: read, attempted, no-outside-access, unknown.</param>
/// <param name="ContentHash">SHA-256 (hex) of the window and the ledger as reported: the same evidence read again is the
/// same hash, and adds no version.</param>
/// <param name="DataClassInWindow">The highest data class the bucket's tag held from shortly before the exposure to its
/// end (DataClassHistory), when the replay saw one; null otherwise.</param>
public sealed record ExposureSummary(
    DateTimeOffset ReportedAt, DateTimeOffset? PublicFrom, bool FromIsLowerBound, DateTimeOffset? PublicUntil, string? CauseEventId,
    string? CauseActor, string Access, int Reads, int Refused, long BytesSent, int ObjectsRead, int AnonymousRequests,
    ImmutableArray<string> Gaps, string ContentHash, string? DataClassInWindow)
{
    /// <summary>The report's evidence (its JSON and the ledger's source records), with its SHA-256; null when none was kept.</summary>
    public EvidenceItem? Evidence { get; init; }

    /// <summary>Its number in the incident, from 1; 0 until recorded.</summary>
    public int Version { get; init; }

    /// <summary>The summary of a report; every text from an event or a log neutralised.</summary>
    public static ExposureSummary Of(ExposureReport report, DateTimeOffset reportedAt)
    {
        var dataClassInWindow = report.DataClassInWindow is { } held ? Decisions.DataClasses.Name(held.Highest) : null;
        var ledger = report.Ledger;
        var content = Encoding.UTF8.GetBytes(report.Json());
        return new ExposureSummary(
            reportedAt, report.Window.Start, report.Window.StartIsLowerBound, report.Window.End, Untrusted.Clean(report.Window.Cause?.EventId, 128),
            Untrusted.Clean(report.Window.Cause?.Actor.Arn, 300), LedgerReport.VerdictName(ledger.Verdict), ledger.Reads, ledger.Denied, ledger.BytesSent,
            ledger.Objects.Count(o => o.Reads > 0), ledger.RequestsByCaller.GetValueOrDefault(CallerKind.Anonymous),
            [.. ledger.Gaps.Select(g => Untrusted.Clean(g, 400)!)], Convert.ToHexStringLower(SHA256.HashData(content)), dataClassInWindow);
    }

    /// <summary>One line for a person: "version N (TIME): ACCESS, R read(s) of O object(s), B bytes, D refused".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"version {Version} ({ReportedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}): {Access}, {Reads} read(s) of {ObjectsRead} object(s) from outside, {BytesSent} bytes sent, {Refused} refused");
}

/// <summary>What recording a report did: its version, and whether the incident already held the same content (a retry,
/// or a later look that found nothing new), in which case no version was added and Version is the earlier one.</summary>
public sealed record ReportRef(int Version, bool Unchanged);

/// <summary>The evidence of one report version: {"version":1,"incidentId","bucket","account","reportedAt","report": the
/// exposure report's JSON, "sources":{"accessLog":[each line as S3 wrote it],"dataEvents":[each CloudTrail record as
/// the trail wrote it]},"sourcesNotKept": N}. The ledger's outside numbers recompute from the sources alone, read with
/// the same readers (ServerAccessLog, CloudTrailRecords); past AfterLock.MaxSources records they are counted, not kept,
/// and the bundle says how many. The records are kept exactly (evidence), not neutralised: JSON escaping makes them
/// data, and no person reads them from here unescaped. Keyed evidence/ACCOUNT/BUCKET/exposure-TIME-HASH.json.</summary>
public static class ExposureEvidence
{
    public static EvidenceBundle For(ExposureRequest request, ExposureReport report, IReadOnlyList<LedgerSource> sources, int notKept, DateTimeOffset reportedAt)
    {
        var json = JsonLine.Write(w =>
        {
            w.WriteNumber("version", 1);
            w.WriteString("incidentId", request.IncidentId);
            w.WriteString("bucket", request.Bucket);
            w.WriteString("account", request.Account);
            w.WriteString("reportedAt", reportedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            w.WritePropertyName("report");
            w.WriteRawValue(report.Json());
            w.WriteStartObject("sources");
            w.WriteStartArray("accessLog");
            foreach (var source in sources.Where(s => s.Source == RequestSource.AccessLog))
            {
                w.WriteStringValue(source.Text);
            }

            w.WriteEndArray();
            w.WriteStartArray("dataEvents");
            foreach (var source in sources.Where(s => s.Source == RequestSource.DataEvent))
            {
                w.WriteRawValue(source.Text);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteNumber("sourcesNotKept", notKept);
        });
        var content = Encoding.UTF8.GetBytes(json + "\n");
        var hash = Convert.ToHexStringLower(SHA256.HashData(content))[..16];
        var key = $"evidence/{request.Account ?? "unknown"}/{request.Bucket}/exposure-{reportedAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{hash}.json";
        return new EvidenceBundle(key, content);
    }
}
