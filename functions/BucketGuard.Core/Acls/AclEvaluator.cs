using System.Collections.Immutable;

namespace BucketGuard.Core.Acls;

/// <summary>AWS's definition of a public ACL: any grant, of any permission, to the AllUsers or
/// AuthenticatedUsers group. LogDelivery, canonical users and e-mail grantees are not public.</summary>
public static class AclEvaluator
{
    /// <summary>One object's ACL: its public grants are ObjectAclGrant findings naming the object, at the access levels
    /// of <see cref="LevelOf"/> for an object.</summary>
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

    /// <summary>What an ACL permission lets its grantee do, by AWS's table (S3 User Guide, "Access control list (ACL)
    /// overview", "Permissions that you can grant"), as IAM's access levels:
    /// READ lists a bucket's objects, or reads an object's data and metadata; WRITE creates, overwrites and deletes a
    /// bucket's objects, and is not applicable to an object (it grants nothing there); READ_ACP reads the ACL, of a bucket
    /// or of an object (Read, as s3:GetBucketAcl and s3:GetObjectAcl are); WRITE_ACP writes the ACL (permissions
    /// management); FULL_CONTROL is READ, WRITE, READ_ACP and WRITE_ACP on a bucket, and READ, READ_ACP and WRITE_ACP on
    /// an object. A permission AWS does not name is taken as Read: never assumed harmless.</summary>
    public static AccessLevel LevelOf(string permission, AclTarget target) => (permission, target) switch
    {
        ("READ", AclTarget.Bucket) => AccessLevel.List,
        ("READ", AclTarget.Object) => AccessLevel.Read,
        ("WRITE", AclTarget.Bucket) => AccessLevel.Write,
        ("WRITE", AclTarget.Object) => AccessLevel.None,
        ("READ_ACP", _) => AccessLevel.Read,
        ("WRITE_ACP", _) => AccessLevel.PermissionsManagement,
        ("FULL_CONTROL", AclTarget.Bucket) => AccessLevel.List | AccessLevel.Read | AccessLevel.Write | AccessLevel.PermissionsManagement,
        ("FULL_CONTROL", AclTarget.Object) => AccessLevel.Read | AccessLevel.PermissionsManagement,
        _ => AccessLevel.Read,
    };

    /// <summary>The same table in words, for the explanation.</summary>
    private static string Meaning(string permission, AclTarget target) => (permission, target) switch
    {
        ("READ", AclTarget.Bucket) => " (list every object in the bucket)",
        ("READ", AclTarget.Object) => " (read the object's data and metadata)",
        ("WRITE", AclTarget.Bucket) => " (create, overwrite and delete any object in the bucket)",
        ("WRITE", AclTarget.Object) => " (WRITE is not applicable to an object and grants nothing there, but any grant to this group makes the ACL public)",
        ("READ_ACP", AclTarget.Bucket) => " (read the bucket's ACL)",
        ("READ_ACP", AclTarget.Object) => " (read the object's ACL)",
        ("WRITE_ACP", AclTarget.Bucket) => " (change the bucket's ACL, so grant themselves anything)",
        ("WRITE_ACP", AclTarget.Object) => " (change the object's ACL, so grant themselves anything on it)",
        ("FULL_CONTROL", AclTarget.Bucket) => " (READ, WRITE, READ_ACP and WRITE_ACP on the bucket)",
        ("FULL_CONTROL", AclTarget.Object) => " (READ, READ_ACP and WRITE_ACP on the object)",
        _ => " (a permission S3 does not name, taken as read)",
    } + " (S3 User Guide, \"Access control list (ACL) overview\")";
}
