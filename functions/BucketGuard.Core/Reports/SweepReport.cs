using System.Collections.Immutable;
using System.Text.Json;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Core.Reports;

/// <summary>One bucket as listed: its name and, when the listing says, its region.</summary>
public sealed record BucketRef(string Name, string? Region);

/// <summary>One bucket's result in a sweep or audit; Error is set (and nothing else) when the bucket could not be handled.</summary>
public sealed record BucketAudit(BucketRef Bucket, Verdict? Verdict, ActionResult? Result, string? Error)
{
    /// <summary>The bucket's access points as read (null: not read).</summary>
    public ImmutableArray<AccessPoint>? AccessPoints { get; init; }

    public Exposure? Exposure => Verdict?.Exposure;

    public bool PublicInEffect => Verdict?.Outcome is Outcome.Block or Outcome.WouldBlock or Outcome.Exempted
        || (Verdict?.Exposure?.IsPublicInEffect ?? false);

    /// <summary>BucketGuard could not tell whether the bucket is public (a read denied or unreadable): never "not public".</summary>
    public bool Unknown => Error is not null || (Verdict?.Outcome == Outcome.Incomplete && !PublicInEffect);

    /// <summary>What stopped the check, for reports: the error, the failed lock, or why the verdict is incomplete.</summary>
    public string? Problem => Error ?? Result?.Error ?? (Verdict?.Outcome == Outcome.Incomplete ? Verdict.Why : null);

    public bool Locked => Verdict?.Outcome == Outcome.Block && Result?.Succeeded == true;

    /// <summary>Public and not covered by a valid exemption (what `audit` fails on).</summary>
    public bool Unexempted => PublicInEffect && Verdict?.Outcome != Outcome.Exempted && !Locked;
}

/// <param name="ListError">Why the account's buckets could not be listed (its member role refused, S3 failing after retries).</param>
public sealed record SweepReport(ImmutableArray<BucketAudit> Buckets, string? ContinueAfter, string? ListError = null)
{
    /// <summary>Failures beside the buckets' own (the organisation's accounts could not be listed): counted as errors.</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];

    /// <summary>What made the listing fail, for a caller that explains it in its own words (the CLI).</summary>
    public Exception? ListException { get; init; }

    public bool Completed => ContinueAfter is null;

    public int Seen => Buckets.Length;

    public int Public => Buckets.Count(b => b.PublicInEffect);

    public int Locked => Buckets.Count(b => b.Locked);

    public int Exempted => Buckets.Count(b => b.Verdict?.Outcome == Outcome.Exempted);

    public int Expiring => Buckets.Count(b => b.Verdict?.ExemptionExpiring == true);

    /// <summary>Buckets whose objects can be public (ACLs honoured, IgnorePublicAcls off): a risk, not an exposure.</summary>
    public int ObjectsCanBePublic => Buckets.Count(b => b.Verdict?.ObjectsCanBePublic == true);

    /// <summary>Buckets whose exposure could not be read (a denied or unreadable read): counted among the errors.</summary>
    public int Unreadable => Buckets.Count(b => b.Error is null && b.Verdict?.Outcome == Outcome.Incomplete);

    public int Errors => Buckets.Count(b => b.Problem is not null) + (ListError is null ? 0 : 1) + Warnings.Length;

    /// <summary>The report in numbers, its problems bounded (SweepCounts.MaxProblems), as summaries and logs use it.</summary>
    public SweepCounts Counts
    {
        get
        {
            var problems = Buckets.Where(b => b.Problem is not null).Select(b => new BucketProblem(b.Bucket.Name, b.Problem!)).ToList();
            return new SweepCounts(Seen, Public, Locked, Exempted, Expiring, ObjectsCanBePublic, Unreadable, problems.Count)
            {
                ContinueAfter = ContinueAfter,
                ListError = ListError,
                Warnings = Warnings,
                Problems = [.. problems.Take(SweepCounts.MaxProblems)],
                ProblemsNotListed = Math.Max(0, problems.Count - SweepCounts.MaxProblems),
            };
        }
    }

    /// <summary>The counts as JSON members, for the summary document and the sweep's log line alike.</summary>
    public void WriteCounts(Utf8JsonWriter w) => Counts.WriteCounts(w);
}
