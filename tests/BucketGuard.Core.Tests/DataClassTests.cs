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

    /// <summary>Amazon Macie in memory: the score it holds for the bucket (null: no profile), or the error it answers.</summary>
    private sealed class Macie(SensitivityScore? score, Exception? fails = null) : BucketGuard.Core.Pipeline.IBucketSensitivity
    {
        public List<string> Asked { get; } = [];

        public Task<SensitivityScore?> ScoreAsync(string bucket, string? account, CancellationToken cancellationToken)
        {
            Asked.Add(bucket);
            return fails is null ? Task.FromResult(score) : Task.FromException<SensitivityScore?>(fails);
        }
    }

    private static async Task<(HandledEvent Handled, FakeAws Fakes)> HandleWithMacieAsync(BucketState state, Macie macie, string raisesTo = "phi")
    {
        var fakes = new FakeAws(state);
        var policy = RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_MACIE_SENSITIVE_DATA_CLASS" ? raisesTo : null).Value!;
        var pipeline = new BucketGuard.Core.Pipeline.RemediationPipeline(fakes.Ports with { Sensitivity = macie }, [new BucketGuard.Core.Pipeline.NotificationOutput(fakes)], policy, new Clock());
        return (await pipeline.HandleAsync(FakeAws.Event("PutBucketAcl", "lab-results", "arn:aws:sts::111122223333:assumed-role/Lab/alice"), default), fakes);
    }

    [Theory]
    [InlineData(51, false)]
    [InlineData(87, false)]
    [InlineData(100, true)]
    public async Task A_bucket_macie_scores_sensitive_is_raised_to_the_configured_class_so_its_exemption_is_not_honoured(int score, bool overridden)
    {
        var macie = new Macie(new SensitivityScore(score, overridden, new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero)));

        var (handled, fakes) = await HandleWithMacieAsync(Bucket("public-read", [.. Exempt, ("bucketguard:data-class", "internal")]), macie);

        Assert.Equal((Outcome.Block, Severity.Critical, DataClass.Phi), (handled.Verdict.Outcome, handled.Verdict.Severity, handled.Verdict.DataClass));
        Assert.Single(fakes.Applied);
        Assert.Equal(["lab-results"], macie.Asked);
        var document = JsonNode.Parse(Assert.Single(fakes.Sent).Document)!;
        Assert.Equal("phi", document["dataClass"]!.GetValue<string>());
        Assert.StartsWith($"Amazon Macie's sensitivity score {score} for the bucket (Sensitive", document["dataClassSource"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("raises it from internal", document["dataClassSource"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(50)] // not classified yet
    [InlineData(49)] // not sensitive
    [InlineData(1)]
    [InlineData(-1)] // classification error
    public async Task A_score_macie_does_not_call_sensitive_changes_nothing(int score)
    {
        var (handled, fakes) = await HandleWithMacieAsync(Bucket("public-read", [.. Exempt, ("bucketguard:data-class", "internal")]), new Macie(new SensitivityScore(score, false, null)));

        Assert.Equal((Outcome.Exempted, DataClass.Internal), (handled.Verdict.Outcome, handled.Verdict.DataClass));
        Assert.Empty(fakes.Applied);
    }

    [Fact]
    public async Task A_sensitive_score_never_lowers_a_class_above_the_one_it_raises_to()
    {
        var (handled, _) = await HandleWithMacieAsync(Bucket("public-read", ("bucketguard:data-class", "phi")), new Macie(new SensitivityScore(90, false, null)), raisesTo: "pii");

        Assert.Equal(DataClass.Phi, handled.Verdict.DataClass);
        Assert.Equal("its bucketguard:data-class tag", handled.Verdict.DataClassSource);
    }

    [Fact]
    public async Task Macie_is_asked_only_about_an_exposure_and_not_at_all_when_the_policy_says_off()
    {
        var macie = new Macie(new SensitivityScore(90, false, null));

        var (privateBucket, _) = await HandleWithMacieAsync(Bucket("private"), macie);
        var (off, _) = await HandleWithMacieAsync(Bucket("public-read", [.. Exempt]), macie, raisesTo: "off");

        Assert.Equal(Outcome.NothingToDo, privateBucket.Verdict.Outcome);
        Assert.Equal(Outcome.Exempted, off.Verdict.Outcome);
        Assert.Empty(macie.Asked);
    }

    [Fact]
    public async Task When_macie_cannot_be_asked_the_decision_stands_on_the_tag_and_says_why_never_failing_the_lock()
    {
        var macie = new Macie(null, new InvalidOperationException("Macie GetResourceProfile: 403 AccessDeniedException: Macie is not enabled"));

        var (exempted, _) = await HandleWithMacieAsync(Bucket("public-read", [.. Exempt]), macie);
        var (locked, fakes) = await HandleWithMacieAsync(Bucket("public-read"), macie);
        var (noProfile, _) = await HandleWithMacieAsync(Bucket("public-read", [.. Exempt]), new Macie(null));

        Assert.Equal(Outcome.Exempted, exempted.Verdict.Outcome);
        Assert.Contains("Amazon Macie could not be consulted (Macie GetResourceProfile: 403 AccessDeniedException", exempted.Verdict.DataClassSource, StringComparison.Ordinal);
        Assert.Equal(Outcome.Block, locked.Verdict.Outcome);
        Assert.Single(fakes.Applied);
        Assert.Equal((Outcome.Exempted, "the default for a bucket without a bucketguard:data-class tag"), (noProfile.Verdict.Outcome, noProfile.Verdict.DataClassSource));
    }

    [Fact]
    public void A_macie_class_that_is_not_one_is_a_settings_error_and_off_or_unset_asks_nothing()
    {
        var bad = RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_MACIE_SENSITIVE_DATA_CLASS" ? "secret" : null);

        Assert.False(bad.Ok);
        Assert.Contains("is not off, public, internal, pii, pci or phi", bad.Error, StringComparison.Ordinal);
        Assert.Null(RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_MACIE_SENSITIVE_DATA_CLASS" ? "OFF" : null).Value!.MacieSensitiveDataClass);
        Assert.Null(RemediationPolicy.FromEnvironment(_ => null).Value!.MacieSensitiveDataClass);
    }

    /// <summary>The floor store in memory, with the same rule as DynamoDB's: a higher class, or the same lasting longer.</summary>
    internal sealed class MemoryFloors : BucketGuard.Core.Pipeline.IDataClassFloors
    {
        public Dictionary<string, DataClassFloor> Kept { get; } = new(StringComparer.Ordinal);

        public Exception? Fails { get; set; }

        public Task<DataClassFloor?> FloorAsync(string account, string bucket, CancellationToken cancellationToken) =>
            Fails is not null ? Task.FromException<DataClassFloor?>(Fails) : Task.FromResult(Kept.GetValueOrDefault($"{account}/{bucket}"));

        public Task RaiseAsync(string account, string bucket, DataClassFloor floor, CancellationToken cancellationToken)
        {
            if (Fails is not null)
            {
                return Task.FromException(Fails);
            }

            var key = $"{account}/{bucket}";
            if (!Kept.TryGetValue(key, out var kept) || kept.Class < floor.Class || (kept.Class == floor.Class && kept.Until < floor.Until))
            {
                Kept[key] = floor;
            }

            return Task.CompletedTask;
        }
    }

    private static async Task<HandledEvent> HandleWithFloorsAsync(BucketState state, MemoryFloors floors, string eventName = "PutBucketAcl")
    {
        var fakes = new FakeAws(state);
        var pipeline = new BucketGuard.Core.Pipeline.RemediationPipeline(fakes.Ports with { Floors = floors }, [new BucketGuard.Core.Pipeline.NotificationOutput(fakes)], RemediationPolicy.Default, new Clock());
        return await pipeline.HandleAsync(FakeAws.Event(eventName, "lab-results", "arn:aws:sts::111122223333:assumed-role/Lab/alice"), default);
    }

    [Fact]
    public async Task A_phi_tag_lowered_after_BucketGuard_saw_it_still_counts_so_the_exemption_on_the_lowered_tag_is_not_honoured()
    {
        var floors = new MemoryFloors();

        var seen = await HandleWithFloorsAsync(Bucket("private", ("bucketguard:data-class", "phi")), floors, "PutBucketTagging");
        var lowered = await HandleWithFloorsAsync(Bucket("public-read", [.. Exempt, ("bucketguard:data-class", "public")]), floors);

        Assert.Equal(Outcome.NothingToDo, seen.Verdict.Outcome);
        var floor = Assert.Single(floors.Kept).Value;
        Assert.Equal((DataClass.Phi, new DateTimeOffset(2026, 12, 21, 12, 0, 0, TimeSpan.Zero)), (floor.Class, floor.Until));
        Assert.Equal((Outcome.Block, Severity.Critical, DataClass.Phi), (lowered.Verdict.Outcome, lowered.Verdict.Severity, lowered.Verdict.DataClass));
        Assert.StartsWith("its bucketguard:data-class tag said phi at 2026-11-21 12:00:00Z (its tag now says public: a class lowered within 30 days still counts", lowered.Verdict.DataClassSource, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_floor_that_has_ended_or_a_floor_store_that_fails_leaves_the_class_to_the_tag_and_says_so()
    {
        var ended = new MemoryFloors();
        ended.Kept["111122223333/lab-results"] = new DataClassFloor(DataClass.Phi, new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), "its tag said phi at 2026-10-02");
        var failing = new MemoryFloors { Fails = new InvalidOperationException("ProvisionedThroughputExceededException") };

        var afterEnd = await HandleWithFloorsAsync(Bucket("public-read", [.. Exempt, ("bucketguard:data-class", "public")]), ended);
        var unread = await HandleWithFloorsAsync(Bucket("public-read", [.. Exempt, ("bucketguard:data-class", "public")]), failing);

        Assert.Equal((Outcome.Exempted, DataClass.Public), (afterEnd.Verdict.Outcome, afterEnd.Verdict.DataClass));
        Assert.Equal(Outcome.Exempted, unread.Verdict.Outcome);
        Assert.Contains("the class it held recently could not be read (ProvisionedThroughputExceededException), so a lowered tag counts as it is", unread.Verdict.DataClassSource, StringComparison.Ordinal);
    }
}
