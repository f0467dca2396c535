using System.Collections.Frozen;
using System.Collections.Immutable;

namespace BucketGuard.Core.Events;

/// <summary>One CloudTrail eventName BucketGuard understands: the change it records and the function whose EventBridge
/// rule delivers it (null: parsed, for `check` and `invoke`, but routed to no function). The object events are S3 data
/// events: CloudTrail delivers them only where a trail's (advanced) event selectors log them.</summary>
public sealed record EventRoute(string EventName, ChangeKind Kind, string? Handler);

/// <summary>The one routing table: which eventName is which change and which handler takes it. The parser reads its
/// kinds here, the bootstrap its handler names, and the template tests check both templates' rules (central and member)
/// against it.</summary>
public static class EventRouting
{
    public static readonly ImmutableArray<EventRoute> Routes =
    [
        new("CreateBucket", ChangeKind.BucketCreated, "acl"),
        new("PutBucketAcl", ChangeKind.BucketAclChanged, "acl"),
        new("PutBucketOwnershipControls", ChangeKind.OwnershipControlsChanged, "acl"),
        new("DeleteBucketOwnershipControls", ChangeKind.OwnershipControlsDeleted, "acl"),
        new("PutBucketPolicy", ChangeKind.BucketPolicyChanged, "policy"),
        new("DeleteBucketPolicy", ChangeKind.BucketPolicyDeleted, "policy"),
        new("CreateAccessPoint", ChangeKind.AccessPointCreated, "policy"),
        new("PutAccessPointPolicy", ChangeKind.AccessPointPolicyChanged, "policy"),
        new("DeleteAccessPointPolicy", ChangeKind.AccessPointPolicyDeleted, "policy"),
        new("CreateMultiRegionAccessPoint", ChangeKind.MultiRegionAccessPointCreated, "policy"),
        new("PutMultiRegionAccessPointPolicy", ChangeKind.MultiRegionAccessPointPolicyChanged, "policy"),
        new("PutBucketPublicAccessBlock", ChangeKind.BucketPublicAccessBlockChanged, "public-access-block"),
        new("DeleteBucketPublicAccessBlock", ChangeKind.BucketPublicAccessBlockDeleted, "public-access-block"),
        new("PutAccountPublicAccessBlock", ChangeKind.AccountPublicAccessBlockChanged, "public-access-block"),
        new("DeleteAccountPublicAccessBlock", ChangeKind.AccountPublicAccessBlockDeleted, "public-access-block"),
        new("PutBucketTagging", ChangeKind.BucketTaggingChanged, "tagging"),
        new("DeleteBucketTagging", ChangeKind.BucketTaggingDeleted, "tagging"),
        new("PutObjectAcl", ChangeKind.ObjectAclChanged, "objects"),
        new("PutObject", ChangeKind.ObjectAclChanged, "objects"),
        new("CopyObject", ChangeKind.ObjectAclChanged, "objects"),
        new("CreateMultipartUpload", ChangeKind.ObjectAclChanged, "objects"),
    ];

    public static readonly FrozenDictionary<string, ChangeKind> Kinds = Routes.ToFrozenDictionary(r => r.EventName, r => r.Kind, StringComparer.Ordinal);

    /// <summary>Each handler's eventNames, in the table's order.</summary>
    public static readonly FrozenDictionary<string, string[]> Handlers = Routes.Where(r => r.Handler is not null)
        .GroupBy(r => r.Handler!, StringComparer.Ordinal)
        .ToFrozenDictionary(g => g.Key, g => g.Select(r => r.EventName).ToArray(), StringComparer.Ordinal);
}
