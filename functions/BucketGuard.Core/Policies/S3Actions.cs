using System.Collections.Concurrent;

namespace BucketGuard.Core.Policies;

/// <summary>The access level of S3 actions, after the IAM service authorization reference, so that a
/// pattern such as "s3:Put*" can be said to allow both write and permissions-management.</summary>
public static class S3Actions
{
    private static readonly string[] ListActions =
    [
        "ListBucket", "ListBucketVersions", "ListBucketMultipartUploads", "ListMultipartUploadParts",
        "ListAllMyBuckets", "ListAccessPoints", "ListJobs", "ListStorageLensConfigurations", "ListTagsForResource",
    ];

    private static readonly string[] ReadActions =
    [
        "GetObject", "GetObjectVersion", "GetObjectAcl", "GetObjectVersionAcl", "GetObjectTagging",
        "GetObjectVersionTagging", "GetObjectTorrent", "GetObjectVersionTorrent", "GetObjectAttributes",
        "GetObjectVersionAttributes", "GetObjectLegalHold", "GetObjectRetention", "GetObjectVersionForReplication",
        "GetBucketAcl", "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketPublicAccessBlock", "GetBucketLocation",
        "GetBucketLogging", "GetBucketNotification", "GetBucketTagging", "GetBucketVersioning", "GetBucketWebsite",
        "GetBucketCORS", "GetBucketRequestPayment", "GetBucketOwnershipControls", "GetBucketObjectLockConfiguration",
        "GetEncryptionConfiguration", "GetLifecycleConfiguration", "GetReplicationConfiguration",
        "GetAccelerateConfiguration", "GetAnalyticsConfiguration", "GetInventoryConfiguration",
        "GetMetricsConfiguration", "GetIntelligentTieringConfiguration", "GetAccountPublicAccessBlock",
    ];

    private static readonly string[] WriteActions =
    [
        "PutObject", "DeleteObject", "DeleteObjectVersion", "AbortMultipartUpload", "RestoreObject",
        "PutObjectTagging", "PutObjectVersionTagging", "DeleteObjectTagging", "DeleteObjectVersionTagging",
        "PutObjectLegalHold", "PutObjectRetention", "ReplicateObject", "ReplicateDelete", "ReplicateTags",
        "BypassGovernanceRetention", "ObjectOwnerOverrideToBucketOwner", "CreateBucket", "DeleteBucket",
        "PutBucketLogging", "PutBucketNotification", "PutBucketTagging", "PutBucketVersioning", "PutBucketWebsite",
        "DeleteBucketWebsite", "PutBucketCORS", "PutBucketRequestPayment", "PutBucketObjectLockConfiguration",
        "PutEncryptionConfiguration", "PutLifecycleConfiguration", "PutReplicationConfiguration",
        "PutAccelerateConfiguration", "PutAnalyticsConfiguration", "PutInventoryConfiguration",
        "PutMetricsConfiguration", "PutIntelligentTieringConfiguration", "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls", "CreateAccessPoint", "DeleteAccessPoint", "CreateJob",
    ];

    private static readonly string[] PermissionsManagementActions =
    [
        "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutObjectAcl", "PutObjectVersionAcl",
        "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutAccountPublicAccessBlock",
        "PutAccessPointPolicy", "DeleteAccessPointPolicy", "PutAccessPointPublicAccessBlock",
    ];

    private static readonly (string Name, AccessLevel Level)[] Catalogue =
    [
        .. ListActions.Select(a => (a, AccessLevel.List)),
        .. ReadActions.Select(a => (a, AccessLevel.Read)),
        .. WriteActions.Select(a => (a, AccessLevel.Write)),
        .. PermissionsManagementActions.Select(a => (a, AccessLevel.PermissionsManagement)),
    ];

    private static readonly ConcurrentDictionary<string, AccessLevel> Cache = new(StringComparer.OrdinalIgnoreCase);

    public static AccessLevel All => AccessLevel.List | AccessLevel.Read | AccessLevel.Write | AccessLevel.PermissionsManagement;

    /// <summary>The levels an action or action pattern (with * and ?) can reach. Action names are case-insensitive.</summary>
    public static AccessLevel LevelOf(string action) => Cache.GetOrAdd(action, Compute);

    private static AccessLevel Compute(string action)
    {
        if (action == "*")
        {
            return All;
        }

        var colon = action.IndexOf(':', StringComparison.Ordinal);
        var service = colon < 0 ? string.Empty : action[..colon];
        var name = colon < 0 ? action : action[(colon + 1)..];
        if (!Wildcard.IsMatch("s3", service))
        {
            // Not an S3 action (S3 refuses such policies); treat it as write rather than as harmless.
            return AccessLevel.Write;
        }

        if (!Wildcard.HasWildcard(name))
        {
            foreach (var (known, level) in Catalogue)
            {
                if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase))
                {
                    return level;
                }
            }

            return ByPrefix(name);
        }

        var matched = AccessLevel.None;
        foreach (var (known, level) in Catalogue)
        {
            if (Wildcard.IsMatch(name, known))
            {
                matched |= level;
            }
        }

        // A pattern that matches nothing known may still match actions added after this list was written.
        return matched == AccessLevel.None ? ByPrefix(name.TrimEnd('*', '?')) : matched;
    }

    private static AccessLevel ByPrefix(string name)
    {
        if (name.StartsWith("List", StringComparison.OrdinalIgnoreCase))
        {
            return AccessLevel.List;
        }

        if (name.StartsWith("Get", StringComparison.OrdinalIgnoreCase))
        {
            return AccessLevel.Read;
        }

        return AccessLevel.Write;
    }
}

/// <summary>IAM-style wildcard matching: * any run of characters, ? one character, ignoring case.</summary>
public static class Wildcard
{
    public static bool HasWildcard(string value) => value.AsSpan().IndexOfAny('*', '?') >= 0;

    public static bool IsMatch(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToUpperInvariant(pattern[p]) == char.ToUpperInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
