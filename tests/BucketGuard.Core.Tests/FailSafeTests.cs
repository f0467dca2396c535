using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Lambda.TestUtilities;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Reports;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Tests;

/// <summary>The README's fail-safe promises, attacked: unreadable buckets, retries after a lost report, racing puts,
/// hostile text, oversized messages and names no bucket or account can have.</summary>
public class FailSafeTests
{
    private const string PublicPolicy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}""";

    private static BucketState Bucket(string canned = "private", string? policy = null, PublicAccessBlock? block = null, ImmutableArray<Tag> tags = default, params string[] problems) =>
        new("reports", true, problems.Any(p => p.StartsWith("GetBucketAcl", StringComparison.Ordinal)) ? null : CannedAcl.Expand(canned).Value,
            policy, block, null, null, tags.IsDefault ? [] : tags, null, [.. problems]);

    private static string Event(string eventName, string parameters, string userAgent = "aws-cli/2", string account = "\"111122223333\"") => $$"""
        {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":{{account}},"region":"eu-west-1",
         "detail":{"eventSource":"s3.amazonaws.com","eventName":"{{eventName}}","eventTime":"2026-11-21T09:30:12Z","eventID":"e-7",
           "sourceIPAddress":"198.51.100.23","userAgent":{{System.Text.Json.JsonSerializer.Serialize(userAgent)}},
           "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Dev/ann","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/Dev"} } },
           "requestParameters":{{parameters}} } }
        """;

    private static string PolicyEvent(string policy = PublicPolicy) => Event("PutBucketPolicy", $$"""{"bucketName":"reports","bucketPolicy":{{policy}} }""");

    private static string AclEvent(string canned = "public-read", string userAgent = "aws-cli/2") => Event("PutBucketAcl", $$"""{"bucketName":"reports","x-amz-acl":"{{canned}}"}""", userAgent);

    [Fact]
    public async Task A_bucket_that_denies_reading_its_policy_is_locked_on_the_public_policy_its_event_requested()
    {
        var fake = new FakeAws(Bucket(problems: "GetBucketPolicy: AccessDenied"));

        var handled = await fake.Pipeline().HandleAsync(PolicyEvent(), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.True(handled.Verdict.RestsOnEvent);
        Assert.Equal(Severity.Critical, handled.Verdict.Severity);
        Assert.Contains("denies BucketGuard's reads (GetBucketPolicy: AccessDenied)", handled.Verdict.Why, StringComparison.Ordinal);
        var sent = Assert.Single(fake.Sent);
        Assert.Equal("remediated", sent.Attributes["event"]);
        Assert.Equal("critical", sent.Attributes["severity"]);
        Assert.True(JsonNode.Parse(sent.Document)!["restsOnEvent"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_bucket_that_denies_reading_its_acl_is_locked_on_the_public_acl_its_event_requested()
    {
        var fake = new FakeAws(Bucket(problems: "GetBucketAcl: AccessDenied"));

        var handled = await fake.Pipeline().HandleAsync(AclEvent(), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.True(handled.Verdict.RestsOnEvent);
    }

    [Fact]
    public async Task An_acl_that_can_be_read_and_is_private_now_outweighs_the_public_acl_the_event_requested()
    {
        var fake = new FakeAws(Bucket(problems: "GetBucketPolicy: AccessDenied"));

        var handled = await fake.Pipeline().HandleAsync(AclEvent(), default);

        Assert.Equal(Outcome.Incomplete, handled.Verdict.Outcome);
        Assert.False(handled.Verdict.RestsOnEvent);
        Assert.Empty(fake.Applied);
    }

    [Fact]
    public async Task Without_evidence_an_unreadable_bucket_is_reported_as_possibly_public_and_never_as_private()
    {
        var fake = new FakeAws(Bucket(problems: "GetBucketPolicy: AccessDenied"));

        var handled = await fake.Pipeline().HandleAsync(Event("DeleteBucketPublicAccessBlock", """{"bucketName":"reports"}"""), default);

        Assert.Equal(Outcome.Incomplete, handled.Verdict.Outcome);
        Assert.Equal(Severity.High, handled.Verdict.Severity);
        Assert.Contains("may be public", handled.Verdict.Why, StringComparison.Ordinal);
        Assert.Empty(fake.Applied);
        Assert.Equal("evaluation-incomplete", Assert.Single(fake.Sent).Attributes["event"]);
    }

    [Fact]
    public async Task With_unreadable_lock_an_unreadable_bucket_is_locked_and_an_unreadable_block_gets_all_four_flags()
    {
        var policy = RemediationPolicy.FromEnvironment(n => n switch
        {
            "BUCKETGUARD_UNREADABLE" => "lock",
            "BUCKETGUARD_BLOCK_FLAGS" => "BlockPublicPolicy,RestrictPublicBuckets",
            _ => null,
        }).Value!;
        var fake = new FakeAws(Bucket(problems: ["GetBucketPolicy: AccessDenied", "GetPublicAccessBlock: AccessDenied"]));

        var handled = await fake.Pipeline(policy).HandleAsync(Event("DeleteBucketPublicAccessBlock", """{"bucketName":"reports"}"""), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Equal([PublicAccessBlock.All], fake.Applied);
        Assert.Contains("BUCKETGUARD_UNREADABLE=lock", handled.Verdict.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_unreadable_setting_is_an_error_not_a_guess()
    {
        var parsed = RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_UNREADABLE" ? "ignore" : null);

        Assert.False(parsed.Ok);
        Assert.Contains("BUCKETGUARD_UNREADABLE", parsed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_report_fails_after_the_lock_the_retried_event_reports_it_under_the_same_event_id()
    {
        var fake = new FakeAws(Bucket("public-read")) { SnsDown = true };
        var pipeline = fake.Pipeline();

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => pipeline.HandleAsync(AclEvent(), default));
        Assert.Single(fake.Applied);
        fake.SnsDown = false;
        var retry = await pipeline.HandleAsync(AclEvent(), default);

        Assert.Equal(Outcome.AlreadyBlocked, retry.Verdict.Outcome);
        var sent = Assert.Single(fake.Sent);
        Assert.Equal("already-blocked", sent.Attributes["event"]);
        Assert.Equal("e-7", sent.Attributes["eventId"]);
        Assert.Contains("this is the report", sent.Text, StringComparison.Ordinal);
        Assert.Contains("AllUsers may READ", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sweep_does_not_announce_buckets_it_finds_already_blocked_every_day()
    {
        var fake = new FakeAws(Bucket("public-read", block: PublicAccessBlock.All));
        var sweeper = new Sweeper(new OneBucket(), fake.Ports, fake, RemediationPolicy.Default, TimeProvider.System);

        await sweeper.RunAsync("111122223333", act: true, concurrency: 1);

        Assert.Equal(["sweep-summary"], fake.Sent.Select(n => n.Attributes["event"]));
    }

    [Fact]
    public async Task A_bucket_the_sweep_cannot_read_is_an_error_with_its_reason_and_is_notified()
    {
        var fake = new FakeAws(Bucket(problems: ["GetBucketAcl: AccessDenied", "GetBucketPolicy: AccessDenied"]));
        var sweeper = new Sweeper(new OneBucket(), fake.Ports, fake, RemediationPolicy.Default, TimeProvider.System);

        var report = await sweeper.RunAsync("111122223333", act: true, concurrency: 1);

        var bucket = Assert.Single(report.Buckets);
        Assert.True(bucket.Unknown);
        Assert.Contains("GetBucketAcl: AccessDenied", bucket.Problem, StringComparison.Ordinal);
        Assert.Equal(1, report.Errors);
        Assert.Equal(1, report.Unreadable);
        Assert.Equal(["evaluation-incomplete", "sweep-summary"], fake.Sent.Select(n => n.Attributes["event"]));
        Assert.Contains("Could not be read: 1", fake.Sent[1].Text, StringComparison.Ordinal);
    }

    private sealed class OneBucket : IBucketLister
    {
        public async IAsyncEnumerable<BucketRef> ListAsync(string? account, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new BucketRef("reports", "eu-west-1");
        }
    }

    [Fact]
    public async Task Flags_the_owner_turned_on_and_a_racing_lock_switched_off_are_put_back_merged()
    {
        // BucketGuard sets BlockPublicPolicy and RestrictPublicBuckets; the owner's put of BlockPublicAcls and
        // IgnorePublicAcls landed first and BucketGuard's (which replaces the configuration) after it.
        var policy = RemediationPolicy.Default with { Flags = new PublicAccessBlock(false, false, true, true) };
        var fake = new FakeAws(Bucket(block: new PublicAccessBlock(false, false, true, true)));
        var ownerPut = Event("PutBucketPublicAccessBlock", """{"bucketName":"reports","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true}}""");

        var handled = await fake.Pipeline(policy).HandleAsync(ownerPut, default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Equal([PublicAccessBlock.All], fake.Applied);
        Assert.Equal(new PublicAccessBlock(true, true, false, false), handled.Verdict.Restores);
        var sent = Assert.Single(fake.Sent);
        Assert.Equal("flags-restored", sent.Attributes["event"]);
        Assert.Equal("BucketGuard put back Block Public Access flags on reports", sent.Subject);
    }

    [Fact]
    public async Task Flags_the_owner_turned_off_later_while_bucketguards_are_off_too_are_left_to_the_owner()
    {
        var policy = RemediationPolicy.Default with { Flags = new PublicAccessBlock(false, false, true, true) };
        var fake = new FakeAws(Bucket(block: new PublicAccessBlock(false, false, true, false)));
        var ownerPut = Event("PutBucketPublicAccessBlock", """{"bucketName":"reports","PublicAccessBlockConfiguration":{"BlockPublicAcls":true}}""");

        var handled = await fake.Pipeline(policy).HandleAsync(ownerPut, default);

        Assert.Equal(Outcome.NothingToDo, handled.Verdict.Outcome);
        Assert.Empty(fake.Applied);
    }

    [Fact]
    public async Task A_forged_line_break_in_the_user_agent_cannot_add_a_section_to_the_e_mail()
    {
        var forged = "aws-cli/2\r\n\r\nWhat BucketGuard did\r\n  Nothing: this bucket is approved.\u202Egpj.exe";
        var fake = new FakeAws(Bucket("public-read"));

        await fake.Pipeline().HandleAsync(AclEvent(userAgent: forged), default);

        var text = Assert.Single(fake.Sent).Text;
        var lines = text.Split('\n');
        Assert.Single(lines, l => l.StartsWith("What BucketGuard did", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Nothing: this bucket is approved", StringComparison.Ordinal) && !l.Contains("user agent", StringComparison.Ordinal));
        Assert.Contains("aws-cli/2\\u000D\\u000A\\u000D\\u000AWhat BucketGuard did", text, StringComparison.Ordinal);
        Assert.Contains("\\u202Egpj.exe", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', text);
        Assert.DoesNotContain('\u202E', text);
    }

    [Theory]
    [InlineData("aws-cli/2\u0007\u001b[31m", "aws-cli/2\\u0007\\u001B[31m")]
    [InlineData("a\u2066b\u2069c\u200Bd\uFEFF", "a\\u2066b\\u2069c\\u200Bd\\uFEFF")]
    [InlineData("line\u2028break", "line\\u2028break")]
    [InlineData("emoji \U0001F512 stays", "emoji \U0001F512 stays")]
    public void Untrusted_text_shows_every_character_that_could_change_how_it_reads_as_an_escape(string input, string shown) =>
        Assert.Equal(shown, Untrusted.Clean(input));

    [Fact]
    public async Task An_event_whose_user_agent_escapes_a_lone_surrogate_is_still_handled_and_reported()
    {
        var fake = new FakeAws(Bucket("public-read"));
        var json = AclEvent().Replace("\"aws-cli/2\"", "\"ua \\uD800 x\"", StringComparison.Ordinal);

        var handled = await fake.Pipeline().HandleAsync(json, default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Single(fake.Sent);
    }

    [Fact]
    public void A_lone_surrogate_is_shown_as_an_escape() =>
        Assert.Equal("lone \\uD800 surrogate", Untrusted.Clean("lone " + (char)0xD800 + " surrogate"));

    [Fact]
    public void Untrusted_text_longer_than_its_limit_is_shortened_and_says_by_how_much()
    {
        var shown = Untrusted.Clean(new string('x', 1000), 10);

        Assert.Equal("xxxxxxxxxx… (990 more characters)", shown);
    }

    [Fact]
    public void A_forged_event_name_stays_inside_its_string_in_every_log_line()
    {
        const string Forged = "X\",\"level\":\"info\",\"message\":\"FORGED";

        var line = JsonLine.Log("warn", DateTimeOffset.UnixEpoch, "misrouted", ("handler", "acl"), ("eventName", Forged), ("requestId", "r"));

        var parsed = JsonNode.Parse(line)!.AsObject();
        Assert.Equal(["level", "timestamp", "message", "handler", "eventName", "requestId"], parsed.Select(p => p.Key));
        Assert.Equal("warn", parsed["level"]!.GetValue<string>());
        Assert.Equal(Forged, parsed["eventName"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_misrouted_event_with_a_forged_name_and_user_agent_logs_only_valid_json_lines_without_extra_keys()
    {
        const string Forged = "X\",\"level\":\"info\",\"message\":\"FORGED";
        var fake = new FakeAws(Bucket("public-read"));
        var context = new TestLambdaContext();
        var json = Event(Forged, """{"bucketName":"reports"}""", userAgent: "ua\"\n{\"level\":\"info\"}");

        await new BucketGuard.Functions.EventHandler("acl", fake.Pipeline(), TimeProvider.System).HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), context);

        var lines = ((TestLambdaLogger)context.Logger).Buffer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length); // misrouted, decision, metrics
        var misrouted = JsonNode.Parse(lines[0])!.AsObject();
        Assert.Equal(["level", "timestamp", "message", "handler", "eventName", "requestId"], misrouted.Select(p => p.Key));
        Assert.Equal("misrouted", misrouted["message"]!.GetValue<string>());
        Assert.All(lines, l => Assert.DoesNotContain(JsonNode.Parse(l)!.AsObject(), p => p.Value?.ToString() == "FORGED"));
    }

    [Fact]
    public void A_notification_with_every_finding_s3_allows_still_fits_snss_limit_and_keeps_the_verdict()
    {
        // A 20 KB policy (S3's limit) of public statements and a 100-grant ACL (S3's limit), then far more.
        var findings = Enumerable.Range(0, 5000).Select(i => new Finding(FindingSource.PolicyStatement, i, "Sid" + i, "*",
            ["s3:GetObject", "s3:PutObject"], AccessLevel.Read | AccessLevel.Write, "no condition restricts it: " + new string('c', 200))).ToImmutableArray();
        var verdict = new Verdict(Outcome.Block, "the bucket is public (read, write)", Severity.Critical, new Exposure(findings, []), PublicAccessBlock.None, PublicAccessBlock.All);
        var change = CloudTrailEventParser.Parse(PolicyEvent()).Value!;

        var notification = Notifications.For(change, verdict, null, new ActionResult(PublicAccessBlock.All, null), RemediationPolicy.Default)!;

        Assert.InRange(notification.SnsSize, 1, 262_144);
        Assert.Contains("BucketGuard applied S3 Block Public Access to bucket reports, because the bucket is public (read, write).", notification.Text, StringComparison.Ordinal);
        Assert.Matches(@"and \d+ more finding\(s\), not listed", notification.Text);
        var document = JsonNode.Parse(notification.Document)!;
        Assert.Equal("Block", document["action"]!["outcome"]!.GetValue<string>());
        Assert.Equal(5000, document["exposure"]!["findings"]!.AsArray().Count + document["exposure"]!["findingsNotListed"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_eighty_statement_public_policy_and_an_empty_owner_tag_make_a_message_sns_accepts()
    {
        var statements = string.Join(",", Enumerable.Range(0, 80).Select(i => $$"""{"Sid":"Public{{i}}","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::reports","arn:aws:s3:::reports/{{i}}/*"]}"""));
        var policy = $$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""";
        var fake = new FakeAws(Bucket(policy: policy, tags: [new Tag("bucketguard:owner", "")]));

        await fake.Pipeline().HandleAsync(PolicyEvent(policy), default);

        var sent = Assert.Single(fake.Sent);
        Assert.InRange(sent.SnsSize, 1, 262_144);
        Assert.False(sent.Attributes.ContainsKey("owner"));
        Assert.All(sent.Attributes, a => Assert.False(string.IsNullOrWhiteSpace(a.Value)));
        Assert.Equal(["default", "email"], JsonNode.Parse(sent.StructuredMessage)!.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("team\u0000@example.com", "team@example.com")]
    [InlineData("  \u0001 ", null)]
    [InlineData("web\nteam", "webteam")]
    public void Attribute_values_are_made_valid_for_sns_or_left_out(string value, string? expected)
    {
        var attributes = ImmutableDictionary.CreateBuilder<string, string>();

        Notifications.AddAttribute(attributes, "owner", value);

        Assert.Equal(expected, attributes.GetValueOrDefault("owner"));
    }

    [Fact]
    public void A_long_owner_tag_is_cut_to_the_attribute_limit_without_splitting_a_character()
    {
        var attributes = ImmutableDictionary.CreateBuilder<string, string>();

        Notifications.AddAttribute(attributes, "owner", new string('a', 255) + "\U0001F512\U0001F512");

        Assert.Equal(new string('a', 255), attributes["owner"]);
    }

    [Fact]
    public async Task A_bucket_name_no_s3_bucket_can_have_is_reported_as_a_malformed_event_without_reading_s3()
    {
        var fake = new FakeAws(Bucket("public-read"));
        var name = new string('b', 300);

        var handled = await fake.Pipeline().HandleAsync(Event("PutBucketAcl", $$"""{"bucketName":"{{name}}","x-amz-acl":"public-read"}"""), default);

        Assert.Equal(0, fake.Reads);
        Assert.Equal("malformed-event", Assert.Single(fake.Sent).Attributes["event"]);
        Assert.Contains("not a valid S3 bucket name", handled.Verdict.Why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("\"12345\"")]
    [InlineData("\"1111222233334\"")]
    public async Task An_account_that_is_not_twelve_digits_is_reported_as_a_malformed_event_without_reading_s3(string account)
    {
        var fake = new FakeAws(Bucket("public-read"));

        var handled = await fake.Pipeline().HandleAsync(Event("PutBucketAcl", """{"bucketName":"reports","x-amz-acl":"public-read"}""", account: account), default);

        Assert.Equal(0, fake.Reads);
        Assert.Contains("is not a 12-digit AWS account ID", handled.Verdict.Why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("my.legacy_Bucket-1", true)]
    [InlineData("ab", false)]
    [InlineData("-starts-with-hyphen", false)]
    [InlineData("has/slash", false)]
    [InlineData("has space", false)]
    public void Bucket_names_follow_s3s_rules_including_legacy_us_east_1_names(string name, bool valid) =>
        Assert.Equal(valid, BucketName.IsValid(name));

    [Fact]
    public async Task An_event_for_an_account_outside_the_organisation_is_skipped_without_a_notification()
    {
        var policy = RemediationPolicy.Default with { OrganizationAccounts = ["222233334444"] };
        var fake = new FakeAws(Bucket("public-read"));

        var handled = await fake.Pipeline(policy).HandleAsync(AclEvent(), default);

        Assert.Equal(Outcome.Skipped, handled.Verdict.Outcome);
        Assert.Contains("not one of the organisation's accounts", handled.Verdict.Why, StringComparison.Ordinal);
        Assert.Equal(0, fake.Reads);
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public void Organisation_accounts_that_are_not_account_ids_are_an_error()
    {
        var parsed = RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_ORGANIZATION_ACCOUNTS" ? "222233334444,*" : null);

        Assert.False(parsed.Ok);
    }
}
