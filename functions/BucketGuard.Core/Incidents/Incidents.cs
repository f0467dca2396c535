using System.Globalization;
using System.IO.Hashing;
using System.Text;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Incidents;

/// <summary>Where an incident stands: open (public now or would be locked), contained (locked), closed (by a person).</summary>
public enum IncidentState
{
    Open,
    Contained,
    Closed,
}

/// <summary>The incident a decision was recorded in: its id, its state after this decision, whether this decision opened
/// it, and whether the decision had already been recorded (a replayed or retried event, which changes nothing).</summary>
public sealed record IncidentRef(string Id, IncidentState State, bool Opened, bool Replayed);

/// <summary>One exposure decision as the incident's history keeps it.</summary>
/// <param name="Key">What the incident is about: ACCOUNT/BUCKET, or ACCOUNT/BUCKET/KEY for one object.</param>
/// <param name="EventId">The change's CloudTrail event id, or the sweep's "sweep:DATE" (one per bucket a day): the same id
/// twice is the same decision, recorded once.</param>
public sealed record IncidentUpdate(
    string Key, string EventId, DateTimeOffset Time, string EventType, Outcome Outcome, Severity Severity, string? DataClass,
    string? Actor, bool Locked, string? Exemption, string Why)
{
    /// <summary>Where this decision's evidence was kept, with its SHA-256; null when none was.</summary>
    public EvidenceItem? Evidence { get; init; }

    public IncidentState State => Locked ? IncidentState.Contained : IncidentState.Open;

    /// <summary>A new incident's id: inc-yyyyMMdd-HASH, from its key and the event that opened it (so the same first
    /// event always names the same incident).</summary>
    public string NewId() => string.Create(CultureInfo.InvariantCulture,
        $"inc-{Time.UtcDateTime:yyyyMMdd}-{XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(Key + "\n" + EventId)):x16}");
}

/// <summary>The incident record (issue "Incident record"): every exposure opens or updates one incident per bucket (or
/// object) until a person closes it. Each write decides by condition, so concurrent updates never lose one another and
/// a replayed event never opens a second incident or adds a second entry.</summary>
public interface IIncidents
{
    /// <exception cref="Exception">The store failed (after the SDK's retries): the event must be retried.</exception>
    Task<IncidentRef> RecordAsync(IncidentUpdate update, CancellationToken cancellationToken);

    /// <summary>Adds an exposure report to the incident as its next version, unless the incident already holds one with
    /// the same ContentHash (a retry, or a later look that found nothing new): old versions stay.</summary>
    /// <exception cref="InvalidOperationException">No such incident.</exception>
    /// <exception cref="Exception">The store failed (after the SDK's retries): the request must be retried.</exception>
    Task<ReportRef> RecordReportAsync(string incidentId, ExposureSummary report, CancellationToken cancellationToken);
}

/// <summary>Which decisions are exposures, and how one is written into its incident (pure).</summary>
public static class IncidentRules
{
    /// <summary>A public decision that was locked, would be locked (notify mode, or a failed lock), or was exempted.</summary>
    public static bool IsExposure(Verdict verdict) => verdict.Outcome switch
    {
        Outcome.Block or Outcome.WouldBlock or Outcome.Exempted => verdict.Exposure?.IsPublicInEffect == true || verdict.RestsOnEvent || verdict.Outcome == Outcome.Exempted,
        _ => false,
    };

    /// <summary>The decision's entry, or null when it is not an exposure.</summary>
    public static IncidentUpdate? For(BucketDecision decision)
    {
        if (decision.Change is not { } change || decision.Bucket is not { } bucket || !IsExposure(decision.Verdict))
        {
            return null;
        }

        var key = $"{change.Account ?? "unknown"}/{bucket}{(change.ObjectKey is { } o ? "/" + o : string.Empty)}";
        var eventId = change.EventId ?? $"sweep:{decision.DecidedAt.UtcDateTime:yyyy-MM-dd}";
        var verdict = decision.Verdict;
        return new IncidentUpdate(
            key, eventId, decision.DecidedAt, decision.EventType ?? verdict.Outcome.ToString(), verdict.Outcome, verdict.Severity,
            verdict.DataClass is { } dataClass ? DataClasses.Name(dataClass) : null, change.Actor.Arn,
            Locked: verdict.Outcome == Outcome.Block && decision.Result?.Succeeded == true,
            verdict.Exemption?.IsValid == true ? verdict.Exemption.ToString() : null, Untrusted.Clean(verdict.Why, 1000) ?? string.Empty);
    }

    public static string Name(IncidentState state) => state switch
    {
        IncidentState.Open => "open",
        IncidentState.Contained => "contained",
        IncidentState.Closed => "closed",
    };
}
