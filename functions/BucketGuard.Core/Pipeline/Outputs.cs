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

    /// <summary>One account's sweep summary, or (organization true, account null) the organisation's.</summary>
    Task PublishSummaryAsync(SweepCounts report, string? account, bool organization, CancellationToken cancellationToken);
}

/// <summary>What one sweep has already reported, so that a batch run twice (a retry, a redrive) reports each
/// decision once. Asked only for decisions that are reported.</summary>
public interface IReportOnce
{
    Task<bool> AlreadyReportedAsync(BucketDecision decision, CancellationToken cancellationToken);

    Task ReportedAsync(BucketDecision decision, CancellationToken cancellationToken);
}

/// <summary>The security team's and owners' topic: the notification of every reported decision, and the sweep's summary.</summary>
public sealed class NotificationOutput(INotifier topic) : IDecisionOutput
{
    public string Name => "sns";

    public async Task<string?> PublishAsync(BucketDecision decision, CancellationToken cancellationToken) =>
        decision.Notification is { } notification ? await topic.PublishAsync(notification, cancellationToken).ConfigureAwait(false) : null;

    public Task PublishSummaryAsync(SweepCounts report, string? account, bool organization, CancellationToken cancellationToken) =>
        topic.PublishAsync(Notifications.Summary(report, account, organization), cancellationToken);
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

    public Task PublishSummaryAsync(SweepCounts report, string? account, bool organization, CancellationToken cancellationToken)
    {
        var summary = Notifications.Summary(report, account, organization);
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
