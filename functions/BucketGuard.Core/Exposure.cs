using System.Collections.Immutable;

namespace BucketGuard.Core;

/// <summary>What a public grant lets people do, in the four levels IAM uses for S3 actions.</summary>
[Flags]
public enum AccessLevel
{
    None = 0,
    List = 1,
    Read = 2,
    Write = 4,
    PermissionsManagement = 8,
}

/// <summary>Where a public grant is. Every use is an exhaustive switch without a default arm (CS8524 is off, CS8509 is
/// an error), so a new source does not compile until each place handles it.</summary>
public enum FindingSource
{
    PolicyStatement,

    /// <summary>A grant in the bucket's ACL.</summary>
    AclGrant,

    /// <summary>A grant in one object's ACL (<see cref="Finding.Object"/> names the object).</summary>
    ObjectAclGrant,

    /// <summary>A statement of an access point's policy (<see cref="Finding.AccessPoint"/> names the access point).</summary>
    AccessPointPolicyStatement,
}

/// <summary>One public grant: where it is, to whom, what it allows, and why nothing restricts it.</summary>
/// <param name="Index">Zero-based position of the statement or grant in its document.</param>
/// <param name="Principal">Who it is granted to, in AWS words ("*", "AWS:*", "AllUsers"...).</param>
/// <param name="Actions">Policy actions, or ACL permissions, as written.</param>
/// <param name="NeutralisedBy">The Block Public Access or ownership setting that already stops this grant, if any.</param>
public sealed record Finding(
    FindingSource Source,
    int Index,
    string? Sid,
    string Principal,
    ImmutableArray<string> Actions,
    AccessLevel Access,
    string Reason,
    string? NeutralisedBy = null)
{
    /// <summary>Where the finding is, for a person: "statement 2 (Sid \"PublicRead\")" or "grant 3".</summary>
    public string Location => Source switch
    {
        FindingSource.PolicyStatement => Sid is { Length: > 0 } ? $"statement {Index + 1} (Sid \"{Sid}\")" : $"statement {Index + 1}",
        FindingSource.AclGrant => $"grant {Index + 1}",
        FindingSource.ObjectAclGrant => $"grant {Index + 1} of object {Object}",
        FindingSource.AccessPointPolicyStatement => (Sid is { Length: > 0 } ? $"statement {Index + 1} (Sid \"{Sid}\")" : $"statement {Index + 1}") + $" of access point {AccessPoint}",
    };

    /// <summary>The access point whose policy holds the statement; null for other findings.</summary>
    public string? AccessPoint { get; init; }

    /// <summary>The object whose ACL holds the grant (key, and " version V" when the event named one); null for bucket grants and statements.</summary>
    public string? Object { get; init; }

    public bool InEffect => NeutralisedBy is null;
}

/// <summary>The verdict on one policy or ACL: the public grants found, and notes a person may want
/// (grants that look broad but are limited, statements that grant nothing).</summary>
public sealed record Exposure(ImmutableArray<Finding> Findings, ImmutableArray<string> Notes)
{
    public static readonly Exposure NotPublic = new([], []);

    public bool IsPublic => !Findings.IsEmpty;

    /// <summary>Public after the bucket's Block Public Access and ownership settings are applied.</summary>
    public bool IsPublicInEffect => Findings.Any(f => f.InEffect);

    public AccessLevel Access => Findings.Aggregate(AccessLevel.None, (level, f) => level | f.Access);

    public AccessLevel AccessInEffect => Findings.Where(f => f.InEffect).Aggregate(AccessLevel.None, (level, f) => level | f.Access);

    public static Exposure Combine(Exposure first, Exposure second) =>
        new(first.Findings.AddRange(second.Findings), first.Notes.AddRange(second.Notes));
}

public static class AccessLevels
{
    public static IEnumerable<string> Names(AccessLevel level)
    {
        if (level.HasFlag(AccessLevel.List))
        {
            yield return "list";
        }

        if (level.HasFlag(AccessLevel.Read))
        {
            yield return "read";
        }

        if (level.HasFlag(AccessLevel.Write))
        {
            yield return "write";
        }

        if (level.HasFlag(AccessLevel.PermissionsManagement))
        {
            yield return "permissions-management";
        }
    }

    public static string Describe(AccessLevel level) =>
        level == AccessLevel.None ? "none" : string.Join(", ", Names(level));
}
