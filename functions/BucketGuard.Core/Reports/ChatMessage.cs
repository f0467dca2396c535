using System.Globalization;
using System.Text;

namespace BucketGuard.Core.Reports;

/// <summary>Decisions as custom notifications of Amazon Q Developer in chat applications (formerly AWS Chatbot), for a
/// Slack or Microsoft Teams channel: the event schema of the administrator guide's "Custom notifications" page
/// (version "1.0", source "custom", content with textType "client-markdown", title, description, nextSteps, keywords;
/// metadata with threadId, summary, eventType, relatedResources, additionalContext). Pure.
/// Every value that came from an event, a tag or a policy is shown as an inline code span (backticks removed, control
/// characters escaped by Untrusted.Clean): the chat's markdown then renders it literally, so a bucket name or a user
/// agent cannot turn into a link, a mention or formatting.</summary>
public static class ChatMessage
{
    /// <summary>Findings listed in the card; the rest are counted ("and N more").</summary>
    public const int MaxFindings = 5;

    /// <summary>The longest description sent (characters): chat cards are read at a glance, the e-mail has the rest.</summary>
    public const int MaxDescriptionLength = 3500;

    /// <summary>The card for one decision that is reported (<paramref name="notification"/> is its SNS rendering, for
    /// the subject and attributes). Shape: one JSON object, within SNS's limits.</summary>
    public static string For(BucketDecision decision, Notification notification)
    {
        var eventType = notification.Attributes.GetValueOrDefault("event") ?? "decision";
        var severity = notification.Attributes.GetValueOrDefault("severity") ?? "info";
        var change = decision.Change;
        var verdict = decision.Verdict;
        var description = new StringBuilder();
        if (change is null)
        {
            description.AppendLine(CultureInfo.InvariantCulture, $"An event could not be read: {Code(verdict.Why)}");
        }
        else
        {
            description.AppendLine(CultureInfo.InvariantCulture, $"*Account* {Code(change.Account ?? "(unknown)")}  *Region* {Code(change.Region ?? "(unknown)")}  *Severity* {severity}");
            description.AppendLine(change.Kind == Events.ChangeKind.Sweep
                ? "Found by the scheduled sweep (no event was seen for the change)."
                : $"{Code(change.EventName)} by {Code(change.Actor.Arn ?? change.Actor.ToString())} from {Code(change.SourceIp ?? "(unknown)")}");
            description.AppendLine(CultureInfo.InvariantCulture, $"Why: {Code(verdict.Why)}");
            if (verdict.Exposure is { IsPublic: true } exposure)
            {
                foreach (var finding in exposure.Findings.Take(MaxFindings))
                {
                    description.AppendLine("• " + Code(FindingJson.Describe(finding)));
                }

                if (exposure.Findings.Length > MaxFindings)
                {
                    description.AppendLine(CultureInfo.InvariantCulture, $"and {exposure.Findings.Length - MaxFindings} more finding(s)");
                }
            }

            if (decision.Result is { InForce: { } inForce })
            {
                description.AppendLine(CultureInfo.InvariantCulture, $"Block Public Access in force now: {Code(inForce.ToString())}");
            }

            if (decision.Result is { Error: { } error })
            {
                description.AppendLine(CultureInfo.InvariantCulture, $"The lock FAILED: {Code(error)}");
            }
        }

        var bucket = decision.Bucket;
        return Write(
            id: change?.EventId,
            title: $"{Icon(eventType)} {notification.Subject}",
            description: description.ToString(),
            nextSteps: NextSteps(eventType, bucket),
            keywords: ["BucketGuard", eventType, severity],
            threadId: bucket is null ? "bucketguard" : $"bucketguard/{change?.Account ?? "unknown"}/{bucket}",
            summary: notification.Subject,
            eventType: eventType,
            relatedResources: bucket is null ? [] : [$"arn:aws:s3:::{bucket}"],
            context: [("account", change?.Account), ("bucket", bucket), ("severity", severity), ("eventId", change?.EventId)]);
    }

