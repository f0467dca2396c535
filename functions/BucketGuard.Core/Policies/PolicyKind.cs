using System.Text.Json;
using BucketGuard.Core.Json;

namespace BucketGuard.Core.Policies;

/// <summary>The kind of resource policy being judged. AWS's rule for "public" is the same for all three but for one
/// key (S3 User Guide, "The meaning of 'public'", Access points): s3:DataAccessPointArn naming a set of access points
/// (arn:aws:s3:REGION:ACCOUNT:accesspoint/*) limits a bucket policy, and makes an access point policy public. AWS
/// states the access point rule for access points; a multi-region access point policy is judged by it too, the
/// stricter reading (a grant to "any access point" admits whoever can make one).</summary>
public enum PolicyKind
{
    Bucket,
    AccessPoint,
    MultiRegionAccessPoint,
}

public static class PolicyKinds
{
    /// <summary>"a bucket policy", "an access point policy", "a multi-region access point policy".</summary>
    public static string Describe(PolicyKind kind) => kind switch
    {
        PolicyKind.Bucket => "a bucket policy",
        PolicyKind.AccessPoint => "an access point policy",
        PolicyKind.MultiRegionAccessPoint => "a multi-region access point policy",
    };

    /// <summary>The kind of a policy met on its own (a file given to `check`), from its Resource ARNs: S3 accepts on an
    /// access point only its own ARN (arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME[/object/KEY]), on a multi-region
    /// access point arn:PARTITION:s3::ACCOUNT:accesspoint/ALIAS, and on a bucket only bucket ARNs
    /// (arn:PARTITION:s3:::BUCKET). A policy with no such ARN is judged as a bucket policy.</summary>
    public static PolicyKind Infer(JsonElement policy)
    {
        if (policy.ValueKind == JsonValueKind.String && JsonRead.TryParse(policy.GetString()!, out var inner, out _))
        {
            using (inner)
            {
                return Infer(inner!.RootElement);
            }
        }

        if (!policy.TryGet("Statement", out var statements))
        {
            return PolicyKind.Bucket;
        }

        foreach (var statement in statements.OneOrMany())
        {
            foreach (var name in (string[])["Resource", "NotResource"])
            {
                foreach (var resource in statement.TryGet(name, out var r) ? r.Strings() ?? [] : [])
                {
                    var parts = resource.Split(':', 6);
                    if (parts is [_, _, "s3", var region, _, var rest] && rest.StartsWith("accesspoint/", StringComparison.Ordinal))
                    {
                        return region.Length == 0 ? PolicyKind.MultiRegionAccessPoint : PolicyKind.AccessPoint;
                    }
                }
            }
        }

        return PolicyKind.Bucket;
    }
}
