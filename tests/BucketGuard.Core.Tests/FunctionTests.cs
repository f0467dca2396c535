using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Lambda.TestUtilities;
using Amazon.Runtime;
using Amazon.S3;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Tests;

public class FunctionTests
{
    private static async Task<(JsonNode Response, string Log)> InvokeAsync(string handler, string sample, bool quiet = false)
    {
        var pipeline = new FakeAws(new BucketState("bucketguard-demo-reports", true, CannedAcl.Expand("public-read").Value, null, null, null, null, [], null, [])).Pipeline();
        var context = new TestLambdaContext { AwsRequestId = "req-42" };
        var json = File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "events", sample));

        var output = await new BucketGuard.Functions.EventHandler(handler, pipeline, TimeProvider.System, quiet).HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), context);

        return (JsonNode.Parse(output)!, ((TestLambdaLogger)context.Logger).Buffer.ToString());
    }

    [Fact]
    public async Task The_handler_answers_with_the_outcome_and_logs_one_decision_line_and_one_metrics_line()
    {
        var (response, log) = await InvokeAsync("acl", "putbucketacl-public-read.json");

        Assert.Equal("Block", response["outcome"]!.GetValue<string>());
        Assert.Equal("remediated", response["notification"]!.GetValue<string>());
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("req-42", lines[0]["requestId"]!.GetValue<string>());
        Assert.Equal("bucketguard-demo-reports", lines[0]["bucket"]!.GetValue<string>());
        Assert.Equal(1, lines[1]["Remediated"]!.GetValue<int>());
        Assert.Equal("acl", lines[1]["Handler"]!.GetValue<string>());
    }

    [Fact]
    public async Task At_log_level_warn_routine_decisions_are_not_logged_but_metrics_are()
    {
        var (_, log) = await InvokeAsync("acl", "putbucketacl-public-read.json", quiet: true);

        Assert.DoesNotContain("\"message\":\"decision\"", log, StringComparison.Ordinal);
        Assert.Contains("\"CloudWatchMetrics\"", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_routed_to_the_wrong_handler_is_still_handled_and_the_misroute_is_logged()
    {
        var (response, log) = await InvokeAsync("policy", "putbucketacl-public-read.json");

        Assert.Equal("Block", response["outcome"]!.GetValue<string>());
        Assert.Contains("\"message\":\"misrouted\"", log, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_sample_event_name_that_changes_exposure_has_exactly_one_handler()
    {
        var names = BucketGuard.Functions.Handlers.EventNames.Values.SelectMany(n => n).ToList();

        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var sample in Directory.EnumerateFiles(Path.Combine(Corpus.RepositoryRoot, "events"), "*.json"))
        {
            var eventName = JsonNode.Parse(File.ReadAllText(sample))!["detail"]!["eventName"]!.GetValue<string>();
            Assert.True(names.Contains(eventName), $"{eventName} ({Path.GetFileName(sample)}) has no handler");
        }
    }

    private sealed class Stub(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body) });
        }
    }

    private static AccountPublicAccessBlockReader AccountReader(Stub stub) =>
        new(new SignedHttp(new HttpClient(stub), new BasicAWSCredentials("AKIDEXAMPLE", "secret")), new AmazonS3Config { RegionEndpoint = Amazon.RegionEndpoint.EUWest1 });

    [Fact]
    public async Task The_account_block_is_read_from_s3_control_for_the_events_account_signed_and_by_flag_name()
    {
        var stub = new Stub(HttpStatusCode.OK, """<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><BlockPublicAcls>true</BlockPublicAcls><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>""");

        var flags = await AccountReader(stub).ReadAsync("111122223333", CancellationToken.None);

        Assert.Equal(PublicAccessBlock.None with { BlockPublicAcls = true, RestrictPublicBuckets = true }, flags);
        Assert.Equal("https://111122223333.s3-control.eu-west-1.amazonaws.com/v20180820/configuration/publicAccessBlock", stub.Request!.RequestUri!.ToString());
        Assert.Equal("111122223333", stub.Request.Headers.GetValues("x-amz-account-id").Single());
        Assert.Contains("/eu-west-1/s3/aws4_request", stub.Request.Headers.GetValues("Authorization").Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, "<Error><Code>NoSuchPublicAccessBlockConfiguration</Code></Error>")]
    [InlineData(HttpStatusCode.Forbidden, "<Error><Code>AccessDenied</Code></Error>")]
    [InlineData(HttpStatusCode.OK, "not xml")]
    public async Task An_absent_denied_or_unreadable_account_block_reads_as_none(HttpStatusCode status, string body)
    {
        Assert.Null(await AccountReader(new Stub(status, body)).ReadAsync("111122223333", CancellationToken.None));
    }

    [Fact]
    public async Task An_account_id_that_is_not_twelve_digits_is_not_sent_anywhere()
    {
        var stub = new Stub(HttpStatusCode.OK, "<x/>");

        Assert.Null(await AccountReader(stub).ReadAsync("accountid", CancellationToken.None));
        Assert.Null(stub.Request);
    }
}