    /// <summary>The card for one account's sweep summary.</summary>
    public static string ForSummary(SweepCounts report, string? account, Notification summary) => Write(
        id: null,
        title: $"{(report.Errors > 0 || report.Locked > 0 ? ":warning:" : ":white_check_mark:")} {summary.Subject}",
        description: string.Create(CultureInfo.InvariantCulture,
            $"*Account* {Code(account ?? "(unknown)")}: {report.Seen} bucket(s) swept{(report.Missing > 0 ? $" ({report.Missing} listed and not swept: `bucketguard sweep --redrive`)" : string.Empty)}, {report.Public} public, {report.Locked} locked now, {report.Exempted} exempted ({report.Expiring} ending soon), {report.Unreadable} could not be read, {report.Errors} error(s){(report.Completed ? "." : $"; stopped for time after {Code(report.ContinueAfter ?? string.Empty)}.")}"),
        nextSteps: report.Errors > 0 ? ["Run `bucketguard audit` for the full list of errors"] : [],
        keywords: ["BucketGuard", "sweep-summary"],
        threadId: $"bucketguard/{account ?? "unknown"}/sweep",
        summary: summary.Subject,
        eventType: "sweep-summary",
        relatedResources: [],
        context: [("account", account)]);

    private static string Write(string? id, string title, string description, IReadOnlyList<string> nextSteps, IReadOnlyList<string> keywords,
        string threadId, string summary, string eventType, IReadOnlyList<string> relatedResources, IReadOnlyList<(string Key, string? Value)> context) => JsonLine.Write(w =>
    {
        w.WriteString("version", "1.0");
        w.WriteString("source", "custom");
        if (id is not null)
        {
            w.WriteString("id", id);
        }

        w.WriteStartObject("content");
        w.WriteString("textType", "client-markdown");
        w.WriteString("title", title);
        w.WriteString("description", description.Length <= MaxDescriptionLength ? description : description[..MaxDescriptionLength] + "…");
        FindingJson.WriteStrings(w, "nextSteps", nextSteps);
        FindingJson.WriteStrings(w, "keywords", keywords);
        w.WriteEndObject();
        w.WriteStartObject("metadata");
        w.WriteString("threadId", threadId);
        w.WriteString("summary", summary);
        w.WriteString("eventType", eventType);
        FindingJson.WriteStrings(w, "relatedResources", relatedResources);
        w.WriteStartObject("additionalContext");
        foreach (var (key, value) in context.Where(c => c.Value is not null))
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    });

    private static List<string> NextSteps(string eventType, string? bucket) => eventType switch
    {
        "remediated" or "flags-restored" => ["Check with the owner that the bucket must not be public", $"If it must, see the e-mail's \"How to undo\" and tag an exemption on {Code(bucket ?? "the bucket")}"],
        "remediation-failed" => [$"Lock {Code(bucket ?? "the bucket")} by hand: aws s3api put-public-access-block", "Find out why BucketGuard's put was refused (its role, an SCP)"],
        "would-remediate" => ["Mode notify: decide whether to lock it, or switch BucketGuard to mode enforce"],
        "exemption-requested" => ["The e-mail carries the command that approves it"],
        "exemption-expiring" => ["Renew the exemption, or let BucketGuard lock the bucket when it ends"],
        "evaluation-incomplete" or "malformed-event" => ["Check BucketGuard's role can read the bucket; the bucket may be public"],
        _ => [],
    };

    private static string Icon(string eventType) => eventType switch
    {
        "remediated" or "flags-restored" => ":lock:",
        "remediation-failed" or "would-remediate" or "evaluation-incomplete" or "malformed-event" => ":rotating_light:",
        "exempted" or "exemption-expiring" or "exemption-requested" => ":memo:",
        _ => ":information_source:",
    };

    /// <summary>An inline code span that shows the value literally: backticks replaced, control characters escaped.</summary>
    public static string Code(string? value) => "`" + (Untrusted.Clean(value, Untrusted.FieldLength) ?? string.Empty).Replace('`', '\'') + "`";
}
