using System.Text;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Core.Reports;

/// <summary>The e-mail text of a notification.</summary>
public static partial class Notifications
{
    /// <summary>The e-mail text. Every line goes through Untrusted.Clean: event, tag and policy values cannot start a
    /// line or a section of their own, reorder text, or run on; only the line breaks written here remain.</summary>
    private static string Text(BucketChange change, Verdict verdict, BucketState? state, ActionResult? result, RemediationPolicy policy, string? owner, string eventType, int maxFindings)
    {
        var b = new SafeText();
        var bucket = change.Bucket ?? state?.Bucket ?? "(no bucket)";
        b.AppendLine(eventType switch
        {
            "remediated" => $"BucketGuard applied S3 Block Public Access to bucket {bucket}, because {verdict.Why}.",
            "remediation-failed" => $"BucketGuard tried to apply S3 Block Public Access to bucket {bucket}, because {verdict.Why}, and FAILED: {result?.Error}. The bucket may still be public.",
            "would-remediate" => $"BucketGuard would apply S3 Block Public Access to bucket {bucket}: {verdict.Why}.",
            "flags-restored" => $"BucketGuard put Block Public Access flags back on bucket {bucket}: {verdict.Why}.",
            "exemption-requested" => $"BucketGuard: {change.Actor} asked for an exemption of bucket {bucket} (account {change.Account ?? "(unknown)"}): scope {verdict.Exemption!.ScopeName}, until {verdict.Exemption.Until:yyyy-MM-dd}, reason \"{verdict.Exemption.Reason}\". It is not approved yet, so it is not honoured. Meanwhile: {verdict.Why}.",
            "objects-can-be-public" => $"BucketGuard: {change.Actor} changed the Object Ownership of bucket {bucket} ({change.EventName}{(change.RequestedObjectOwnership is { } o ? " to " + o : string.Empty)}), so S3 honours object ACLs again, including every ACL stored while they were disabled, and IgnorePublicAcls is off: objects can be public. {verdict.Why}.",
            "already-blocked" => $"BucketGuard: {change.EventName} changed bucket {bucket}; its public grants are stopped by Block Public Access ({verdict.Why}). "
                + $"If BucketGuard locked it on an earlier attempt at this event (CloudTrail event {change.EventId ?? "(no id)"}) and that attempt's report failed, this is the report; subscribers may drop a second message with the same eventId.",
            _ => $"BucketGuard: {verdict.Why}.",
        });
        b.AppendLine($"Account {change.Account ?? "(unknown)"}, region {Field(change.Region) ?? "(unknown)"}. Owner: {Field(owner) ?? $"not tagged (tag {policy.OwnerTag})"}.");
        b.AppendLine();
        if (change.Kind == ChangeKind.Sweep)
        {
            b.AppendLine("How it was found");
            b.AppendLine($"  by BucketGuard's sweep of every bucket at {change.EventTimeText}: no event was seen for the change that made it so (made public before BucketGuard ran, or while CloudTrail was off)");
        }
        else
        {
            b.AppendLine("Who did it");
            b.AppendLine($"  {Field(change.EventName)} by {Field(change.Actor.Arn ?? change.Actor.ToString())}");
            b.AppendLine($"  access key {Field(change.Actor.AccessKeyId) ?? "(none)"}, from {Field(change.SourceIp) ?? "(unknown)"}, user agent {Field(change.UserAgent) ?? "(none)"}");
            b.AppendLine($"  at {Field(change.EventTimeText) ?? "(unknown time)"}, CloudTrail event {Field(change.EventId) ?? "(no id)"}");
        }
        if (change.ObjectKey is not null)
        {
            b.AppendLine();
            b.AppendLine("The object");
            b.AppendLine($"  {Field(change.ObjectName)} in bucket {bucket}, {(change.EventName == "PutObjectAcl" ? "its ACL set" : "uploaded")} by {Field(change.Actor.Arn ?? change.Actor.ToString())} from {Field(change.SourceIp) ?? "(unknown)"}");
            b.AppendLine($"  URL: {Field(S3Url.Of(bucket, change.Region ?? "REGION", change.ObjectKey))}");
        }

        if (verdict.Exposure?.Findings.Where(f => f.AccessPoint is not null).Select(f => f.AccessPoint).Distinct().ToList() is { Count: > 0 } named)
        {
            b.AppendLine();
            b.AppendLine("Access points");
            foreach (var point in (state?.AccessPoints ?? []).Where(p => named.Contains(p.Name)))
            {
                var stopped = verdict.Exposure!.Findings.Where(f => f.AccessPoint == point.Name).All(f => !f.InEffect);
                b.AppendLine($"  {Field(point.Describe())}: network origin {point.NetworkOrigin}{(point.VpcId is null ? string.Empty : " " + Field(point.VpcId))}, {(stopped ? "its public statements are stopped" : "public through its policy")}");
                if (point.Alias is { } alias && !stopped)
                {
                    b.AppendLine($"  URL: {Field(S3Url.Of(alias, change.Region ?? "REGION"))}");
                }
            }
        }

        if (state?.Sample is { } sample)
        {
            b.AppendLine();
            b.AppendLine($"Objects sampled: {sample.Objects.Length}{(sample.Truncated ? " (the bucket holds more)" : string.Empty)}, public: {sample.Objects.Count(o => o.Acl is { } acl && Acls.AclEvaluator.EvaluateObject(acl, o.Name).IsPublic)}.");
            foreach (var problem in sample.Problems.Take(5))
            {
                b.AppendLine("  could not read: " + problem);
            }
        }

        if (verdict.ObjectsCanBePublic)
        {
            b.AppendLine();
            b.AppendLine("Objects can be public: the bucket honours ACLs (Object Ownership is not BucketOwnerEnforced) and IgnorePublicAcls is off, so any object's own ACL can make it public. IgnorePublicAcls, or Object Ownership BucketOwnerEnforced, closes that for every object at once.");
        }

        if (verdict.Exposure is { IsPublic: true } exposure)
        {
            b.AppendLine();
            b.AppendLine("What is exposed");
            foreach (var f in exposure.Findings.Take(maxFindings))
            {
                b.AppendLine("  - " + FindingJson.Describe(f));
            }

            if (exposure.Findings.Length > maxFindings)
            {
                b.AppendLine($"  and {exposure.Findings.Length - maxFindings} more finding(s), not listed to keep the message within SNS's size limit");
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

        if (eventType == "exemption-requested")
        {
            b.AppendLine();
            b.AppendLine("How the security team approves it");
            b.AppendLine("  Check that the bucket should be public as asked, then, with credentials allowed kms:GenerateMac on the approval key:");
            b.AppendLine("    " + ApproveCommand(bucket, change.Account, verdict.Exemption!));
            b.AppendLine("  BucketGuard honours it once the signature tag is on; it never lifts a lock it applied (the owner does).");
        }

        if (verdict.Outcome == Outcome.ExemptionRecorded)
        {
            b.AppendLine();
            b.AppendLine("How to make it public under the exemption");
            b.AppendLine("  BucketGuard never lifts a block by itself. After checking that only what the exemption covers is public,");
            b.AppendLine($"  the owner can remove it: aws s3api delete-public-access-block --bucket {bucket}");
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
                b.AppendLine($"  In force now (re-read): {inForce}.");
            }

            if (result?.Snapshot is { } snapshot)
            {
                b.AppendLine($"  At the lock the bucket held {(snapshot.Truncated ? "more than " : string.Empty)}{snapshot.Versions} object version(s), {snapshot.Bytes} bytes{(snapshot.Truncated ? " (listing stopped at its bound)" : string.Empty)}: the most that could have been taken while it was public.");
                if (snapshot.AccessLogging == false)
                {
                    b.AppendLine("  Gap to close: server access logging is off for this bucket, so unless a trail logs its data events nobody can tell who read it while it was public. Turn on server access logging (or CloudTrail data events) now.");
                }

                if (snapshot.Problem is { } problem)
                {
                    b.AppendLine($"  Snapshot incomplete: {problem}.");
                }
            }

            if (apply.IgnorePublicAcls && !before.IgnorePublicAcls)
            {
                b.AppendLine("  IgnorePublicAcls makes S3 ignore every public ACL in the bucket, the bucket's and every object's, at once; the ACLs stay as they are. BlockPublicAcls refuses new public ACLs: an upload with --acl public-read now fails with AccessDenied.");
            }

            b.AppendLine();
            b.AppendLine("How to undo");
            b.AppendLine($"  If {bucket} must be public, review the findings above, then restore the previous setting:");
            b.AppendLine(before.OnFlags().Any()
                ? $"    aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration {Cli(before)}"
                : $"    aws s3api delete-public-access-block --bucket {bucket}");
            b.AppendLine("  BucketGuard will lock it again on the next change unless the bucket carries a valid exemption.");
        }

        return b.ToString();
    }

    private static string? Field(string? value) => Untrusted.Clean(value);

    /// <summary>Lines of text, each neutralised as it is added.</summary>
    private sealed class SafeText
    {
        private readonly StringBuilder text = new();

        public void AppendLine(string? line = null) => text.Append(Untrusted.Clean(line ?? string.Empty, Untrusted.LineLength)).Append('\n');

        public override string ToString() => text.ToString();
    }

    private static string Cli(PublicAccessBlock p) =>
        $"BlockPublicAcls={Lower(p.BlockPublicAcls)},IgnorePublicAcls={Lower(p.IgnorePublicAcls)},BlockPublicPolicy={Lower(p.BlockPublicPolicy)},RestrictPublicBuckets={Lower(p.RestrictPublicBuckets)}";

    private static string Lower(bool value) => value ? "true" : "false";
}
