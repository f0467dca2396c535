using System.Collections.Immutable;
using System.Text.Json.Nodes;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Tests;

/// <summary>Every branch of the remediation decision, through the pipeline, with fakes of the S3 and SNS adapters.</summary>
public class RemediationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 9, 30, 20, TimeSpan.Zero);

    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static BucketState Bucket(string canned = "private", string? policy = null, PublicAccessBlock? block = null, string? owner = null, bool? s3Public = null, params string[] problems) =>
        new("reports", true, CannedAcl.Expand(canned).Value, policy, block, null, null,
            owner is null ? [] : [new Tag("bucketguard:owner", owner)], s3Public, [.. problems]);

    private static string Event(string eventName = "PutBucketAcl", string bucket = "reports", string extra = "", string actor = "arn:aws:sts::111122223333:assumed-role/Dev/ann", string issuer = "arn:aws:iam::111122223333:role/Dev") => $$"""
        {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"111122223333","region":"eu-west-1",
         "detail":{"eventSource":"s3.amazonaws.com","eventName":"{{eventName}}","eventTime":"2026-11-21T09:30:12Z","eventID":"e-1",
           "sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2",
           "userIdentity":{"type":"AssumedRole","arn":"{{actor}}","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"arn":"{{issuer}}"} } },
           "requestParameters":{"bucketName":"{{bucket}}","x-amz-acl":"public-read"}{{extra}} } }
        """;

    /// <summary>The pipeline over one fake; returned twice so tests read as S3 (Applied, Reads) and SNS (Sent).</summary>
    private static (RemediationPipeline Pipeline, FakeAws S3, FakeAws Sns) Pipeline(BucketState state, RemediationPolicy? policy = null, FakeAws? fake = null)
    {
        fake ??= new FakeAws(state);
        return (fake.Pipeline(policy, new FixedClock()), fake, fake);
    }

    [Fact]
    public async Task A_public_bucket_is_blocked_with_every_flag_and_one_remediated_notification_goes_out()
    {
        var (pipeline, s3, sns) = Pipeline(Bucket("public-read", owner: "web-team@example.com"));

        var handled = await pipeline.HandleAsync(Event(), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Equal([PublicAccessBlock.All], s3.Applied);
        Assert.Equal(TimeSpan.FromSeconds(8), handled.EventToBlock);
        var sent = Assert.Single(sns.Sent);
        Assert.Equal("remediated", sent.Attributes["event"]);
        Assert.Equal("high", sent.Attributes["severity"]);
        Assert.Equal("reports", sent.Attributes["bucket"]);
        Assert.Equal("111122223333", sent.Attributes["account"]);
        Assert.Equal("web-team@example.com", sent.Attributes["owner"]);
        Assert.Contains("PutBucketAcl by arn:aws:sts::111122223333:assumed-role/Dev/ann", sent.Text, StringComparison.Ordinal);
        Assert.Contains("access key ASIAEXAMPLE, from 198.51.100.23, user agent aws-cli/2", sent.Text, StringComparison.Ordinal);
        Assert.Contains("AllUsers may READ", sent.Text, StringComparison.Ordinal);
        Assert.Contains("aws s3api delete-public-access-block --bucket reports", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flags_already_on_are_kept_and_the_undo_command_restores_exactly_them()
    {
        var existing = PublicAccessBlock.None with { BlockPublicPolicy = true };
        var policy = RemediationPolicy.Default with { Flags = PublicAccessBlock.None with { BlockPublicAcls = true, IgnorePublicAcls = true } };
        var (pipeline, s3, sns) = Pipeline(Bucket("public-read", block: existing), policy);

        await pipeline.HandleAsync(Event(), default);

        Assert.Equal([PublicAccessBlock.None with { BlockPublicAcls = true, IgnorePublicAcls = true, BlockPublicPolicy = true }], s3.Applied);
        Assert.Contains("put-public-access-block --bucket reports --public-access-block-configuration BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=true,RestrictPublicBuckets=false", sns.Sent.Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replayed_event_finds_the_block_in_force_changes_nothing_and_reports_again_under_the_same_event_id()
    {
        var (pipeline, s3, sns) = Pipeline(Bucket("public-read"));
        await pipeline.HandleAsync(Event(), default);

        var replay = await pipeline.HandleAsync(Event(), default);

        Assert.Equal(Outcome.AlreadyBlocked, replay.Verdict.Outcome);
        Assert.Contains("IgnorePublicAcls (bucket)", replay.Verdict.Why, StringComparison.Ordinal);
        Assert.Single(s3.Applied);

        // A replay cannot be told from Lambda's retry of an event whose report failed: reported, with the same eventId.
        Assert.Equal(["remediated", "already-blocked"], sns.Sent.Select(n => n.Attributes["event"]));
        Assert.All(sns.Sent, n => Assert.Equal("e-1", n.Attributes["eventId"]));
    }

    [Fact]
    public async Task Notify_mode_changes_nothing_and_says_what_it_would_apply()
    {
        var (pipeline, s3, sns) = Pipeline(Bucket("public-read"), RemediationPolicy.Default with { Mode = Mode.Notify });

        var handled = await pipeline.HandleAsync(Event(), default);

        Assert.Equal(Outcome.WouldBlock, handled.Verdict.Outcome);
        Assert.Empty(s3.Applied);
        var sent = Assert.Single(sns.Sent);
        Assert.Equal("would-remediate", sent.Attributes["event"]);
        Assert.Contains("Nothing (mode notify). It would put Block Public Access: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Public_write_is_critical()
    {
        var (pipeline, _, sns) = Pipeline(Bucket("public-read-write"));

        await pipeline.HandleAsync(Event(), default);

        Assert.Equal("critical", sns.Sent.Single().Attributes["severity"]);
    }

    [Fact]
    public async Task A_failed_remediation_is_a_critical_remediation_failed_notification()
    {
        var state = Bucket("public-read");
        var (pipeline, _, sns) = Pipeline(state, fake: new FakeAws(state) { FailWith = "PutPublicAccessBlock: AccessDenied" });

        var handled = await pipeline.HandleAsync(Event(), default);

        Assert.False(handled.Result!.Succeeded);
        var sent = Assert.Single(sns.Sent);
        Assert.Equal("remediation-failed", sent.Attributes["event"]);
        Assert.Equal("critical", sent.Attributes["severity"]);
        Assert.StartsWith("BucketGuard could NOT lock public bucket reports", sent.Subject, StringComparison.Ordinal);
        Assert.Contains("FAILED: PutPublicAccessBlock: AccessDenied", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_notification_cannot_be_sent_the_invocation_fails_so_lambda_retries_it()
    {
        var (pipeline, _, _) = Pipeline(Bucket("public-read"), fake: new FakeAws(Bucket("public-read")) { SnsDown = true });

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => pipeline.HandleAsync(Event(), default));
    }

    [Theory]
    [InlineData(",\"errorCode\":\"AccessDenied\"", "failed (AccessDenied)")]
    [InlineData("", "was BucketGuard's own remediation")]
    public async Task Failed_calls_and_bucketguards_own_calls_are_skipped_without_reading_the_bucket(string extra, string why)
    {
        var policy = RemediationPolicy.Default with { OwnPrincipals = extra.Length == 0 ? ["arn:aws:iam::111122223333:role/Dev"] : [] };
        var (pipeline, s3, sns) = Pipeline(Bucket("public-read"), policy);

        var handled = await pipeline.HandleAsync(Event(extra: extra), default);

        Assert.Equal(Outcome.Skipped, handled.Verdict.Outcome);
        Assert.Contains(why, handled.Verdict.Why, StringComparison.Ordinal);
        Assert.Equal(0, s3.Reads);
        Assert.Empty(sns.Sent);
    }

    [Fact]
    public async Task The_user_agent_never_makes_a_call_count_as_bucketguards_own()
    {
        var policy = RemediationPolicy.Default with { OwnPrincipals = ["arn:aws:iam::111122223333:role/BucketGuard"] };
        var (pipeline, s3, _) = Pipeline(Bucket("public-read"), policy);

        var handled = await pipeline.HandleAsync(Event().Replace("aws-cli/2", "bucketguard arn:aws:iam::111122223333:role/BucketGuard", StringComparison.Ordinal), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Single(s3.Applied);
    }

    [Theory]
    [InlineData("GetObject", Outcome.Skipped)]
    [InlineData("GetObjectAcl", Outcome.Skipped)]
    public async Task Events_that_do_not_change_a_bucket_are_skipped(string eventName, Outcome outcome)
    {
        var (pipeline, s3, sns) = Pipeline(Bucket("public-read"));

        var handled = await pipeline.HandleAsync(Event(eventName), default);

        Assert.Equal(outcome, handled.Verdict.Outcome);
        Assert.Equal(0, s3.Reads);
        Assert.Empty(sns.Sent);
    }

    [Theory]
    [InlineData("DeleteAccountPublicAccessBlock", false, "critical")]
    [InlineData("PutAccountPublicAccessBlock", false, "critical")]
    [InlineData("PutAccountPublicAccessBlock", true, "low")]
    public async Task Account_level_block_changes_are_reported_and_never_changed_critical_unless_fully_on(string eventName, bool allOn, string severity)
    {
        var (pipeline, s3, sns) = Pipeline(Bucket());
        var json = JsonNode.Parse(Event(eventName))!;
        var parameters = new JsonObject { ["host"] = "111122223333.s3-control.eu-west-1.amazonaws.com" };
        if (eventName.StartsWith("Put", StringComparison.Ordinal))
        {
            parameters["PublicAccessBlockConfiguration"] = new JsonObject
            {
                ["BlockPublicAcls"] = allOn,
                ["IgnorePublicAcls"] = allOn,
                ["BlockPublicPolicy"] = allOn,
                ["RestrictPublicBuckets"] = allOn,
            };
        }

        json["detail"]!["requestParameters"] = parameters;

        var handled = await pipeline.HandleAsync(json.ToJsonString(), default);

        Assert.Equal(Outcome.AccountBlockChanged, handled.Verdict.Outcome);
        Assert.Equal(0, s3.Reads);
        Assert.Empty(s3.Applied);
        var sent = Assert.Single(sns.Sent);
        Assert.Equal("account-block-changed", sent.Attributes["event"]);
        Assert.Equal(severity, sent.Attributes["severity"]);
    }

    [Fact]
    public async Task An_event_naming_no_bucket_cannot_be_acted_on_and_says_so()
    {
        var (pipeline, s3, sns) = Pipeline(Bucket("public-read"));

        var handled = await pipeline.HandleAsync(Event(bucket: ""), default);

        Assert.Equal(Outcome.Incomplete, handled.Verdict.Outcome);
        Assert.Equal(0, s3.Reads);
        Assert.Equal("evaluation-incomplete", sns.Sent.Single().Attributes["event"]);
    }

    [Fact]
    public async Task A_bucket_deleted_before_it_was_read_ends_in_a_bucket_gone_notification()
    {
        var (pipeline, s3, sns) = Pipeline(BucketState.Gone("reports"));

        var handled = await pipeline.HandleAsync(Event(), default);

        Assert.Equal(Outcome.BucketGone, handled.Verdict.Outcome);
        Assert.Empty(s3.Applied);
        Assert.Equal("bucket-gone", sns.Sent.Single().Attributes["event"]);
    }

    [Fact]
    public async Task A_private_bucket_needs_nothing_and_no_notification()
    {
        var (pipeline, s3, sns) = Pipeline(Bucket("private"));

        var handled = await pipeline.HandleAsync(Event(), default);

        Assert.Equal(Outcome.NothingToDo, handled.Verdict.Outcome);
        Assert.Empty(s3.Applied);
        Assert.Empty(sns.Sent);
    }

    [Fact]
    public async Task A_denied_read_with_nothing_public_seen_is_reported_not_guessed()
    {
        var (pipeline, s3, sns) = Pipeline(Bucket("private", null, null, null, null, "GetBucketPolicy: AccessDenied"));

        var handled = await pipeline.HandleAsync(Event(), default);

        Assert.Equal(Outcome.Incomplete, handled.Verdict.Outcome);
        Assert.Empty(s3.Applied);
        var sent = Assert.Single(sns.Sent);
        Assert.Equal("evaluation-incomplete", sent.Attributes["event"]);
        Assert.Contains("GetBucketPolicy: AccessDenied", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_part_is_blocked_even_when_another_read_failed_and_the_failure_is_stated()
    {
        var (pipeline, s3, sns) = Pipeline(Bucket("public-read", null, null, null, null, "GetBucketTagging: AccessDenied"));

        await pipeline.HandleAsync(Event(), default);

        Assert.Single(s3.Applied);
        Assert.Contains("Could not read: GetBucketTagging: AccessDenied", sns.Sent.Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_s3_says_the_policy_is_public_and_the_evaluator_does_not_the_bucket_is_blocked_and_both_verdicts_are_reported()
    {
        var fixedPolicy = """{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject"}}""";
        var (pipeline, s3, sns) = Pipeline(Bucket("private", fixedPolicy, s3Public: true));

        var handled = await pipeline.HandleAsync(Event("PutBucketPolicy"), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Contains("S3 (GetBucketPolicyStatus) says the policy is public; BucketGuard's evaluator says it is not public", handled.Verdict.Disagreement, StringComparison.Ordinal);
        Assert.Contains("Disagreement:", sns.Sent.Single().Text, StringComparison.Ordinal);
        Assert.Single(s3.Applied);
    }

    [Fact]
    public async Task S3s_verdict_is_ignored_when_the_endpoint_is_not_aws()
    {
        var fixedPolicy = """{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject"}}""";
        var (pipeline, s3, _) = Pipeline(Bucket("private", fixedPolicy, s3Public: true), RemediationPolicy.Default with { TrustS3PolicyStatus = false });

        var handled = await pipeline.HandleAsync(Event("PutBucketPolicy"), default);

        Assert.Equal(Outcome.NothingToDo, handled.Verdict.Outcome);
        Assert.Empty(s3.Applied);
    }

    [Fact]
    public async Task A_malformed_event_ends_in_a_notification_to_the_security_team()
    {
        var (pipeline, s3, sns) = Pipeline(Bucket());

        var handled = await pipeline.HandleAsync("{\"detail\": ", default);

        Assert.Null(handled.Change);
        Assert.Equal(0, s3.Reads);
        var sent = Assert.Single(sns.Sent);
        Assert.Equal("malformed-event", sent.Attributes["event"]);
        Assert.Contains("not valid JSON", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Subjects_stay_within_snss_limits_even_for_the_longest_bucket_names()
    {
        var name = new string('b', 63);
        var verdict = new Verdict(Outcome.Block, "x", Severity.High, AclEvaluator.Evaluate(CannedAcl.Expand("public-read-write").Value!));

        var subject = Notifications.Subject("remediated", name + "\n", "111122223333", verdict);

        Assert.True(subject.Length <= 100);
        Assert.DoesNotContain('\n', subject);
    }

    [Theory]
    [InlineData("BUCKETGUARD_MODE", "audit", "neither enforce nor notify")]
    [InlineData("BUCKETGUARD_BLOCK_FLAGS", "BlockEverything", "unknown flag \"BlockEverything\"")]
    [InlineData("BUCKETGUARD_S3_POLICY_STATUS", "maybe", "neither on nor off")]
    public void A_remediation_setting_that_cannot_be_understood_is_an_error_not_a_default(string name, string value, string message)
    {
        var policy = RemediationPolicy.FromEnvironment(n => n == name ? value : null);

        Assert.False(policy.Ok);
        Assert.Contains(message, policy.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Remediation_settings_are_read_from_the_environment()
    {
        var env = new Dictionary<string, string>
        {
            ["BUCKETGUARD_MODE"] = "notify",
            ["BUCKETGUARD_BLOCK_FLAGS"] = "BlockPublicAcls, IgnorePublicAcls",
            ["BUCKETGUARD_TAG_PREFIX"] = "sec:",
            ["BUCKETGUARD_S3_POLICY_STATUS"] = "off",
            ["BUCKETGUARD_ROLE_ARNS"] = "arn:aws:iam::1:role/a, arn:aws:iam::1:role/b",
        };

        var policy = RemediationPolicy.FromEnvironment(env.GetValueOrDefault).Value!;

        Assert.Equal(Mode.Notify, policy.Mode);
        Assert.Equal(PublicAccessBlock.None with { BlockPublicAcls = true, IgnorePublicAcls = true }, policy.Flags);
        Assert.Equal("sec:owner", policy.OwnerTag);
        Assert.False(policy.TrustS3PolicyStatus);
        Assert.Equal(["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"], policy.OwnPrincipals.AsEnumerable());
    }

    [Fact]
    public void The_decision_log_and_metrics_lines_are_json_with_the_counts()
    {
        var handled = new HandledEvent(null, new Verdict(Outcome.Block, "public", Severity.High, Apply: PublicAccessBlock.All), new ActionResult(PublicAccessBlock.All, null), null, null, TimeSpan.FromMilliseconds(1234));

        var log = JsonNode.Parse(DecisionRecord.LogLine("acl", "req-1", handled, Now))!;
        var emf = JsonNode.Parse(DecisionRecord.Metrics("acl", handled, Now))!;

        Assert.Equal("req-1", log["requestId"]!.GetValue<string>());
        Assert.Equal("Block", log["outcome"]!.GetValue<string>());
        Assert.Equal(1234, log["eventToBlockMs"]!.GetValue<long>());
        Assert.Equal("BucketGuard", emf["_aws"]!["CloudWatchMetrics"]![0]!["Namespace"]!.GetValue<string>());
        Assert.Equal(1, emf["Remediated"]!.GetValue<int>());
        Assert.Equal(0, emf["Skipped"]!.GetValue<int>());
        Assert.Equal(1234, emf["EventToBlock"]!.GetValue<double>());
    }
}
