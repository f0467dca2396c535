using System.Net;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Aws;
using Amazon.SimpleNotificationService.Model;
using BucketGuard.Cli;
using BucketGuard.LocalLambda;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Sweep;

namespace BucketGuard.IntegrationTests;

/// <summary>`audit`, `audit --fix` and the organisation sweep over a mix of buckets in Ceph RGW: private, public ACL,
/// public policy, validly exempted, and public under an expired exemption.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AuditTests(LocalAws aws) : IAsyncLifetime
{
    private readonly string prefix = LocalAws.UniqueName("bg-audit")[..21] + "-";
    private string Name(string suffix) => prefix + suffix;

    public async Task InitializeAsync()
    {
        foreach (var suffix in new[] { "a-private", "b-acl", "c-policy", "d-exempt", "e-expired" })
        {
            await aws.S3.PutBucketAsync(Name(suffix));
            await aws.S3.PutObjectAsync(new PutObjectRequest { BucketName = Name(suffix), Key = "index.html", ContentBody = "hello" });
        }

        foreach (var suffix in new[] { "b-acl", "d-exempt", "e-expired" })
        {
            await aws.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = Name(suffix), ACL = S3CannedACL.PublicRead });
        }

        await aws.S3.PutBucketPolicyAsync(new PutBucketPolicyRequest
        {
            BucketName = Name("c-policy"),
            Policy = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{Name("c-policy")}}/*"}]}""",
        });
        await Tag("d-exempt", DateTime.UtcNow.AddDays(20));
        await Tag("e-expired", DateTime.UtcNow.AddDays(-3));
    }

    private Task Tag(string suffix, DateTime until) => aws.S3.PutBucketTaggingAsync(new PutBucketTaggingRequest
    {
        BucketName = Name(suffix),
        TagSet =
        [
            new() { Key = "bucketguard:exempt-until", Value = until.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) },
            new() { Key = "bucketguard:exempt-scope", Value = "read-list" },
            new() { Key = "bucketguard:exempt-reason", Value = "Public website" },
            new() { Key = "bucketguard:owner", Value = "web@example.com" },
        ],
    });

    public async Task DisposeAsync()
    {
        foreach (var suffix in new[] { "a-private", "b-acl", "c-policy", "d-exempt", "e-expired" })
        {
            await aws.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = Name(suffix) });
            await aws.S3.DeleteObjectAsync(Name(suffix), "index.html");
            await aws.S3.DeleteBucketAsync(Name(suffix));
        }
    }

    private static string? NoTopic(string name) => name == "BUCKETGUARD_TOPIC_ARN" ? null : Environment.GetEnvironmentVariable(name);

    private async Task<(int Exit, Dictionary<string, JsonNode> Lines)> AuditAsync(bool fix)
    {
        var output = new StringWriter();
        var exit = await AuditCommand.RunAsync(new AuditCommand.Options(Json: true, Csv: false, Fix: fix, Yes: true, Concurrency: 8, Account: null),
            NoTopic, TextReader.Null, output, new StringWriter(), CancellationToken.None);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)
            .Where(l => l["bucket"]!.GetValue<string>().StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(l => l["bucket"]!.GetValue<string>()[prefix.Length..]);
        return (exit, lines);
    }

    [Fact]
    public async Task The_audit_finds_exactly_the_public_buckets_with_their_reasons_and_urls()
    {
        var (exit, lines) = await AuditAsync(fix: false);

        Assert.Equal(1, exit);
        Assert.Equal(["a-private", "b-acl", "c-policy", "d-exempt", "e-expired"], lines.Keys.Order());
        Assert.False(lines["a-private"]["publicInEffect"]!.GetValue<bool>());
        Assert.Equal("AllUsers", lines["b-acl"]["findings"]![0]!["principal"]!.GetValue<string>());
        Assert.Equal("*", lines["c-policy"]["findings"]![0]!["principal"]!.GetValue<string>());
        Assert.Equal("Exempted", lines["d-exempt"]["outcome"]!.GetValue<string>());
        Assert.Equal("WouldBlock", lines["e-expired"]["outcome"]!.GetValue<string>());
        Assert.Contains("expired on", lines["e-expired"]["exemption"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal($"{aws.S3Endpoint}{Name("b-acl")}/", lines["b-acl"]["url"]!.GetValue<string>());
        Assert.Null(lines["a-private"]["url"]);
    }

    [Fact]
    public async Task Audit_fix_locks_exactly_the_public_buckets_without_a_valid_exemption()
    {
        var (_, lines) = await AuditAsync(fix: true);

        Assert.Equal(["b-acl", "c-policy", "e-expired"], lines.Where(l => l.Value["locked"]!.GetValue<bool>()).Select(l => l.Key).Order());
        var reader = new S3BucketStateReader(aws.S3, readPolicyStatus: false, new SignedHttp(new HttpClient(), new Amazon.Runtime.BasicAWSCredentials(
            Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"), Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"))), (AmazonS3Config)aws.S3.Config);
        foreach (var (suffix, locked) in new[] { ("a-private", false), ("b-acl", true), ("c-policy", true), ("d-exempt", false), ("e-expired", true) })
        {
            Assert.Equal(locked, (await reader.ReadBlockAsync(Name(suffix), CancellationToken.None))?.IsAll == true);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await aws.Anonymous.GetAsync(aws.ObjectUrl(Name("b-acl")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await aws.Anonymous.GetAsync(aws.ObjectUrl(Name("d-exempt")))).StatusCode);
    }

    [Fact]
    public async Task A_bucket_that_cannot_be_read_is_reported_while_the_rest_complete()
    {
        var real = S3BucketStateReader.FromEnvironment(aws.S3, RemediationPolicy.Default with { TrustS3PolicyStatus = false });
        var failing = new FailingFor(Name("c-policy"), real);
        var sweeper = new Sweeper(new S3BucketLister(aws.S3), new PipelinePorts(failing, new S3PublicAccessBlockWriter(aws.S3, real)), null, RemediationPolicy.Default, TimeProvider.System);

        var report = await sweeper.RunAsync(null, act: false, concurrency: 4);

        var mine = report.Buckets.Where(b => b.Bucket.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(5, mine.Count);
        Assert.Contains("SlowDown", mine.Single(b => b.Bucket.Name == Name("c-policy")).Error, StringComparison.Ordinal);
        Assert.All(mine.Where(b => b.Bucket.Name != Name("c-policy")), b => Assert.NotNull(b.Verdict));
    }

    /// <summary>A real reader that fails for one bucket, as S3 does when a read still throttles after the SDK's retries.</summary>
    private sealed class FailingFor(string bucket, IBucketStateReader real) : IBucketStateReader
    {
        public Task<BucketState> ReadAsync(string name, string? account, CancellationToken cancellationToken) =>
            name == bucket ? throw new AmazonS3Exception("SlowDown: Please reduce your request rate.") : real.ReadAsync(name, account, cancellationToken);
    }

    /// <summary>The organisation sweep's three states through the real bootstrap under the local Runtime API, driven as
    /// the state machine drives them (moto runs Step Functions, but its Lambda tasks need Docker): Plan writes the items
    /// to S3 (Ceph) and its records to DynamoDB (moto); each batch of 250 items, cut as the Map's ItemBatcher cuts them,
    /// goes to the batch function (the batch holding the expired exemption twice, as a retry would); then Summarise.</summary>
    [Fact]
    public async Task The_organisation_sweep_through_the_bootstrap_sweeps_every_listed_bucket_and_reports_each_public_one_once()
    {
        var topic = (await aws.Sns.CreateTopicAsync(new CreateTopicRequest { Name = LocalAws.UniqueName("bg-sweep") })).TopicArn!;
        var (queueUrl, queueArn) = await aws.Sqs.CreateQueueAsync(LocalAws.UniqueName("bg-sweep-q"));
        await aws.Sns.SubscribeAsync(new SubscribeRequest { TopicArn = topic, Protocol = "sqs", Endpoint = queueArn });
        using var dynamo = AwsClients.CreateDynamoDb();
        var table = await MotoClient.TableAsync(dynamo, "bg-sweep-t");
        var itemsBucket = LocalAws.UniqueName("bg-sweep-items");
        await aws.S3.PutBucketAsync(itemsBucket);
        var environment = FunctionOptions.Inherited("AWS_");
        environment["BUCKETGUARD_TOPIC_ARN"] = topic;
        environment["BUCKETGUARD_S3_POLICY_STATUS"] = "off";
        environment["BUCKETGUARD_HOME_ACCOUNT"] = "111122223333";
        environment["BUCKETGUARD_SWEEP_TABLE"] = table;
        environment["BUCKETGUARD_SWEEP_BUCKET"] = itemsBucket;
        var bootstrap = Path.Combine(AppContext.BaseDirectory, "bootstrap");
        await using var plan = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-sweep-plan", bootstrap, "sweep-plan", 120, 1024, "us-east-1", "111122223333", environment));
        await using var batches = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-sweep-batch", bootstrap, "sweep-batch", 120, 512, "us-east-1", "111122223333", environment));
        await using var summary = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-sweep-summary", bootstrap, "sweep-summary", 120, 512, "us-east-1", "111122223333", environment));
        var sweepId = "sweep-it-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var (status, body, error) = await plan.InvokeAsync("{\"sweepId\":\"" + sweepId + "\",\"request\":{\"memberAccounts\":\"\"}}");
            Assert.True(status == 200 && error is null, body + string.Join('\n', plan.Logs));
            var answer = JsonNode.Parse(body)!;
            Assert.False(answer["skipped"]!.GetValue<bool>());
            var again = JsonNode.Parse((await plan.InvokeAsync("""{"sweepId":"sweep-it-second","request":{}}""")).Body)!;
            Assert.True(again["skipped"]!.GetValue<bool>(), again.ToJsonString());

            using var items = await aws.S3.GetObjectAsync(itemsBucket, answer["itemsKey"]!.GetValue<string>());
            var lines = (await new StreamReader(items.ResponseStream).ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(answer["items"]!.GetValue<int>(), lines.Length);
            Assert.All(new[] { "a-private", "b-acl", "c-policy", "d-exempt", "e-expired" }, b => Assert.Contains(lines, l => l.Contains($"\"{Name(b)}\"", StringComparison.Ordinal)));
            var cut = lines.Chunk(SweepPlanner.BatchSize).Select(chunk => $$"""{"BatchInput":{"sweepId":"{{sweepId}}"},"Items":[{{string.Join(',', chunk)}}]}""").ToList();
            var expired = cut.Single(b => b.Contains($"\"{Name("e-expired")}\"", StringComparison.Ordinal));
            foreach (var batch in cut.Append(expired))
            {
                var done = await batches.InvokeAsync(batch);
                Assert.True(done.Status == 200 && done.FunctionError is null, done.Body + string.Join('\n', batches.Logs));
            }

            var refused = await batches.InvokeAsync("""{"BatchInput":{"sweepId":"x"},"Items":[{"i":0,"account":"111122223333","bucket":"../../etc"}]}""");
            Assert.Equal("FormatException", JsonNode.Parse(refused.Body)!["errorType"]!.GetValue<string>());

            var summarised = await summary.InvokeAsync($$"""{"sweepId":"{{sweepId}}"}""");
            Assert.True(summarised.Status == 200 && summarised.FunctionError is null, summarised.Body + string.Join('\n', summary.Logs));
            var counts = JsonNode.Parse(summarised.Body)!;
            Assert.Equal(lines.Length, counts["listed"]!.GetValue<int>());
            Assert.Equal(lines.Length, counts["swept"]!.GetValue<int>());
            Assert.Equal(0, counts["missing"]!.GetValue<int>());
            Assert.Contains(summary.Logs, l => l.Contains("\"MissingBuckets\":0", StringComparison.Ordinal));

            var messages = await aws.Sqs.ReceiveAsync(queueUrl, TimeSpan.FromSeconds(15), atLeast: 5);
            var envelopes = messages.Select(m => JsonNode.Parse(m["Body"]!.GetValue<string>())!).ToList();
            string? Attribute(JsonNode e, string name) => e["MessageAttributes"]![name]?["Value"]?.GetValue<string>();
            Assert.Contains(envelopes, e => Attribute(e, "event") == "sweep-summary" && Attribute(e, "account") == "111122223333");
            Assert.Contains(envelopes, e => Attribute(e, "event") == "organization-sweep-summary");
            var reported = Assert.Single(envelopes, e => Attribute(e, "bucket") == Name("e-expired"));
            Assert.Equal("remediated", Attribute(reported, "event"));
            Assert.Equal(HttpStatusCode.OK, (await aws.Anonymous.GetAsync(aws.ObjectUrl(Name("d-exempt")))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await aws.Anonymous.GetAsync(aws.ObjectUrl(Name("e-expired")))).StatusCode);
            var next = JsonNode.Parse((await plan.InvokeAsync("""{"sweepId":"sweep-it-next","request":{}}""")).Body)!;
            Assert.False(next["skipped"]!.GetValue<bool>(), "the summary gave the lease back");
        }
        finally
        {
            var listed = await aws.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = itemsBucket });
            foreach (var o in listed.S3Objects ?? [])
            {
                await aws.S3.DeleteObjectAsync(itemsBucket, o.Key);
            }

            await aws.S3.DeleteBucketAsync(itemsBucket);
            await dynamo.DeleteTableAsync(table);
            await aws.Sqs.DeleteQueueAsync(queueUrl);
            await aws.Sns.DeleteTopicAsync(new DeleteTopicRequest { TopicArn = topic });
        }
    }
}
