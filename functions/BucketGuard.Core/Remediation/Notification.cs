using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Remediation;

/// <summary>One SNS notification: a subject within SNS's limits, readable text for e-mail, one JSON document for
/// machines (SQS, HTTPS, Lambda), and message attributes for subscription filter policies (event, severity,
/// bucket, account, owner).</summary>
public sealed record Notification(string Subject, string Text, string Document, ImmutableDictionary<string, string> Attributes)
{
    /// <summary>The SNS Message for MessageStructure=json: text for e-mail, the document for every other protocol.</summary>
    public string StructuredMessage
    {
        get
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("default", Document);
                w.WriteString("email", Text);
                foreach (var protocol in (ReadOnlySpan<string>)["email-json", "sqs", "lambda", "http", "https", "firehose"])
                {
                    w.WriteString(protocol, Document);
                }

                w.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }
}

/// <summary>Builds notifications from decisions. Pure: the clock is a parameter.</summary>
public static class Notifications
{
    public const int MaxSubjectLength = 100;

    /// <summary>The notification for a decision, or null for outcomes that are only logged (skipped, nothing to do, already blocked).</summary>
    public static Notification? For(BucketChange change, Verdict verdict, BucketState? state, ActionResult? result, RemediationPolicy policy)
    {
        var eventType = EventType(verdict, result);
        if (eventType is null)
        {
            return null;
        }

        var bucket = change.Bucket ?? state?.Bucket;
        var owner = verdict.Exemption?.Owner ?? state?.Tag(policy.OwnerTag);
        var severity = result is { Succeeded: false } ? Severity.Critical : verdict.Severity;
        var subject = Subject(eventType, bucket, change.Account, verdict);
        var text = Text(change, verdict, state, result, policy, owner, eventType);
        var document = Document(change, verdict, state, result, owner, eventType, severity);
        var attributes = ImmutableDictionary.CreateBuilder<string, string>();
        attributes["event"] = eventType;
        attributes["severity"] = severity.ToString().ToLowerInvariant();
        if (bucket is not null)
        {
            attributes["bucket"] = bucket;
        }

        if (change.Account is not null)
        {
            attributes["account"] = change.Account;
        }

        if (owner is not null)
        {
            attributes["owner"] = owner;
        }

        return new Notification(subject, text, document, attributes.ToImmutable());
    }

    /// <summary>For an event that could not be read at all: the security team must hear of it.</summary>
    public static Notification Malformed(string error, string input)
    {
        var excerpt = input.Length > 2000 ? input[..2000] + "…" : input;
        var text = $"BucketGuard received an event it could not read, so it could not check the bucket it may concern.\n\nProblem: {error}\n\nEvent (first 2000 characters):\n{excerpt}\n";
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteString("event", "malformed-event");
            w.WriteString("severity", "high");
            w.WriteString("error", error);
            w.WriteString("input", excerpt);
            w.WriteEndObject();
        }

