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

/// <summary>What became of one exposure request.</summary>
public enum AfterLockOutcome
{
    /// <summary>Investigated and published to every output.</summary>
    Reported,

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
/// every output. Runs apart from the decision, so that the lock is never slowed by reading months of logs.</summary>
public sealed class AfterLock(IExposureInvestigator investigator, ImmutableArray<IExposureOutput> outputs)
{
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
        var investigated = await investigator.InvestigateAsync(request, cancellationToken).ConfigureAwait(false);
        if (!investigated.Ok)
        {
            return new AfterLockResult(AfterLockOutcome.NotInvestigated, investigated.Error!, null, []);
        }

        var report = investigated.Value!;
        if (request.LockedAt is { } lockedAt && report.Window.End is null)
        {
            var why = $"CloudTrail does not show the lock of {lockedAt:u} yet";
            if (!finalAttempt)
            {
                return new AfterLockResult(AfterLockOutcome.NotYet, why, report, []);
            }

            report = report with { Problems = report.Problems.Add($"{why} after the last attempt: the window's end is BucketGuard's lock at {lockedAt:u}, which CloudTrail does not show") };
        }

        var published = ImmutableArray.CreateBuilder<string>();
        var failures = ImmutableArray.CreateBuilder<string>();
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

        return new AfterLockResult(AfterLockOutcome.Reported, LedgerReport.VerdictName(report.Ledger.Verdict), report, published.ToImmutable());
    }
}
