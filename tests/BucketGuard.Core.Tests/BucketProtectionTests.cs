using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Policies;

namespace BucketGuard.Tests;

public class BucketProtectionTests
{
    private static readonly Exposure AclAndPolicy = Exposure.Combine(
        AclEvaluator.Evaluate(CannedAcl.Expand("public-read").Value!),
        PolicyEvaluator.Evaluate(Policies.Everyone(), PolicyKind.Bucket).Value!);

    // "-" stands for "not neutralised", so the expectations read as one list.
    private static string[] Neutralisers(BucketProtection protection) =>
        [.. protection.Apply(AclAndPolicy).Findings.Select(f => f.NeutralisedBy ?? "-")];

    [Fact]
    public void Ignore_public_acls_neutralises_acl_grants_but_not_a_public_policy()
    {
        var applied = new BucketProtection(PublicAccessBlock.None with { IgnorePublicAcls = true }, null, null).Apply(AclAndPolicy);

        Assert.Equal(["IgnorePublicAcls (bucket)", "-"], applied.Findings.Select(f => f.NeutralisedBy ?? "-"));
        Assert.True(applied.IsPublicInEffect);
        Assert.Equal(AccessLevel.Read, applied.AccessInEffect);
    }

    [Fact]
    public void Restrict_public_buckets_neutralises_a_public_policy_but_not_acl_grants()
    {
        Assert.Equal(["-", "RestrictPublicBuckets (account)"], Neutralisers(new BucketProtection(null, PublicAccessBlock.None with { RestrictPublicBuckets = true }, null)));
    }

    [Fact]
    public void Bucket_owner_enforced_ownership_disables_acl_grants()
    {
        Assert.Equal(["Object Ownership BucketOwnerEnforced (ACLs are disabled)", "-"], Neutralisers(new BucketProtection(null, null, "BucketOwnerEnforced")));
    }

    [Fact]
    public void Block_public_acls_and_block_public_policy_neutralise_nothing_that_already_exists()
    {
        var protection = new BucketProtection(PublicAccessBlock.None with { BlockPublicAcls = true, BlockPublicPolicy = true }, null, "BucketOwnerPreferred");

        Assert.Equal(["-", "-"], Neutralisers(protection));
    }

    [Fact]
    public void All_four_flags_leave_nothing_public_in_effect()
    {
        var applied = new BucketProtection(PublicAccessBlock.All, null, null).Apply(AclAndPolicy);

        Assert.True(applied.IsPublic);
        Assert.False(applied.IsPublicInEffect);
    }

    [Fact]
    public void Merging_flags_never_turns_one_off()
    {
        var existing = PublicAccessBlock.None with { BlockPublicPolicy = true, RestrictPublicBuckets = true };
        var wanted = PublicAccessBlock.None with { BlockPublicAcls = true, IgnorePublicAcls = true };

        var merged = existing.Merge(wanted);

        Assert.Equal(PublicAccessBlock.All, merged);
        Assert.False(merged.Weakens(existing));
        Assert.True(wanted.Weakens(existing));
    }
}
