using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;

namespace BucketGuard.IntegrationTests;

/// <summary>`bucketguard exposure` as a security team runs it after a lock: the bucket and its evidence in Ceph RGW (the
/// access log objects and the trail's gzip files in their real key layouts and record shapes), and CloudTrail
/// LookupEvents, which no local emulator has, answered in its recorded shape by a local HTTP fake.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ExposureCliTests(LocalAws aws)
{
    private const string Account = "111122223333";
    private const string BucketGuardRole = "arn:aws:iam::111122223333:role/bucketguard-EventFunctionsRole";

    private static string Record(string bucket, string eventName, string parameters, DateTimeOffset time, string id, string identity) =>
        CloudTrailFake.Record(Account, bucket, eventName, parameters, time, id, identity);

    private static string Event(string eventName, string record, DateTimeOffset time, string id) => CloudTrailFake.Event(eventName, record, time, id);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Exposure_names_the_change_that_made_the_bucket_public_the_lock_that_ended_it_and_every_outside_read_from_both_sources(bool olderThanLookupEvents, bool selectorsRefused)
    {
        // olderThanLookupEvents: the private ACL before the exposure is 100 days old, beyond LookupEvents' 90 days, and
        // only the trail's files still hold it: `--since` reaches it there.
        var bucket = LocalAws.UniqueName("bg-exposure");
        var logs = LocalAws.UniqueName("bg-exposure-logs");
        var now = DateTimeOffset.UtcNow;
        var t = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddMinutes(-30);
        await aws.S3.PutBucketAsync(bucket);
        await aws.S3.PutBucketAsync(logs);
        await aws.S3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest { BucketName = bucket, PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration { BlockPublicAcls = true, IgnorePublicAcls = true, BlockPublicPolicy = true, RestrictPublicBuckets = true } });

        const string Dev = """{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","accountId":"111122223333"}""";
        var lockIdentity = $$"""{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/bucketguard-EventFunctionsRole/bg","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"{{BucketGuardRole}}","accountId":"111122223333"} } }""";
        var privateAt = olderThanLookupEvents ? t.AddDays(-100) : t;
        var privateRecord = Record(bucket, "PutBucketAcl", "\"x-amz-acl\":\"private\"", privateAt, "ev-private", Dev);
        var page = $$"""{"Events":[{{Event("PutBucketPublicAccessBlock", Record(bucket, "PutBucketPublicAccessBlock", "\"PublicAccessBlockConfiguration\":{\"BlockPublicAcls\":true,\"IgnorePublicAcls\":true,\"BlockPublicPolicy\":true,\"RestrictPublicBuckets\":true}", t.AddMinutes(20), "ev-lock", lockIdentity), t.AddMinutes(20), "ev-lock")}},{{Event("PutBucketAcl", Record(bucket, "PutBucketAcl", "\"x-amz-acl\":\"public-read\"", t.AddMinutes(10), "ev-public", Dev), t.AddMinutes(10), "ev-public")}}{{(olderThanLookupEvents ? string.Empty : "," + Event("PutBucketAcl", privateRecord, t, "ev-private"))}}]}""";

        // The server access log object (simple key format) and the trail's file, as S3 and CloudTrail deliver them.
        const string Owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
        var read = t.AddMinutes(12);
        var logLine = $"{Owner} {bucket} [{read:dd/MMM/yyyy:HH:mm:ss} +0000] 203.0.113.7 - REQ0001 REST.GET.OBJECT results/patient-0042.pdf \"GET /{bucket}/results/patient-0042.pdf HTTP/1.1\" 200 - 48213 48213 31 12 \"-\" \"curl/8.5.0\" - HOST0001= - - - {bucket}.s3.us-east-1.amazonaws.com - - -";
        var beforeWindow = $"{Owner} {bucket} [{t.AddMinutes(-5):dd/MMM/yyyy:HH:mm:ss} +0000] 10.0.0.1 {Owner} REQ0000 REST.GET.OBJECT results/patient-0042.pdf \"GET / HTTP/1.1\" 200 - 5 5 1 1 \"-\" \"app\" - HOST0000=";
        await aws.S3.PutObjectAsync(new PutObjectRequest { BucketName = logs, Key = $"access/{t.AddMinutes(-5):yyyy-MM-dd-HH-mm-ss}-0A1B2C3D4E5F6A7B", ContentBody = beforeWindow + "\n" });
        // One run reads the simple key format, the other the partitioned one (account/region/bucket/date folders).
        var partition = olderThanLookupEvents ? $"{Account}/us-east-1/{bucket}/{read:yyyy/MM/dd}/" : string.Empty;
        await aws.S3.PutObjectAsync(new PutObjectRequest { BucketName = logs, Key = $"access/{partition}{read.AddMinutes(1):yyyy-MM-dd-HH-mm-ss}-1A2B3C4D5E6F7A8B", ContentBody = logLine + "\n" });
        var dataEvent = $$"""{"eventVersion":"1.10","userIdentity":{"type":"AWSAccount","principalId":"","accountId":"anonymous"},"eventTime":"{{read.AddMinutes(1):yyyy-MM-ddTHH:mm:ssZ}}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.8","userAgent":"python-requests/2.31","requestParameters":{"bucketName":"{{bucket}}","key":"results/patient-0043.pdf"},"additionalEventData":{"bytesTransferredOut":51200,"x-amz-id-2":"HOST0002="},"requestID":"REQ0002","eventID":"d-1","readOnly":true,"eventCategory":"Data"}""";
        var gz = new MemoryStream();
        await using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            await zip.WriteAsync(Encoding.UTF8.GetBytes($$"""{"Records":[{{dataEvent}}]}"""));
        }

        await aws.S3.PutObjectAsync(new PutObjectRequest { BucketName = logs, Key = $"trail/AWSLogs/{Account}/CloudTrail/us-east-1/{read:yyyy/MM/dd}/{Account}_CloudTrail_us-east-1_{read:yyyyMMdd'T'HHmm'Z'}_abc.json.gz", InputStream = new MemoryStream(gz.ToArray()) });
        if (olderThanLookupEvents)
        {
            var old = new MemoryStream();
            await using (var zip = new GZipStream(old, CompressionLevel.Fastest, leaveOpen: true))
            {
                await zip.WriteAsync(Encoding.UTF8.GetBytes($$"""{"Records":[{{privateRecord}}]}"""));
            }

            await aws.S3.PutObjectAsync(new PutObjectRequest { BucketName = logs, Key = $"trail/AWSLogs/{Account}/CloudTrail/us-east-1/{privateAt:yyyy/MM/dd}/{Account}_CloudTrail_us-east-1_{privateAt:yyyyMMdd'T'HHmm'Z'}_old.json.gz", InputStream = new MemoryStream(old.ToArray()) });
        }

        // The trail, in moto (which has DescribeTrails and GetEventSelectors, not LookupEvents): its files in the logs
        // bucket under trail/, its selectors logging the whole bucket's reads, or in the older run only one prefix.
        await MotoClient.Signed().SendAsync(HttpMethod.Put, new MotoClient.SigningConfig("s3"), "s3", MotoClient.Endpoint, $"/{logs}", "us-east-1");
        var trailName = LocalAws.UniqueName("bg-trail");
        const string Target = CloudTrailFake.Target;
        await MotoClient.OkAsync("cloudtrail", Target + "CreateTrail", new JsonObject { ["Name"] = trailName, ["S3BucketName"] = logs, ["S3KeyPrefix"] = "trail", ["IsMultiRegionTrail"] = true });
        var arnPrefix = olderThanLookupEvents ? $"arn:aws:s3:::{bucket}/results/patient-0042" : $"arn:aws:s3:::{bucket}/";
        await MotoClient.OkAsync("cloudtrail", Target + "PutEventSelectors", new JsonObject
        {
            ["TrailName"] = trailName,
            ["AdvancedEventSelectors"] = new JsonArray(new JsonObject
            {
                ["Name"] = "object reads",
                ["FieldSelectors"] = new JsonArray(
                    new JsonObject { ["Field"] = "eventCategory", ["Equals"] = new JsonArray("Data") },
                    new JsonObject { ["Field"] = "resources.type", ["Equals"] = new JsonArray("AWS::S3::Object") },
                    new JsonObject { ["Field"] = "resources.ARN", ["StartsWith"] = new JsonArray(arnPrefix) }),
            }),
        });

        // selectorsRefused: this account may not read the trail's selectors (an organisation trail's, elsewhere).
        using var lookup = new CloudTrailFake { Page = page };
        if (selectorsRefused)
        {
            lookup.Refused.Add("GetEventSelectors");
        }

        var targets = lookup.Targets;
        try
        {
            var html = Path.Combine(Path.GetTempPath(), bucket + ".html");
            string[] since = olderThanLookupEvents ? ["--since", now.AddDays(-120).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)] : [];
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "bucketguard.dll"), "exposure", bucket, "--access-logs", $"s3://{logs}/access/", "--trail", $"s3://{logs}/trail", "--account", Account, "--output", "json", "--html", html, .. since])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["AWS_ENDPOINT_URL_CLOUDTRAIL"] = lookup.Endpoint;
            start.Environment["BUCKETGUARD_ROLE_ARNS"] = BucketGuardRole;
            using var cli = Process.Start(start)!;
            var stdout = await cli.StandardOutput.ReadToEndAsync();
            var stderr = await cli.StandardError.ReadToEndAsync();
            await cli.WaitForExitAsync();

            Assert.True(cli.ExitCode == 1, $"exit {cli.ExitCode}: {stderr}\n{stdout}");
            Assert.Equal([Target + "DescribeTrails", Target + "GetEventSelectors", Target + "LookupEvents"], targets);
            var report = JsonNode.Parse(stdout)!;
            var window = report["window"]!;
            Assert.Equal(("ev-public", false, "ev-lock"), (window["cause"]!["eventId"]!.GetValue<string>(), window["startIsLowerBound"]!.GetValue<bool>(), window["ender"]!["eventId"]!.GetValue<string>()));
            var ledger = report["ledger"]!;
            Assert.Equal("read", ledger["verdict"]!.GetValue<string>());
            Assert.Equal((2, 48213 + 51200), (ledger["reads"]!.GetValue<int>(), ledger["bytesSent"]!.GetValue<int>()));
            Assert.Equal(["results/patient-0042.pdf", "results/patient-0043.pdf"], ledger["objects"]!.AsArray().Select(o => o!["key"]!.GetValue<string>()));
            Assert.Equal(2, ledger["requestsByCaller"]!["anonymous"]!.GetValue<int>());
            // The trail's selectors were read: the whole bucket, or (older run) one prefix only, which is a gap.
            var gaps = ledger["gaps"]!.AsArray().Select(g => g!.GetValue<string>()).ToList();
            Assert.Equal(selectorsRefused, gaps.Any(g => g.Contains("could not be checked", StringComparison.Ordinal)));
            Assert.Equal(selectorsRefused, report["problems"]!.AsArray().Any(p => p!.GetValue<string>().Contains($"the event selectors of trail {trailName} could not be read", StringComparison.Ordinal)));
            Assert.Equal(olderThanLookupEvents, gaps.Any(g => g.Contains($"trail {trailName} logs the reads of only part of this bucket", StringComparison.Ordinal)));
            Assert.Contains("reading server access logs", stderr, StringComparison.Ordinal);
            Assert.Contains($"HTML report written to {html}", stderr, StringComparison.Ordinal);
            Assert.Contains("results/patient-0043.pdf", File.ReadAllText(html), StringComparison.Ordinal);
            Assert.Equal(olderThanLookupEvents, stderr.Contains("reading older management events", StringComparison.Ordinal));
        }
        finally
        {
            await MotoClient.OkAsync("cloudtrail", Target + "DeleteTrail", new JsonObject { ["Name"] = trailName });
            await MotoClient.Signed().SendAsync(HttpMethod.Delete, new MotoClient.SigningConfig("s3"), "s3", MotoClient.Endpoint, $"/{logs}", "us-east-1");
            foreach (var name in new[] { bucket, logs })
            {
                var listed = await aws.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = name });
                foreach (var item in listed.S3Objects ?? [])
                {
                    await aws.S3.DeleteObjectAsync(name, item.Key);
                }

                await aws.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = name });
                await aws.S3.DeleteBucketAsync(name);
            }
        }
    }
}
