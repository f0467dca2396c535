using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.EventBridge;
using Amazon.Runtime;
using Amazon.SecurityHub;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Reports;

namespace BucketGuard.Tests;

/// <summary>The Security Hub and EventBridge substitutes' wire format (REST-JSON POST /findings/import; JSON 1.1
/// AWSEvents.PutEvents; SigV4 for their service names), retries and refusals, against an HTTP fake; moto server checks
/// the same clients for real (OutputsTests in the integration tests).</summary>
public class OutputClientTests
{
    private sealed class FakeService(params (HttpStatusCode Status, string Body)[] answers) : HttpMessageHandler
    {
        public List<(string Path, string? Target, string Authorization, JsonNode Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
            Requests.Add((request.RequestUri!.AbsolutePath, request.Headers.TryGetValues("X-Amz-Target", out var t) ? t.Single() : null, string.Join(",", request.Headers.GetValues("Authorization")), body));
            var (status, answer) = answers[Math.Min(Requests.Count - 1, answers.Length - 1)];
            return new HttpResponseMessage(status) { Content = new StringContent(answer, Encoding.UTF8, "application/json") };
        }
    }

    private static readonly BasicAWSCredentials Credentials = new("AKIDEXAMPLE", "secret");

    private static AmazonSecurityHubConfig SecurityHubConfig(HttpMessageHandler fake) =>
        new() { RegionEndpoint = Amazon.RegionEndpoint.EUWest1, HttpClientFactory = new HandlerClientFactory(fake) };

    private static BucketDecision Locked()
    {
        var change = CloudTrailEventParser.Parse("""
            {"account":"222233334444","region":"eu-west-1","detail":{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","eventTime":"2026-11-21T09:30:12Z","eventID":"e-9",
             "userIdentity":{"arn":"arn:aws:iam::222233334444:user/ann"},"requestParameters":{"bucketName":"reports","x-amz-acl":"public-read"} } }
            """).Value!;
        var state = new BucketState("reports", true, CannedAcl.Expand("public-read").Value, null, null, null, null, [], null, []);
        var verdict = Remediation.Decide(change, state, RemediationPolicy.Default, new DateOnly(2026, 11, 21));
        return new BucketDecision(change, verdict, state, new ActionResult(PublicAccessBlock.All, null), RemediationPolicy.Default, new DateTimeOffset(2026, 11, 21, 9, 30, 14, TimeSpan.Zero));
    }

