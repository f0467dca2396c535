using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Aws;
using Amazon.SimpleNotificationService;

namespace BucketGuard.IntegrationTests;

/// <summary>The local AWS for a test run: reuses services that already answer at the configured endpoints,
/// otherwise starts them with infra/local/start (which installs what is missing) and adopts the environment it
/// prints, so the product's clients configure themselves exactly as they would for a user.</summary>
public sealed class LocalAws : IAsyncLifetime
{
    public AmazonS3Client S3 { get; private set; } = null!;

    public AmazonSimpleNotificationServiceClient Sns { get; private set; } = null!;

    public SqsTestClient Sqs { get; private set; } = null!;

    public Uri S3Endpoint { get; private set; } = null!;

    public HttpClient Anonymous { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static string RepositoryRoot { get; } = FindRoot();

    public async Task InitializeAsync()
    {
        if (!await AnswersAsync(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3")) || !await AnswersAsync(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_SNS"), "/health"))
        {
            foreach (var (key, value) in await StartAsync())
            {
                Environment.SetEnvironmentVariable(key, value);
            }
        }

        S3Endpoint = AwsEndpoints.Configured("S3") ?? throw new InvalidOperationException("AWS_ENDPOINT_URL_S3 is not set after starting the local services");
        S3 = AwsClients.CreateS3();
        Sns = new AmazonSimpleNotificationServiceClient();
        Sqs = new SqsTestClient(AwsEndpoints.Configured("SQS")!);
    }

    public Task DisposeAsync()
    {
        S3.Dispose();
        Sns.Dispose();
        Anonymous.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A bucket name no other test uses (S3 names: lower case, digits, hyphens).</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():n}"[..Math.Min(prefix.Length + 13, 63)];

    public Uri ObjectUrl(string bucket, string key = "") => new(S3Endpoint, $"{bucket}/{key}");

    /// <summary>An evidence bucket as the template makes it, on Ceph RGW (which enforces S3 Object Lock): versioned, Object
    /// Lock on, default retention GOVERNANCE for a day (so that DeleteEvidenceBucketAsync can bypass it).</summary>
    public static async Task<string> CreateEvidenceBucketAsync(IAmazonS3 s3)
    {
        var bucket = UniqueName("bg-evidence");
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, ObjectLockEnabledForBucket = true });
        await s3.PutObjectLockConfigurationAsync(new PutObjectLockConfigurationRequest
        {
            BucketName = bucket,
            ObjectLockConfiguration = new ObjectLockConfiguration
            {
                ObjectLockEnabled = ObjectLockEnabled.Enabled,
                Rule = new ObjectLockRule { DefaultRetention = new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 1 } },
            },
        });
        return bucket;
    }

    /// <summary>Locked versions cannot be removed before their retention ends (one day): bypasses governance, as only a
    /// principal with s3:BypassGovernanceRetention may, then deletes the bucket.</summary>
    public static async Task DeleteEvidenceBucketAsync(IAmazonS3 s3, string bucket)
    {
        var versions = await s3.ListVersionsAsync(bucket);
        foreach (var v in versions.Versions ?? [])
        {
            await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = v.Key, VersionId = v.VersionId, BypassGovernanceRetention = true });
        }

        await s3.DeleteBucketAsync(bucket);
    }

    /// <summary>A fresh SNS topic with a fresh SQS queue subscribed to it, as a security team's mailbox.</summary>
    public async Task<(string Topic, string QueueUrl)> TopicWithQueueAsync(string prefix)
    {
        var topic = (await Sns.CreateTopicAsync(new Amazon.SimpleNotificationService.Model.CreateTopicRequest { Name = UniqueName(prefix) })).TopicArn!;
        var (queueUrl, queueArn) = await Sqs.CreateQueueAsync(UniqueName(prefix));
        await Sns.SubscribeAsync(new Amazon.SimpleNotificationService.Model.SubscribeRequest { TopicArn = topic, Protocol = "sqs", Endpoint = queueArn });
        return (topic, queueUrl);
    }

    /// <summary>The notifications that reached a queue within <paramref name="wait"/>: the event attribute, the JSON
    /// document (SNS's "default") and the e-mail text.</summary>
    public async Task<List<(string Event, System.Text.Json.Nodes.JsonNode Document, string Email)>> NotificationsAsync(string queueUrl, int expected, TimeSpan wait) =>
        [.. (await Sqs.ReceiveAsync(queueUrl, wait, expected)).Select(m =>
        {
            var envelope = System.Text.Json.Nodes.JsonNode.Parse(m["Body"]!.GetValue<string>())!;
            var structure = System.Text.Json.Nodes.JsonNode.Parse(envelope["Message"]!.GetValue<string>())!;
            return (envelope["MessageAttributes"]!["event"]!["Value"]!.GetValue<string>(), System.Text.Json.Nodes.JsonNode.Parse(structure["default"]!.GetValue<string>())!, structure["email"]!.GetValue<string>());
        })];

    private async Task<bool> AnswersAsync(string? url, string path = "/")
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return false;
        }

        try
        {
            using var response = await Anonymous.GetAsync(new Uri(uri, path));
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<List<(string Key, string Value)>> StartAsync()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot, "infra", "local", "start")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"infra/local/start failed ({process.ExitCode}):\n{await errors}");
        }

        return [.. (await output).Split('\n')
            .Where(line => line.StartsWith("export ", StringComparison.Ordinal))
            .Select(line => line["export ".Length..].Split('=', 2))
            .Select(kv => (kv[0], kv[1]))];
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BucketGuard.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BucketGuard.slnx not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class LocalAwsCollection : ICollectionFixture<LocalAws>
{
    public const string Name = "LocalAws";
}
