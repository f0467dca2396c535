using System.Collections.Immutable;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Remediation;

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

/// <summary>Where decisions are reported: SNS for people, Security Hub, EventBridge, chat. Each receives every decision
/// and the sweep's summaries, and decides itself what to publish. Throws when it cannot publish (after the service's
/// retries), so that the event is retried rather than half-reported.</summary>
public interface IDecisionOutput
{
    /// <summary>Short name in errors and logs ("sns", "security-hub", "eventbridge", "chat").</summary>
    string Name { get; }

    /// <returns>The service's id for what was published (SNS MessageId...), or null when nothing was.</returns>
    Task<string?> PublishAsync(BucketDecision decision, CancellationToken cancellationToken);

    Task PublishSummaryAsync(SweepReport report, string? account, CancellationToken cancellationToken);
}

/// <summary>The security team's and owners' topic: the notification of every reported decision, and the sweep's summary.</summary>
public sealed class NotificationOutput(INotifier topic) : IDecisionOutput
{
    public string Name => "sns";

    public async Task<string?> PublishAsync(BucketDecision decision, CancellationToken cancellationToken) =>
        decision.Notification is { } notification ? await topic.PublishAsync(notification, cancellationToken).ConfigureAwait(false) : null;

    public Task PublishSummaryAsync(SweepReport report, string? account, CancellationToken cancellationToken) =>
        topic.PublishAsync(Notifications.Summary(report, account), cancellationToken);
}

/// <summary>A chat channel's topic (Amazon Q Developer in chat applications, formerly AWS Chatbot): the same decisions
/// as the notification topic, as custom notifications (ChatMessage). SNS delivers the "default" member of the
/// structured message to the chat service's HTTPS subscription, so the card goes there and e-mail still reads text.</summary>
public sealed class ChatOutput(INotifier topic) : IDecisionOutput
{
    public string Name => "chat";

    public async Task<string?> PublishAsync(BucketDecision decision, CancellationToken cancellationToken) =>
        decision.Notification is { } notification
            ? await topic.PublishAsync(notification with { Document = ChatMessage.For(decision, notification) }, cancellationToken).ConfigureAwait(false)
            : null;

    public Task PublishSummaryAsync(SweepReport report, string? account, CancellationToken cancellationToken)
    {
        var summary = Notifications.Summary(report, account);
        return topic.PublishAsync(summary with { Document = ChatMessage.ForSummary(report, account, summary) }, cancellationToken);
    }
}

/// <summary>Outputs failed after the decision was made and acted on. The invocation fails so that Lambda retries the
/// event (and finally dead-letters it); <see cref="Handled"/> says what was done before, so that a person is told
/// both ("bucket locked; notification not sent: ...").</summary>
public sealed class OutputsFailedException(HandledEvent handled, ImmutableArray<string> failures)
    : InvalidOperationException(string.Join("; ", failures))
{
    public HandledEvent Handled { get; } = handled;

    /// <summary>One line per failed output: "security-hub: AccessDeniedException ...".</summary>
    public ImmutableArray<string> Failures { get; } = failures;
}
