using System.Net;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using BucketGuard.Aws;
using BucketGuard.Core;

namespace BucketGuard.Tests;

/// <summary>The lock as the real AWSSDK.S3 client makes it, against an HTTP fake of S3: a one-off 403 or 400 on
/// PutPublicAccessBlock is tried once more before it is final (IAM and S3 answer both transiently), and the flags in
/// force are re-read after the put.</summary>
public class BlockWriterTests
{
    private sealed class FakeS3(params HttpStatusCode[] putAnswers) : HttpMessageHandler
    {
        private int puts;

        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add($"{request.Method} {request.RequestUri!.Query}");
            if (request.Method == HttpMethod.Put)
            {
                var status = puts < putAnswers.Length ? putAnswers[puts] : HttpStatusCode.OK;
                puts++;
                return Task.FromResult(status == HttpStatusCode.OK
                    ? new HttpResponseMessage(HttpStatusCode.OK)
                    : Xml(status, $"<Error><Code>{(status == HttpStatusCode.Forbidden ? "AccessDenied" : "OperationAborted")}</Code><Message>try later</Message></Error>"));
            }

            return Task.FromResult(Xml(HttpStatusCode.OK, """<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>"""));
        }

        private static HttpResponseMessage Xml(HttpStatusCode status, string xml) => new(status) { Content = new StringContent(xml, Encoding.UTF8, "application/xml") };
    }

    private static S3PublicAccessBlockWriter Writer(FakeS3 fake)
    {
        var s3 = new AmazonS3Client(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonS3Config
        {
            RegionEndpoint = Amazon.RegionEndpoint.EUWest1,
            HttpClientFactory = new HandlerClientFactory(fake),
            MaxErrorRetry = 0,
        });
        return new S3PublicAccessBlockWriter(s3, new S3BucketStateReader(s3, readPolicyStatus: false));
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.BadRequest)]
    public async Task A_one_off_refusal_of_the_lock_is_tried_once_more_and_the_lock_succeeds(HttpStatusCode once)
    {
        var fake = new FakeS3(once);

        var result = await Writer(fake).ApplyAsync("reports", null, PublicAccessBlock.All, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(PublicAccessBlock.All, result.InForce);
        Assert.Equal(2, fake.Requests.Count(r => r.StartsWith("PUT", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_refusal_that_repeats_is_final_and_names_the_error()
    {
        var fake = new FakeS3(HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden);

        var result = await Writer(fake).ApplyAsync("reports", null, PublicAccessBlock.All, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.StartsWith("PutPublicAccessBlock: AccessDenied", result.Error, StringComparison.Ordinal);
        Assert.Equal(2, fake.Requests.Count(r => r.StartsWith("PUT", StringComparison.Ordinal)));
    }
}
