using System.Text.Json;
using BucketGuard.Core.Json;

namespace BucketGuard.Core;

/// <summary>S3 Block Public Access flags (PublicAccessBlockConfiguration). A flag not set is off.</summary>
public sealed record PublicAccessBlock(bool BlockPublicAcls, bool IgnorePublicAcls, bool BlockPublicPolicy, bool RestrictPublicBuckets)
{
    public static readonly PublicAccessBlock None = new(false, false, false, false);
    public static readonly PublicAccessBlock All = new(true, true, true, true);

    public bool IsAll => BlockPublicAcls && IgnorePublicAcls && BlockPublicPolicy && RestrictPublicBuckets;

    /// <summary>Every flag that is on in either: merging never turns a flag off.</summary>
    public PublicAccessBlock Merge(PublicAccessBlock other) => new(
        BlockPublicAcls || other.BlockPublicAcls,
        IgnorePublicAcls || other.IgnorePublicAcls,
        BlockPublicPolicy || other.BlockPublicPolicy,
        RestrictPublicBuckets || other.RestrictPublicBuckets);

    /// <summary>True when this turns off a flag that <paramref name="before"/> had on.</summary>
    public bool Weakens(PublicAccessBlock before) =>
        (before.BlockPublicAcls && !BlockPublicAcls) || (before.IgnorePublicAcls && !IgnorePublicAcls)
        || (before.BlockPublicPolicy && !BlockPublicPolicy) || (before.RestrictPublicBuckets && !RestrictPublicBuckets);

    public IEnumerable<string> OnFlags()
    {
        if (BlockPublicAcls)
        {
            yield return nameof(BlockPublicAcls);
        }

        if (IgnorePublicAcls)
        {
            yield return nameof(IgnorePublicAcls);
        }

        if (BlockPublicPolicy)
        {
            yield return nameof(BlockPublicPolicy);
        }

        if (RestrictPublicBuckets)
        {
            yield return nameof(RestrictPublicBuckets);
        }
    }

    public override string ToString() => OnFlags().Any() ? string.Join(", ", OnFlags()) : "no flags on";

    /// <summary>All four flags, each with its state: "BlockPublicAcls on, IgnorePublicAcls off, ..." (for a setting
    /// that cannot be changed later, where the flags that are off matter as much as those on).</summary>
    public string DescribeEach() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"BlockPublicAcls {OnOff(BlockPublicAcls)}, IgnorePublicAcls {OnOff(IgnorePublicAcls)}, BlockPublicPolicy {OnOff(BlockPublicPolicy)}, RestrictPublicBuckets {OnOff(RestrictPublicBuckets)}");

    private static string OnOff(bool flag) => flag ? "on" : "off";

    /// <summary>Reads {"BlockPublicAcls": true, ...}; flags may be booleans or "true"/"false" and may be missing.</summary>
    public static PublicAccessBlock? FromJson(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        bool Flag(string name) => element.TryGet(name, out var v) && v.Bool() == true;
        return new PublicAccessBlock(Flag(nameof(BlockPublicAcls)), Flag(nameof(IgnorePublicAcls)), Flag(nameof(BlockPublicPolicy)), Flag(nameof(RestrictPublicBuckets)));
    }
}

/// <summary>What stands between a bucket's grants and the public: its own and its account's Block Public
/// Access flags, and S3 Object Ownership (BucketOwnerEnforced switches ACLs off).</summary>
public sealed record BucketProtection(PublicAccessBlock? Bucket, PublicAccessBlock? Account, string? ObjectOwnership)
{
    public static readonly BucketProtection Nothing = new(null, null, null);

    public PublicAccessBlock InForce => (Bucket ?? PublicAccessBlock.None).Merge(Account ?? PublicAccessBlock.None);

    /// <summary>Object Ownership BucketOwnerEnforced: S3 ignores every ACL of the bucket and its objects.</summary>
    public bool AclsDisabled => string.Equals(ObjectOwnership, "BucketOwnerEnforced", StringComparison.Ordinal);

    /// <summary>The S3 console's "Objects can be public": ACLs are honoured (ownership is not BucketOwnerEnforced) and
    /// IgnorePublicAcls is off at bucket and account, so any object's own ACL can make it public. A risk, not yet an
    /// exposure (S3 User Guide, "Controlling ownership of objects and disabling ACLs"; "Blocking public access").</summary>
    public bool ObjectsCanBePublic => !AclsDisabled && !InForce.IgnorePublicAcls;

    /// <summary>Marks each finding with the setting that already neutralises it: IgnorePublicAcls or
    /// BucketOwnerEnforced for ACL grants, RestrictPublicBuckets for public policies (only AWS service
    /// principals and the bucket owner's account keep access). BlockPublicAcls and BlockPublicPolicy only
    /// stop future changes, so they neutralise nothing that is already there.</summary>
    public Exposure Apply(Exposure exposure)
    {
        if (exposure.Findings.IsEmpty)
        {
            return exposure;
        }

        var findings = exposure.Findings.Select(f => f with { NeutralisedBy = f.NeutralisedBy ?? NeutralisedBy(f.Source) }).ToArray();
        return exposure with { Findings = [.. findings] };
    }

    private string? NeutralisedBy(FindingSource source) => source switch
    {
        FindingSource.AclGrant or FindingSource.ObjectAclGrant when AclsDisabled => "Object Ownership BucketOwnerEnforced (ACLs are disabled)",
        FindingSource.AclGrant or FindingSource.ObjectAclGrant => Which(b => b.IgnorePublicAcls, "IgnorePublicAcls"),
        FindingSource.PolicyStatement or FindingSource.AccessPointPolicyStatement => Which(b => b.RestrictPublicBuckets, "RestrictPublicBuckets"),
    };

    private string? Which(Func<PublicAccessBlock, bool> flag, string name) =>
        Bucket is { } b && flag(b) ? $"{name} (bucket)"
        : Account is { } a && flag(a) ? $"{name} (account)"
        : null;
}
