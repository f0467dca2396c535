using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SimpleNotificationService.Model;
using BucketGuard.LocalLambda;

namespace BucketGuard.IntegrationTests;

/// <summary>Issue 17's outputs through the real bootstrap: the bucket in Ceph RGW, the notification and chat topics in
/// fauxqs, Security Hub and EventBridge in moto server. What is read back is what each service holds: the finding by
/// GetFindings, the decision event from a rule's SQS target (moto's own SQS), the chat card from the chat topic's queue,
/// validated against the documented custom-notification schema with jsonschema.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OutputsTests(LocalAws aws) : IAsyncLifetime
{
    private const string Account = "111122223333"; // the account the sample events name
    private readonly string bucket = LocalAws.UniqueName("bg-outputs");
    private readonly string bus = LocalAws.UniqueName("bg-soar");
    private readonly List<LambdaEmulator> functions = [];
    private string topic = string.Empty;
    private string chatTopic = string.Empty;
    private string queueUrl = string.Empty;
    private string chatQueueUrl = string.Empty;
    private string busQueueUrl = string.Empty;

    public async Task InitializeAsync()
    {
        await aws.S3.PutBucketAsync(bucket);
        await aws.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
        (topic, queueUrl) = await aws.TopicWithQueueAsync("bg-topic");
        (chatTopic, chatQueueUrl) = await aws.TopicWithQueueAsync("bg-chat");

        await MotoClient.OkAsync("events", "AWSEvents.CreateEventBus", new JsonObject { ["Name"] = bus });
        busQueueUrl = (await MotoClient.OkAsync("sqs", "AmazonSQS.CreateQueue", new JsonObject { ["QueueName"] = bus }, "1.0"))["QueueUrl"]!.GetValue<string>();
        var queueArn = (await MotoClient.OkAsync("sqs", "AmazonSQS.GetQueueAttributes", new JsonObject { ["QueueUrl"] = busQueueUrl, ["AttributeNames"] = new JsonArray("QueueArn") }, "1.0"))["Attributes"]!["QueueArn"]!.GetValue<string>();
        await MotoClient.OkAsync("events", "AWSEvents.PutRule", new JsonObject { ["Name"] = bus, ["EventBusName"] = bus, ["EventPattern"] = """{"source":["bucketguard"],"detail-type":["BucketGuard Decision"]}""" });
        await MotoClient.OkAsync("events", "AWSEvents.PutTargets", new JsonObject { ["Rule"] = bus, ["EventBusName"] = bus, ["Targets"] = new JsonArray(new JsonObject { ["Id"] = "soar", ["Arn"] = queueArn }) });
    }


    public async Task DisposeAsync()
    {
        foreach (var function in functions)
        {
            await function.DisposeAsync();
        }

        await aws.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
        await aws.S3.DeleteBucketAsync(bucket);
        await aws.Sqs.DeleteQueueAsync(queueUrl);
        await aws.Sqs.DeleteQueueAsync(chatQueueUrl);
        await aws.Sns.DeleteTopicAsync(new DeleteTopicRequest { TopicArn = topic });
        await aws.Sns.DeleteTopicAsync(new DeleteTopicRequest { TopicArn = chatTopic });
        await MotoClient.JsonAsync("sqs", "AmazonSQS.DeleteQueue", new JsonObject { ["QueueUrl"] = busQueueUrl }, "1.0");
    }

    private async Task<LambdaEmulator> StartAsync(string mode, string? eventBus = null, string? handler = "acl")
    {
        var environment = FunctionOptions.Inherited("AWS_");
        environment["BUCKETGUARD_TOPIC_ARN"] = topic;
        environment["BUCKETGUARD_CHAT_TOPIC_ARN"] = chatTopic;
        environment["BUCKETGUARD_SECURITY_HUB"] = "on";
        environment["BUCKETGUARD_EVENT_BUS"] = eventBus ?? bus;
        environment["BUCKETGUARD_MODE"] = mode;
        environment["BUCKETGUARD_S3_POLICY_STATUS"] = "off";
        environment["BUCKETGUARD_HOME_ACCOUNT"] = MotoClient.Account; // the importing account: moto's own
        var function = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-" + handler, Path.Combine(AppContext.BaseDirectory, "bootstrap"), handler!, 30, 256,
            Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1", Account, environment));
        functions.Add(function);
        return function;
    }

    private string AclEvent() =>
        File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "events", "putbucketacl-public-read.json")).Replace("bucketguard-demo-reports", bucket, StringComparison.Ordinal);

    private string FindingId => $"bucketguard/s3-public-access/{Account}/{bucket}";

    /// <summary>This bucket's finding as Security Hub holds it (moto 5.2.1 ignores GetFindings' filters, so the answer
    /// is searched by Id; AWS would answer only the filtered finding).</summary>
    private async Task<List<JsonNode>> FindingsAsync()
    {
        var response = await MotoClient.Signed().SendAsync(HttpMethod.Post, new MotoClient.SigningConfig("securityhub"), "securityhub", MotoClient.Endpoint, "/findings", "us-east-1",
            content: System.Text.Encoding.UTF8.GetBytes("""{"MaxResults":100}"""), contentType: "application/json");
        Assert.True(response.Status == HttpStatusCode.OK, response.Body);
        return [.. JsonNode.Parse(response.Body)!["Findings"]!.AsArray().Where(f => f!["Id"]!.GetValue<string>() == FindingId).Select(f => f!)];
    }

    private static async Task<JsonNode> InvokeOkAsync(LambdaEmulator function, string payload)
    {
        var (status, body, error) = await function.InvokeAsync(payload);
        Assert.True(status == 200 && error is null, $"invocation failed: {status} {error} {body}\n{string.Join('\n', function.Logs)}");
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task A_public_bucket_is_one_active_finding_that_its_lock_resolves_under_the_same_id()
    {
        var watching = await StartAsync("notify");
        Assert.Equal("WouldBlock", (await InvokeOkAsync(watching, AclEvent()))["outcome"]!.GetValue<string>());
        var found = Assert.Single(await FindingsAsync());
        Assert.Equal(("ACTIVE", "FAILED", "NEW", "HIGH"), (found["RecordState"]!.GetValue<string>(), found["Compliance"]!["Status"]!.GetValue<string>(),
            found["Workflow"]!["Status"]!.GetValue<string>(), found["Severity"]!["Label"]!.GetValue<string>()));
        Assert.Equal($"arn:aws:securityhub:us-east-1:{MotoClient.Account}:product/{MotoClient.Account}/default", found["ProductArn"]!.GetValue<string>());
        Assert.Equal($"arn:aws:s3:::{bucket}", found["Resources"]![0]!["Id"]!.GetValue<string>());

        var enforcing = await StartAsync("enforce");
        Assert.Equal("Block", (await InvokeOkAsync(enforcing, AclEvent()))["outcome"]!.GetValue<string>());

        var resolved = Assert.Single(await FindingsAsync());
        Assert.Equal(("ARCHIVED", "PASSED", "RESOLVED"), (resolved["RecordState"]!.GetValue<string>(), resolved["Compliance"]!["Status"]!.GetValue<string>(), resolved["Workflow"]!["Status"]!.GetValue<string>()));
        Assert.True(resolved["Resources"]![0]!["Details"]!["AwsS3Bucket"]!["PublicAccessBlockConfiguration"]!["IgnorePublicAcls"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.Forbidden, (await aws.Anonymous.GetAsync(aws.ObjectUrl(bucket))).StatusCode);
    }

    [Fact]
    public async Task An_exempted_public_bucket_is_a_suppressed_finding()
    {
        await aws.S3.PutBucketTaggingAsync(new PutBucketTaggingRequest
        {
            BucketName = bucket,
            TagSet =
            [
                new() { Key = "bucketguard:exempt-until", Value = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) },
                new() { Key = "bucketguard:exempt-scope", Value = "read-list" },
                new() { Key = "bucketguard:exempt-reason", Value = "public dataset" },
            ],
        });
        var function = await StartAsync("enforce");

        Assert.Equal("Exempted", (await InvokeOkAsync(function, AclEvent()))["outcome"]!.GetValue<string>());

        var finding = Assert.Single(await FindingsAsync());
        Assert.Equal(("ACTIVE", "SUPPRESSED", "LOW"), (finding["RecordState"]!.GetValue<string>(), finding["Workflow"]!["Status"]!.GetValue<string>(), finding["Severity"]!["Label"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_decision_event_reaches_a_rules_sqs_target_with_the_documented_detail_and_the_chat_card_follows_the_schema()
    {
        var function = await StartAsync("enforce");
        await InvokeOkAsync(function, AclEvent());

        var received = await MotoClient.OkAsync("sqs", "AmazonSQS.ReceiveMessage", new JsonObject { ["QueueUrl"] = busQueueUrl, ["MaxNumberOfMessages"] = 10, ["WaitTimeSeconds"] = 5 }, "1.0");
        var routed = JsonNode.Parse(Assert.Single(received["Messages"]!.AsArray())!["Body"]!.GetValue<string>())!;
        Assert.Equal(("bucketguard", "BucketGuard Decision"), (routed["source"]!.GetValue<string>(), routed["detail-type"]!.GetValue<string>()));
        var detail = routed["detail"]!;
        Assert.Equal(("remediated", bucket, "Block"), (detail["event"]!.GetValue<string>(), detail["bucket"]!.GetValue<string>(), detail["action"]!["outcome"]!.GetValue<string>()));
        Assert.Equal("PutBucketAcl", detail["change"]!["eventName"]!.GetValue<string>());

        var chat = Assert.Single(await aws.Sqs.ReceiveAsync(chatQueueUrl, TimeSpan.FromSeconds(10)));
        var structure = JsonNode.Parse(JsonNode.Parse(chat["Body"]!.GetValue<string>())!["Message"]!.GetValue<string>())!;
        var card = structure["default"]!.GetValue<string>();
        Assert.Equal("ok", Validate(card));
        Assert.Contains(bucket, JsonNode.Parse(card)!["content"]!["title"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(await aws.Sqs.ReceiveAsync(queueUrl, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task An_output_that_fails_fails_the_invocation_after_the_lock_and_the_other_outputs_still_report()
    {
        var function = await StartAsync("enforce", eventBus: "no-such-bus");

        var (_, body, error) = await function.InvokeAsync(AclEvent());

        Assert.NotNull(error);
        Assert.Contains("eventbridge", body + error + string.Join('\n', function.Logs), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await aws.Anonymous.GetAsync(aws.ObjectUrl(bucket))).StatusCode);
        Assert.Single(await aws.Sqs.ReceiveAsync(queueUrl, TimeSpan.FromSeconds(10)));
        Assert.Equal("ARCHIVED", Assert.Single(await FindingsAsync())["RecordState"]!.GetValue<string>());
    }

    private static string Validate(string document)
    {
        var start = new ProcessStartInfo("python3", [Path.Combine(LocalAws.RepositoryRoot, "tests", "tools", "validate-json.py"), Path.Combine(LocalAws.RepositoryRoot, "tests", "schemas", "chat-custom-notification.schema.json")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        process.StandardInput.WriteLine(document.ReplaceLineEndings(" "));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output.Trim();
    }
}
