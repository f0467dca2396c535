using System.Collections.Immutable;

namespace BucketGuard.Core.Acls;

/// <summary>AWS's definition of a public ACL: any grant, of any permission, to the AllUsers or
/// AuthenticatedUsers group. LogDelivery, canonical users and e-mail grantees are not public.</summary>
public static class AclEvaluator
{
    /// <summary>One object's ACL: its public grants are ObjectAclGrant findings naming the object. An object's READ is
    /// public read of that object; READ_ACP, WRITE_ACP and FULL_CONTROL are permissions management (never covered by an
    /// exemption by default).</summary>
    /// <param name="name">The object's key, with " (version V)" when known.</param>
    public static Exposure EvaluateObject(AccessControlList acl, string name)
    {
        var exposure = Evaluate(acl, AclTarget.Object);
        return exposure with { Findings = [.. exposure.Findings.Select(f => f with { Source = FindingSource.ObjectAclGrant, Object = name })] };
    }

    public static Exposure Evaluate(AccessControlList acl, AclTarget target = AclTarget.Bucket)
    {
        ImmutableArray<Finding>.Builder? findings = null;
        for (var i = 0; i < acl.Grants.Length; i++)
        {
            var grant = acl.Grants[i];
            string reason;
            if (grant.Grantee.IsAllUsers)
            {
                reason = "AllUsers is anyone on the internet, without signing in";
            }
            else if (grant.Grantee.IsAuthenticatedUsers)
            {
                reason = "AuthenticatedUsers is anyone with any AWS account, not only yours";
            }
            else
            {
                continue;
            }

            var permission = grant.Permission.Length == 0 ? "(no permission named)" : grant.Permission;
            (findings ??= ImmutableArray.CreateBuilder<Finding>()).Add(new Finding(
                FindingSource.AclGrant,
                i,
                null,
                grant.Grantee.ToString(),
                [permission],
                LevelOf(grant.Permission, target),
                $"{reason}; {grant.Grantee} has {permission}{Meaning(grant.Permission, target)}"));
        }

        return findings is null ? Exposure.NotPublic : new Exposure(findings.ToImmutable(), []);
    }

    public static AccessLevel LevelOf(string permission, AclTarget target) => permission switch
    {
        "READ" => target == AclTarget.Bucket ? AccessLevel.List : AccessLevel.Read,
        "WRITE" => AccessLevel.Write,
        "READ_ACP" => target == AclTarget.Bucket ? AccessLevel.Read : AccessLevel.PermissionsManagement,
        "WRITE_ACP" => AccessLevel.PermissionsManagement,
        "FULL_CONTROL" => (target == AclTarget.Bucket ? AccessLevel.List : AccessLevel.Read) | AccessLevel.Read | AccessLevel.Write | AccessLevel.PermissionsManagement,
        // A permission we cannot name is not assumed harmless.
        _ => AccessLevel.Read,
    };

    private static string Meaning(string permission, AclTarget target) => permission switch
    {
        "READ" => target == AclTarget.Bucket ? " (list every object in the bucket)" : " (read the object)",
        "WRITE" => target == AclTarget.Bucket ? " (create, overwrite and delete objects)" : string.Empty,
        "READ_ACP" => " (read the ACL)",
        "WRITE_ACP" => " (change the ACL, so grant themselves anything)",
        "FULL_CONTROL" => " (everything, including changing the ACL)",
        _ => string.Empty,
    };
}
