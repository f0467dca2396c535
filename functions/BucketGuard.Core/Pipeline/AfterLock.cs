using System.Collections.Immutable;
using BucketGuard.Core.Evidence;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Pipeline;

/// <summary>Investigates one exposure: the bucket's window and ledger (ExposureInvestigation in the AWS adapters).
/// Throttling and outages are thrown after the SDK's retries, so the request is retried.</summary>
public interface IExposureInvestigator
{
    /// <returns>The report; a failure when the bucket no longer exists.</returns>
    Task<Parsed<ExposureReport>> InvestigateAsync(ExposureRequest request, CancellationToken cancellationToken);
}

/// <summary>Where an exposure report goes: the notification topic, the decision's Security Hub finding, EventBridge.
/// Throws when it cannot publish, so that the request is retried rather than half-reported.</summary>
public interface IExposureOutput
{
    /// <summary>Short name in errors and logs ("sns", "security-hub", "eventbridge").</summary>
    string Name { get; }

    /// <returns>The service's id for what was published, or null when nothing was.</returns>
    Task<string?> PublishAsync(ExposureRequest request, ExposureReport report, CancellationToken cancellationToken);
}

/// <summary>Where an exposure request goes back to, to be looked at again later (the exposure queue).</summary>
public interface IExposureRequests
{
    /// <param name="delay">How long the queue holds it first: at most 15 minutes (SQS DelaySeconds).</param>
    /// <exception cref="Exception">The queue refused or failed: the request in hand is retried.</exception>
    Task SendAsync(ExposureRequest request, TimeSpan delay, CancellationToken cancellationToken);
}

/// <summary>What the after-lock path keeps besides its outputs: the incident each report becomes a version of, the
/// evidence bucket its sources go to, and the queue its later looks wait in. Each null: not kept.</summary>
public sealed record AfterLockPorts(TimeProvider Clock)
{
    public Incidents.IIncidents? Incidents { get; init; }

    public Incidents.IEvidenceStore? Evidence { get; init; }

    public IExposureRequests? FollowUps { get; init; }

    /// <summary>Where a class the replay found lowered before the exposure is kept, for the next decision on the bucket.</summary>
    public IDataClassFloors? Floors { get; init; }
}

/// <summary>What became of one exposure request.</summary>
public enum AfterLockOutcome
{
    /// <summary>Investigated and published to every output.</summary>
    Reported,

    /// <summary>A later look whose time has not come: sent back to the queue to wait.</summary>
    Waiting,

    /// <summary>A later look that found what the incident already holds: no new version, nothing published.</summary>
    Unchanged,

    /// <summary>CloudTrail does not show BucketGuard's lock yet (it takes minutes): retry later.</summary>
    NotYet,

    /// <summary>Nothing to investigate: the bucket is gone, or its account cannot be entered. The decision path reported
    /// that already; the reason is logged.</summary>
    NotInvestigated,
}

/// <param name="Published">"sns:MESSAGE-ID" and the like, one per output that published.</param>
public sealed record AfterLockResult(AfterLockOutcome Outcome, string Why, ExposureReport? Report, ImmutableArray<string> Published);

/// <summary>Thrown when the request cannot be read, or outputs failed: the message is retried, then dead-lettered (its
/// text is kept there, and the dead-letter alarm tells the security team).</summary>
public sealed class ExposureReportFailedException(string message) : InvalidOperationException(message);

/// <summary>The after-lock path: one exposure request (from the decision, through the exposure queue) to its report in
/// every output. Runs apart from the decision, so that the lock is never slowed by reading months of logs. With an
/// incident record, each report is kept as a version of the decision's incident (its evidence, the ledger's source
/// records, kept first) and looked at again after Rechecks, because S3 delivers access logs on a best-effort basis,
/// hours late: a later look that finds more is a new version, reported as an update; one that finds nothing new is
/// neither.</summary>
public sealed class AfterLock(IExposureInvestigator investigator, ImmutableArray<IExposureOutput> outputs, AfterLockPorts? ports = null)
{
    /// <summary>When the later looks are, after the window's end (the lock): access logs mostly arrive within hours, and
    /// S3EvidenceFiles.LateDelivery (24 h) is as late as they are read.</summary>
    public static readonly ImmutableArray<TimeSpan> Rechecks = [TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromHours(24)];

    /// <summary>Source records an incident's evidence keeps per report; the others are counted (the bundle says how many).</summary>
    public const int MaxSources = 10_000;

    /// <summary>The longest SQS holds a message back (DelaySeconds 900).</summary>
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(15);

