using BucketGuard.Core.Events;

namespace BucketGuard.Core.Remediation;

/// <summary>What handling one event came to: for the function's response, its log line and its metrics.</summary>
/// <param name="Change">Null when the event could not be read at all.</param>
/// <param name="EventToBlock">From the CloudTrail eventTime to the applied block, when one was applied.</param>
public sealed record HandledEvent(
    BucketChange? Change,
    Verdict Verdict,
    ActionResult? Result,
    Notification? Notification,
    string? NotificationId,
    TimeSpan? EventToBlock);

/// <summary>One event, start to finish: read the event, triage, re-read the bucket, decide, act, re-read, notify.
/// Decisions are Remediation's; this only sequences the ports, so the Lambda handler, `bucketguard invoke` and the
/// sweep share one path.</summary>
/// <param name="verifier">Checks exemption signatures when an approval key is configured; null otherwise.</param>
public sealed class RemediationPipeline(IBucketStateReader reader, IPublicAccessBlockWriter writer, INotifier notifier, RemediationPolicy policy, TimeProvider clock, IExemptionVerifier? verifier = null)
{
    public async Task<HandledEvent> HandleAsync(string eventJson, CancellationToken cancellationToken)
    {
        var parsed = CloudTrailEventParser.Parse(eventJson);
        if (!parsed.Ok || parsed.Value!.Invalid is not null)
        {
            var error = parsed.Error ?? parsed.Value!.Invalid!;
            var malformed = Notifications.Malformed(error, eventJson);
            var id = await notifier.PublishAsync(malformed, cancellationToken).ConfigureAwait(false);
            return new HandledEvent(null, new Verdict(Outcome.Incomplete, error, Severity.High), null, malformed, id, null);
        }

        var change = parsed.Value!;
        var verdict = Remediation.Triage(change, policy);
        BucketState? state = null;
        if (verdict is null)
        {
            state = await reader.ReadAsync(change.Bucket!, change.Account, cancellationToken).ConfigureAwait(false);
            var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
            var exemption = state.Exists ? await ExemptionApprovals.CheckAsync(state, change.Account, policy, verifier, today, cancellationToken).ConfigureAwait(false) : null;
            verdict = Remediation.Decide(change, state, policy, today, exemption);
        }

        ActionResult? result = null;
        TimeSpan? eventToBlock = null;
        if (verdict is { Outcome: Outcome.Block, Apply: { } apply })
        {
            result = await writer.ApplyAsync(change.Bucket!, change.Account, apply, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded && change.EventTime is { } eventTime)
            {
                eventToBlock = clock.GetUtcNow() - eventTime;
            }
        }

        var notification = Notifications.For(change, verdict, state, result, policy);
        var notificationId = notification is null ? null : await notifier.PublishAsync(notification, cancellationToken).ConfigureAwait(false);
        return new HandledEvent(change, verdict, result, notification, notificationId, eventToBlock);
    }
}
