using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Tests;

/// <summary>Issue 17: one path from change to report, and the outputs behind one port (SNS, chat, Security Hub,
/// EventBridge) that each receive the whole decision.</summary>
public class OutputTests
{
    private sealed class Clock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 11, 21, 9, 30, 15, TimeSpan.Zero);
    }

    /// <summary>An output that records what it is given, and fails when told to.</summary>
    private sealed class Recording(string name, bool fails = false) : IDecisionOutput
    {
        public List<BucketDecision> Decisions { get; } = [];

        public List<string?> Summaries { get; } = [];

        public string Name => name;

        public Task<string?> PublishAsync(BucketDecision decision, CancellationToken cancellationToken)
        {
            Decisions.Add(decision);
            return fails ? throw new InvalidOperationException($"{name} is down") : Task.FromResult<string?>(name + "-id");
        }

        public Task PublishSummaryAsync(SweepCounts report, string? account, bool organization, CancellationToken cancellationToken)
        {
            Summaries.Add(account);
            return Task.CompletedTask;
        }
    }

    private sealed class OneBucket : IBucketLister
    {
        public async IAsyncEnumerable<BucketRef> ListAsync(string? account, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new BucketRef("reports", "eu-west-1");
        }
    }

    private static BucketState Bucket(string canned = "private", PublicAccessBlock? block = null, params Tag[] tags) =>
        new("reports", true, CannedAcl.Expand(canned).Value, null, block, null, null, [.. tags], null, []);

    /// <summary>A private bucket whose ACLs are disabled (BucketOwnerEnforced): nothing about it is a risk.</summary>
    private static BucketState Enforced() => Bucket() with { ObjectOwnership = "BucketOwnerEnforced" };

    private static string AclEvent(string canned = "public-read", string sourceIp = "198.51.100.23", string actor = "arn:aws:sts::111122223333:assumed-role/Dev/ann") => $$"""
        {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"111122223333","region":"eu-west-1",
         "detail":{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","eventTime":"2026-11-21T09:30:12Z","eventID":"e-17",
           "sourceIPAddress":{{System.Text.Json.JsonSerializer.Serialize(sourceIp)}},"userAgent":"aws-cli/2",
           "userIdentity":{"type":"AssumedRole","arn":{{System.Text.Json.JsonSerializer.Serialize(actor)}},"sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/Dev"} } },
           "requestParameters":{"bucketName":"reports","x-amz-acl":"{{canned}}"} } }
        """;

    private static RemediationPipeline Pipeline(FakeAws fake, RemediationPolicy? policy = null, params IDecisionOutput[] outputs) =>
        new(fake.Ports, [new NotificationOutput(fake), .. outputs], policy ?? RemediationPolicy.Default, new Clock());

    /// <summary>An exemption ending within the warning days: the sweep announces it too (a known, lasting one it does not
    /// re-announce daily, by Notifications.EventType's rule).</summary>
    private static Tag[] Exemption(string scope = "read-list") =>
    [
        new("bucketguard:exempt-until", "2026-11-25"), new("bucketguard:exempt-reason", "public website"), new("bucketguard:exempt-scope", scope),
    ];

    [Theory]
    [InlineData("public-read", false)]
    [InlineData("public-read-write", false)]
    [InlineData("public-read", true)]
    public async Task The_sweep_and_the_event_path_make_the_same_decision_notification_and_finding_for_the_same_bucket_state(string canned, bool exempt)
    {
        var state = Bucket(canned, tags: exempt ? Exemption() : []);
        var onEvent = new Recording("probe");
        var onSweep = new Recording("probe");
        var eventFake = new FakeAws(state);
        var sweepFake = new FakeAws(state);

        await Pipeline(eventFake, outputs: onEvent).HandleAsync(AclEvent(canned), default);
        await new Sweeper(new OneBucket(), Pipeline(sweepFake, outputs: onSweep)).RunAsync("111122223333", act: true, concurrency: 1);

        var e = Assert.Single(onEvent.Decisions);
        var s = Assert.Single(onSweep.Decisions);
        Assert.Equal(e.Verdict.Outcome, s.Verdict.Outcome);
        Assert.Equal(e.Verdict.Severity, s.Verdict.Severity);
        Assert.Equal(e.Verdict.Apply, s.Verdict.Apply);
        Assert.Equal(e.Verdict.Exposure!.Findings.Select(FindingJson.Describe), s.Verdict.Exposure!.Findings.Select(FindingJson.Describe));
        Assert.Equal(eventFake.Applied, sweepFake.Applied);
        foreach (var attribute in new[] { "event", "severity", "bucket", "account" })
        {
            Assert.Equal(e.Notification!.Attributes[attribute], s.Notification!.Attributes[attribute]);
        }

        Assert.Equal(e.Notification!.Subject, s.Notification!.Subject);
        var (ef, sf) = (SecurityHubFinding.For(e)!, SecurityHubFinding.For(s)!);
        Assert.Equal((ef.Id, ef.ComplianceStatus, ef.WorkflowStatus, ef.RecordState, ef.SeverityLabel, ef.Title), (sf.Id, sf.ComplianceStatus, sf.WorkflowStatus, sf.RecordState, sf.SeverityLabel, sf.Title));
        Assert.Equal(exempt ? "SUPPRESSED" : "RESOLVED", ef.WorkflowStatus);
    }

    [Fact]
    public async Task A_public_bucket_is_an_active_failed_finding_in_mode_notify_and_the_same_finding_resolved_and_archived_once_locked()
    {
        var fake = new FakeAws(Bucket("public-read"));
        var output = new Recording("probe");

        await Pipeline(fake, RemediationPolicy.Default with { Mode = Mode.Notify }, output).HandleAsync(AclEvent(), default);
        await Pipeline(fake, outputs: output).HandleAsync(AclEvent(), default);

        var (found, locked) = (SecurityHubFinding.For(output.Decisions[0])!, SecurityHubFinding.For(output.Decisions[1])!);
        Assert.Equal(found.Id, locked.Id);
        Assert.Equal("bucketguard/s3-public-access/111122223333/reports", found.Id);
        Assert.Equal(("FAILED", "NEW", "ACTIVE", "HIGH"), (found.ComplianceStatus, found.WorkflowStatus, found.RecordState, found.SeverityLabel));
        Assert.Equal(("PASSED", "RESOLVED", "ARCHIVED"), (locked.ComplianceStatus, locked.WorkflowStatus, locked.RecordState));
        Assert.Equal(PublicAccessBlock.All, locked.BlockInForce);
        Assert.Contains("Effects/Data Exposure", locked.Types);
        Assert.Equal("PutBucketAcl", locked.ProductFields["bucketguard/EventName"]);
    }

    [Fact]
    public async Task A_lock_that_fails_is_a_critical_active_finding()
    {
        var fake = new FakeAws(Bucket("public-read")) { FailWith = "PutPublicAccessBlock: AccessDenied" };
        var output = new Recording("probe");

        await Pipeline(fake, outputs: output).HandleAsync(AclEvent(), default);

        var finding = SecurityHubFinding.For(Assert.Single(output.Decisions))!;
        Assert.Equal(("FAILED", "ACTIVE", "CRITICAL"), (finding.ComplianceStatus, finding.RecordState, finding.SeverityLabel));
        Assert.Contains("could not lock", finding.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sweep_makes_no_finding_for_a_private_bucket_but_an_event_that_leaves_a_bucket_private_resolves_its_finding()
    {
        var output = new Recording("probe");
        await new Sweeper(new OneBucket(), Pipeline(new FakeAws(Enforced()), outputs: output)).RunAsync("111122223333", act: true, concurrency: 1);
        await Pipeline(new FakeAws(Enforced()), outputs: output).HandleAsync(AclEvent("private"), default);

        Assert.Equal(2, output.Decisions.Count);
        Assert.Null(SecurityHubFinding.For(output.Decisions[0]));
        var resolved = SecurityHubFinding.For(output.Decisions[1])!;
        Assert.Equal(("PASSED", "ARCHIVED"), (resolved.ComplianceStatus, resolved.RecordState));
        Assert.Equal(["111122223333"], output.Summaries);
    }

    [Fact]
    public async Task When_one_output_fails_every_other_is_still_tried_and_the_event_fails_naming_the_output_and_what_was_done()
    {
        var fake = new FakeAws(Bucket("public-read"));
        var securityHub = new Recording("security-hub", fails: true);
        var events = new Recording("eventbridge");

        var error = await Assert.ThrowsAsync<OutputsFailedException>(() => Pipeline(fake, outputs: [securityHub, events]).HandleAsync(AclEvent(), default));

        Assert.Single(fake.Sent);
        Assert.Single(events.Decisions);
        Assert.Equal(["security-hub: security-hub is down"], error.Failures.AsEnumerable());
        Assert.Equal(Outcome.Block, error.Handled.Verdict.Outcome);
        Assert.True(error.Handled.Result!.Succeeded);
        Assert.Single(fake.Applied);
    }

    [Fact]
    public async Task A_sweep_whose_outputs_fail_for_a_bucket_counts_an_error_and_keeps_what_was_done()
    {
        var fake = new FakeAws(Bucket("public-read"));
        var report = await new Sweeper(new OneBucket(), Pipeline(fake, outputs: new Recording("chat", fails: true))).RunAsync("111122223333", act: true, concurrency: 1);

        var bucket = Assert.Single(report.Buckets);
        Assert.True(bucket.Locked);
        Assert.StartsWith("not reported: chat: chat is down", bucket.Error, StringComparison.Ordinal);
        Assert.Equal(1, report.Errors);
    }

    [Fact]
    public async Task An_unreadable_event_reaches_every_output_but_makes_no_finding()
    {
        var output = new Recording("probe");
        var fake = new FakeAws(Bucket());

        await Pipeline(fake, outputs: output).HandleAsync("{not json", default);

        var decision = Assert.Single(output.Decisions);
        Assert.Equal("malformed-event", decision.EventType);
        Assert.Equal("malformed-event", Assert.Single(fake.Sent).Attributes["event"]);
        Assert.Null(SecurityHubFinding.For(decision));
        Assert.Equal("{not json", decision.MalformedInput);
    }

    [Fact]
    public async Task Audit_without_fix_judges_through_the_same_pipeline_but_neither_locks_nor_publishes()
    {
        var fake = new FakeAws(Bucket("public-read"));
        var output = new Recording("probe");

        var report = await new Sweeper(new OneBucket(), Pipeline(fake, outputs: output)).RunAsync(null, act: false, concurrency: 1);

        Assert.Equal(Outcome.WouldBlock, Assert.Single(report.Buckets).Verdict!.Outcome);
        Assert.Empty(fake.Applied);
        Assert.Empty(fake.Sent);
        Assert.Empty(output.Decisions);
        Assert.Empty(output.Summaries);
    }

    [Fact]
    public async Task The_chat_card_follows_the_custom_notification_schema_and_shows_event_text_only_as_literal_code()
    {
        var fake = new FakeAws(Bucket("public-read"));
        var chat = new FakeAws(Bucket());
        await new RemediationPipeline(fake.Ports, [new ChatOutput(chat)], RemediationPolicy.Default, new Clock())
            .HandleAsync(AclEvent(sourceIp: "<https://evil.example|click here> @channel *bold*", actor: "arn:aws:sts::111122223333:assumed-role/Dev/`ann`\n# Heading"), default);

        var sent = Assert.Single(chat.Sent);
        var card = JsonNode.Parse(sent.Document)!;
        Assert.Equal("1.0", card["version"]!.GetValue<string>());
        Assert.Equal("custom", card["source"]!.GetValue<string>());
        Assert.Equal("client-markdown", card["content"]!["textType"]!.GetValue<string>());
        Assert.Equal("remediated", card["metadata"]!["eventType"]!.GetValue<string>());
        Assert.Equal("bucketguard/111122223333/reports", card["metadata"]!["threadId"]!.GetValue<string>());
        Assert.Equal(["arn:aws:s3:::reports"], card["metadata"]!["relatedResources"]!.AsArray().Select(r => r!.GetValue<string>()));
        var description = card["content"]!["description"]!.GetValue<string>();
        Assert.Contains("`<https://evil.example|click here> @channel *bold*`", description, StringComparison.Ordinal);
        Assert.Contains("`arn:aws:sts::111122223333:assumed-role/Dev/'ann'\\u000A# Heading`", description, StringComparison.Ordinal);
        Assert.DoesNotContain("\n# Heading", description, StringComparison.Ordinal);
        Assert.StartsWith("BucketGuard applied S3 Block Public Access to bucket reports", sent.Text, StringComparison.Ordinal); // e-mail subscribers of the chat topic still read text
        Assert.Equal("remediated", sent.Attributes["event"]);
    }

    [Fact]
    public void A_chat_card_with_many_findings_lists_a_few_and_stays_short()
    {
        var statements = string.Join(",", Enumerable.Range(0, 80).Select(i => $$"""{"Sid":"S{{i}}","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/{{i}}/*"}"""));
        var state = new BucketState("reports", true, CannedAcl.Expand("private").Value, $$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""", null, null, null, [], null, []);
        var change = CloudTrailEventParser.Parse(AclEvent("private")).Value!;
        var verdict = Remediation.Decide(change, state, RemediationPolicy.Default, new DateOnly(2026, 11, 21));
        var decision = new BucketDecision(change, verdict, state, new ActionResult(PublicAccessBlock.All, null), RemediationPolicy.Default, DateTimeOffset.UnixEpoch);

        var card = JsonNode.Parse(ChatMessage.For(decision, decision.Notification!))!;

        var description = card["content"]!["description"]!.GetValue<string>();
        Assert.True(description.Length <= ChatMessage.MaxDescriptionLength + 1, $"{description.Length} characters");
        Assert.Contains("and 75 more finding(s)", description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("BUCKETGUARD_SWEEP_CONCURRENCY", "0", "not a number of buckets from 1 to 1000")]
    [InlineData("BUCKETGUARD_SWEEP_CONCURRENCY", "-5", "not a number of buckets from 1 to 1000")]
    [InlineData("BUCKETGUARD_SWEEP_CONCURRENCY", "lots", "not a number of buckets from 1 to 1000")]
    [InlineData("BUCKETGUARD_SECURITY_HUB", "yes", "neither on nor off")]
    [InlineData("BUCKETGUARD_SWEEP_ORGANIZATION", "true", "neither on nor off")]
    [InlineData("BUCKETGUARD_LOG_LEVEL", "verbose", "is not debug, info or warn")]
    [InlineData("BUCKETGUARD_EVENT_BUS", "my bus", "neither an event bus name")]
    [InlineData("BUCKETGUARD_EVENT_BUS", "arn:aws:sqs:us-east-1:111122223333:q", "neither an event bus name")]
    [InlineData("BUCKETGUARD_CHAT_TOPIC_ARN", "chat-topic", "is not an SNS topic ARN")]
    [InlineData("BUCKETGUARD_TOPIC_ARN", "arn:aws:sqs:us-east-1:111122223333:q", "is not an SNS topic ARN")]
    [InlineData("BUCKETGUARD_MODE", "lockdown", "neither enforce nor notify")]
    public void A_setting_that_cannot_be_understood_is_an_error_naming_it_never_a_silent_default(string name, string value, string error)
    {
        var parsed = BucketGuardSettings.FromEnvironment(n => n == name ? value : null);

        Assert.False(parsed.Ok);
        Assert.Contains(name, parsed.Error, StringComparison.Ordinal);
        Assert.Contains(error, parsed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_left_unset_are_the_documented_defaults_and_set_ones_are_taken()
    {
        var defaults = BucketGuardSettings.FromEnvironment(_ => null).Value!;
        Assert.Equal((null, null, false, null, 64, false, false), (defaults.TopicArn, defaults.ChatTopicArn, defaults.SecurityHub, defaults.EventBus, defaults.SweepConcurrency, defaults.Quiet, defaults.SweepOrganization));

        var set = new Dictionary<string, string>
        {
            ["BUCKETGUARD_TOPIC_ARN"] = "arn:aws:sns:eu-west-1:111122223333:bucketguard",
            ["BUCKETGUARD_CHAT_TOPIC_ARN"] = "arn:aws:sns:eu-west-1:111122223333:chat",
            ["BUCKETGUARD_SECURITY_HUB"] = "on",
            ["BUCKETGUARD_EVENT_BUS"] = "arn:aws:events:eu-west-1:111122223333:event-bus/soar",
            ["BUCKETGUARD_SWEEP_CONCURRENCY"] = "8",
            ["BUCKETGUARD_LOG_LEVEL"] = "warn",
        };
        var parsed = BucketGuardSettings.FromEnvironment(n => set.GetValueOrDefault(n)).Value!;
        Assert.Equal(("arn:aws:sns:eu-west-1:111122223333:chat", true, "arn:aws:events:eu-west-1:111122223333:event-bus/soar", 8, true),
            (parsed.ChatTopicArn, parsed.SecurityHub, parsed.EventBus, parsed.SweepConcurrency, parsed.Quiet));
    }

    [Fact]
    public void Every_outcome_has_a_finding_rule_and_only_skips_and_account_changes_make_none()
    {
        var change = CloudTrailEventParser.Parse(AclEvent()).Value!;
        var state = Bucket("public-read");
        foreach (var outcome in Enum.GetValues<Outcome>())
        {
            var decision = new BucketDecision(change, new Verdict(outcome, "why", Severity.High), state, null, RemediationPolicy.Default, DateTimeOffset.UnixEpoch);
            var finding = SecurityHubFinding.For(decision);
            Assert.True((finding is null) == (outcome is Outcome.Skipped or Outcome.AccountBlockChanged), $"{outcome}: {finding}");
        }
    }

    [Fact]
    public void Severities_map_to_asff_labels()
    {
        Assert.Equal(["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"], Enum.GetValues<Severity>().Select(SecurityHubFinding.Label));
    }

    [Fact]
    public void Routing_is_one_table_the_parser_and_the_handlers_read()
    {
        Assert.Equal(EventRouting.Routes.Select(r => r.EventName).Order(), CloudTrailEventParser.EventNames.Order());
        Assert.Equal(
            EventRouting.Routes.Where(r => r.Handler is not null).Select(r => r.EventName).Order(),
            BucketGuard.Functions.Handlers.EventNames.Values.SelectMany(n => n).Order());
        foreach (var route in EventRouting.Routes)
        {
            Assert.Equal(route.Kind, CloudTrailEventParser.Parse($$"""{"detail":{"eventSource":"s3.amazonaws.com","eventName":"{{route.EventName}}","requestParameters":{"bucketName":"reports"} } }""").Value!.Kind);
        }
    }
}
