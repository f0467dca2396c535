using System.Collections.Immutable;
using System.Text;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Core.Reports;

/// <summary>One SNS notification: a subject within SNS's limits, readable text for e-mail, one JSON document for
/// machines (SQS, HTTPS, Lambda), and message attributes for subscription filter policies (event, severity,
/// bucket, account, owner).</summary>
public sealed record Notification(string Subject, string Text, string Document, ImmutableDictionary<string, string> Attributes)
{
    /// <summary>The SNS Message for MessageStructure=json: text for e-mail, the document under "default", which SNS
    /// delivers to every protocol without a key of its own (SNS API reference, Publish, MessageStructure). One copy of
    /// the document, not one per protocol: the whole message must fit SNS's 256 KiB.</summary>
    public string StructuredMessage => JsonLine.Write(w =>
    {
        w.WriteString("default", Document);
        w.WriteString("email", Text);
    });

    /// <summary>What SNS counts against its message size limit: the message, and each attribute's name, type and
    /// value (SNS API reference, MessageAttributeValue), in UTF-8 bytes.</summary>
    public int SnsSize =>
        Encoding.UTF8.GetByteCount(StructuredMessage) + Encoding.UTF8.GetByteCount(Subject)
        + Attributes.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + "String".Length + Encoding.UTF8.GetByteCount(a.Value));
}

/// <summary>Builds notifications from decisions: what is reported, the subject and the attributes here; the e-mail text
/// in NotificationText.cs, the JSON document in NotificationDocument.cs. Pure: the clock is a parameter.</summary>
public static partial class Notifications
{
    public const int MaxSubjectLength = 100;

    /// <summary>SNS's message size limit (256 KiB, 262,144 bytes, message and attributes together) less a margin for
    /// the request's own encoding (SNS API reference, Publish).</summary>
    public const int MaxSnsBytes = 256 * 1024 - 6 * 1024;

    /// <summary>The longest a message attribute value is made (characters): filter policies match short values.</summary>
    public const int MaxAttributeLength = 256;

    /// <summary>The notification for a decision, or null for outcomes that are only logged (skipped, nothing to do, and
    /// the sweep's already-blocked). Always within SNS's limits: when the findings would not fit, the first ones are
    /// listed with "and N more"; the verdict, the action and the event are never dropped.</summary>
    public static Notification? For(BucketChange change, Verdict verdict, BucketState? state, ActionResult? result, RemediationPolicy policy)
    {
        var eventType = EventType(change, verdict, result);
        if (eventType is null)
        {
            return null;
        }

        var findings = verdict.Exposure?.Findings.Length ?? 0;
        var notification = Build(change, verdict, state, result, policy, eventType, findings);
        while (notification.SnsSize > MaxSnsBytes && findings > 0)
        {
            findings /= 2;
            notification = Build(change, verdict, state, result, policy, eventType, findings);
        }

        return notification;
    }

    private static Notification Build(BucketChange change, Verdict verdict, BucketState? state, ActionResult? result, RemediationPolicy policy, string eventType, int maxFindings)
    {
        var bucket = change.Bucket ?? state?.Bucket;
        var owner = verdict.Exemption?.Owner ?? state?.Tag(policy.OwnerTag);
        var severity = result is { Succeeded: false } ? Severity.Critical : verdict.Severity;
        var subject = Subject(eventType, bucket, change.Account, verdict);
        var text = Text(change, verdict, state, result, policy, owner, eventType, maxFindings);
        var document = Document(change, verdict, state, result, owner, eventType, severity, maxFindings);
        var attributes = ImmutableDictionary.CreateBuilder<string, string>();
        AddAttribute(attributes, "event", eventType);
        AddAttribute(attributes, "severity", severity.ToString().ToLowerInvariant());
        AddAttribute(attributes, "bucket", bucket);
        AddAttribute(attributes, "account", change.Account);
        AddAttribute(attributes, "owner", owner);
        AddAttribute(attributes, "dataClass", verdict.DataClass is { } dataClass ? DataClasses.Name(dataClass) : null);
        AddAttribute(attributes, "incidentId", verdict.Incident?.Id);

        // The same eventId on every notification of one event: a retried event that reports again can be dropped by subscribers.
        AddAttribute(attributes, "eventId", change.EventId);
        return new Notification(subject, text, document, attributes.ToImmutable());
    }

    /// <summary>Adds a String attribute as SNS accepts it: a value that is not empty, only XML 1.0 characters, at most
    /// <see cref="MaxAttributeLength"/> characters (SNS API reference, MessageAttributeValue). A value with nothing
    /// left is left out: an empty owner tag must not make SNS refuse the whole message.</summary>
    public static void AddAttribute(ImmutableDictionary<string, string>.Builder attributes, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        var clean = new StringBuilder(Math.Min(value.Length, MaxAttributeLength));
        for (var i = 0; i < value.Length && clean.Length < MaxAttributeLength; i++)
        {
            // Paired surrogates pass (IsUnsafe counts every surrogate; IsXmlChar drops a lone one).
            if (Untrusted.IsXmlChar(value, i) && (char.IsSurrogate(value[i]) || !Untrusted.IsUnsafe(value[i])))
            {
                clean.Append(value[i]);
            }
        }

        // A cut between the halves of a surrogate pair would leave half a character.
        if (clean.Length > 0 && char.IsHighSurrogate(clean[^1]))
        {
            clean.Length--;
        }

        var text = clean.ToString().Trim();
        if (text.Length > 0)
        {
            attributes[name] = text;
        }
    }

