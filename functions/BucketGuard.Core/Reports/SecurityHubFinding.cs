using System.Collections.Immutable;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Core.Reports;

/// <summary>One bucket's exposure as an AWS Security Finding Format (ASFF) finding, in plain values; the Security Hub
/// adapter maps it to BatchImportFindings. Pure. Sources: Security Hub User Guide, "AWS Security Finding Format
/// (ASFF)" (required attributes, Types taxonomy, Severity.Label, Compliance.Status, Workflow.Status, RecordState) and
/// "BatchImportFindings for finding providers" (a finding with the same Id and ProductArn and a later UpdatedAt
/// updates the earlier one; the importing account must be the finding's AwsAccountId).</summary>
/// <param name="Id">Stable per bucket: "bucketguard/s3-public-access/{account}/{bucket}", so that every later decision
/// on the bucket updates the same finding.</param>
/// <param name="SeverityLabel">INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL.</param>
/// <param name="ComplianceStatus">PASSED (not public in effect), FAILED (public in effect) or NOT_AVAILABLE (could not be checked).</param>
/// <param name="WorkflowStatus">NEW, RESOLVED or SUPPRESSED (an approved exemption). Security Hub takes a provider's
/// Workflow only when the finding is created; afterwards it sets RESOLVED itself when Compliance turns PASSED, and NEW
/// when it turns back or the record becomes ACTIVE again.</param>
/// <param name="RecordState">ACTIVE while it needs attention, ARCHIVED once locked, not public or deleted.</param>
/// <param name="BucketAccount">The bucket's account (the finding's AwsAccountId is the account that runs BucketGuard).</param>
/// <param name="BlockInForce">The bucket's Block Public Access as last read or put, for Resources[].Details.AwsS3Bucket.</param>
public sealed record SecurityHubFinding(
    string Id,
    string Title,
    string Description,
    string SeverityLabel,
    string ComplianceStatus,
    string WorkflowStatus,
    string RecordState,
    ImmutableArray<string> Types,
    string Bucket,
    string? BucketAccount,
    string? Region,
    PublicAccessBlock? BlockInForce,
    string RemediationText,
    ImmutableDictionary<string, string> ProductFields)
{
    public const string GeneratorId = "bucketguard-s3-public-access";

    /// <summary>AWS's page on the remedy, for Remediation.Recommendation.Url.</summary>
    public const string RemediationUrl = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html";

    /// <summary>The ASFF Types of a public bucket (namespace/category).</summary>
    public static readonly ImmutableArray<string> ExposureTypes = ["Effects/Data Exposure", "Software and Configuration Checks/AWS Security Best Practices"];

    /// <summary>The longest Description ASFF accepts (characters).</summary>
    public const int MaxDescriptionLength = 1024;

    /// <summary>The longest Title ASFF accepts (characters).</summary>
    public const int MaxTitleLength = 256;

    /// <summary>The finding for a decision, or null when it concerns no bucket's exposure (skipped, an account-level
    /// change, an unreadable event) or is the sweep finding a private bucket (no finding is made for every private
    /// bucket every day; an event that makes a bucket private does resolve its finding). An exhaustive switch over
    /// Outcome: a new outcome does not compile until it is placed here.</summary>
    public static SecurityHubFinding? For(BucketDecision decision)
    {
        if (decision.Change is not { } change || decision.Bucket is not { } bucket)
        {
            return null;
        }

        var verdict = decision.Verdict;
        var locked = decision.Result is { Succeeded: true };
        (string Compliance, string Workflow, string Record)? status = verdict.Outcome switch
        {
            Outcome.Skipped or Outcome.AccountBlockChanged => null,
            Outcome.NothingToDo when verdict.ObjectsCanBePublic => ("WARNING", "NEW", "ACTIVE"),
            Outcome.NothingToDo when change.Kind == ChangeKind.Sweep => null,
            Outcome.NothingToDo or Outcome.AlreadyBlocked or Outcome.ExemptionRecorded => ("PASSED", "RESOLVED", "ARCHIVED"),
            Outcome.Block when locked => ("PASSED", "RESOLVED", "ARCHIVED"),
            Outcome.Block or Outcome.WouldBlock => ("FAILED", "NEW", "ACTIVE"),
            Outcome.Exempted => ("FAILED", "SUPPRESSED", "ACTIVE"),
            Outcome.BucketGone => ("NOT_AVAILABLE", "RESOLVED", "ARCHIVED"),
            Outcome.Incomplete => ("NOT_AVAILABLE", "NEW", "ACTIVE"),
        };
        if (status is not { } s)
        {
            return null;
        }

        var severity = decision.Result is { Succeeded: false } ? Severity.Critical
            : verdict.Outcome == Outcome.NothingToDo && verdict.ObjectsCanBePublic ? Severity.Low
            : verdict.Severity;
        var what = AccessLevels.Describe(verdict.Exposure?.AccessInEffect ?? AccessLevel.None);
        var title = verdict.Outcome switch
        {
            Outcome.Block when locked => $"S3 bucket {bucket} was public ({what}) and BucketGuard locked it",
            Outcome.Block => $"S3 bucket {bucket} is public ({what}) and BucketGuard could not lock it",
            Outcome.WouldBlock => $"S3 bucket {bucket} is public ({what})",
            Outcome.Exempted => $"S3 bucket {bucket} is public ({what}) under an exemption",
            Outcome.Incomplete => $"S3 bucket {bucket} could not be checked and may be public",
            Outcome.BucketGone => $"S3 bucket {bucket} was deleted",
            Outcome.NothingToDo when verdict.ObjectsCanBePublic => $"Objects in S3 bucket {bucket} can be public (ACLs honoured, IgnorePublicAcls off)",
            Outcome.NothingToDo => $"S3 bucket {bucket} is not public",
            Outcome.AlreadyBlocked or Outcome.ExemptionRecorded => $"S3 bucket {bucket}'s public grants are stopped by Block Public Access",
            Outcome.Skipped or Outcome.AccountBlockChanged => bucket,
        };
        var fields = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        Add(fields, "bucketguard/Outcome", verdict.Outcome.ToString());
        Add(fields, "bucketguard/EventName", change.EventName);
        Add(fields, "bucketguard/EventId", change.EventId);
        Add(fields, "bucketguard/Actor", change.Actor.Arn);
        Add(fields, "bucketguard/SourceIp", change.SourceIp);
        Add(fields, "bucketguard/Exemption", verdict.Exemption?.State is ExemptionState.None or null ? null : verdict.Exemption.ToString());
        Add(fields, "bucketguard/IncidentId", verdict.Incident?.Id);
        Add(fields, "bucketguard/DataClass", verdict.DataClass is { } dataClass ? DataClasses.Name(dataClass) : null);
        Add(fields, "bucketguard/PublicFindings", (verdict.Exposure?.Findings.Count(f => f.InEffect) ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (decision.Result?.Snapshot is { } snapshot)
        {
            // The snapshot at the lock: the bound of what could have been taken, and whether anyone can tell who read it.
            Add(fields, "bucketguard/SnapshotVersions", (snapshot.Truncated ? ">" : string.Empty) + snapshot.Versions.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add(fields, "bucketguard/SnapshotBytes", snapshot.Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add(fields, "bucketguard/AccessLogging", snapshot.AccessLogging switch { true => "on", false => "off", null => "unknown" });
        }

        var description = verdict.Why + (verdict.Exposure is { IsPublic: true } exposure
            ? " Findings: " + string.Join("; ", exposure.Findings.Take(5).Select(FindingJson.Describe))
            : string.Empty);
        return new SecurityHubFinding(
            $"bucketguard/s3-public-access/{change.Account ?? "unknown"}/{bucket}",
            Cut(title, MaxTitleLength),
            Cut(description, MaxDescriptionLength),
            Label(severity),
            s.Compliance,
            s.Workflow,
            s.Record,
            ExposureTypes,
            bucket,
            change.Account,
            change.Region,
            decision.Result?.InForce ?? decision.State?.BucketBlock,
            $"Turn on S3 Block Public Access for the bucket (aws s3api put-public-access-block --bucket {bucket} ...), or tag an approved BucketGuard exemption if it must be public.",
            fields.ToImmutable());
    }

    /// <summary>ASFF Severity.Label for BucketGuard's severity.</summary>
    public static string Label(Severity severity) => severity switch
    {
        Severity.Info => "INFORMATIONAL",
        Severity.Low => "LOW",
        Severity.Medium => "MEDIUM",
        Severity.High => "HIGH",
        Severity.Critical => "CRITICAL",
    };

    private static void Add(ImmutableDictionary<string, string>.Builder fields, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            fields[key] = Cut(Untrusted.Clean(value, 1024)!, 4096);
        }
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
