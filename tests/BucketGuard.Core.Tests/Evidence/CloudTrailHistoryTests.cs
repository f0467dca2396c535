using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.CloudTrail;
using Amazon.Runtime;
using BucketGuard.Aws;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Evidence;
using BucketGuard.Core.Acls;

namespace BucketGuard.Tests.Evidence;

/// <summary>The management history from CloudTrail LookupEvents (moto does not emulate it) against an HTTP fake that
/// answers in LookupEvents' recorded shape: pages newest first, each event's record as a JSON string in CloudTrailEvent,
/// EventTime in epoch seconds.</summary>
public class CloudTrailHistoryTests
{
    private const string Bucket = "lab-results";

    private sealed class FakeLookupEvents(params string[] pages) : HttpMessageHandler
    {
        public List<(string Target, string Authorization, JsonNode Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
            Requests.Add((request.Headers.GetValues("X-Amz-Target").Single(), string.Join(",", request.Headers.GetValues("Authorization")), body));
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(pages[Requests.Count - 1], Encoding.UTF8, "application/x-amz-json-1.1") };
        }
    }

    private static string Record(string eventName, string parameters, DateTimeOffset time, string id, string arn = "arn:aws:iam::111122223333:user/dev") =>
        JsonSerializer.Serialize($$"""{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"{{arn}}","accountId":"111122223333"},"eventTime":"{{time:yyyy-MM-ddTHH:mm:ssZ}}","eventSource":"s3.amazonaws.com","eventName":"{{eventName}}","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2","requestParameters":{"bucketName":"{{Bucket}}",{{parameters}} },"eventID":"{{id}}","recipientAccountId":"111122223333","eventCategory":"Management","managementEvent":true}""");

    private static string Event(string eventName, string record, DateTimeOffset time, string id) =>
        $$"""{"EventId":"{{id}}","EventName":"{{eventName}}","ReadOnly":"false","AccessKeyId":"ASIAEXAMPLE","EventTime":{{time.ToUnixTimeSeconds()}},"EventSource":"s3.amazonaws.com","Username":"dev","Resources":[{"ResourceType":"AWS::S3::Bucket","ResourceName":"{{Bucket}}"}],"CloudTrailEvent":{{record}} }""";

    [Fact]
    public async Task Every_page_is_read_each_record_parsed_a_broken_one_reported_and_the_window_replayed_from_them()
    {
        var t = DateTimeOffset.UtcNow.AddHours(-2);
        var t0 = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, TimeSpan.Zero);
        var fake = new FakeLookupEvents(
            $$"""{"Events":[{{Event("PutBucketPublicAccessBlock", Record("PutBucketPublicAccessBlock", "\"PublicAccessBlockConfiguration\":{\"BlockPublicAcls\":true,\"IgnorePublicAcls\":true,\"BlockPublicPolicy\":true,\"RestrictPublicBuckets\":true}", t0.AddMinutes(3), "ev-3", "arn:aws:sts::111122223333:assumed-role/bucketguard/bg"), t0.AddMinutes(3), "ev-3")}},{{Event("PutBucketAcl", Record("PutBucketAcl", "\"x-amz-acl\":\"public-read\"", t0.AddMinutes(2), "ev-2"), t0.AddMinutes(2), "ev-2")}}],"NextToken":"page-2"}""",
            $$"""{"Events":[{{Event("PutBucketAcl", Record("PutBucketAcl", "\"x-amz-acl\":\"private\"", t0.AddMinutes(1), "ev-1"), t0.AddMinutes(1), "ev-1")}},{"EventId":"ev-0","EventName":"PutBucketPolicy","CloudTrailEvent":"{not json"}]}""");
        using var client = new AmazonCloudTrailClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonCloudTrailConfig
        {
            RegionEndpoint = Amazon.RegionEndpoint.EUWest1,
            IgnoreConfiguredEndpointUrls = true,
            HttpClientFactory = new HandlerClientFactory(fake),
        });

        var history = await new CloudTrailHistory(client, TimeProvider.System, TimeSpan.Zero).ReadAsync(Bucket, DateTimeOffset.UtcNow.AddDays(-200), DateTimeOffset.UtcNow, CancellationToken.None);
        var window = ExposureWindow.Replay(Bucket, null, history.Changes, new BucketState(Bucket, true, CannedAcl.Expand("private").Value, null, null, null, null, [], null, []), t0.AddMinutes(2.5), history.Reaches, DateTimeOffset.UtcNow);

        Assert.Equal(["ev-3", "ev-2", "ev-1"], history.Changes.Select(c => c.EventId));
        Assert.Contains("ev-0", Assert.Single(history.Problems), StringComparison.Ordinal);
        Assert.InRange(history.Reaches, DateTimeOffset.UtcNow.AddDays(-90).AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(-90).AddMinutes(5));
        Assert.Equal(["com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"], fake.Requests.Select(r => r.Target));
        Assert.Contains("/eu-west-1/cloudtrail/aws4_request", fake.Requests[0].Authorization, StringComparison.Ordinal);
        Assert.Equal("""[{"AttributeKey":"ResourceName","AttributeValue":"lab-results"}]""", fake.Requests[0].Body["LookupAttributes"]!.ToJsonString());
        Assert.InRange(fake.Requests[0].Body["StartTime"]!.GetValue<double>(), DateTimeOffset.UtcNow.AddDays(-90).AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddDays(-90).AddMinutes(5).ToUnixTimeSeconds());
        Assert.Null(fake.Requests[0].Body["NextToken"]);
        Assert.Equal("page-2", fake.Requests[1].Body["NextToken"]!.GetValue<string>());
        Assert.Equal((t0.AddMinutes(2), false, t0.AddMinutes(3)), (window.Start, window.StartIsLowerBound, window.End));
        Assert.Equal("ev-2", window.Cause!.EventId);
    }
}