        return new Notification("BucketGuard: an event could not be read", text, Encoding.UTF8.GetString(buffer.ToArray()),
            ImmutableDictionary<string, string>.Empty.Add("event", "malformed-event").Add("severity", "high"));
    }

    public static string? EventType(Verdict verdict, ActionResult? result) => verdict.Outcome switch
    {
        Outcome.Block => result is { Succeeded: true } ? "remediated" : "remediation-failed",
        Outcome.WouldBlock => "would-remediate",
        Outcome.BucketGone => "bucket-gone",
        Outcome.AccountBlockChanged => "account-block-changed",
        Outcome.Exempted when verdict.ExemptionExpiring => "exemption-expiring",
        Outcome.Exempted or Outcome.ExemptionRecorded => "exempted",
        Outcome.Incomplete => "evaluation-incomplete",
        _ => null,
    };

    /// <summary>SNS subjects: at most 100 printable ASCII characters, no line breaks.</summary>
    public static string Subject(string eventType, string? bucket, string? account, Verdict verdict)
    {
        var name = bucket ?? "(no bucket)";
        var what = AccessLevels.Describe(verdict.Exposure?.AccessInEffect ?? AccessLevel.None);
        var subject = eventType switch
        {
            "remediated" => $"BucketGuard locked {name} (public {what})",
            "remediation-failed" => $"BucketGuard could NOT lock public bucket {name}",
            "would-remediate" => $"BucketGuard would lock {name} (public {what})",
            "bucket-gone" => $"BucketGuard: bucket {name} was deleted before it was checked",
            "account-block-changed" => $"BucketGuard: account {account ?? "(unknown)"} Block Public Access changed",
            "exempted" when verdict.Outcome == Outcome.ExemptionRecorded => $"BucketGuard: exemption recorded for {name}; the block stays",
            "exemption-expiring" => $"BucketGuard: the exemption of public bucket {name} ends on {verdict.Exemption?.Until:yyyy-MM-dd}",
            "exempted" => $"BucketGuard: {name} is public ({what}) under an exemption",
            _ => $"BucketGuard could not fully check {name}",
        };
        var clean = new string([.. subject.Select(c => c is >= ' ' and <= '~' ? c : ' ')]);
        return clean.Length <= MaxSubjectLength ? clean : clean[..(MaxSubjectLength - 1)] + "~";
    }

    private static string Text(BucketChange change, Verdict verdict, BucketState? state, ActionResult? result, RemediationPolicy policy, string? owner, string eventType)
    {
        var b = new StringBuilder();
        var bucket = change.Bucket ?? state?.Bucket ?? "(no bucket)";
        b.AppendLine(eventType switch
        {
            "remediated" => $"BucketGuard applied S3 Block Public Access to bucket {bucket}, because {verdict.Why}.",
            "remediation-failed" => $"BucketGuard tried to apply S3 Block Public Access to bucket {bucket}, because {verdict.Why}, and FAILED: {result?.Error}. The bucket may still be public.",
            "would-remediate" => $"BucketGuard would apply S3 Block Public Access to bucket {bucket}: {verdict.Why}.",
            _ => $"BucketGuard: {verdict.Why}.",
        });
        b.AppendLine(CultureInfo.InvariantCulture, $"Account {change.Account ?? "(unknown)"}, region {change.Region ?? "(unknown)"}. Owner: {owner ?? $"not tagged (tag {policy.OwnerTag})"}.");
        b.AppendLine();
        if (change.Kind == ChangeKind.Sweep)
        {
            b.AppendLine("How it was found");
            b.AppendLine(CultureInfo.InvariantCulture, $"  by BucketGuard's sweep of every bucket at {change.EventTimeText}: no event was seen for the change that made it so (made public before BucketGuard ran, or while CloudTrail was off)");
        }
        else
        {
            b.AppendLine("Who did it");
            b.AppendLine(CultureInfo.InvariantCulture, $"  {change.EventName} by {change.Actor.Arn ?? change.Actor.ToString()}");
            b.AppendLine(CultureInfo.InvariantCulture, $"  access key {change.Actor.AccessKeyId ?? "(none)"}, from {change.SourceIp ?? "(unknown)"}, user agent {change.UserAgent ?? "(none)"}");
            b.AppendLine(CultureInfo.InvariantCulture, $"  at {change.EventTimeText ?? "(unknown time)"}, CloudTrail event {change.EventId ?? "(no id)"}");
        }
        if (verdict.Exposure is { IsPublic: true } exposure)
        {
            b.AppendLine();
            b.AppendLine("What is exposed");
            foreach (var f in exposure.Findings)
            {
                b.AppendLine("  - " + FindingJson.Describe(f));
            }
        }

        if (verdict.Disagreement is not null)
        {
            b.AppendLine();
            b.AppendLine("Disagreement: " + verdict.Disagreement);
        }

        if (!verdict.Problems.IsEmpty)
        {
            b.AppendLine();
            b.AppendLine("Could not read: " + string.Join("; ", verdict.Problems));
        }

        if (verdict.Exemption is { State: not ExemptionState.None } exemption)
        {
            b.AppendLine();
            b.AppendLine("Exemption: " + exemption);
            foreach (var reason in verdict.NotExempt)
            {
                b.AppendLine("  not covered: " + reason);
            }
        }

        if (verdict.Outcome == Outcome.ExemptionRecorded)
        {
            b.AppendLine();
            b.AppendLine("How to make it public under the exemption");
            b.AppendLine("  BucketGuard never lifts a block by itself. After checking that only what the exemption covers is public,");
            b.AppendLine(CultureInfo.InvariantCulture, $"  the owner can remove it: aws s3api delete-public-access-block --bucket {bucket}");
            b.AppendLine("  BucketGuard will accept that change while the exemption is valid and covers what is public.");
        }

        if (verdict.Apply is { } apply)
        {
            b.AppendLine();
            b.AppendLine("What BucketGuard did");
            var before = verdict.Before ?? PublicAccessBlock.None;
            b.AppendLine(eventType == "would-remediate"
                ? $"  Nothing (mode notify). It would put Block Public Access: {apply} (before: {before})."
                : $"  Put Block Public Access: {apply} (before: {before}; flags already on are kept, none is turned off).");
            if (result?.InForce is { } inForce)
            {
                b.AppendLine(CultureInfo.InvariantCulture, $"  In force now (re-read): {inForce}.");
            }

            b.AppendLine();
            b.AppendLine("How to undo");
            b.AppendLine(CultureInfo.InvariantCulture, $"  If {bucket} must be public, review the findings above, then restore the previous setting:");
            b.AppendLine(before.OnFlags().Any()
                ? $"    aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration {Cli(before)}"
                : $"    aws s3api delete-public-access-block --bucket {bucket}");
            b.AppendLine("  BucketGuard will lock it again on the next change unless the bucket carries a valid exemption.");
        }

        return b.ToString();
    }

    private static string Cli(PublicAccessBlock p) =>
        $"BlockPublicAcls={Lower(p.BlockPublicAcls)},IgnorePublicAcls={Lower(p.IgnorePublicAcls)},BlockPublicPolicy={Lower(p.BlockPublicPolicy)},RestrictPublicBuckets={Lower(p.RestrictPublicBuckets)}";

    private static string Lower(bool value) => value ? "true" : "false";

    private static string Document(BucketChange change, Verdict verdict, BucketState? state, ActionResult? result, string? owner, string eventType, Severity severity)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteString("event", eventType);
            w.WriteString("severity", severity.ToString().ToLowerInvariant());
            w.WriteString("account", change.Account);
            w.WriteString("region", change.Region);
            w.WriteString("bucket", change.Bucket ?? state?.Bucket);
            w.WriteString("owner", owner);
            w.WriteString("why", verdict.Why);
            w.WriteStartObject("change");
            w.WriteString("eventName", change.EventName);
            w.WriteString("eventId", change.EventId);
            w.WriteString("eventTime", change.EventTimeText);
            w.WriteString("actor", change.Actor.Arn);
            w.WriteString("actorType", change.Actor.Type);
            w.WriteString("accessKeyId", change.Actor.AccessKeyId);
            w.WriteString("sessionIssuer", change.Actor.SessionIssuerArn);
            w.WriteString("sourceIp", change.SourceIp);
            w.WriteString("userAgent", change.UserAgent);
            w.WriteEndObject();
            if (verdict.Exposure is { } exposure)
            {
                w.WriteStartObject("exposure");
                w.WriteBoolean("public", exposure.IsPublic);
                w.WriteBoolean("publicInEffect", exposure.IsPublicInEffect);
                FindingJson.WriteStrings(w, "access", AccessLevels.Names(exposure.AccessInEffect));
                w.WriteStartArray("findings");
                foreach (var f in exposure.Findings)
                {
                    FindingJson.Write(w, f);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteStartObject("action");
            w.WriteString("outcome", verdict.Outcome.ToString());
            WriteBlock(w, "before", verdict.Before);
            WriteBlock(w, "apply", verdict.Apply);
            WriteBlock(w, "inForce", result?.InForce);
            w.WriteString("error", result?.Error);
            w.WriteEndObject();
            w.WriteString("disagreement", verdict.Disagreement);
            FindingJson.WriteStrings(w, "problems", verdict.Problems);
            if (verdict.Exemption is { } exemption)
            {
                w.WriteStartObject("exemption");
                w.WriteString("state", exemption.State.ToString().ToLowerInvariant());
                w.WriteString("until", exemption.Until?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteString("scope", exemption.ScopeName);
                w.WriteString("reason", exemption.Reason);
                w.WriteString("owner", exemption.Owner);
                FindingJson.WriteStrings(w, "problems", exemption.Problems);
                FindingJson.WriteStrings(w, "notCovered", verdict.NotExempt);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteBlock(Utf8JsonWriter w, string name, PublicAccessBlock? block)
    {
        if (block is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        w.WriteBoolean(nameof(PublicAccessBlock.BlockPublicAcls), block.BlockPublicAcls);
        w.WriteBoolean(nameof(PublicAccessBlock.IgnorePublicAcls), block.IgnorePublicAcls);
        w.WriteBoolean(nameof(PublicAccessBlock.BlockPublicPolicy), block.BlockPublicPolicy);
        w.WriteBoolean(nameof(PublicAccessBlock.RestrictPublicBuckets), block.RestrictPublicBuckets);
        w.WriteEndObject();
    }
}
