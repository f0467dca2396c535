using System.Net;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SimpleNotificationService.Model;
using BucketGuard.Cli;
using BucketGuard.LocalLambda;

namespace BucketGuard.IntegrationTests;

/// <summary>Issue 12 through the real bootstrap (handler "objects") against Ceph RGW, which enforces object ACLs,
/// IgnorePublicAcls and BlockPublicAcls as S3 does. RGW does not implement ownership controls (a GET falls through to
/// the bucket listing, and DeleteBucketOwnershipControls deletes an empty bucket, so it is never called here): a local
/// bucket always honours ACLs, and the ownership-change rules are proven by the unit tests against fakes.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ObjectAclTests(LocalAws aws) : IAsyncLifetime
{
    private const string Key = "results/2026-11/patient-0042.pdf";
    private readonly string bucket = LocalAws.UniqueName("bg-objects");
    private readonly List<LambdaEmulator> functions = [];
    private readonly List<string> keys = [Key];
    private string topic = string.Empty;
    private string queueUrl = string.Empty;

    public async Task InitializeAsync()
    {
        await aws.S3.PutBucketAsync(bucket);
        (topic, queueUrl) = await aws.TopicWithQueueAsync("bg-objects");
    }

    public async Task DisposeAsync()
    {
        foreach (var function in functions)
        {
            await function.DisposeAsync();
        }

        await aws.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
        foreach (var chunk in keys.Chunk(500))
        {
            await aws.S3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [.. chunk.Select(k => new KeyVersion { Key = k })] });
        }

        await aws.S3.DeleteBucketAsync(bucket);
        await aws.Sqs.DeleteQueueAsync(queueUrl);
        await aws.Sns.DeleteTopicAsync(new DeleteTopicRequest { TopicArn = topic });
    }

    private async Task<LambdaEmulator> StartAsync(string? topicArn = null, string? deadLetters = null)
    {
        var environment = FunctionOptions.Inherited("AWS_");
        environment["BUCKETGUARD_TOPIC_ARN"] = topicArn ?? topic;
        if (deadLetters is not null)
        {
            environment["BUCKETGUARD_DEAD_LETTER_QUEUE_URL"] = deadLetters;
        }

        environment["BUCKETGUARD_S3_POLICY_STATUS"] = "off";
        var function = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-objects", Path.Combine(AppContext.BaseDirectory, "bootstrap"), "objects", 30, 256,
            Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1", "111122223333", environment));
        functions.Add(function);
        return function;
    }

    private string Event(string sample, string? eventId = null)
    {
        var text = File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "events", sample)).Replace("bucketguard-demo-reports", bucket, StringComparison.Ordinal);
        return eventId is null ? text : text.Replace("4b1c6f0e-0d3a-4a5e-9a55-6f2d1c0e7a42", eventId, StringComparison.Ordinal);
    }

    private async Task<HttpStatusCode> AnonymousGetAsync(string key = Key) => (await aws.Anonymous.GetAsync(aws.ObjectUrl(bucket, key))).StatusCode;

    private static async Task<JsonNode> InvokeOkAsync(LambdaEmulator function, string payload)
    {
        var (status, body, error) = await function.InvokeAsync(payload);
        Assert.True(status == 200 && error is null, $"invocation failed: {status} {error} {body}\n{string.Join('\n', function.Logs)}");
        return JsonNode.Parse(body)!;
    }

    private Task<List<(string Event, JsonNode Document, string Email)>> NotificationsAsync(int expected, TimeSpan wait) => aws.NotificationsAsync(queueUrl, expected, wait);

    private Task UploadAsync(string key, S3CannedACL? acl = null) =>
        aws.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "blood test results", CannedACL = acl });

    private Task ExemptAsync(string scope) => aws.S3.PutBucketTaggingAsync(new PutBucketTaggingRequest
    {
        BucketName = bucket,
        TagSet =
        [
            new() { Key = "bucketguard:exempt-until", Value = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) },
            new() { Key = "bucketguard:exempt-scope", Value = scope },
            new() { Key = "bucketguard:exempt-reason", Value = "published results" },
        ],
    });

    [Fact]
    public async Task An_object_uploaded_public_is_readable_until_its_event_locks_the_buckets_acls_and_the_notice_names_it()
    {
        await UploadAsync(Key, S3CannedACL.PublicRead);
        Assert.Equal(HttpStatusCode.OK, await AnonymousGetAsync());

        var result = await InvokeOkAsync(await StartAsync(), Event("putobject-public-read.json"));

        Assert.Equal("Block", result["outcome"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, await AnonymousGetAsync());
        var block = (await aws.S3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket })).HttpStatusCode;
        Assert.Equal(HttpStatusCode.OK, block);
        var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal("remediated", notice.Event);
        Assert.Equal(Key, notice.Document["change"]!["object"]!["key"]!.GetValue<string>());
        Assert.Contains($"object {Key} is public (read)", notice.Email, StringComparison.Ordinal);
        Assert.Contains("uploaded by arn:aws:iam::111122223333:user/lab-results-uploader from 203.0.113.77", notice.Email, StringComparison.Ordinal);

        // BlockPublicAcls now refuses the next public upload, as the notice says.
        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => UploadAsync("results/2026-11/patient-0043.pdf", S3CannedACL.PublicRead));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task A_public_object_under_a_read_exemption_stays_readable_with_an_exempted_notice()
    {
        await UploadAsync(Key, S3CannedACL.PublicRead);
        await ExemptAsync("read");

        var result = await InvokeOkAsync(await StartAsync(), Event("putobject-public-read.json"));

        Assert.Equal("Exempted", result["outcome"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, await AnonymousGetAsync());
        Assert.Equal("exempted", Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10))).Event);
    }

    [Fact]
    public async Task An_object_granting_write_acp_to_all_users_is_locked_even_under_a_read_exemption()
    {
        await UploadAsync(Key);
        await aws.S3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = Key, GrantWriteACP = "uri=http://acs.amazonaws.com/groups/global/AllUsers" });
        var granted = await aws.S3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = Key });
        Assert.Contains(granted.Grants, g => g.Grantee?.URI == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == S3Permission.WRITE_ACP);
        await ExemptAsync("read");

        var result = await InvokeOkAsync(await StartAsync(), Event("putobjectacl-grant-write-acp.json"));

        Assert.Equal("Block", result["outcome"]!.GetValue<string>());
        var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal(("remediated", "critical"), (notice.Event, notice.Document["severity"]!.GetValue<string>()));
        Assert.Contains("which no exemption covers", notice.Email, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fifty_upload_events_for_one_bucket_give_exactly_one_remediated_notification()
    {
        await UploadAsync(Key, S3CannedACL.PublicRead);
        var function = await StartAsync();

        for (var i = 0; i < 50; i++)
        {
            var outcome = (await InvokeOkAsync(function, Event("putobject-public-read.json", $"storm-{i:00}")))["outcome"]!.GetValue<string>();
            Assert.Equal(i == 0 ? "Block" : "AlreadyBlocked", outcome);
        }

        var notices = await NotificationsAsync(2, TimeSpan.FromSeconds(5));
        Assert.Equal("remediated", Assert.Single(notices).Event);
    }

    [Fact]
    public async Task Audit_with_objects_finds_the_one_public_object_among_hundreds_and_prints_its_url()
    {
        keys.Clear();
        keys.AddRange(Enumerable.Range(0, 300).Select(i => $"reports/report-{i:000}.pdf"));
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, _) =>
            await UploadAsync(key, key == "reports/report-007.pdf" ? S3CannedACL.PublicRead : null));
        var output = new StringWriter();
        var errors = new StringWriter();

        var exit = await AuditCommand.RunAsync(new AuditCommand.Options(Json: false, Csv: false, Fix: false, Yes: false, Concurrency: 8, Account: null, Objects: 20),
            n => n == "BUCKETGUARD_TOPIC_ARN" ? null : n == "BUCKETGUARD_S3_POLICY_STATUS" ? "off" : Environment.GetEnvironmentVariable(n), TextReader.Null, output, errors, CancellationToken.None);

        var text = output.ToString();
        Assert.Contains($"public object: {bucket}/reports/report-007.pdf  {aws.ObjectUrl(bucket, "reports/report-007.pdf")}", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"{bucket}/reports/report-008.pdf", text, StringComparison.Ordinal);
        Assert.True(exit is 1 or 2, $"exit {exit}: {errors}");
        Assert.Contains(text.Split("\n"), l => l.TrimStart().StartsWith(bucket, StringComparison.Ordinal) && l.Contains("1 public", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, await AnonymousGetAsync("reports/report-007.pdf"));
    }

    [Fact]
    public async Task A_lock_whose_notification_fails_is_kept_in_the_dead_letter_queue_and_the_retry_stays_silent()
    {
        await UploadAsync(Key, S3CannedACL.PublicRead);
        var (deadLetters, _) = await aws.Sqs.CreateQueueAsync(LocalAws.UniqueName("bg-dead-letters"));
        try
        {
            var missingTopic = topic + "-deleted";
            var failing = await StartAsync(missingTopic, deadLetters);

            var (_, _, error) = await failing.InvokeAsync(Event("putobject-public-read.json"));

            Assert.NotNull(error);
            Assert.Equal(HttpStatusCode.Forbidden, await AnonymousGetAsync());
            var kept = JsonNode.Parse(Assert.Single(await aws.Sqs.ReceiveAsync(deadLetters, TimeSpan.FromSeconds(10)))["Body"]!.GetValue<string>())!;
            Assert.Equal("report-not-sent", kept["bucketguard"]!.GetValue<string>());
            Assert.StartsWith($"bucket {bucket} locked; notification not sent: sns:", kept["summary"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(Key, kept["decision"]!["change"]!["object"]!["key"]!.GetValue<string>());

            var retry = await InvokeOkAsync(await StartAsync(), Event("putobject-public-read.json"));
            Assert.Equal("AlreadyBlocked", retry["outcome"]!.GetValue<string>());
            Assert.Empty(await NotificationsAsync(1, TimeSpan.FromSeconds(3)));
        }
        finally
        {
            await aws.Sqs.DeleteQueueAsync(deadLetters);
        }
    }
}
