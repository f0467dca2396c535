using System.Collections.Immutable;
using BucketGuard.Core.Acls;

namespace BucketGuard.Core.Events;

/// <summary>What kind of exposure-relevant change a CloudTrail event records.</summary>
public enum ChangeKind
{
    /// <summary>Not an S3 call that changes who can reach a bucket; see <see cref="BucketChange.NotBucketChangeReason"/>.</summary>
    NotBucketChange,
    BucketCreated,
    BucketAclChanged,
    BucketPolicyChanged,
    BucketPolicyDeleted,
    BucketPublicAccessBlockChanged,
    BucketPublicAccessBlockDeleted,
    OwnershipControlsChanged,
    OwnershipControlsDeleted,
    BucketTaggingChanged,
    BucketTaggingDeleted,
    AccountPublicAccessBlockChanged,
    AccountPublicAccessBlockDeleted,

    /// <summary>An object's ACL was set: PutObjectAcl, or an upload or copy that carries an ACL (PutObject, CopyObject,
    /// CreateMultipartUpload; CloudTrail data events). A public grant in effect locks the bucket's ACLs.</summary>
    ObjectAclChanged,

    /// <summary>CreateAccessPoint: an access point on a bucket, with its network origin and Block Public Access.</summary>
    AccessPointCreated,

    /// <summary>PutAccessPointPolicy: the bucket is found by reading the access point.</summary>
    AccessPointPolicyChanged,

    /// <summary>DeleteAccessPointPolicy.</summary>
    AccessPointPolicyDeleted,

    /// <summary>CreateMultiRegionAccessPoint: judged on the event only (see README, access points).</summary>
    MultiRegionAccessPointCreated,

    /// <summary>PutMultiRegionAccessPointPolicy: judged on the event only.</summary>
    MultiRegionAccessPointPolicyChanged,

    /// <summary>No event: the bucket was found by the scheduled sweep or by `bucketguard audit`.</summary>
    Sweep,
}

/// <summary>Who made the call, from CloudTrail's userIdentity.</summary>
public sealed record Actor(string? Type, string? Arn, string? AccountId, string? PrincipalId, string? AccessKeyId, string? SessionIssuerArn, string? InvokedBy)
{
    public static readonly Actor Unknown = new(null, null, null, null, null, null, null);

    public override string ToString() => Arn ?? InvokedBy ?? PrincipalId ?? Type ?? "unknown";
}

public sealed record Tag(string Key, string Value);

/// <summary>One S3 control-plane call, as recorded by CloudTrail and delivered by EventBridge: who did what
/// to which bucket, from where, whether it failed, and the ACL, policy, Block Public Access configuration,
/// ownership or tags it asked for. BucketGuard decides on the bucket's real state; this says what to re-read
/// and whom to tell. RequestedPolicy is the policy's JSON text, evaluated by PolicyEvaluator.</summary>
public sealed record BucketChange(
    ChangeKind Kind,
    string EventName,
    string? EventId,
    string? EventSource,
    string? Account,
    string? Region,
    string? Bucket,
    string? ObjectKey,
    string? EventTimeText,
    DateTimeOffset? EventTime,
    Actor Actor,
    string? SourceIp,
    string? UserAgent,
    string? ErrorCode,
    string? ErrorMessage,
    AccessControlList? RequestedAcl,
    string? RequestedPolicy,
    PublicAccessBlock? RequestedPublicAccessBlock,
    string? RequestedObjectOwnership,
    ImmutableArray<Tag>? RequestedTags,
    string? RequestProblem,
    string? NotBucketChangeReason)
{
    /// <summary>Why the event cannot be acted on although it parsed: a bucket name or account ID that S3 and AWS
    /// never issue. The pipeline reports such an event as malformed and makes no S3 call.</summary>
    public string? Invalid { get; init; }

    /// <summary>The event as it was delivered (EventBridge's envelope with the CloudTrail record), kept for the incident's
    /// evidence; null for the sweep.</summary>
    public string? SourceEvent { get; init; }

    /// <summary>The object version the event names (requestParameters versionId), for an object change.</summary>
    public string? ObjectVersion { get; init; }

    /// <summary>Whether the request carried any ACL at all (x-amz-acl, an x-amz-grant-* header or an AccessControlPolicy
    /// body), parsed or not. An upload without one sets no public grant (S3 gives it the default private ACL).</summary>
    public bool AclInRequest { get; init; }

    /// <summary>The object as people read it: "key" or "key (version V)".</summary>
    public string? ObjectName => ObjectKey is null ? null : ObjectVersion is null ? ObjectKey : $"{ObjectKey} (version {ObjectVersion})";

    public bool IsObjectLevel => Kind == ChangeKind.ObjectAclChanged;

    /// <summary>The access point (or multi-region access point) an S3 Control event names.</summary>
    public string? AccessPointName { get; init; }

    /// <summary>The VPC a CreateAccessPoint restricts the access point to; null for Internet origin.</summary>
    public string? AccessPointVpc { get; init; }

    public bool IsAccessPointLevel => Kind is ChangeKind.AccessPointCreated or ChangeKind.AccessPointPolicyChanged or ChangeKind.AccessPointPolicyDeleted;

    public bool IsMultiRegionAccessPoint => Kind is ChangeKind.MultiRegionAccessPointCreated or ChangeKind.MultiRegionAccessPointPolicyChanged;

    /// <summary>What kind of policy RequestedPolicy is, so that it is judged by its kind's rule.</summary>
    public Policies.PolicyKind RequestedPolicyKind =>
        IsMultiRegionAccessPoint ? Policies.PolicyKind.MultiRegionAccessPoint
        : IsAccessPointLevel ? Policies.PolicyKind.AccessPoint
        : Policies.PolicyKind.Bucket;

    /// <summary>The call was refused (errorCode set), so it changed nothing.</summary>
    public bool Failed => !string.IsNullOrEmpty(ErrorCode);

    public bool IsAccountLevel => Kind is ChangeKind.AccountPublicAccessBlockChanged or ChangeKind.AccountPublicAccessBlockDeleted;

    /// <summary>The change that stands for "found by the sweep": there is no caller, source address or event.</summary>
    public static BucketChange ForSweep(string bucket, string? account, string? region, DateTimeOffset now) => new(
        ChangeKind.Sweep, "Sweep", null, null, account, region, bucket, null, now.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), now,
        new Actor("BucketGuard", "BucketGuard scheduled sweep", account, null, null, null, null), null, null, null, null, null, null, null, null, null, null, null);
}
