using System.Collections.Immutable;

namespace BucketGuard.Core.Acls;

public enum GranteeType
{
    CanonicalUser,
    Group,
    AmazonCustomerByEmail,
    Unknown,
}

public sealed record Grantee(GranteeType Type, string? Id = null, string? Uri = null, string? EmailAddress = null, string? DisplayName = null)
{
    public const string AllUsersUri = "http://acs.amazonaws.com/groups/global/AllUsers";
    public const string AuthenticatedUsersUri = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    public const string LogDeliveryUri = "http://acs.amazonaws.com/groups/s3/LogDelivery";

    public static Grantee Group(string uri) => new(GranteeType.Group, Uri: uri);

    public static Grantee User(string id, string? displayName = null) => new(GranteeType.CanonicalUser, Id: id, DisplayName: displayName);

    // Matched by URI, not by Type: real snapshots label group grants "CanonicalUser" (see the corpus notes).
    public bool IsAllUsers => Uri?.Contains("/groups/global/AllUsers", StringComparison.OrdinalIgnoreCase) == true;

    public bool IsAuthenticatedUsers => Uri?.Contains("/groups/global/AuthenticatedUsers", StringComparison.OrdinalIgnoreCase) == true;

    public override string ToString() =>
        IsAllUsers ? "AllUsers"
        : IsAuthenticatedUsers ? "AuthenticatedUsers"
        : Uri is not null ? Uri[(Uri.LastIndexOf('/') + 1)..]
        : EmailAddress ?? DisplayName ?? Id ?? "unnamed grantee";
}

/// <summary>One ACL grant. Permission is READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL; empty when the
/// source named none.</summary>
public sealed record Grant(Grantee Grantee, string Permission);

/// <param name="CannedName">The canned ACL this list came from (x-amz-acl), if it came from one.</param>
public sealed record AccessControlList(string? OwnerId, ImmutableArray<Grant> Grants, string? CannedName = null);

/// <summary>Whether the ACL belongs to a bucket or an object: READ means "list the bucket" on one and
/// "read the object" on the other.</summary>
public enum AclTarget
{
    Bucket,
    Object,
}