    /// <param name="finalAttempt">The queue will not deliver the request again: a window still without the lock is
    /// reported as it stands (its end unknown, said so) rather than lost.</param>
    /// <exception cref="ExposureReportFailedException">The request is malformed, or an output failed.</exception>
    public async Task<AfterLockResult> HandleAsync(string body, bool finalAttempt, CancellationToken cancellationToken)
    {
        var parsed = ExposureRequest.Parse(body);
        if (!parsed.Ok)
        {
            throw new ExposureReportFailedException(parsed.Error!);
        }

        var request = parsed.Value!;
        var now = ports?.Clock.GetUtcNow() ?? DateTimeOffset.UtcNow;
        if (request.NotBefore is { } notBefore && notBefore > now && ports?.FollowUps is { } queue)
        {
            await queue.SendAsync(request, Min(notBefore - now, MaxDelay), cancellationToken).ConfigureAwait(false);
            return new AfterLockResult(AfterLockOutcome.Waiting, $"look {request.Recheck} is due at {notBefore:u}", null, []);
        }

        var investigated = await investigator.InvestigateAsync(request, cancellationToken).ConfigureAwait(false);
        if (!investigated.Ok)
        {
            return new AfterLockResult(AfterLockOutcome.NotInvestigated, investigated.Error!, null, []);
        }

        var report = investigated.Value!;
        if (request.Recheck == 0 && request.LockedAt is { } lockedAt && report.Window.End is null)
        {
            var why = $"CloudTrail does not show the lock of {lockedAt:u} yet";
            if (!finalAttempt)
            {
                return new AfterLockResult(AfterLockOutcome.NotYet, why, report, []);
            }

            report = report with { Problems = report.Problems.Add($"{why} after the last attempt: the window's end is BucketGuard's lock at {lockedAt:u}, which CloudTrail does not show") };
        }

        var failures = ImmutableArray.CreateBuilder<string>();
        if (report.DataClassInWindow is { LoweredBy.EventTime: { } loweredAt } lowered && ports?.Floors is { } floors)
        {
            try
            {
                // The next decision on the bucket (any event, the daily sweep) then goes by the class it held: a phi or
                // pci bucket exempted on its lowered tag is locked then.
                await floors.RaiseAsync(request.Account ?? "unknown", request.Bucket, new Decisions.DataClassFloor(lowered.Highest, loweredAt + Decisions.DataClassFloor.Lookback, Untrusted.Clean(lowered.Explain(), 400)!), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Add($"data-class floor: {ex.Message}");
            }
        }

        if (request.IncidentId is { } incidentId && ports?.Incidents is { } incidents)
        {
            try
            {
                var summary = Incidents.ExposureSummary.Of(report, now);
                if (ports.Evidence is { } evidence)
                {
                    // Kept before it is recorded, so that the version lists it with its hash.
                    summary = summary with { Evidence = await evidence.KeepAsync(Incidents.ExposureEvidence.For(request, report, report.Sources, report.SourcesNotKept, now), cancellationToken).ConfigureAwait(false) };
                }

                var version = await incidents.RecordReportAsync(incidentId, summary, cancellationToken).ConfigureAwait(false);
                if (version.Unchanged && request.Recheck > 0)
                {
                    await FollowUpAsync(request, report, cancellationToken).ConfigureAwait(false);
                    return new AfterLockResult(AfterLockOutcome.Unchanged, $"look {request.Recheck} found what version {version.Version} of incident {incidentId} holds", report, []);
                }

                report = report with { IncidentId = incidentId, Version = version.Version };
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Reported anyway (the people must hear of it), then the request fails and is retried to record it.
                failures.Add($"incidents: {ex.Message}");
            }
        }

        var published = ImmutableArray.CreateBuilder<string>();
        foreach (var output in outputs)
        {
            try
            {
                if (await output.PublishAsync(request, report, cancellationToken).ConfigureAwait(false) is { } id)
                {
                    published.Add($"{output.Name}:{id}");
                }
            }
#pragma warning disable CA1031 // One output's failure must not stop the others; all are said, and the request retried.
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                failures.Add($"{output.Name}: {ex.Message}");
            }
        }

        if (failures.Count > 0)
        {
            throw new ExposureReportFailedException($"exposure report of {request.Bucket} not sent: {string.Join("; ", failures)}");
        }

        await FollowUpAsync(request, report, cancellationToken).ConfigureAwait(false);
        return new AfterLockResult(AfterLockOutcome.Reported, LedgerReport.VerdictName(report.Ledger.Verdict), report, published.ToImmutable());
    }

    /// <summary>Queues the next look, while there is one and a source could still deliver (one is recorded for the
    /// bucket): due Rechecks[look] after the window's end, or after the decision when the window has none.</summary>
    private async Task FollowUpAsync(ExposureRequest request, ExposureReport report, CancellationToken cancellationToken)
    {
        if (ports?.FollowUps is not { } queue || request.IncidentId is null || request.Recheck >= Rechecks.Length || !report.Ledger.Sources.Any(s => s.Enabled))
        {
            return;
        }

        var now = ports.Clock.GetUtcNow();
        var due = (report.Window.End ?? request.DecidedAt) + Rechecks[request.Recheck];
        await queue.SendAsync(request with { Recheck = request.Recheck + 1, NotBefore = due }, Min(due > now ? due - now : TimeSpan.Zero, MaxDelay), cancellationToken).ConfigureAwait(false);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
