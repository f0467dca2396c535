using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SimpleNotificationService.Model;
using BucketGuard.Cli;
using BucketGuard.LocalLambda;

namespace BucketGuard.IntegrationTests;

/// <summary>Exemptions only the security team can grant, through the real bootstrap against Ceph RGW, fauxqs and moto
/// server's KMS: an HMAC key (HMAC_256, GENERATE_VERIFY_MAC), signatures made by `bucketguard exempt --sign`, and what
/// the functions make of signed, unsigned and forged exemptions, and of KMS being unreachable.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ExemptionApprovalTests(LocalAws aws) : IAsyncLifetime
{
    private const string Account = "111122223333"; // the account the sample events name
    private const string Key = "index.html";
    private readonly string bucket = LocalAws.UniqueName("bg-approve");
    private readonly List<LambdaEmulator> functions = [];
    private string topic = string.Empty;
    private string queueUrl = string.Empty;
    private string keyArn = string.Empty;

    public async Task InitializeAsync()
    {
        await aws.S3.PutBucketAsync(bucket);
        await aws.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = Key, ContentBody = "<h1>public on purpose</h1>" });
        await aws.S3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = Key, ACL = S3CannedACL.PublicRead });
        await aws.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
        (topic, queueUrl) = await aws.TopicWithQueueAsync("bg-approvals");
        keyArn = (await MotoClient.OkAsync("kms", "TrentService.CreateKey", new JsonObject { ["KeyUsage"] = "GENERATE_VERIFY_MAC", ["KeySpec"] = "HMAC_256" }))["KeyMetadata"]!["Arn"]!.GetValue<string>();
    }

    public async Task DisposeAsync()
    {
        foreach (var function in functions)
        {
            await function.DisposeAsync();
        }

        await aws.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
        await aws.S3.DeleteObjectAsync(bucket, Key);
        await aws.S3.DeleteBucketAsync(bucket);
        await aws.Sqs.DeleteQueueAsync(queueUrl);
        await aws.Sns.DeleteTopicAsync(new DeleteTopicRequest { TopicArn = topic });
    }

    private async Task<LambdaEmulator> StartFunctionAsync(string? kmsEndpoint = null)
    {
        var environment = FunctionOptions.Inherited("AWS_");
        environment["BUCKETGUARD_TOPIC_ARN"] = topic;
        environment["BUCKETGUARD_S3_POLICY_STATUS"] = "off";
        environment["BUCKETGUARD_EXEMPTION_KEY_ID"] = keyArn;
        if (kmsEndpoint is not null)
        {
            environment["AWS_ENDPOINT_URL_KMS"] = kmsEndpoint;
        }

        var function = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-tagging", Path.Combine(AppContext.BaseDirectory, "bootstrap"), "tagging", 30, 256,
            Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1", Account, environment));
        functions.Add(function);
        return function;
    }

    private string TaggingEvent() =>
        File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "events", "putbuckettagging-exemption.json")).Replace("bucketguard-demo-reports", bucket, StringComparison.Ordinal);

    private static async Task<JsonNode> InvokeOkAsync(LambdaEmulator function, string payload)
    {
        var (status, body, error) = await function.InvokeAsync(payload);
        Assert.True(status == 200 && error is null, $"invocation failed: {status} {error} {body}\n{string.Join('\n', function.Logs)}");
        return JsonNode.Parse(body)!;
    }

    private Task<List<(string Event, JsonNode Document, string Email)>> NotificationsAsync(int expected, TimeSpan wait) => aws.NotificationsAsync(queueUrl, expected, wait);

    private async Task<HttpStatusCode> AnonymousGetAsync() => (await aws.Anonymous.GetAsync(aws.ObjectUrl(bucket, Key))).StatusCode;

    private static string Until => DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private async Task TagAsync(string until, string scope, string reason, string? signature)
    {
        List<Amazon.S3.Model.Tag> tags = [new() { Key = "bucketguard:exempt-until", Value = until }, new() { Key = "bucketguard:exempt-scope", Value = scope }, new() { Key = "bucketguard:exempt-reason", Value = reason }];
        if (signature is not null)
        {
            tags.Add(new() { Key = "bucketguard:exempt-signature", Value = signature });
        }

        await aws.S3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = tags });
    }

    /// <summary>What `bucketguard exempt --sign` (without --apply) prints as the signature tag for a bucket.</summary>
    private async Task<string> SignatureAsync(string forBucket, string until, string scope, string reason)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        Environment.SetEnvironmentVariable("BUCKETGUARD_EXEMPTION_KEY_ID", keyArn);
        try
        {
            var exit = await ExemptCommand.RunAsync(forBucket, until, reason, scope, null, apply: false, output, errors, DateOnly.FromDateTime(DateTime.UtcNow), CancellationToken.None,
                new ExemptCommand.Approval(true, Account, null));
            Assert.True(exit == 0, errors.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("BUCKETGUARD_EXEMPTION_KEY_ID", null);
        }

        return output.ToString().Split('\n').Single(l => l.Contains("bucketguard:exempt-signature = ", StringComparison.Ordinal)).Split(" = ")[1].Trim();
    }

    [Fact]
    public async Task A_signed_exemption_keeps_a_public_bucket_public_as_approved()
    {
        await TagAsync(Until, "read-list", "Public website assets", await SignatureAsync(bucket, Until, "read-list", "Public website assets"));
        var function = await StartFunctionAsync();

        var result = await InvokeOkAsync(function, TaggingEvent());

        Assert.Equal("Exempted", result["outcome"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, await AnonymousGetAsync());
        var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal("exempted", notice.Event);
        Assert.Equal("approved", notice.Document["exemption"]!["approval"]!.GetValue<string>());
    }

    [Fact]
    public async Task Forged_signatures_lock_the_bucket_and_the_notice_names_the_reason()
    {
        var function = await StartFunctionAsync();
        var later = DateTime.UtcNow.AddDays(40).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (what, signature, until) in new[]
        {
            ("signed for another bucket", await SignatureAsync("some-other-bucket", Until, "read-list", "Public website assets"), Until),
            ("end date edited after signing", await SignatureAsync(bucket, Until, "read-list", "Public website assets"), later),
        })
        {
            await aws.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
            await TagAsync(until, "read-list", "Public website assets", signature);

            var result = await InvokeOkAsync(function, TaggingEvent());

            Assert.True(result["outcome"]!.GetValue<string>() == "Block", what);
            Assert.Equal(HttpStatusCode.Forbidden, await AnonymousGetAsync());
            var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
            Assert.Contains("signature does not match: the tags changed after approval, or it was made for another bucket", notice.Email, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_unsigned_request_asks_for_approval_once_and_its_command_run_as_printed_approves_it()
    {
        await TagAsync(Until, "read-list", "Public website assets", signature: null);
        var function = await StartFunctionAsync();

        var result = await InvokeOkAsync(function, TaggingEvent());

        Assert.Equal("Block", result["outcome"]!.GetValue<string>());
        var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal("exemption-requested", notice.Event);
        var command = notice.Document["exemption"]!["approveCommand"]!.GetValue<string>();
        Assert.Contains(command, notice.Email, StringComparison.Ordinal);

        // The security team runs it as printed (bucketguard is the built CLI), with the approval key configured.
        var (exit, output) = await ShellAsync($"bucketguard() {{ dotnet {Path.Combine(AppContext.BaseDirectory, "bucketguard.dll")} \"$@\"; }}\n{command}");
        Assert.True(exit == 0, output);
        var (verified, verifyOutput) = await ShellAsync($"dotnet {Path.Combine(AppContext.BaseDirectory, "bucketguard.dll")} exempt '{bucket}' --verify --account {Account}");
        Assert.True(verified == 0, verifyOutput);
        Assert.Contains("approved by the security team's signature", verifyOutput, StringComparison.Ordinal);

        var after = await InvokeOkAsync(function, TaggingEvent());
        Assert.Equal("ExemptionRecorded", after["outcome"]!.GetValue<string>()); // approved; the lock stays until the owner lifts it
    }

    private async Task<(int Exit, string Output)> ShellAsync(string script)
    {
        var start = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["BUCKETGUARD_EXEMPTION_KEY_ID"] = keyArn;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task With_kms_unreachable_the_invocation_fails_and_nothing_is_locked_or_exempted()
    {
        await TagAsync(Until, "read-list", "Public website assets", await SignatureAsync(bucket, Until, "read-list", "Public website assets"));
        var function = await StartFunctionAsync(kmsEndpoint: "http://127.0.0.1:9/"); // nothing listens there

        var (status, body, error) = await function.InvokeAsync(TaggingEvent());

        Assert.Equal(200, status);
        Assert.Equal("Unhandled", error); // Lambda retries it, then dead-letters it; the errors alarm fires
        Assert.Contains("HttpRequestException", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await AnonymousGetAsync());
        Assert.Empty(await NotificationsAsync(1, TimeSpan.FromSeconds(2)));
    }
}
