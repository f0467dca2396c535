using BucketGuard.Core.Decisions;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Reports;

/// <summary>What handling one event came to: for the function's response, its log line and its metrics.</summary>
/// <param name="Change">Null when the event could not be read at all.</param>
/// <param name="EventToBlock">From the CloudTrail eventTime to the applied block, when one was applied.</param>
public sealed record HandledEvent(
    BucketChange? Change,
    Verdict Verdict,
    ActionResult? Result,
    Notification? Notification,
    string? NotificationId,
    TimeSpan? EventToBlock)
{
    /// <summary>What was read of the bucket, when it was read.</summary>
    public BucketState? State { get; init; }

    /// <summary>From the applied block to the incident recorded as contained (its evidence kept first): the function
    /// time the incident record adds after a lock (issue "Incident record": under 2 s). Null when no lock was applied
    /// or no incident recorded.</summary>
    public TimeSpan? LockToContained { get; init; }
}
