using BucketGuard.Core.Acls;
using S3 = Amazon.S3.Model;

namespace BucketGuard.Aws;

/// <summary>Translates what AWSSDK.S3 returns into the core's vocabulary, so the core never sees SDK types.</summary>
public static class S3Mapping
{
    public static AccessControlList ToAccessControlList(S3.GetBucketAclResponse response) => ToAccessControlList(response.Owner, response.Grants);

    public static AccessControlList ToAccessControlList(S3.GetObjectAclResponse response) => ToAccessControlList(response.Owner, response.Grants);

    public static AccessControlList ToAccessControlList(S3.Owner? owner, List<S3.S3Grant>? grants) => new(
        owner?.Id,
        [.. (grants ?? []).Select(g => new Grant(
            new Grantee(
                g.Grantee?.Type?.Value switch
                {
                    "CanonicalUser" => GranteeType.CanonicalUser,
                    "Group" => GranteeType.Group,
                    "AmazonCustomerByEmail" => GranteeType.AmazonCustomerByEmail,
                    _ => GranteeType.Unknown,
                },
                g.Grantee?.CanonicalUser,
                g.Grantee?.URI,
                g.Grantee?.EmailAddress,
                g.Grantee?.DisplayName),
            g.Permission?.Value ?? string.Empty))]);
}
