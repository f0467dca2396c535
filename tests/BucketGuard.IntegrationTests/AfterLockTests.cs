using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.LocalLambda;

namespace BucketGuard.IntegrationTests;

/// <summary>Issue 25 end to end, with the real bootstrap under the local Lambda Runtime API: the acl function locks a
/// public bucket and asks the exposure queue (fauxqs SQS); the exposure function, given that message as Lambda's SQS
/// event source mapping would give it, waits while CloudTrail does not show the lock, then reports the window and the
/// ledger by e-mail (fauxqs SNS). S3 here is moto's: Ceph RGW answers PutBucketLogging with MethodNotAllowed, and the
/// function finds the access logs from the bucket's logging configuration. LookupEvents is the recorded-shape fake.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AfterLockTests(LocalAws aws) : IAsyncLifetime
{
    private const string Role = "arn:aws:iam::123456789012:role/bucketguard-EventFunctionsRole";
    private readonly string bucket = LocalAws.UniqueName("bg-afterlock");
    private readonly string logs = LocalAws.UniqueName("bg-afterlock-logs");
    private readonly List<LambdaEmulator> functions = [];
    private readonly AmazonS3Client moto = new(new AmazonS3Config { ServiceURL = MotoClient.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    public async Task InitializeAsync()
    {
        await moto.PutBucketAsync(bucket);
        await moto.PutBucketAsync(new PutBucketRequest { BucketName = logs, CannedACL = S3CannedACL.LogDeliveryWrite });
        await moto.PutBucketLoggingAsync(new PutBucketLoggingRequest { BucketName = bucket, LoggingConfig = new S3BucketLoggingConfig { TargetBucketName = logs, TargetPrefix = "access/" } });
        await moto.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
    }

    public async Task DisposeAsync()
    {
        foreach (var function in functions)
        {
            await function.DisposeAsync();
        }

        foreach (var name in new[] { bucket, logs })
        {
            foreach (var item in (await moto.ListObjectsV2Async(new ListObjectsV2Request { BucketName = name })).S3Objects ?? [])
            {
                await moto.DeleteObjectAsync(name, item.Key);
            }

            await moto.DeleteBucketAsync(name);
        }

        moto.Dispose();
    }

    private async Task<LambdaEmulator> StartAsync(string handler, Dictionary<string, string> settings)
    {
        var environment = FunctionOptions.Inherited("AWS_");
        environment["AWS_ENDPOINT_URL_S3"] = MotoClient.Endpoint.ToString();
        environment["BUCKETGUARD_ROLE_ARNS"] = Role;
        environment["BUCKETGUARD_HOME_ACCOUNT"] = MotoClient.Account;
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        var function = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-" + handler, Path.Combine(AppContext.BaseDirectory, "bootstrap"), handler, 60, 512, "us-east-1", MotoClient.Account, environment));
        functions.Add(function);
        return function;
    }

    private static string SqsEvent(JsonObject message, int receives) => new JsonObject
    {
        ["Records"] = new JsonArray(new JsonObject
        {
            ["messageId"] = message["MessageId"]!.GetValue<string>(),
            ["receiptHandle"] = message["ReceiptHandle"]!.GetValue<string>(),
            ["body"] = message["Body"]!.GetValue<string>(),
            ["attributes"] = new JsonObject { ["ApproximateReceiveCount"] = receives.ToString(CultureInfo.InvariantCulture) },
            ["eventSource"] = "aws:sqs",
            ["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:bucketguard-exposure",
            ["awsRegion"] = "us-east-1",
        }),
    }.ToJsonString();

    [Fact]
    public async Task A_lock_asks_for_its_exposure_and_the_report_names_the_cause_the_lock_and_the_anonymous_read_once_cloudtrail_shows_the_lock()
    {
        var (topic, inbox) = await aws.TopicWithQueueAsync("bg-afterlock");
        var (exposureQueue, _) = await aws.Sqs.CreateQueueAsync(LocalAws.UniqueName("bg-exposure"));
        var now = DateTimeOffset.UtcNow;
        var t = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddMinutes(-20);

        // The decision: the acl function locks the public bucket and asks for its exposure, at once (delay 0).
        var acl = await StartAsync("acl", new() { ["BUCKETGUARD_TOPIC_ARN"] = topic, ["BUCKETGUARD_EXPOSURE_QUEUE_URL"] = exposureQueue, ["BUCKETGUARD_EXPOSURE_DELAY"] = "0" });
        var aclEvent = File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "events", "putbucketacl-public-read.json"))
            .Replace("bucketguard-demo-reports", bucket, StringComparison.Ordinal).Replace("111122223333", MotoClient.Account, StringComparison.Ordinal);
        var (status, decided, error) = await acl.InvokeAsync(aclEvent);
        Assert.True(status == 200 && error is null, $"{status} {error} {decided}\n{string.Join('\n', acl.Logs)}");
        Assert.Equal("Block", JsonNode.Parse(decided)!["outcome"]!.GetValue<string>());
        var asked = Assert.Single(await aws.Sqs.ReceiveAsync(exposureQueue, TimeSpan.FromSeconds(10)));
        var request = JsonNode.Parse(asked["Body"]!.GetValue<string>())!;
        Assert.Equal((bucket, "remediated"), (request["bucket"]!.GetValue<string>(), request["eventType"]!.GetValue<string>()));
        Assert.NotNull(request["lockedAt"]);
        Assert.Single(await aws.NotificationsAsync(inbox, 1, TimeSpan.FromSeconds(10)));

        // The evidence: one anonymous GET in the access log S3 delivered for the bucket, during the window.
        var read = t.AddMinutes(12);
        await moto.PutObjectAsync(new PutObjectRequest
        {
            BucketName = logs,
            Key = $"access/{read.AddMinutes(1):yyyy-MM-dd-HH-mm-ss}-1A2B3C4D5E6F7A8B",
            ContentBody = $"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be {bucket} [{read:dd/MMM/yyyy:HH:mm:ss} +0000] 203.0.113.7 - REQ0001 REST.GET.OBJECT results/patient-0042.pdf \"GET /{bucket}/results/patient-0042.pdf HTTP/1.1\" 200 - 48213 48213 31 12 \"-\" \"curl/8.5.0\" - HOST0001= - - - {bucket}.s3.us-east-1.amazonaws.com - - -\n",
        });

        // CloudTrail: first without the lock (it takes minutes to show it), then with it.
        const string Dev = """{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/dev","accountId":"123456789012"}""";
        string Acl(string canned, DateTimeOffset at, string id) => CloudTrailFake.Event("PutBucketAcl", CloudTrailFake.Record(MotoClient.Account, bucket, "PutBucketAcl", $"\"x-amz-acl\":\"{canned}\"", at, id, Dev), at, id);
        var beforeLock = $$"""{"Events":[{{Acl("public-read", t.AddMinutes(10), "ev-public")}},{{Acl("private", t, "ev-private")}}]}""";
        var lockRecord = CloudTrailFake.Record(MotoClient.Account, bucket, "PutBucketPublicAccessBlock", "\"PublicAccessBlockConfiguration\":{\"BlockPublicAcls\":true,\"IgnorePublicAcls\":true,\"BlockPublicPolicy\":true,\"RestrictPublicBuckets\":true}", t.AddMinutes(20), "ev-lock", CloudTrailFake.AssumedRole(Role));
        using var cloudTrail = new CloudTrailFake { Page = beforeLock };
        var exposure = await StartAsync("exposure", new() { ["BUCKETGUARD_TOPIC_ARN"] = topic, ["AWS_ENDPOINT_URL_CLOUDTRAIL"] = cloudTrail.Endpoint, ["BUCKETGUARD_EXPOSURE_ATTEMPTS"] = "3" });

        var (_, waiting, waitError) = await exposure.InvokeAsync(SqsEvent(asked, receives: 1));
        Assert.True(waitError is null, waiting + string.Join('\n', exposure.Logs));
        Assert.Equal(asked["MessageId"]!.GetValue<string>(), JsonNode.Parse(waiting)!["batchItemFailures"]![0]!["itemIdentifier"]!.GetValue<string>());
        Assert.Empty(await aws.Sqs.ReceiveAsync(inbox, TimeSpan.FromSeconds(2)));

        cloudTrail.Page = beforeLock.Replace("{\"Events\":[", "{\"Events\":[" + CloudTrailFake.Event("PutBucketPublicAccessBlock", lockRecord, t.AddMinutes(20), "ev-lock") + ",", StringComparison.Ordinal);
        var (_, done, doneError) = await exposure.InvokeAsync(SqsEvent(asked, receives: 2));
        Assert.True(doneError is null, done + string.Join('\n', exposure.Logs));
        Assert.Equal("""{"batchItemFailures":[]}""", done);

        var (eventType, document, email) = Assert.Single(await aws.NotificationsAsync(inbox, 1, TimeSpan.FromSeconds(10)));
        Assert.Equal("exposure-report", eventType);
        var window = document["report"]!["window"]!;
        Assert.Equal(("ev-public", false, "ev-lock"), (window["cause"]!["eventId"]!.GetValue<string>(), window["startIsLowerBound"]!.GetValue<bool>(), window["ender"]!["eventId"]!.GetValue<string>()));
        var ledger = document["report"]!["ledger"]!;
        Assert.Equal(("read", 1, 48213), (ledger["verdict"]!.GetValue<string>(), ledger["reads"]!.GetValue<int>(), ledger["bytesSent"]!.GetValue<int>()));
        Assert.Contains("results/patient-0042.pdf: 1 read(s), 0 refused, 48213 bytes", email, StringComparison.Ordinal);
        Assert.Contains("by anonymous from 203.0.113.7", email, StringComparison.Ordinal);
        Assert.Contains("Gap: CloudTrail data events are not recorded for this bucket", email, StringComparison.Ordinal);
        Assert.Contains(CloudTrailFake.Target + "DescribeTrails", cloudTrail.Targets);
    }
}
