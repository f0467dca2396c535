using System.Collections.Immutable;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Lambda.TestUtilities;
using Amazon.Runtime;
using Amazon.SecurityHub;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Events;
using BucketGuard.Core.Evidence;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;
using BucketGuard.Functions;

namespace BucketGuard.Tests.Evidence;

/// <summary>Issue 25, after the lock: the decision asks (ExposureRequest, through the exposure queue), the after-lock path
/// investigates and reports (AfterLock), the function answers SQS with the requests to retry (ExposureHandler).</summary>
public class AfterLockTests
{
    private const string Bucket = "lab-results";
    private const string Account = "111122223333";
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);

    private static BucketChange Change(string canned = "public-read") => CloudTrailEventParser.Parse($$"""
        {"account":"{{Account}}","region":"eu-west-1","detail":{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","eventTime":"2026-11-21T09:10:00Z","eventID":"e-25",
         "userIdentity":{"arn":"arn:aws:iam::{{Account}}:user/dev"},"requestParameters":{"bucketName":"{{Bucket}}","x-amz-acl":"{{canned}}"} } }
        """).Value!;

    private static BucketDecision Decision(RemediationPolicy policy, bool lockTookEffect, string canned = "public-read", params Tag[] tags)
    {
        var change = Change(canned);
        var state = new BucketState(Bucket, true, CannedAcl.Expand(canned).Value, null, null, null, null, [new(policy.OwnerTag, "lab-team@example.org"), .. tags], null, []);
        var verdict = Remediation.Decide(change, state, policy, new DateOnly(2026, 11, 21));
        return new BucketDecision(change, verdict, state, lockTookEffect ? new ActionResult(PublicAccessBlock.All, null) : null, policy, T0.AddMinutes(10).AddSeconds(2));
    }

    private static AccessRequest Get(string key, string ip, long bytes, int status = 200, string? requestId = null) =>
        new(RequestSource.AccessLog, T0.AddMinutes(5), Bucket, key, null, "REST.GET.OBJECT", true, null, null, ip, "curl/8.5.0", status, status == 403 ? "AccessDenied" : null, bytes, requestId ?? Guid.NewGuid().ToString("n"), "HOST=");

    private static ExposureReport Report(bool ended = true, params AccessRequest[] requests)
    {
        var cause = Change();
        var window = new ExposureWindow(T0.AddMinutes(1), false, cause, ended ? T0.AddMinutes(10) : null, null, [], ended ? "public from 09:01 until 09:10" : "public from 09:01; still public");
        var ledger = new AccessLedger(Bucket, Account, T0.AddMinutes(1), ended ? T0.AddMinutes(10) : T0.AddMinutes(20), null);
        foreach (var request in requests)
        {
            ledger.Add(request);
        }

        return new ExposureReport(Bucket, window, ledger.Report([new SourceCoverage(RequestSource.AccessLog, true, T0, T0.AddHours(1))]), []);
    }

    private sealed class Investigator(params ExposureReport[] reports) : IExposureInvestigator
    {
        public List<ExposureRequest> Asked { get; } = [];

        public Task<Parsed<ExposureReport>> InvestigateAsync(ExposureRequest request, CancellationToken cancellationToken)
        {
            Asked.Add(request);
            return Task.FromResult(Parsed<ExposureReport>.Success(reports[Math.Min(Asked.Count - 1, reports.Length - 1)]));
        }
    }

    private sealed class Output(string name, bool fails = false) : IExposureOutput
    {
        public List<(ExposureRequest Request, ExposureReport Report)> Published { get; } = [];

        public string Name => name;

        public Task<string?> PublishAsync(ExposureRequest request, ExposureReport report, CancellationToken cancellationToken)
        {
            Published.Add((request, report));
            return fails ? throw new InvalidOperationException($"{name} is down") : Task.FromResult<string?>(name + "-1");
        }
    }

    private static string RequestJson(bool locked = true) => ExposureRequest.For(Decision(RemediationPolicy.Default, locked))!.Json();

    [Fact]
    public void A_lock_a_notify_mode_finding_and_an_exemption_each_ask_for_the_exposure_and_a_private_bucket_does_not()
    {
        var locked = ExposureRequest.For(Decision(RemediationPolicy.Default, lockTookEffect: true))!;
        var notified = ExposureRequest.For(Decision(RemediationPolicy.Default with { Mode = Mode.Notify }, lockTookEffect: false))!;
        var exempt = ExposureRequest.For(Decision(RemediationPolicy.Default, false, "public-read",
            new Tag("bucketguard:exempt-until", "2026-12-25"), new Tag("bucketguard:exempt-reason", "public website"), new Tag("bucketguard:exempt-scope", "read")));

        Assert.Equal(("remediated", T0.AddMinutes(10).AddSeconds(2)), (locked.EventType, locked.LockedAt));
        Assert.Equal("bucketguard/s3-public-access/111122223333/lab-results", locked.FindingId);
        Assert.Equal("lab-team@example.org", locked.Attributes["owner"]);
        Assert.Null(notified.LockedAt);
        Assert.NotEqual(locked.EventType, notified.EventType);
        Assert.NotNull(exempt);
        Assert.Null(exempt.LockedAt);
        Assert.Null(ExposureRequest.For(Decision(RemediationPolicy.Default, false, "private")));
    }

    [Fact]
    public void A_request_reads_back_as_it_was_written()
    {
        var request = ExposureRequest.For(Decision(RemediationPolicy.Default, lockTookEffect: true))!;

        var read = ExposureRequest.Parse(request.Json());

        Assert.True(read.Ok, read.Error);
        Assert.Equal(request with { Attributes = [] }, read.Value! with { Attributes = [] });
        Assert.Equal(request.Attributes.OrderBy(a => a.Key), read.Value!.Attributes.OrderBy(a => a.Key));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("""{"version":2,"bucket":"lab-results","decidedAt":"2026-11-21T09:10:02Z"}""", "version 1")]
    [InlineData("""{"version":1,"bucket":"../etc","decidedAt":"2026-11-21T09:10:02Z"}""", "no valid bucket")]
    [InlineData("""{"version":1,"bucket":"lab-results","account":"1111; rm -rf","decidedAt":"2026-11-21T09:10:02Z"}""", "not 12 digits")]
    [InlineData("""{"version":1,"bucket":"lab-results"}""", "no decidedAt")]
    [InlineData("""{"version":1,"bucket":"lab-results","decidedAt":"2026-11-21T09:10:02Z","lockedAt":"soon"}""", "lockedAt")]
    public void A_hostile_or_broken_request_is_refused_saying_what_is_wrong(string json, string expected)
    {
        var read = ExposureRequest.Parse(json);

        Assert.False(read.Ok);
        Assert.Contains(expected, read.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Attributes_in_a_request_are_cleaned_as_sns_takes_them()
    {
        var read = ExposureRequest.Parse("""{"version":1,"bucket":"lab-results","decidedAt":"2026-11-21T09:10:02Z","attributes":{"owner":"eve\u0000\u001b[31m","":"x","n":5}}""");

        Assert.True(read.Ok, read.Error);
        Assert.Equal(["owner"], read.Value!.Attributes.Keys);
        Assert.DoesNotContain('\0', read.Value.Attributes["owner"]);
    }

    [Fact]
    public async Task A_locked_exposure_is_reported_to_every_output_once_cloudtrail_shows_the_lock()
    {
        var investigator = new Investigator(Report(ended: true, Get("results/p-1.pdf", "203.0.113.7", 48213)));
        var (sns, hub) = (new Output("sns"), new Output("security-hub"));

        var result = await new AfterLock(investigator, [sns, hub]).HandleAsync(RequestJson(), finalAttempt: false, default);

        Assert.Equal(AfterLockOutcome.Reported, result.Outcome);
        Assert.Equal(["sns:sns-1", "security-hub:security-hub-1"], result.Published.ToArray());
        Assert.Equal("read", result.Why);
        Assert.Equal(Bucket, Assert.Single(investigator.Asked).Bucket);
        Assert.Single(sns.Published);
    }

    [Fact]
    public async Task A_lock_cloudtrail_does_not_show_yet_waits_and_on_the_last_delivery_is_reported_saying_so()
    {
        var sns = new Output("sns");
        var afterLock = new AfterLock(new Investigator(Report(ended: false)), [sns]);

        var early = await afterLock.HandleAsync(RequestJson(), finalAttempt: false, default);
        var last = await afterLock.HandleAsync(RequestJson(), finalAttempt: true, default);

        Assert.Equal(AfterLockOutcome.NotYet, early.Outcome);
        Assert.Equal(AfterLockOutcome.Reported, last.Outcome);
        var (_, report) = Assert.Single(sns.Published);
        Assert.Contains(report.Problems, p => p.Contains("CloudTrail does not show", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_notify_mode_exposure_with_no_end_is_reported_at_once()
    {
        var sns = new Output("sns");
        var json = ExposureRequest.For(Decision(RemediationPolicy.Default with { Mode = Mode.Notify }, lockTookEffect: false))!.Json();

        var result = await new AfterLock(new Investigator(Report(ended: false)), [sns]).HandleAsync(json, finalAttempt: false, default);

        Assert.Equal(AfterLockOutcome.Reported, result.Outcome);
    }

    [Fact]
    public async Task A_failed_output_fails_the_request_after_the_other_outputs_were_tried_and_names_it()
    {
        var (down, up) = (new Output("security-hub", fails: true), new Output("eventbridge"));

        var error = await Assert.ThrowsAsync<ExposureReportFailedException>(() => new AfterLock(new Investigator(Report()), [down, up]).HandleAsync(RequestJson(), false, default));

        Assert.Contains("security-hub: security-hub is down", error.Message, StringComparison.Ordinal);
        Assert.Single(up.Published);
    }

    [Fact]
    public async Task A_malformed_request_fails_so_that_the_queue_keeps_it_for_the_dead_letter_queue()
    {
        var investigator = new Investigator(Report());

        var error = await Assert.ThrowsAsync<ExposureReportFailedException>(() => new AfterLock(investigator, []).HandleAsync("{\"version\":1}", false, default));

        Assert.Contains("no valid bucket", error.Message, StringComparison.Ordinal);
        Assert.Empty(investigator.Asked);
    }

    private static string SqsEvent(params (string Id, string Body, int Receives)[] messages) => new JsonObject
    {
        ["Records"] = new JsonArray([.. messages.Select(m => (JsonNode)new JsonObject
        {
            ["messageId"] = m.Id, ["receiptHandle"] = "rh-" + m.Id, ["body"] = m.Body,
            ["attributes"] = new JsonObject { ["ApproximateReceiveCount"] = m.Receives.ToString(System.Globalization.CultureInfo.InvariantCulture), ["SentTimestamp"] = "1763715002000" },
            ["messageAttributes"] = new JsonObject(), ["md5OfBody"] = "x", ["eventSource"] = "aws:sqs",
            ["eventSourceARN"] = "arn:aws:sqs:eu-west-1:111122223333:bucketguard-exposure", ["awsRegion"] = "eu-west-1",
        })]),
    }.ToJsonString();

    [Fact]
    public async Task The_function_answers_sqs_with_only_the_messages_to_deliver_again()
    {
        var sns = new Output("sns");
        var handler = new ExposureHandler(new AfterLock(new Investigator(Report(ended: false)), [sns]), maxReceiveCount: 5, TimeProvider.System);
        var notify = ExposureRequest.For(Decision(RemediationPolicy.Default with { Mode = Mode.Notify }, lockTookEffect: false))!.Json();
        var context = new TestLambdaContext();

        var answer = await handler.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(SqsEvent(("m-wait", RequestJson(), 1), ("m-last", RequestJson(), 5), ("m-notify", notify, 1), ("m-bad", "{}", 2)))), context);

        var failures = JsonNode.Parse(answer)!["batchItemFailures"]!.AsArray().Select(f => f!["itemIdentifier"]!.GetValue<string>());
        Assert.Equal(["m-wait", "m-bad"], failures);
        Assert.Equal(2, sns.Published.Count);
        var log = ((TestLambdaLogger)context.Logger).Buffer.ToString();
        Assert.Contains("\"exposure failed\"", log, StringComparison.Ordinal);
        Assert.Contains("\"exposure notyet\"", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_batch_is_answered_with_no_failures() =>
        Assert.Equal("""{"batchItemFailures":[]}""", await new StreamReader(await new ExposureHandler(new AfterLock(new Investigator(Report()), []), 5, TimeProvider.System)
            .HandleAsync(new MemoryStream("""{"Records":[]}"""u8.ToArray()), new TestLambdaContext())).ReadToEndAsync());

    [Fact]
    public void The_email_says_the_window_the_verdict_and_the_objects_read_and_neutralises_keys_from_the_logs()
    {
        var request = ExposureRequest.Parse(RequestJson()).Value!;
        var report = Report(true, Get("results/p-1.pdf", "203.0.113.7", 48213), Get("evil\u001b[2J\r\nBcc: x@evil.example", "198.51.100.9", 10), Get("results/p-2.pdf", "203.0.113.7", 0, status: 403));

        var notification = ExposureReports.For(request, report);

        Assert.Equal("BucketGuard: lab-results was READ from outside while public (2 reads)", notification.Subject);
        Assert.Contains("Window: public from 09:01 until 09:10", notification.Text, StringComparison.Ordinal);
        Assert.Contains("results/p-1.pdf: 1 read(s), 0 refused, 48213 bytes", notification.Text, StringComparison.Ordinal);
        Assert.Contains("results/p-2.pdf: 0 read(s), 1 refused", notification.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", notification.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\nBcc", notification.Text, StringComparison.Ordinal);
        Assert.Equal(("exposure-report", "read", "lab-team@example.org"), (notification.Attributes["event"], notification.Attributes["accessVerdict"], notification.Attributes["owner"]));
        var document = JsonNode.Parse(notification.Document)!;
        Assert.Equal(("exposure-report", 2), (document["bucketguard"]!.GetValue<string>(), document["report"]!["ledger"]!["reads"]!.GetValue<int>()));
    }

    [Fact]
    public void A_ledger_of_a_hundred_thousand_objects_still_fits_sns_listing_the_most_read_first()
    {
        var request = ExposureRequest.Parse(RequestJson()).Value!;
        var requests = Enumerable.Range(0, 100_000).Select(i => Get($"scans/{i:D6}-{new string('k', 40)}.pdf", "203.0.113.7", 100)).Append(Get("hot.pdf", "203.0.113.8", 1)).Append(Get("hot.pdf", "203.0.113.9", 1)).ToArray();

        var notification = ExposureReports.For(request, Report(true, requests));

        Assert.True(notification.SnsSize <= Notifications.MaxSnsBytes, $"{notification.SnsSize} bytes");
        var ledger = JsonNode.Parse(notification.Document)!["report"]!["ledger"]!;
        Assert.Equal("hot.pdf", ledger["objects"]![0]!["key"]!.GetValue<string>());
        Assert.Equal(100_001, ledger["objects"]!.AsArray().Count + ledger["objectsNotListed"]!.GetValue<int>());
        Assert.Contains("and 99991 more object(s)", notification.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_findings_fields_and_note_stay_within_security_hubs_limits()
    {
        var report = Report(true, Get("results/p-1.pdf", "203.0.113.7", 48213)) with { };
        var fields = ExposureReports.Fields(report);

        Assert.Equal(("read", "1", "48213", "2026-11-21T09:01:00Z", "false"), (fields["bucketguard/AccessVerdict"], fields["bucketguard/OutsideReads"], fields["bucketguard/OutsideBytesSent"], fields["bucketguard/ExposureStart"], fields["bucketguard/ExposureStartIsLowerBound"]));
        Assert.True(fields.Count <= 50);
        Assert.All(fields, f => Assert.True(f.Key.Length <= 128 && f.Value.Length <= ExposureReports.MaxFieldLength));
        Assert.True(ExposureReports.Note(report with { Window = report.Window with { Explanation = new string('x', 5000) } }).Length <= ExposureReports.MaxNoteLength);
    }

    private sealed class FakeSecurityHub(HttpStatusCode status, string answer) : HttpMessageHandler
    {
        public List<(HttpMethod Method, string Path, JsonNode Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add((request.Method, request.RequestUri!.AbsolutePath, JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!));
            return new HttpResponseMessage(status) { Content = new StringContent(answer, Encoding.UTF8, "application/json") };
        }
    }

    private static AmazonSecurityHubClient SecurityHub(HttpMessageHandler fake) =>
        new(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonSecurityHubConfig { RegionEndpoint = Amazon.RegionEndpoint.EUWest1, HttpClientFactory = new HandlerClientFactory(fake) });

    [Fact]
    public async Task The_ledger_is_added_to_the_decisions_finding_by_batch_update_findings_not_a_second_import()
    {
        // Recorded shape of BatchUpdateFindings (Security Hub API Reference); moto does not have this call.
        var fake = new FakeSecurityHub(HttpStatusCode.OK, """{"ProcessedFindings":[{"Id":"bucketguard/s3-public-access/111122223333/lab-results","ProductArn":"arn:aws:securityhub:eu-west-1:999988887777:product/999988887777/default"}],"UnprocessedFindings":[]}""");
        var request = ExposureRequest.Parse(RequestJson()).Value!;

        var id = await new ExposureFindingOutput(SecurityHub(fake), _ => Task.FromResult<string?>("999988887777"), "eu-west-1").PublishAsync(request, Report(true, Get("a.pdf", "203.0.113.7", 5)), default);

        var (method, path, body) = Assert.Single(fake.Requests);
        Assert.Equal((HttpMethod.Patch, "/findings/batchupdate"), (method, path));
        Assert.Equal(request.FindingId, id);
        Assert.Equal("arn:aws:securityhub:eu-west-1:999988887777:product/999988887777/default", body["FindingIdentifiers"]![0]!["ProductArn"]!.GetValue<string>());
        Assert.Equal("read", body["UserDefinedFields"]!["bucketguard/AccessVerdict"]!.GetValue<string>());
        Assert.StartsWith("BucketGuard exposure report: access read", body["Note"]!["Text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(body["Findings"]);
    }

    [Fact]
    public async Task A_finding_security_hub_leaves_unprocessed_fails_the_output_with_its_error()
    {
        var fake = new FakeSecurityHub(HttpStatusCode.OK, """{"ProcessedFindings":[],"UnprocessedFindings":[{"FindingIdentifier":{"Id":"x","ProductArn":"y"},"ErrorCode":"FindingNotFound","ErrorMessage":"no such finding"}]}""");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new ExposureFindingOutput(SecurityHub(fake), _ => Task.FromResult<string?>("999988887777"), "eu-west-1").PublishAsync(ExposureRequest.Parse(RequestJson()).Value!, Report(), default));

        Assert.Contains("FindingNotFound no such finding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_decision_without_a_finding_updates_none()
    {
        var fake = new FakeSecurityHub(HttpStatusCode.OK, "{}");
        var request = ExposureRequest.Parse(RequestJson()).Value! with { FindingId = null };

        Assert.Null(await new ExposureFindingOutput(SecurityHub(fake), _ => Task.FromResult<string?>("999988887777"), "eu-west-1").PublishAsync(request, Report(), default));
        Assert.Empty(fake.Requests);
    }
}
