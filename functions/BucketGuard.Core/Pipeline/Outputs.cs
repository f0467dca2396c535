using System.Collections.Immutable;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Pipeline;

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
