using System.Collections.Immutable;

namespace BucketGuard.Core.Decisions;

public enum Outcome
{
    /// <summary>Not BucketGuard's to act on (a failed call, its own call, not a bucket exposure change): logged and counted.</summary>
    Skipped,

    /// <summary>The bucket is not public.</summary>
    NothingToDo,

    /// <summary>Public grants exist, but Block Public Access or ownership settings already stop them (for example a replayed event).</summary>
    AlreadyBlocked,

    /// <summary>Public in effect: apply Block Public Access.</summary>
    Block,

    /// <summary>Public in effect, mode notify: say what would be applied.</summary>
    WouldBlock,

    /// <summary>The bucket was deleted before BucketGuard looked.</summary>
    BucketGone,

    /// <summary>The account's Block Public Access changed: reported, never changed automatically.</summary>
    AccountBlockChanged,

    /// <summary>Public, and a valid exemption covers every public grant: left public, and reported.</summary>
    Exempted,

    /// <summary>A tag change gave a blocked bucket a valid exemption: the block stays (BucketGuard never lifts one),
    /// and the owner is told how to lift it.</summary>
    ExemptionRecorded,

    /// <summary>BucketGuard could not tell or could not act (reads failed, the event names no bucket...).</summary>
    Incomplete,
}

public enum Severity
{
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>The decision on one change, and why.</summary>
/// <param name="Before">The bucket's own Block Public Access flags before acting.</param>
/// <param name="Apply">The flags to put: Before merged with the policy's flags (never fewer).</param>
/// <param name="Disagreement">When S3's own verdict on the policy and BucketGuard's differ, both in words.</param>
public sealed record Verdict(
    Outcome Outcome,
    string Why,
    Severity Severity,
    Exposure? Exposure = null,
    PublicAccessBlock? Before = null,
    PublicAccessBlock? Apply = null,
    string? Disagreement = null)
{
    /// <summary>Reads that failed or a policy that could not be read: said in every notification, whatever the outcome.</summary>
    public ImmutableArray<string> Problems { get; init; } = [];

    /// <summary>The bucket's exemption as read from its tags, when the bucket was read.</summary>
    public Exemption? Exemption { get; init; }

    /// <summary>Why the exemption did not cover this bucket's exposure (not honoured, or a grant beyond its scope).</summary>
    public ImmutableArray<string> NotExempt { get; init; } = [];

    /// <summary>The bucket's data class (its data-class tag, or the default), when the bucket was read.</summary>
    public DataClass? DataClass { get; init; }

    /// <summary>Where the data class came from, in words: the tag, the default, Macie's score, or why Macie could not be asked.</summary>
    public string? DataClassSource { get; init; }

    /// <summary>The incident the pipeline recorded this decision in, before reporting it (null: none kept, or not an exposure).</summary>
    public Incidents.IncidentRef? Incident { get; init; }

    /// <summary>An exempted bucket whose exemption ends within the warning days.</summary>
    public bool ExemptionExpiring { get; init; }

    /// <summary>Flags a PutBucketPublicAccessBlock asked for that are off now while BucketGuard's own are on: its put
    /// raced the owner's and replaced the configuration, so they are put back (merged into Apply).</summary>
    public PublicAccessBlock? Restores { get; init; }

    /// <summary>The bucket denied the reads that would show its exposure, and the event's own request is the evidence
    /// the decision rests on.</summary>
    public bool RestsOnEvent { get; init; }

    /// <summary>The S3 console's "Objects can be public": ACLs are honoured and IgnorePublicAcls is off (bucket and
    /// account), after what BucketGuard did. A risk, not an exposure.</summary>
    public bool ObjectsCanBePublic { get; init; }
}

/// <summary>What applying Block Public Access achieved: the flags in force when re-read, or the error.</summary>
public sealed record ActionResult(PublicAccessBlock? InForce, string? Error)
{
    public bool Succeeded => Error is null;

    /// <summary>What the bucket held when it was locked; null when no snapshot was taken.</summary>
    public LockSnapshot? Snapshot { get; init; }
}

/// <summary>The bucket at its lock (issue "after the lock", item 4): the object versions that existed, the upper bound of
/// what could have been taken while it was public, from a bounded listing (ListObjectVersions, first pages), and whether
/// its server access logging is on (GetBucketLogging): without it, or CloudTrail data events, nobody can tell later who
/// read them.</summary>
/// <param name="Versions">Object versions listed (current and noncurrent; delete markers not counted).</param>
/// <param name="Bytes">Their total size, in bytes.</param>
/// <param name="Truncated">The listing stopped at its bound: more versions exist than counted.</param>
/// <param name="AccessLogging">Whether server access logging is on; null when it could not be read.</param>
/// <param name="Problem">What could not be read (the listing or the logging status), or null.</param>
public sealed record LockSnapshot(int Versions, long Bytes, bool Truncated, bool? AccessLogging, string? Problem = null)
{
    /// <summary>Versions listed at most (ten pages of ListObjectVersions).</summary>
    public const int MaxVersions = 10_000;
}
