using System.Net;
using System.Text;
using Amazon.Macie2;
using Amazon.Runtime;
using BucketGuard.Aws;

namespace BucketGuard.Tests;

/// <summary>The Macie substitute's wire format (REST-JSON GET /resource-profiles?resourceArn=, SigV4 for macie2 in the
/// client's region) and what the adapter makes of its answers, against an HTTP fake: moto does not emulate Macie, so
/// the shapes are those of the Macie API Reference (GetResourceProfile).</summary>
public class MacieClientTests
{
    private sealed class FakeMacie(HttpStatusCode status, string body, string? errorType = null) : HttpMessageHandler
    {
        public List<(HttpMethod Method, Uri Uri, string Authorization, string? ApiVersion)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add((request.Method, request.RequestUri!, string.Join(",", request.Headers.GetValues("Authorization")),
                request.Headers.TryGetValues("X-Amz-Api-Version", out var version) ? version.Single() : null));
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (errorType is not null)
            {
                response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", errorType);
            }

            return Task.FromResult(response);
        }
    }

    private static MacieBucketSensitivity Sensitivity(FakeMacie fake) => new(new AmazonMacie2Client(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonMacie2Config
    {
        RegionEndpoint = Amazon.RegionEndpoint.EUWest1,
        IgnoreConfiguredEndpointUrls = true,
        HttpClientFactory = new HandlerClientFactory(fake),
    }));

    [Fact]
    public async Task The_score_is_asked_for_the_buckets_arn_signed_for_macie2_and_read_with_its_override_and_time()
    {
        var fake = new FakeMacie(HttpStatusCode.OK, """{"profileUpdatedAt":"2026-11-20T06:00:00.000Z","sensitivityScore":87,"sensitivityScoreOverridden":false,"statistics":{"totalItemsSensitive":12}}""");

        var score = await Sensitivity(fake).ScoreAsync("lab-results", "111122223333", CancellationToken.None);

        Assert.Equal(new BucketGuard.Core.Decisions.SensitivityScore(87, false, new DateTimeOffset(2026, 11, 20, 6, 0, 0, TimeSpan.Zero)), score);
        Assert.True(score!.IsSensitive);
        var (method, uri, authorization, version) = Assert.Single(fake.Requests);
        Assert.Equal((HttpMethod.Get, "macie2.eu-west-1.amazonaws.com", "/resource-profiles"), (method, uri.Host, uri.AbsolutePath));
        Assert.Equal("?resourceArn=arn%3Aaws%3As3%3A%3A%3Alab-results", uri.Query);
        Assert.Contains("/eu-west-1/macie2/aws4_request", authorization, StringComparison.Ordinal);
        Assert.Equal("2020-01-01", version);
    }

    [Fact]
    public async Task A_bucket_macie_has_no_profile_of_is_no_score_and_any_other_error_is_thrown_with_its_code()
    {
        var none = new FakeMacie(HttpStatusCode.NotFound, """{"message":"The request failed because the specified resource wasn't found."}""", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.macie2/");
        var denied = new FakeMacie(HttpStatusCode.Forbidden, """{"message":"Macie is not enabled"}""", "AccessDeniedException:http://internal.amazon.com/coral/com.amazonaws.macie2/");

        Assert.Null(await Sensitivity(none).ScoreAsync("lab-results", null, CancellationToken.None));
        var error = await Assert.ThrowsAsync<AmazonMacie2Exception>(() => Sensitivity(denied).ScoreAsync("lab-results", null, CancellationToken.None));
        Assert.Equal("AccessDeniedException", error.ErrorCode);
        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.Contains("Macie is not enabled", error.Message, StringComparison.Ordinal);
    }
}
