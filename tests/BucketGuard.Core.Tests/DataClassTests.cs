using System.Text.Json.Nodes;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Events;
using BucketGuard.Core.Reports;

namespace BucketGuard.Tests;

/// <summary>Data-sensitivity tiers: a bucket tagged (or defaulted) phi or pci is never exempted into being public, its
/// exposure is critical, and its class travels in the notification; the tag is owner text, never read as lower than the
/// default when it names no class.</summary>
public class DataClassTests
{
    private sealed class Clock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    }

    private static readonly (string, string)[] Exempt = [("bucketguard:exempt-until", "2026-12-31"), ("bucketguard:exempt-reason", "shared lab portal"), ("bucketguard:owner", "lab@example.com"), ("bucketguard:exempt-scope", "read-list")];

    private static BucketState Bucket(string canned, params (string, string)[] tags) =>
        new("lab-results", true, CannedAcl.Expand(canned).Value, null, null, null, null, [.. tags.Select(t => new Tag(t.Item1, t.Item2))], null, []);

    private static async Task<(HandledEvent Handled, FakeAws Fakes)> HandleAsync(BucketState state, RemediationPolicy? policy = null, string eventName = "PutBucketAcl")
    {
        var fakes = new FakeAws(state);
        return (await fakes.Pipeline(policy, new Clock()).HandleAsync(FakeAws.Event(eventName, "lab-results", "arn:aws:sts::111122223333:assumed-role/Lab/alice"), default), fakes);
    }

    [Theory]
    [InlineData("phi")]
    [InlineData("pci")]
    [InlineData(" PHI ")]
    public async Task A_phi_or_pci_bucket_with_a_valid_exemption_is_locked_as_critical_and_the_notice_says_exemptions_are_never_honoured(string tag)
    {
        var (handled, fakes) = await HandleAsync(Bucket("public-read", [.. Exempt, ("bucketguard:data-class", tag)]));

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Equal(Severity.Critical, handled.Verdict.Severity);
        Assert.Single(fakes.Applied);
        var sent = Assert.Single(fakes.Sent);
        Assert.Equal("critical", sent.Attributes["severity"]);
        Assert.Equal(tag.Trim().ToLowerInvariant(), sent.Attributes["dataClass"]);
        Assert.Contains("never honours an exemption for phi or pci data", sent.Text, StringComparison.Ordinal);
        Assert.Equal(tag.Trim().ToLowerInvariant(), JsonNode.Parse(sent.Document)!["dataClass"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("pii")]
    [InlineData("internal")]
    [InlineData("public")]
    public async Task Other_classes_keep_their_valid_exemption(string tag)
    {
        var (handled, fakes) = await HandleAsync(Bucket("public-read", [.. Exempt, ("bucketguard:data-class", tag)]));

        Assert.Equal(Outcome.Exempted, handled.Verdict.Outcome);
        Assert.Empty(fakes.Applied);
    }

    [Fact]
    public async Task With_the_default_set_to_phi_an_untagged_bucket_cannot_be_exempted()
    {
        var policy = RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_DEFAULT_DATA_CLASS" ? "phi" : null).Value!;

        var (handled, _) = await HandleAsync(Bucket("public-read", Exempt), policy);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Contains("the default for a bucket without a bucketguard:data-class tag", string.Join(" ", handled.Verdict.NotExempt), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("internal", Outcome.Exempted)]
    [InlineData("phi", Outcome.Block)]
    public async Task A_tag_that_names_no_class_counts_as_the_default_never_lower(string defaultClass, Outcome outcome)
    {
        var policy = RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_DEFAULT_DATA_CLASS" ? defaultClass : null).Value!;

        var (handled, _) = await HandleAsync(Bucket("public-read", [.. Exempt, ("bucketguard:data-class", "PHl\u202epublic")]), policy);

        Assert.Equal(outcome, handled.Verdict.Outcome);
        Assert.Equal(DataClasses.Parse(defaultClass), handled.Verdict.DataClass);
    }

    [Fact]
    public async Task Tagging_a_blocked_phi_bucket_with_an_exemption_records_nothing_as_exempted()
    {
        var state = Bucket("public-read", [.. Exempt, ("bucketguard:data-class", "phi")]) with { BucketBlock = PublicAccessBlock.All };

        var (handled, _) = await HandleAsync(state, eventName: "PutBucketTagging");

        Assert.NotEqual(Outcome.ExemptionRecorded, handled.Verdict.Outcome);
    }

    [Fact]
    public void A_default_data_class_that_is_not_one_is_a_settings_error()
    {
        var policy = RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_DEFAULT_DATA_CLASS" ? "secret" : null);

        Assert.False(policy.Ok);
        Assert.Contains("is not public, internal, pii, pci or phi", policy.Error, StringComparison.Ordinal);
    }
}