    /// <summary>The sweep's one summary of an account for the security team.</summary>
    public static Notification Summary(SweepReport report, string? account) => Summary(report.Counts, account);

    /// <summary>The sweep's one summary of an account (or, with account null and organization true, of the whole
    /// organisation) for the security team, within SNS's limits (the problems listed are bounded), its subject cleaned
    /// as every subject is. Buckets listed and never swept are said, with the command that sweeps them.</summary>
    public static Notification Summary(SweepCounts report, string? account, bool organization = false)
    {
        var scope = organization ? "the organisation" : $"account {account ?? "(unknown)"}";
        var text = new StringBuilder();
        text.AppendLine($"BucketGuard swept {report.Seen} bucket(s){(report.Listed is { } listed ? $" of {listed} listed" : string.Empty)} in {scope}{(report.ContinueAfter is null ? string.Empty : $", and stopped for time after {report.ContinueAfter}")}.");
        if (report.Missing > 0)
        {
            text.AppendLine($"  error: {report.Missing} listed bucket(s) were not swept (a batch failed): run `bucketguard sweep --redrive` to sweep them");
        }

        text.AppendLine($"Public: {report.Public}. Locked now: {report.Locked}. Exempted: {report.Exempted} (ending soon: {report.Expiring}). Objects can be public: {report.ObjectsCanBePublic}. Could not be read: {report.Unreadable}. Errors: {report.Errors}.");
        foreach (var error in report.Warnings.Prepend(report.ListError).OfType<string>())
        {
            text.AppendLine($"  error: {Untrusted.Clean(error, Untrusted.LineLength)}");
        }

        // Bounded, so that the summary of an account with thousands of failing buckets still fits one SNS message.
        foreach (var failed in report.Problems)
        {
            text.AppendLine($"  error: {failed.Bucket}: {Untrusted.Clean(failed.Problem, 512)}");
        }

        if (report.ProblemsNotListed > 0)
        {
            text.AppendLine($"  and {report.ProblemsNotListed} more error(s): run `bucketguard audit` for the full list");
        }

        var json = JsonLine.Write(w =>
        {
            w.WriteNumber("version", 1);
            w.WriteString("event", organization ? "organization-sweep-summary" : "sweep-summary");
            w.WriteString("account", account);
            report.WriteCounts(w);
            w.WriteString("continueAfter", report.ContinueAfter);
            if (report.ListError is not null)
            {
                w.WriteString("listError", report.ListError);
            }

            if (!report.Warnings.IsEmpty)
            {
                FindingJson.WriteStrings(w, "warnings", report.Warnings);
            }
        });

        var severity = report.Errors > 0 || report.Locked > 0 ? "high" : "info";
        var attributes = ImmutableDictionary<string, string>.Empty.Add("event", organization ? "organization-sweep-summary" : "sweep-summary").Add("severity", severity);
        if (account is not null)
        {
            attributes = attributes.Add("account", account);
        }

        var subject = $"BucketGuard {(organization ? "organisation " : string.Empty)}sweep: {report.Seen} buckets, {report.Public} public, {report.Locked} locked, {report.Errors} errors";
        return new Notification(
            CleanSubject(subject),
            text.ToString(),
            json,
            attributes);
    }

    /// <summary>For an event that could not be read at all: the security team must hear of it.</summary>
    public static Notification Malformed(string error, string input)
    {
        var excerpt = input.Length > 2000 ? input[..2000] + "…" : input;
        var text = $"BucketGuard received an event it could not read, so it could not check the bucket it may concern.\n\nProblem: {Untrusted.Clean(error, Untrusted.LineLength)}\n\nEvent (first 2000 characters, control characters shown as \\uXXXX):\n{Untrusted.Clean(excerpt, 2100)}\n";
        var json = JsonLine.Write(w =>
        {
            w.WriteNumber("version", 1);
            w.WriteString("event", "malformed-event");
            w.WriteString("severity", "high");
            w.WriteString("error", error);
            w.WriteString("input", excerpt);
        });

        return new Notification("BucketGuard: an event could not be read", text, json,
            ImmutableDictionary<string, string>.Empty.Add("event", "malformed-event").Add("severity", "high"));
    }

