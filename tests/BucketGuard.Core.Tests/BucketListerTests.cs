using System.Net;
using System.Text;
using System.Web;
using Amazon.Runtime;
using Amazon.S3;
using BucketGuard.Aws;

namespace BucketGuard.Tests;

/// <summary>The sweep's bucket listing (S3BucketLister) against an HTTP fake of ListBuckets: S3's own pagination, and an
/// endpoint that truncates at MaxBuckets without a continuation token (as moto does), which must never end the listing
/// short and silently.</summary>
public class BucketListerTests
{
    /// <summary>ListBuckets over <paramref name="count"/> buckets named b00000, b00001...; S3 gives a token when more
    /// follow, a truncating endpoint never does.</summary>
    private sealed class FakeListBuckets(int count, bool truncates) : HttpMessageHandler
    {
        public List<(int Max, string? Token)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var query = HttpUtility.ParseQueryString(request.RequestUri!.Query);
            var max = int.Parse(query["max-buckets"] ?? "10000", System.Globalization.CultureInfo.InvariantCulture);
            var token = query["continuation-token"];
            Requests.Add((max, token));
            var start = token is null ? 0 : int.Parse(token, System.Globalization.CultureInfo.InvariantCulture);
            var names = Enumerable.Range(start, Math.Max(0, Math.Min(max, count - start))).Select(i => $"b{i:D5}").ToList();
            var next = !truncates && start + names.Count < count ? $"<ContinuationToken>{start + names.Count}</ContinuationToken>" : string.Empty;
            var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>o</ID></Owner><Buckets>"
                + string.Concat(names.Select(n => $"<Bucket><Name>{n}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket>"))
                + "</Buckets>" + next + "</ListAllMyBucketsResult>";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(xml, Encoding.UTF8, "application/xml") });
        }
    }

    private static AmazonS3Client Client(HttpMessageHandler fake) =>
        new(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonS3Config
        {
            ServiceURL = "https://s3.example.test",
            ForcePathStyle = true,
            AuthenticationRegion = "eu-west-1",
            HttpClientFactory = new HandlerClientFactory(fake),
            MaxErrorRetry = 0,
        });

    private static async Task<List<string>> ListAsync(FakeListBuckets fake, int pageSize)
    {
        var names = new List<string>();
        await foreach (var bucket in new S3BucketLister(Client(fake), pageSize).ListAsync(null, CancellationToken.None))
        {
            names.Add(bucket.Name);
        }

        return names;
    }

    private static List<string> Names(int count) => [.. Enumerable.Range(0, count).Select(i => $"b{i:D5}")];

    [Fact]
    public async Task Every_page_is_followed_by_its_token_and_the_last_partial_page_ends_the_listing_without_another_request()
    {
        var fake = new FakeListBuckets(count: 7, truncates: false);

        Assert.Equal(Names(7), await ListAsync(fake, pageSize: 3));
        Assert.Equal([(3, null), (3, "3"), (3, "6")], fake.Requests);
    }

    [Fact]
    public async Task An_endpoint_that_truncates_at_MaxBuckets_without_a_token_is_asked_again_with_the_largest_page_and_every_bucket_is_listed_once()
    {
        var fake = new FakeListBuckets(count: 7, truncates: true);

        Assert.Equal(Names(7), await ListAsync(fake, pageSize: 3));
        Assert.Equal([(3, null), (S3BucketLister.MaxPage, null)], fake.Requests);
    }

    [Fact]
    public async Task A_last_page_that_happens_to_be_full_costs_one_check_request_and_lists_nothing_twice()
    {
        var fake = new FakeListBuckets(count: 6, truncates: false);

        Assert.Equal(Names(6), await ListAsync(fake, pageSize: 3));
        Assert.Equal([(3, null), (3, "3"), (S3BucketLister.MaxPage, null)], fake.Requests);
    }

    [Fact]
    public async Task A_truncation_even_at_the_largest_page_fails_the_listing_after_what_was_listed_never_ending_it_short()
    {
        var fake = new FakeListBuckets(count: S3BucketLister.MaxPage + 5, truncates: true);
        var names = new List<string>();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var bucket in new S3BucketLister(Client(fake), pageSize: 1000).ListAsync(null, CancellationToken.None))
            {
                names.Add(bucket.Name);
            }
        });

        Assert.Contains("without a continuation token", error.Message, StringComparison.Ordinal);
        Assert.Equal(Names(1000), names);
    }
}
