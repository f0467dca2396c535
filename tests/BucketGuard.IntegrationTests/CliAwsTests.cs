using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Cli;

namespace BucketGuard.IntegrationTests;

/// <summary>The CLI as an AWS user meets it (issue 19): an IAM Identity Center (SSO) profile resolved through the SDK's
/// own chain to a local fake of the SSO portal, and a command whose action succeeded and whose report failed.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CliAwsTests(LocalAws aws)
{
    [Fact]
    public async Task An_sso_profile_resolves_through_the_sso_portal_with_the_cached_token_and_no_assembly_is_missing()
    {
        var home = Directory.CreateTempSubdirectory("bg-sso-").FullName;
        var (portal, portalEndpoint) = LoopbackListener.Start();
        using var _ = portal;
        var requests = new List<(string Path, string? Token)>();
        var serving = Task.Run(async () =>
        {
            var context = await portal.GetContextAsync();
            lock (requests)
            {
                requests.Add((context.Request.Url!.PathAndQuery, context.Request.Headers["x-amz-sso_bearer_token"]));
            }

            var body = Encoding.UTF8.GetBytes("""{"roleCredentials":{"accessKeyId":"ASIASSOEXAMPLE0001","secretAccessKey":"not-a-real-secret","sessionToken":"token","expiration":1893456000000}}""");
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        });
        try
        {
            await File.WriteAllTextAsync(Path.Combine(home, "config"), """
                [profile sso-dev]
                sso_session = corp
                sso_account_id = 111122223333
                sso_role_name = SecurityAudit
                region = us-east-1

                [sso-session corp]
                sso_start_url = https://corp.awsapps.com/start
                sso_region = us-east-1
                sso_registration_scopes = sso:account:access
                """);
            // What `aws sso login` leaves: the session's token, cached under the SHA-1 of the session name.
            var cache = Directory.CreateDirectory(Path.Combine(home, ".aws", "sso", "cache")).FullName;
            await File.WriteAllTextAsync(Path.Combine(cache, Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes("corp"))) + ".json"),
                """{"startUrl":"https://corp.awsapps.com/start","region":"us-east-1","accessToken":"cached-sso-token","expiresAt":"2030-01-01T00:00:00Z"}""");

            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "bucketguard.dll"), "audit", "--profile", "sso-dev", "--output", "json"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = home,
            };
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(name);
            }

            start.Environment["HOME"] = home;
            start.Environment["AWS_CONFIG_FILE"] = Path.Combine(home, "config");
            start.Environment["AWS_ENDPOINT_URL_SSO"] = portalEndpoint;
            start.Environment["AWS_ENDPOINT_URL_S3"] = aws.S3Endpoint.ToString();
            start.Environment["AWS_REQUEST_CHECKSUM_CALCULATION"] = "WHEN_REQUIRED";
            using var cli = Process.Start(start)!;
            var errors = await cli.StandardError.ReadToEndAsync();
            await cli.WaitForExitAsync();
            await serving.WaitAsync(TimeSpan.FromSeconds(5));

            var (path, token) = Assert.Single(requests);
            Assert.Equal("/federation/credentials?account_id=111122223333&role_name=SecurityAudit", path);
            Assert.Equal("cached-sso-token", token);
            Assert.DoesNotContain("Could not load", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
            // The portal's credentials are not Ceph's: the listing is refused (RGW answers InvalidArgument for the unknown
            // session), said in one line, exit 2; never "no usable AWS credentials".
            Assert.Equal(2, cli.ExitCode);
            Assert.True(errors.Contains("could not be listed: AWS refused the request: ", StringComparison.Ordinal), errors);
            Assert.DoesNotContain("credentials", errors.Split("Check the credentials")[0], StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            portal.Stop();
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task Invoke_says_the_bucket_was_locked_when_the_notification_then_fails()
    {
        var bucket = LocalAws.UniqueName("bg-cli-invoke");
        await aws.S3.PutBucketAsync(bucket);
        await aws.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
        var path = Path.Combine(Path.GetTempPath(), $"{bucket}.json");
        await File.WriteAllTextAsync(path, File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "events", "putbucketacl-public-read.json")).Replace("bucketguard-demo-reports", bucket, StringComparison.Ordinal));
        var output = new StringWriter();
        var errors = new StringWriter();
        Environment.SetEnvironmentVariable("BUCKETGUARD_S3_POLICY_STATUS", "off");
        try
        {
            var exit = await BucketGuardCli.RunAsync(["invoke", path, "--topic", "arn:aws:sns:us-east-1:000000000000:no-such-topic"], TextReader.Null, output, errors);

            Assert.Equal(2, exit);
            Assert.Contains($"bucketguard invoke: bucket {bucket} locked (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets); notification not sent: sns:", errors.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", errors.ToString(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Forbidden, (await aws.Anonymous.GetAsync(aws.ObjectUrl(bucket))).StatusCode);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BUCKETGUARD_S3_POLICY_STATUS", null);
            File.Delete(path);
            await aws.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
            await aws.S3.DeleteBucketAsync(bucket);
        }
    }

    /// <summary>The CLI as its own process, with the local environment and some settings changed.</summary>
    private static async Task<(int Exit, string Output, string Errors)> RunCliAsync(Dictionary<string, string?> changed, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "bucketguard.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var (name, value) in changed)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var cli = Process.Start(start)!;
        var output = cli.StandardOutput.ReadToEndAsync();
        var errors = cli.StandardError.ReadToEndAsync();
        await cli.WaitForExitAsync();
        return (cli.ExitCode, await output, await errors);
    }

    [Theory]
    [InlineData("s3-down", "could not reach the service: Connection refused (127.0.0.1:9). Check the endpoint")]
    [InlineData("wrong-key", "(HTTP 403). Check the credentials in use (AWS_PROFILE, AWS_ACCESS_KEY_ID)")] // RGW answers AccessDenied where AWS answers SignatureDoesNotMatch
    public async Task Audit_says_in_one_line_why_it_could_not_list_and_exits_2(string fault, string message)
    {
        Dictionary<string, string?> changed = fault == "s3-down"
            ? new() { ["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:9" }
            : new() { ["AWS_SECRET_ACCESS_KEY"] = "not-the-right-secret" };

        foreach (var format in new[] { "table", "json", "csv" })
        {
            var (exit, output, errors) = await RunCliAsync(changed, "audit", "--output", format);

            Assert.Equal(2, exit);
            Assert.True(errors.Contains(message, StringComparison.Ordinal), errors);
            Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
            Assert.True(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 2, errors);
            if (format == "json")
            {
                Assert.Contains("\"error\"", output, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Exempting_a_bucket_that_does_not_exist_and_invoking_with_s3_down_fail_in_one_line_without_a_stack_trace()
    {
        var missing = LocalAws.UniqueName("bg-missing");
        var (exempt, _, exemptErrors) = await RunCliAsync([], "exempt", missing, "--until", DateTime.UtcNow.AddDays(5).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "--reason", "test", "--apply");
        var eventFile = Path.Combine(Path.GetTempPath(), $"{missing}.json");
        await File.WriteAllTextAsync(eventFile, File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "events", "putbucketacl-public-read.json")));
        try
        {
            var (invoke, _, invokeErrors) = await RunCliAsync(new() { ["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:9", ["BUCKETGUARD_TOPIC_ARN"] = "arn:aws:sns:us-east-1:000000000000:t" }, "invoke", eventFile);

            Assert.Equal(2, exempt);
            Assert.True(exemptErrors.Contains("NoSuchBucket", StringComparison.Ordinal), exemptErrors);
            Assert.DoesNotContain("   at ", exemptErrors, StringComparison.Ordinal);
            Assert.Equal(2, invoke);
            Assert.True(invokeErrors.Contains("could not reach the service", StringComparison.Ordinal), invokeErrors);
            Assert.DoesNotContain("   at ", invokeErrors, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(eventFile);
        }
    }
}