    /// <summary>The notification's event type, or null when the outcome is only logged: the one rule for what is
    /// reported, for events and the sweep alike. An event whose bucket is found already blocked is reported
    /// (already-blocked): it may be Lambda's retry of an event whose lock succeeded and whose first report failed, and
    /// nothing on the bucket tells the two apart, so at least once means reporting it. The daily sweep tells people only
    /// what it did or what needs them: known exemptions, buckets already stopped and buckets deleted meanwhile are not
    /// re-announced. An exhaustive switch: a new outcome does not compile until it is placed here.</summary>
    public static string? EventType(BucketChange change, Verdict verdict, ActionResult? result)
    {
        if (IsExemptionRequest(change, verdict))
        {
            return "exemption-requested";
        }

        var sweep = change.Kind == ChangeKind.Sweep;
        return verdict.Outcome switch
        {
            Outcome.Block when result is not { Succeeded: true } => "remediation-failed",
            Outcome.Block when verdict.Restores is not null && verdict.Exposure?.IsPublicInEffect != true => "flags-restored",
            Outcome.Block => "remediated",
            // An object event that finds the bucket's ACLs locked is one upload of a storm after the lock: not reported.
            Outcome.AlreadyBlocked => sweep || change.IsObjectLevel ? null : "already-blocked",
            Outcome.WouldBlock => "would-remediate",
            Outcome.BucketGone => sweep ? null : "bucket-gone",
            Outcome.AccountBlockChanged => "account-block-changed",
            Outcome.Exempted when verdict.ExemptionExpiring => "exemption-expiring",
            Outcome.Exempted => sweep ? null : "exempted",
            Outcome.ExemptionRecorded => "exempted",
            Outcome.Incomplete => "evaluation-incomplete",
            Outcome.NothingToDo when verdict.ObjectsCanBePublic && change.Kind is ChangeKind.OwnershipControlsChanged or ChangeKind.OwnershipControlsDeleted => "objects-can-be-public",
            Outcome.Skipped or Outcome.NothingToDo => null,
        };
    }

    /// <summary>An owner tagged an exemption that the configured approval key does not approve because it is unsigned:
    /// the security team is asked to approve it, whatever BucketGuard did with the bucket meanwhile.</summary>
    public static bool IsExemptionRequest(BucketChange change, Verdict verdict) =>
        change.Kind == ChangeKind.BucketTaggingChanged
        && verdict.Exemption is { Approval: ExemptionApproval.NotApproved, Signature: null, Until: not null, Reason: not null }
        && verdict.Exemption.Problems.Contains(ExemptionApprovals.NoSignature);

    /// <summary>The command that approves an exemption exactly as tagged, for a person to run (POSIX shell quoting:
    /// the reason is the owner's text).</summary>
    public static string ApproveCommand(string bucket, string? account, Exemption exemption) =>
        $"bucketguard exempt {Quote(bucket)} --account {Quote(account ?? "ACCOUNT")} --until {exemption.Until:yyyy-MM-dd} --scope {exemption.ScopeName} --reason {Quote(exemption.Reason ?? string.Empty)}"
        + (exemption.Owner is { } owner ? $" --owner {Quote(owner)}" : string.Empty) + " --sign --apply";

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>SNS subjects: at most 100 printable ASCII characters, no line breaks.</summary>
    public static string Subject(string eventType, string? bucket, string? account, Verdict verdict)
    {
        var name = bucket ?? "(no bucket)";
        var what = AccessLevels.Describe(verdict.Exposure?.AccessInEffect ?? AccessLevel.None);
        var subject = eventType switch
        {
            "remediated" => $"BucketGuard locked {name} (public {what})",
            "remediation-failed" => $"BucketGuard could NOT lock public bucket {name}",
            "flags-restored" => $"BucketGuard put back Block Public Access flags on {name}",
            "already-blocked" => $"BucketGuard: public grants on {name} are stopped by Block Public Access",
            "would-remediate" => $"BucketGuard would lock {name} (public {what})",
            "bucket-gone" => $"BucketGuard: bucket {name} was deleted before it was checked",
            "account-block-changed" => $"BucketGuard: account {account ?? "(unknown)"} Block Public Access changed",
            "exemption-requested" => $"BucketGuard: exemption requested for {name}, awaiting approval",
            "objects-can-be-public" => $"BucketGuard: objects in {name} can be public (ACLs honoured again)",
            "exempted" when verdict.Outcome == Outcome.ExemptionRecorded => $"BucketGuard: exemption recorded for {name}; the block stays",
            "exemption-expiring" => $"BucketGuard: the exemption of public bucket {name} ends on {verdict.Exemption?.Until:yyyy-MM-dd}",
            "exempted" => $"BucketGuard: {name} is public ({what}) under an exemption",
            _ => $"BucketGuard could not fully check {name}",
        };
        return CleanSubject(subject);
    }

    /// <summary>What SNS takes as a subject: printable ASCII only (anything else becomes a space), at most 100
    /// characters (a longer one ends in "~"). Every subject BucketGuard sends passes here.</summary>
    public static string CleanSubject(string subject)
    {
        var clean = new string([.. subject.Select(c => c is >= ' ' and <= '~' ? c : ' ')]);
        return clean.Length <= MaxSubjectLength ? clean : clean[..(MaxSubjectLength - 1)] + "~";
    }
}
