using System.Collections.Immutable;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Decisions;

/// <summary>What S3 says is true of a bucket now, re-read after an event (the event alone is never trusted).</summary>
/// <param name="Exists">False when the bucket was deleted before BucketGuard looked (NoSuchBucket).</param>
/// <param name="PolicyJson">The bucket policy, or null when the bucket has none.</param>
/// <param name="BucketBlock">The bucket's Block Public Access flags; null when none is configured.</param>
/// <param name="AccountBlock">The account's flags; null when none is configured or it could not be read.</param>
/// <param name="S3SaysPublic">S3's own verdict on the policy (GetBucketPolicyStatus), when the endpoint's is AWS's.</param>
/// <param name="Problems">Reads that failed ("GetBucketAcl: AccessDenied"): what they would have shown is unknown.</param>
public sealed record BucketState(
    string Bucket,
    bool Exists,
    AccessControlList? Acl,
    string? PolicyJson,
    PublicAccessBlock? BucketBlock,
    PublicAccessBlock? AccountBlock,
    string? ObjectOwnership,
    ImmutableArray<Tag> Tags,
    bool? S3SaysPublic,
    ImmutableArray<string> Problems)
{
    public static BucketState Gone(string bucket) => new(bucket, false, null, null, null, null, null, [], null, []);

    /// <summary>The object an object-level event names, as read (GetObjectAcl); null for bucket-level reads.</summary>
    public ObjectState? Object { get; init; }

    /// <summary>The bucket's access points (ListAccessPoints, then each one's configuration and policy); null when they
    /// were not read (no S3 Control API at this endpoint).</summary>
    public ImmutableArray<AccessPoint>? AccessPoints { get; init; }

    /// <summary>Objects sampled because their ACLs may make them public (an ownership change away from
    /// BucketOwnerEnforced, or the sweep's BUCKETGUARD_SWEEP_OBJECT_SAMPLE); null when none were sampled.</summary>
    public ObjectSample? Sample { get; init; }

    /// <summary>Amazon Macie's sensitivity score of the bucket, read only for a decision it can change (an exposure, when
    /// the policy consults Macie); null otherwise, or when Macie has none.</summary>
    public SensitivityScore? Sensitivity { get; init; }

    /// <summary>The class the bucket held recently (IDataClassFloors), read only for an exposure; null when none is kept
    /// or it has ended.</summary>
    public DataClassFloor? DataClassFloor { get; init; }

    /// <summary>Why a source that could raise the class could not be read ("Amazon Macie could not be consulted (...)"),
    /// each said with the class; the class then stands on what was read.</summary>
    public ImmutableArray<string> DataClassProblems { get; init; } = [];

    public BucketProtection Protection => new(BucketBlock, AccountBlock, ObjectOwnership);

    /// <summary>Whether the named read ("GetBucketAcl") failed, so what it would have shown is unknown.</summary>
    public bool Unread(string call) => IsUnread(Problems, call);

    /// <summary>Whether a list of problems ("GetBucketAcl: AccessDenied") says the named read failed.</summary>
    public static bool IsUnread(IEnumerable<string> problems, string call) => problems.Any(p => p.StartsWith(call + ":", StringComparison.Ordinal));

    /// <summary>Whether the bucket's own Block Public Access and its ownership controls were read (not denied).</summary>
    public bool ProtectionRead => Exists && !Unread("GetPublicAccessBlock") && !Unread("GetBucketOwnershipControls");

    public string? Tag(string key) => Tags.FirstOrDefault(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase))?.Value;
}

/// <summary>One object's ACL as read.</summary>
/// <param name="Name">The key as people read it: "key" or "key (version V)".</param>
/// <param name="Exists">False when the object (version) does not exist (NoSuchKey, NoSuchVersion).</param>
/// <param name="Acl">Its ACL; null when it does not exist or could not be read (Problem says why).</param>
public sealed record ObjectState(string Key, string? VersionId, string Name, bool Exists, AccessControlList? Acl, string? Problem = null);

/// <summary>Up to a bounded number of a bucket's objects with their ACLs (ListObjectsV2, then GetObjectAcl each).</summary>
/// <param name="Truncated">The bucket holds more objects than were sampled.</param>
/// <param name="Problems">Listing or ACL reads that failed: what they would have shown is unknown.</param>
public sealed record ObjectSample(ImmutableArray<ObjectState> Objects, bool Truncated, ImmutableArray<string> Problems);

/// <summary>One S3 access point of a bucket, as read (GetAccessPoint, GetAccessPointPolicy, GetAccessPointPolicyStatus).</summary>
/// <param name="NetworkOrigin">"Internet" or "VPC": a VPC-origin access point takes requests only from its VPC, never from
/// the Internet (S3 User Guide, "Creating access points restricted to a virtual private cloud").</param>
/// <param name="Block">The access point's own Block Public Access, set at creation and never changed after.</param>
/// <param name="PolicyJson">Its policy, or null when it has none.</param>
/// <param name="S3SaysPublic">S3's verdict on its policy (GetAccessPointPolicyStatus), when read.</param>
/// <param name="Problem">A read that failed ("GetAccessPointPolicy: AccessDenied"): what it would have shown is unknown.</param>
public sealed record AccessPoint(string Name, string? Arn, string? Alias, string NetworkOrigin, string? VpcId, PublicAccessBlock? Block, string? PolicyJson, bool? S3SaysPublic, string? Problem = null)
{
    public bool InternetOrigin => !string.Equals(NetworkOrigin, "VPC", StringComparison.OrdinalIgnoreCase);

    /// <summary>What it is called in reports: "name (arn, alias)".</summary>
    public string Describe() => $"{Name}{(Arn is null && Alias is null ? string.Empty : $" ({string.Join(", ", new[] { Arn, Alias }.OfType<string>())})")}";
}
