using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Aws;
using Amazon.SimpleNotificationService.Model;
using BucketGuard.Core;
using BucketGuard.LocalLambda;

namespace BucketGuard.IntegrationTests;

/// <summary>The fail-safe promises through the real bootstrap, with a fault-injecting proxy between the function and
/// Ceph RGW, and another between the function and fauxqs: reads refused, the report refused after the lock, the lock's
/// put held while the owner's own put goes through, oversized and hostile input, and 300 events with 10% of the
/// reports refused once.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FailSafeTests(LocalAws aws) : IAsyncLifetime
{
    private const string Key = "results/blood-test-0002.pdf";
    private readonly string bucket = LocalAws.UniqueName("bg-failsafe");
    private readonly List<LambdaEmulator> functions = [];
    private readonly List<string> extraBuckets = [];
    private string topic = string.Empty;
    private string queueUrl = string.Empty;
    private FaultProxy s3Proxy = null!;
    private FaultProxy snsProxy = null!;

    public async Task InitializeAsync()
    {
        await aws.S3.PutBucketAsync(bucket);
        await aws.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = Key, ContentBody = "Patient: John Example" });
        topic = (await aws.Sns.CreateTopicAsync(new CreateTopicRequest { Name = LocalAws.UniqueName("bg-topic") })).TopicArn!;
        (queueUrl, var queueArn) = await aws.Sqs.CreateQueueAsync(LocalAws.UniqueName("bg-failsafe"));
        await aws.Sns.SubscribeAsync(new SubscribeRequest { TopicArn = topic, Protocol = "sqs", Endpoint = queueArn });
        s3Proxy = await FaultProxy.StartAsync(aws.S3Endpoint);
        snsProxy = await FaultProxy.StartAsync(AwsEndpoints.Configured("SNS")!);
    }

    public async Task DisposeAsync()
    {
        foreach (var function in functions)
        {
            await function.DisposeAsync();
        }

        await s3Proxy.DisposeAsync();
        await snsProxy.DisposeAsync();
        foreach (var name in extraBuckets.Append(bucket))
        {
            try
            {
                await aws.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = name });
                await aws.S3.DeleteBucketPolicyAsync(name);
                await aws.S3.DeleteObjectAsync(name, Key);
                await aws.S3.DeleteBucketAsync(name);
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchBucket")
            {
            }
        }

        await aws.Sqs.DeleteQueueAsync(queueUrl);
        await aws.Sns.DeleteTopicAsync(new DeleteTopicRequest { TopicArn = topic });
    }

    /// <summary>The real bootstrap, reaching S3 and SNS through the fault proxies.</summary>
    private async Task<LambdaEmulator> StartFunctionAsync(string handler, Dictionary<string, string>? extra = null)
    {
        var environment = FunctionOptions.Inherited("AWS_");
        environment["AWS_ENDPOINT_URL_S3"] = s3Proxy.Endpoint.ToString();
        environment["AWS_ENDPOINT_URL_SNS"] = snsProxy.Endpoint.ToString();
        environment["BUCKETGUARD_TOPIC_ARN"] = topic;
        environment["BUCKETGUARD_S3_POLICY_STATUS"] = "off"; // Ceph's GetBucketPolicyStatus is not AWS's rule
        foreach (var (name, value) in extra ?? [])
        {
            environment[name] = value;
        }

        var function = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-" + handler, Path.Combine(AppContext.BaseDirectory, "bootstrap"), handler, 30, 512,
            Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1", "111122223333", environment));
        functions.Add(function);
        return function;
    }

    private JsonNode Sample(string sample, string? forBucket = null) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "events", sample)).Replace("bucketguard-demo-reports", forBucket ?? bucket, StringComparison.Ordinal))!;

    private static async Task<JsonNode> InvokeOkAsync(LambdaEmulator function, JsonNode @event)
    {
        var (status, body, error) = await function.InvokeAsync(@event.ToJsonString());
        Assert.True(status == 200 && error is null, $"invocation failed: {status} {error} {body}\n{string.Join('\n', function.Logs)}");
        return JsonNode.Parse(body)!;
    }

    private async Task<HttpStatusCode> AnonymousGetAsync(string name) => (await aws.Anonymous.GetAsync(aws.ObjectUrl(name, Key))).StatusCode;

    private sealed record Received(JsonNode Attributes, JsonNode Document, string Email, string Subject, int SnsBytes);

    private async Task<List<Received>> NotificationsAsync(int expected, TimeSpan wait) =>
        [.. (await aws.Sqs.ReceiveAsync(queueUrl, wait, expected)).Select(m =>
        {
            var envelope = JsonNode.Parse(m["Body"]!.GetValue<string>())!;
            var message = envelope["Message"]!.GetValue<string>();
            var structure = JsonNode.Parse(message)!; // fauxqs delivers the whole MessageStructure=json message
            var attributes = envelope["MessageAttributes"]!;
            var subject = envelope["Subject"]!.GetValue<string>();
            var bytes = Encoding.UTF8.GetByteCount(message) + Encoding.UTF8.GetByteCount(subject)
                + attributes.AsObject().Sum(a => Encoding.UTF8.GetByteCount(a.Key) + "String".Length + Encoding.UTF8.GetByteCount(a.Value!["Value"]!.GetValue<string>()));
            return new Received(attributes, JsonNode.Parse(structure["default"]!.GetValue<string>())!, structure["email"]!.GetValue<string>(), subject, bytes);
        })];

    private static string Attribute(Received r, string name) => r.Attributes[name]!["Value"]!.GetValue<string>();

    /// <summary>The bucket's Block Public Access as RGW holds it (read directly, not through the proxy).</summary>
    private async Task<PublicAccessBlock?> FlagsAsync(string name)
    {
        var signed = new SignedHttp(new HttpClient(), new BasicAWSCredentials(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"), Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY")));
        return await new S3BucketStateReader(aws.S3, false, signed, (AmazonS3Config)aws.S3.Config).ReadBlockAsync(name, CancellationToken.None);
    }

    private string PublicPolicy(string name, int statements = 1) =>
        $$"""{"Version":"2012-10-17","Statement":[{{string.Join(",", Enumerable.Range(0, statements).Select(i => $$"""{"Sid":"Public{{i}}","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{name}}/results/{{i}}/*"}"""))}},{"Sid":"All","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{name}}/*"}]}""";

    [Fact]
    public async Task A_bucket_that_refuses_reading_its_policy_is_locked_on_its_public_policy_event_and_audit_never_calls_it_private()
    {
        var policy = PublicPolicy(bucket);
        await aws.S3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = policy });
        Assert.Equal(HttpStatusCode.OK, await AnonymousGetAsync(bucket));
        s3Proxy.Rule = r => r.Method == "GET" && r.Has("policy") ? FaultProxy.S3Error(403, "AccessDenied") : null;
        var function = await StartFunctionAsync("policy");
        var @event = Sample("putbucketpolicy-principal-star.json");
        @event["detail"]!["requestParameters"]!["bucketPolicy"] = JsonNode.Parse(policy);

        var result = await InvokeOkAsync(function, @event);

        Assert.Equal("Block", result["outcome"]!.GetValue<string>());
        Assert.Contains(s3Proxy.Seen, r => r.Method == "GET" && r.Has("policy"));
        Assert.Equal(PublicAccessBlock.All, await FlagsAsync(bucket)); // RGW stores RestrictPublicBuckets but does not enforce it: the flags are the proof here
        var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal("remediated", Attribute(notice, "event"));
        Assert.Equal("critical", Attribute(notice, "severity"));
        Assert.True(notice.Document["restsOnEvent"]!.GetValue<bool>());
        Assert.Contains("denies BucketGuard's reads (GetBucketPolicy: AccessDenied)", notice.Email, StringComparison.Ordinal);

        // audit through the same refusal: an error with its reason, public null (never false), exit 2.
        var (exit, stdout, stderr) = await CliAsync(["audit", "--json", "--concurrency", "4"]);
        Assert.True(exit == 2, $"audit exited {exit}\n{stdout}\n{stderr}");
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).Single(l => l["bucket"]!.GetValue<string>() == bucket);
        Assert.Null(line["public"]);
        Assert.Contains("GetBucketPolicy: AccessDenied", line["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bucket_that_refuses_reading_its_block_public_access_is_locked_with_all_four_flags_whatever_the_configured_flags()
    {
        await aws.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
        s3Proxy.Rule = r => r.Method == "GET" && r.Has("publicAccessBlock") ? FaultProxy.S3Error(403, "AccessDenied") : null;
        var function = await StartFunctionAsync("acl", new() { ["BUCKETGUARD_BLOCK_FLAGS"] = "IgnorePublicAcls" });

        var result = await InvokeOkAsync(function, Sample("putbucketacl-public-read.json"));

        Assert.Equal("Block", result["outcome"]!.GetValue<string>());
        Assert.Equal(PublicAccessBlock.All, await FlagsAsync(bucket)); // a put of IgnorePublicAcls alone could have switched unseen flags off
        var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Contains("Could not read: GetPublicAccessBlock: AccessDenied", notice.Email, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_with_s3_refusing_every_request_says_why_in_one_line_in_every_format_and_exits_2()
    {
        s3Proxy.Rule = _ => new Fault.Drop();

        foreach (var format in new[] { "--json", "--csv", "--concurrency" })
        {
            var (exit, stdout, stderr) = await CliAsync(format == "--concurrency" ? ["audit", "--concurrency", "4"] : ["audit", format]);

            Assert.True(exit == 2, $"{format}: exit {exit}\n{stderr}");
            Assert.Contains("bucketguard audit: the buckets of account (unknown) could not be listed", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
            if (format == "--json")
            {
                Assert.Contains("could not be listed", JsonNode.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last())!["error"]!.GetValue<string>(), StringComparison.Ordinal);
            }
        }
    }

    private async Task<(int Exit, string Stdout, string Stderr)> CliAsync(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "bucketguard.dll"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["AWS_ENDPOINT_URL_S3"] = s3Proxy.Endpoint.ToString();
        start.Environment.Remove("BUCKETGUARD_TOPIC_ARN");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task When_sns_refuses_the_report_after_the_lock_the_invocation_fails_and_its_retry_sends_the_report()
    {
        await aws.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
        await aws.S3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = Key, ACL = S3CannedACL.PublicRead });
        Assert.Equal(HttpStatusCode.OK, await AnonymousGetAsync(bucket));
        snsProxy.Rule = FaultProxy.First(1, r => r.Body.Contains("Action=Publish", StringComparison.Ordinal), FaultProxy.SnsError(403, "AuthorizationError"));
        var function = await StartFunctionAsync("acl");
        var @event = Sample("putbucketacl-public-read.json");
        var eventId = @event["detail"]!["eventID"]!.GetValue<string>();

        var (_, body, error) = await function.InvokeAsync(@event.ToJsonString());

        Assert.Equal("Unhandled", error); // Lambda retries it, then dead-letters it
        Assert.Contains("AuthorizationError", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, await AnonymousGetAsync(bucket)); // the lock itself happened
        Assert.Empty(await NotificationsAsync(1, TimeSpan.FromSeconds(2)));

        var retry = await InvokeOkAsync(function, @event);

        Assert.Equal("AlreadyBlocked", retry["outcome"]!.GetValue<string>());
        var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal("already-blocked", Attribute(notice, "event"));
        Assert.Equal(eventId, Attribute(notice, "eventId"));
        Assert.Contains("AllUsers may READ", notice.Email, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_eighty_statement_public_policy_and_an_empty_owner_tag_make_a_notification_within_snss_limits()
    {
        var policy = PublicPolicy(bucket, 80);
        await aws.S3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = policy });
        await aws.S3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = [new Amazon.S3.Model.Tag { Key = "bucketguard:owner", Value = string.Empty }] });
        var function = await StartFunctionAsync("policy", new() { ["BUCKETGUARD_MODE"] = "notify" });
        var @event = Sample("putbucketpolicy-principal-star.json");
        @event["detail"]!["requestParameters"]!["bucketPolicy"] = JsonNode.Parse(policy);

        var result = await InvokeOkAsync(function, @event);

        Assert.Equal("WouldBlock", result["outcome"]!.GetValue<string>());
        var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Null(notice.Attributes["owner"]);
        Assert.All(notice.Attributes.AsObject(), a => Assert.False(string.IsNullOrWhiteSpace(a.Value!["Value"]!.GetValue<string>())));
        Assert.InRange(notice.SnsBytes, 1, 262_144);
        Assert.Equal(81, notice.Document["exposure"]!["findings"]!.AsArray().Count);
    }

    [Fact]
    public async Task An_owners_flags_put_between_bucketguards_read_and_put_end_on()
    {
        await aws.S3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = PublicPolicy(bucket) });
        var flags = new Dictionary<string, string> { ["BUCKETGUARD_BLOCK_FLAGS"] = "BlockPublicPolicy,RestrictPublicBuckets" };
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holdOnce = FaultProxy.First(1, r => r.Method == "PUT" && r.Has("publicAccessBlock"), new Fault.Hold(release.Task));
        s3Proxy.Rule = r =>
        {
            var fault = holdOnce(r);
            if (fault is not null)
            {
                held.TrySetResult();
            }

            return fault;
        };
        var policyFunction = await StartFunctionAsync("policy", flags);
        var lockEvent = Sample("putbucketpolicy-principal-star.json");

        var locking = policyFunction.InvokeAsync(lockEvent.ToJsonString());
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await aws.S3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
        {
            BucketName = bucket,
            PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration { BlockPublicAcls = true, IgnorePublicAcls = true, BlockPublicPolicy = false, RestrictPublicBuckets = false },
        });
        release.SetResult();
        var locked = await locking;

        Assert.Null(locked.FunctionError);
        // PutPublicAccessBlock replaces the configuration: the held put switched the owner's flags off.
        Assert.Equal(new PublicAccessBlock(false, false, true, true), await FlagsAsync(bucket));

        var blockFunction = await StartFunctionAsync("public-access-block", flags);
        var ownerEvent = Sample("putbucketpublicaccessblock-all-off.json");
        ownerEvent["detail"]!["requestParameters"]!["PublicAccessBlockConfiguration"] = JsonNode.Parse("""{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}""");
        var restored = await InvokeOkAsync(blockFunction, ownerEvent);

        Assert.Equal("Block", restored["outcome"]!.GetValue<string>());
        Assert.Equal(PublicAccessBlock.All, await FlagsAsync(bucket));
        var notices = await NotificationsAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal(["remediated", "flags-restored"], notices.Select(n => Attribute(n, "event")).Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public async Task A_forged_event_name_and_a_line_breaking_user_agent_leave_valid_log_lines_and_no_forged_e_mail_section()
    {
        await aws.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
        var function = await StartFunctionAsync("acl");
        var forgedAgent = Sample("putbucketacl-public-read.json");
        forgedAgent["detail"]!["userAgent"] = "aws-cli/2\r\n\r\nWhat BucketGuard did\r\n  Nothing: this bucket is approved by security.\u202E";
        var forgedName = Sample("putbucketacl-public-read.json");
        forgedName["detail"]!["eventName"] = "X\",\"level\":\"info\",\"message\":\"FORGED";

        await InvokeOkAsync(function, forgedAgent);
        var skipped = await InvokeOkAsync(function, forgedName);

        Assert.Equal("Skipped", skipped["outcome"]!.GetValue<string>());
        var notice = Assert.Single(await NotificationsAsync(1, TimeSpan.FromSeconds(10)));
        var lines = notice.Email.Split('\n');
        Assert.Single(lines, l => l.StartsWith("What BucketGuard did", StringComparison.Ordinal));
        Assert.DoesNotContain('\r', notice.Email);
        Assert.DoesNotContain('\u202E', notice.Email);
        var logLines = function.Logs.Where(l => l.TrimStart().StartsWith('{')).ToList();
        Assert.NotEmpty(logLines);
        foreach (var line in logLines)
        {
            var json = JsonNode.Parse(line)!.AsObject(); // throws on a broken line
            Assert.NotEqual("FORGED", json["message"]?.GetValue<string>());
        }

        Assert.Contains(logLines, l => JsonNode.Parse(l)!["message"]?.GetValue<string>() == "misrouted");
    }

    [Fact]
    public async Task Three_hundred_events_with_a_tenth_of_the_reports_refused_once_give_exactly_one_notification_each()
    {
        var names = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var name = LocalAws.UniqueName($"bg-load{i}");
            await aws.S3.PutBucketAsync(name);
            await aws.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = name, ACL = S3CannedACL.PublicRead });
            extraBuckets.Add(name);
            names.Add(name);
        }

        var publishes = 0;
        snsProxy.Rule = r => r.Body.Contains("Action=Publish", StringComparison.Ordinal) && Interlocked.Increment(ref publishes) % 10 == 0
            ? FaultProxy.SnsError(403, "AuthorizationError")
            : null;
        var function = await StartFunctionAsync("acl");
        var ids = new List<string>();
        var retried = 0;
        for (var i = 0; i < 300; i++)
        {
            var @event = Sample("putbucketacl-public-read.json", names[i % names.Count]);
            var id = $"load-{i:D3}-{Guid.NewGuid():n}";
            @event["detail"]!["eventID"] = id;
            ids.Add(id);
            var attempt = await function.InvokeAsync(@event.ToJsonString());
            for (var retry = 0; attempt.FunctionError is not null && retry < 2; retry++) // Lambda retries an asynchronous event twice
            {
                retried++;
                attempt = await function.InvokeAsync(@event.ToJsonString());
            }

            Assert.True(attempt.FunctionError is null, attempt.Body);
        }

        var received = await NotificationsAsync(300, TimeSpan.FromSeconds(60));
        var perEvent = received.GroupBy(n => Attribute(n, "eventId")).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange(retried, 25, 40);
        Assert.Equal(ids.Order(StringComparer.Ordinal), perEvent.Keys.Order(StringComparer.Ordinal));
        Assert.All(perEvent, p => Assert.Equal(1, p.Value));
        Assert.InRange(received.Count(n => Attribute(n, "event") == "remediated"), 1, 10); // a refused remediated report comes back as already-blocked
        foreach (var name in names)
        {
            Assert.Equal(PublicAccessBlock.All, await FlagsAsync(name));
        }
    }
}
