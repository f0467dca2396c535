using System.Collections.Immutable;

namespace BucketGuard.Core.Acls;

/// <summary>The grants each canned ACL stands for (S3 User Guide, ACL overview, "Canned ACL").</summary>
public static class CannedAcl
{
    public static readonly ImmutableArray<string> Names =
    [
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
        "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
    ];

    public static bool IsName(string value) => Names.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase);

    public static Parsed<AccessControlList> Expand(string name, string? ownerId = null)
    {
        var owner = new Grant(Grantee.User(ownerId ?? "owner", "bucket owner"), "FULL_CONTROL");
        ImmutableArray<Grant>? others = name.Trim().ToLowerInvariant() switch
        {
            "private" => [],
            "public-read" => [new(Grantee.Group(Grantee.AllUsersUri), "READ")],
            "public-read-write" => [new(Grantee.Group(Grantee.AllUsersUri), "READ"), new(Grantee.Group(Grantee.AllUsersUri), "WRITE")],
            "authenticated-read" => [new(Grantee.Group(Grantee.AuthenticatedUsersUri), "READ")],
            "aws-exec-read" => [new(Grantee.User("amazon-ec2", "Amazon EC2"), "READ")],
            "bucket-owner-read" => [new(Grantee.User("bucket-owner", "bucket owner"), "READ")],
            "bucket-owner-full-control" => [new(Grantee.User("bucket-owner", "bucket owner"), "FULL_CONTROL")],
            "log-delivery-write" => [new(Grantee.Group(Grantee.LogDeliveryUri), "WRITE"), new(Grantee.Group(Grantee.LogDeliveryUri), "READ_ACP")],
            _ => null,
        };
        return others is { } grants
            ? Parsed<AccessControlList>.Success(new AccessControlList(ownerId, [owner, .. grants], name.Trim().ToLowerInvariant()))
            : Parsed<AccessControlList>.Failure($"\"{name}\" is not a canned ACL (known: {string.Join(", ", Names)})");
    }
}