    [Fact]
    public async Task A_finding_is_imported_into_the_running_accounts_default_product_signed_for_securityhub()
    {
        var fake = new FakeService((HttpStatusCode.OK, """{"FailedCount":0,"SuccessCount":1,"FailedFindings":[]}"""));
        var output = new SecurityHubOutput(new AmazonSecurityHubClient(Credentials, SecurityHubConfig(fake)), _ => Task.FromResult<string?>("111122223333"), "eu-west-1");

        var id = await output.PublishAsync(Locked(), default);

        var (path, _, authorization, body) = Assert.Single(fake.Requests);
        Assert.Equal("/findings/import", path);
        Assert.Contains("/securityhub/aws4_request", authorization, StringComparison.Ordinal);
        var finding = body["Findings"]![0]!;
        Assert.Equal(id, finding["Id"]!.GetValue<string>());
        Assert.Equal("2018-10-08", finding["SchemaVersion"]!.GetValue<string>());
        Assert.Equal("arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default", finding["ProductArn"]!.GetValue<string>());
        Assert.Equal("111122223333", finding["AwsAccountId"]!.GetValue<string>());
        Assert.Equal("2026-11-21T09:30:12.000Z", finding["CreatedAt"]!.GetValue<string>());
        Assert.Equal("2026-11-21T09:30:14.000Z", finding["UpdatedAt"]!.GetValue<string>());
        var resource = finding["Resources"]![0]!;
        Assert.Equal(("AwsS3Bucket", "arn:aws:s3:::reports", "222233334444"), (resource["Type"]!.GetValue<string>(), resource["Id"]!.GetValue<string>(), resource["Details"]!["AwsS3Bucket"]!["OwnerAccountId"]!.GetValue<string>()));
        Assert.True(resource["Details"]!["AwsS3Bucket"]!["PublicAccessBlockConfiguration"]!["IgnorePublicAcls"]!.GetValue<bool>());
        Assert.Equal("PASSED", finding["Compliance"]!["Status"]!.GetValue<string>());
        Assert.Equal("ARCHIVED", finding["RecordState"]!.GetValue<string>());
        Assert.Equal(SecurityHubFinding.RemediationUrl, finding["Remediation"]!["Recommendation"]!["Url"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_finding_security_hub_refuses_fails_the_output_naming_its_error()
    {
        var fake = new FakeService((HttpStatusCode.OK, """{"FailedCount":1,"SuccessCount":0,"FailedFindings":[{"Id":"x","ErrorCode":"InvalidAccess","ErrorMessage":"Security Hub is not enabled"}]}"""));
        var output = new SecurityHubOutput(new AmazonSecurityHubClient(Credentials, SecurityHubConfig(fake)), _ => Task.FromResult<string?>("111122223333"), "eu-west-1");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => output.PublishAsync(Locked(), default));

        Assert.Contains("InvalidAccess Security Hub is not enabled", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Security_hub_throttling_is_retried_and_a_refusal_names_the_services_error_code()
    {
        var throttled = new FakeService((HttpStatusCode.TooManyRequests, """{"Code":"TooManyRequestsException"}"""), (HttpStatusCode.OK, """{"FailedCount":0,"SuccessCount":1}"""));
        var client = new AmazonSecurityHubClient(Credentials, SecurityHubConfig(throttled));
        await new SecurityHubOutput(client, _ => Task.FromResult<string?>("111122223333"), "eu-west-1").PublishAsync(Locked(), default);
        Assert.Equal(2, throttled.Requests.Count);

        var denied = new FakeService((HttpStatusCode.Forbidden, """{"__type":"AccessDeniedException","Message":"not authorized to perform securityhub:BatchImportFindings"}"""));
        var error = await Assert.ThrowsAsync<AmazonSecurityHubException>(() => new AmazonSecurityHubClient(Credentials, SecurityHubConfig(denied)).BatchImportFindingsAsync(new()));
        Assert.Equal("AccessDeniedException", error.ErrorCode);
        Assert.Contains("securityhub:BatchImportFindings", error.Message, StringComparison.Ordinal);
        Assert.Single(denied.Requests);
    }

    [Fact]
    public async Task A_decision_is_put_on_the_configured_bus_with_the_notifications_document_as_detail()
    {
        var fake = new FakeService((HttpStatusCode.OK, """{"FailedEntryCount":0,"Entries":[{"EventId":"ev-1"}]}"""));
        var decision = Locked();

        var id = await new EventBridgeOutput(new AmazonEventBridgeClient(Credentials, new AmazonEventBridgeConfig { RegionEndpoint = Amazon.RegionEndpoint.EUWest1, HttpClientFactory = new HandlerClientFactory(fake) }), "soar").PublishAsync(decision, default);

        Assert.Equal("ev-1", id);
        var (_, target, authorization, body) = Assert.Single(fake.Requests);
        Assert.Equal("AWSEvents.PutEvents", target);
        Assert.Contains("/events/aws4_request", authorization, StringComparison.Ordinal);
        var entry = body["Entries"]![0]!;
        Assert.Equal(("bucketguard", "BucketGuard Decision", "soar"), (entry["Source"]!.GetValue<string>(), entry["DetailType"]!.GetValue<string>(), entry["EventBusName"]!.GetValue<string>()));
        Assert.Equal(decision.Notification!.Document, entry["Detail"]!.GetValue<string>());
        Assert.Equal("arn:aws:s3:::reports", entry["Resources"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task An_event_the_bus_refuses_fails_the_output_and_an_unreported_decision_puts_nothing()
    {
        var fake = new FakeService((HttpStatusCode.OK, """{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"try later"}]}"""));
        var output = new EventBridgeOutput(new AmazonEventBridgeClient(Credentials, new AmazonEventBridgeConfig { RegionEndpoint = Amazon.RegionEndpoint.EUWest1, HttpClientFactory = new HandlerClientFactory(fake) }), "soar");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => output.PublishAsync(Locked(), default));
        Assert.Contains("InternalFailure try later", error.Message, StringComparison.Ordinal);

        var skipped = new BucketDecision(Locked().Change, new Verdict(Outcome.NothingToDo, "not public", Severity.Info), null, null, RemediationPolicy.Default, DateTimeOffset.UnixEpoch);
        Assert.Null(await output.PublishAsync(skipped, default));
        Assert.Single(fake.Requests);
    }
}
