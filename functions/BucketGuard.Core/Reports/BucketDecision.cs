using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Core.Reports;

/// <summary>One decision, whole, as every output receives it: the change (null for an event that could not be read),
/// the verdict, the state that was read, what the lock achieved, and the policy it was decided under. Outputs render
/// it their own way (SNS text and document, a Security Hub finding, an EventBridge event, a chat card).</summary>
public sealed class BucketDecision
{
    private Notification? notification;
    private bool rendered;

    public BucketDecision(BucketChange? change, Verdict verdict, BucketState? state, ActionResult? result, RemediationPolicy policy, DateTimeOffset decidedAt)
    {
        Change = change;
        Verdict = verdict;
        State = state;
        Result = result;
        Policy = policy;
        DecidedAt = decidedAt;
    }

    /// <summary>An event that could not be read at all: the security team must still hear of it.</summary>
    public static BucketDecision Malformed(string error, string input, RemediationPolicy policy, DateTimeOffset decidedAt) =>
        new(null, new Verdict(Outcome.Incomplete, error, Severity.High), null, null, policy, decidedAt) { MalformedInput = input };

    public BucketChange? Change { get; }

    public Verdict Verdict { get; }

    public BucketState? State { get; }

    public ActionResult? Result { get; }

    public RemediationPolicy Policy { get; }

    /// <summary>When BucketGuard decided (UTC), from the pipeline's clock.</summary>
    public DateTimeOffset DecidedAt { get; }

    /// <summary>The event text, when it could not be read (Change is null).</summary>
    public string? MalformedInput { get; private init; }

    public string? Bucket => Change?.Bucket ?? State?.Bucket;

    /// <summary>The notification event type ("remediated", "exempted"...), or null when the decision is only logged:
    /// the one rule for what is reported (Notifications.EventType), shared by every output.</summary>
    public string? EventType => Change is null ? "malformed-event" : Notifications.EventType(Change, Verdict, Result);

    /// <summary>The SNS rendering of the decision (subject, e-mail text, JSON document, attributes), made once.</summary>
    public Notification? Notification
    {
        get
        {
            if (!rendered)
            {
                notification = Change is null
                    ? Notifications.Malformed(Verdict.Why, MalformedInput ?? string.Empty)
                    : Notifications.For(Change, Verdict, State, Result, Policy);
                rendered = true;
            }

            return notification;
        }
    }
}
