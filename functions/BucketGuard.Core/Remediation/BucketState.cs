using System.Collections.Immutable;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Remediation;

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

    public BucketProtection Protection => new(BucketBlock, AccountBlock, ObjectOwnership);

    /// <summary>Whether the named read ("GetBucketAcl") failed, so what it would have shown is unknown.</summary>
    public bool Unread(string call) => Problems.Any(p => p.StartsWith(call + ":", StringComparison.Ordinal));

    public string? Tag(string key) => Tags.FirstOrDefault(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase))?.Value;
}
