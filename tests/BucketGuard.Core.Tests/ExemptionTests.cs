using System.Text.Json.Nodes;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Policies;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Reports;

namespace BucketGuard.Tests;

public class ExemptionTests
{
    private static readonly DateOnly Today = new(2026, 11, 21);

    private static Exemption Read(params (string Key, string Value)[] tags) =>
        Exemption.From(tags.Select(t => new Tag(t.Key, t.Value)), RemediationPolicy.Default, Today);

    private static (string, string)[] Valid(string until = "2026-12-31", string? scope = null) =>
        scope is null
            ? [("bucketguard:exempt-until", until), ("bucketguard:exempt-reason", "public website"), ("bucketguard:owner", "web@example.com")]
            : [("bucketguard:exempt-until", until), ("bucketguard:exempt-reason", "public website"), ("bucketguard:owner", "web@example.com"), ("bucketguard:exempt-scope", scope)];

    [Fact]
    public void A_bucket_without_exemption_tags_has_no_exemption_but_keeps_its_owner()
    {
        var exemption = Read(("bucketguard:owner", "web@example.com"), ("team", "x"));

        Assert.Equal(ExemptionState.None, exemption.State);
        Assert.Equal("web@example.com", exemption.Owner);
    }

    [Theory]
    [InlineData("2026-11-21", true, "")]
    [InlineData("2027-02-19", true, "")]
    [InlineData("2027-02-20", false, "expiry 2027-02-20 is more than 90 days ahead (the latest allowed today is 2027-02-19)")]
    [InlineData("2026-11-20", false, "the exemption expired on 2026-11-20")]
    [InlineData("21/11/2026", false, "bucketguard:exempt-until \"21/11/2026\" is not a date in YYYY-MM-DD form")]
    [InlineData("2026-13-01", false, "is not a date in YYYY-MM-DD form")]
    [InlineData("", false, "no bucketguard:exempt-until tag")]
    public void The_expiry_is_valid_from_today_through_today_plus_90_days(string until, bool valid, string problem)
    {
        var exemption = Read(Valid(until));

        Assert.Equal(valid, exemption.IsValid);
        if (!valid)
        {
            Assert.Contains(problem, exemption.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_missing_reason_or_an_unknown_scope_is_not_honoured_and_says_why()
    {
        var exemption = Read(("bucketguard:exempt-until", "2026-12-31"), ("bucketguard:exempt-scope", "everything"));

        Assert.Equal(ExemptionState.Invalid, exemption.State);
        Assert.Contains("no bucketguard:exempt-reason tag", exemption.ToString(), StringComparison.Ordinal);
        Assert.Contains("bucketguard:exempt-scope \"everything\" is neither read nor read-list", exemption.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, ExemptionScope.Read)]
    [InlineData("read", ExemptionScope.Read)]
    [InlineData("READ-LIST", ExemptionScope.ReadList)]
    public void The_scope_defaults_to_read(string? scope, ExemptionScope expected)
    {
        Assert.Equal(expected, Read(Valid(scope: scope)).Scope);
    }

    [Fact]
    public void Tag_keys_are_matched_ignoring_case()
    {
        var exemption = Read(("BucketGuard:Exempt-Until", "2026-12-31"), ("BUCKETGUARD:EXEMPT-REASON", "downloads"), ("bucketguard:OWNER", "ops"));

        Assert.True(exemption.IsValid);
        Assert.Equal("ops", exemption.Owner);
    }

    [Fact]
    public void Two_keys_differing_only_in_case_that_disagree_make_the_exemption_invalid()
    {
        var exemption = Read([.. Valid(), ("BucketGuard:Exempt-Until", "2027-01-15")]);

        Assert.Equal(ExemptionState.Invalid, exemption.State);
        Assert.Contains("2 tags named bucketguard:exempt-until (in different case) disagree", exemption.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_doubled_prefix_is_not_an_exemption_tag()
    {
        Assert.Equal(ExemptionState.None, Read(("bucketguard:bucketguard:exempt-until", "2026-12-31"), ("bucketguard:bucketguard:exempt-reason", "x")).State);
    }

    [Fact]
    public void The_tag_prefix_and_the_maximum_are_configurable()
    {
        var policy = RemediationPolicy.Default with { TagPrefix = "sec/", MaxExemptionDays = 10 };

        var exemption = Exemption.From([new Tag("sec/exempt-until", "2026-12-15"), new Tag("sec/exempt-reason", "x")], policy, Today);

        Assert.Contains("more than 10 days ahead", exemption.ToString(), StringComparison.Ordinal);
    }

    private static Finding PolicyFinding(string actions) =>
        PolicyEvaluator.Evaluate(Policies.Everyone(actions), PolicyKind.Bucket).Value!.Findings.Single();

    private static Finding AclFinding(string canned) => AclEvaluator.Evaluate(CannedAcl.Expand(canned).Value!).Findings.First();

    [Theory]
    [InlineData("s3:GetObject", "read", true)]
    [InlineData("s3:GetObjectVersion", "read", true)]
    [InlineData("s3:ListBucket", "read", false)]
    [InlineData("s3:ListBucket", "read-list", true)]
    [InlineData("s3:Get*", "read-list", false)]
    [InlineData("s3:GetBucketPolicy", "read-list", false)]
    [InlineData("s3:PutObject", "read-list", false)]
    public void A_scope_covers_exactly_its_actions(string action, string scope, bool covered)
    {
        Assert.Equal(covered, Read(Valid(scope: scope)).Covers(PolicyFinding(action), RemediationPolicy.Default, out _));
    }

    [Fact]
    public void A_bucket_acl_read_is_listing_so_only_read_list_covers_it_and_write_never()
    {
        Assert.False(Read(Valid(scope: "read")).Covers(AclFinding("public-read"), RemediationPolicy.Default, out var why));
        Assert.Contains("beyond exemption scope read (object reads only)", why, StringComparison.Ordinal);
        Assert.True(Read(Valid(scope: "read-list")).Covers(AclFinding("public-read"), RemediationPolicy.Default, out _));
        var write = AclEvaluator.Evaluate(CannedAcl.Expand("public-read-write").Value!).Findings.Last();
        Assert.False(Read(Valid(scope: "read-list")).Covers(write, RemediationPolicy.Default, out why));
        Assert.Contains("grants public write, which no exemption covers", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Public_write_is_exempt_only_when_the_remediation_policy_allows_it()
    {
        var allow = RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_EXEMPT_WRITE" ? "allow" : null).Value!;

        Assert.True(Read(Valid()).Covers(PolicyFinding("s3:PutObject"), allow, out _));
    }

    // ----- through the pipeline -----

    private sealed class Clock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    }

    private static async Task<(HandledEvent Handled, FakeAws Fakes)> HandleAsync(string eventName, BucketState state)
    {
        var fakes = new FakeAws(state);
        var handled = await fakes.Pipeline(clock: new Clock()).HandleAsync(FakeAws.Event(eventName, "site", "arn:aws:sts::111122223333:assumed-role/Web/bob"), default);
        return (handled, fakes);
    }

    private static BucketState Site(string? policy = null, string canned = "private", PublicAccessBlock? block = null, params (string, string)[] tags) =>
        new("site", true, CannedAcl.Expand(canned).Value, policy, block, null, null, [.. tags.Select(t => new Tag(t.Item1, t.Item2))], null, []);

    [Fact]
    public async Task A_public_read_bucket_with_a_valid_exemption_stays_public_and_an_exempted_notice_goes_to_security_and_owner()
    {
        var (handled, fakes) = await HandleAsync("PutBucketPolicy", Site(Policies.Everyone("s3:GetObject"), tags: Valid()));

        Assert.Equal(Outcome.Exempted, handled.Verdict.Outcome);
        Assert.Empty(fakes.Applied);
        var sent = Assert.Single(fakes.Sent);
        Assert.Equal("exempted", sent.Attributes["event"]);
        Assert.Equal("web@example.com", sent.Attributes["owner"]);
        Assert.Equal("BucketGuard: site is public (read) under an exemption", sent.Subject);
        Assert.Contains("exempt until 2026-12-31 (scope read, reason \"public website\", owner web@example.com; unapproved: no approval key is configured, so whoever may tag the bucket may exempt it)", sent.Text, StringComparison.Ordinal);
        Assert.Contains("by arn:aws:sts::111122223333:assumed-role/Web/bob", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grant_beyond_the_exemption_scope_is_blocked_and_the_notice_names_it()
    {
        var (handled, fakes) = await HandleAsync("PutBucketPolicy", Site(Policies.Everyone("s3:PutObject"), tags: Valid()));

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Single(fakes.Applied);
        Assert.Contains("not covered: statement 1 (Sid \"S1\") grants public write, which no exemption covers", fakes.Sent.Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_exemption_is_not_honoured_and_the_notice_says_when_it_expired()
    {
        var (handled, fakes) = await HandleAsync("PutBucketPolicy", Site(Policies.Everyone("s3:GetObject"), tags: Valid("2026-11-01")));

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Contains("Exemption: exemption not honoured: the exemption expired on 2026-11-01", fakes.Sent.Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Removing_the_exemption_tags_of_a_public_bucket_locks_it()
    {
        var (handled, fakes) = await HandleAsync("DeleteBucketTagging", Site(Policies.Everyone("s3:GetObject")));

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Single(fakes.Applied);
    }

    [Fact]
    public async Task Adding_an_exemption_to_a_blocked_bucket_keeps_the_block_and_tells_the_owner_how_to_lift_it()
    {
        var (handled, fakes) = await HandleAsync("PutBucketTagging", Site(Policies.Everyone("s3:GetObject"), block: PublicAccessBlock.All, tags: Valid()));

        Assert.Equal(Outcome.ExemptionRecorded, handled.Verdict.Outcome);
        Assert.Empty(fakes.Applied);
        var sent = Assert.Single(fakes.Sent);
        Assert.Equal("exempted", sent.Attributes["event"]);
        Assert.Contains("BucketGuard never lifts a block by itself", sent.Text, StringComparison.Ordinal);
        Assert.Contains("aws s3api delete-public-access-block --bucket site", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_owner_lifting_the_block_on_an_exempt_bucket_is_accepted()
    {
        var (handled, fakes) = await HandleAsync("DeleteBucketPublicAccessBlock", Site(Policies.Everyone("s3:GetObject"), tags: Valid()));

        Assert.Equal(Outcome.Exempted, handled.Verdict.Outcome);
        Assert.Empty(fakes.Applied);
    }

    [Fact]
    public async Task An_exemption_ending_within_the_warning_days_says_so()
    {
        var (handled, fakes) = await HandleAsync("PutBucketPolicy", Site(Policies.Everyone("s3:GetObject"), tags: Valid("2026-11-24")));

        Assert.Equal(Outcome.Exempted, handled.Verdict.Outcome);
        Assert.Contains("it ends in 3 day(s): renew it or the bucket will be locked when it expires", handled.Verdict.Why, StringComparison.Ordinal);
        var sent = Assert.Single(fakes.Sent);
        Assert.Equal("exemption-expiring", sent.Attributes["event"]);
        Assert.Equal("web@example.com", sent.Attributes["owner"]);
        Assert.Equal("BucketGuard: the exemption of public bucket site ends on 2026-11-24", sent.Subject);
    }

    [Fact]
    public async Task An_exemption_ending_after_the_warning_days_is_a_plain_exempted_notice()
    {
        var (_, fakes) = await HandleAsync("PutBucketPolicy", Site(Policies.Everyone("s3:GetObject"), tags: Valid("2026-11-29")));

        Assert.Equal("exempted", fakes.Sent.Single().Attributes["event"]);
    }
}
