using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Core.Sweep;
using BucketGuard.Core.Reports;

namespace BucketGuard.Aws;

/// <summary>Every bucket of the account, page by page (ListBuckets with ContinuationToken), with its region: ListBuckets'
/// BucketRegion where S3 gives it, else GetBucketLocation, only for those buckets (S3-compatible endpoints). A location
/// that cannot be read leaves the region unknown. A full page without a token is never taken as the end: S3 omits the
/// token when nothing follows, but an endpoint that ignores pagination (moto truncates at MaxBuckets, with no token) looks
/// the same, so the listing is asked once more from the start with the largest page S3 allows, and whatever follows the
/// last bucket seen is listed too. Buckets come in S3's order (by name, which for bucket names is ordinal).</summary>
/// <exception cref="InvalidOperationException">Even the largest page came back full with no token: the listing cannot
/// be known to be whole, so it fails (the sweep reports the account's listing error) rather than end short.</exception>
public sealed class S3BucketLister(IAmazonS3 s3, int pageSize = 1000) : IBucketLister
{
    /// <summary>ListBuckets' largest MaxBuckets (Amazon S3 API Reference, ListBuckets: 1 to 10,000).</summary>
    public const int MaxPage = 10000;

    public async IAsyncEnumerable<BucketRef> ListAsync(string? account, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        string? last = null;
        var checkedFull = false;
        do
        {
            var request = new ListBucketsRequest { MaxBuckets = pageSize, ContinuationToken = token };
            var page = await s3.ListBucketsAsync(request, cancellationToken).ConfigureAwait(false);
            token = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
            if (token is null && (page.Buckets?.Count ?? 0) >= pageSize && !checkedFull)
            {
                // Yield this page, then check the rest from the start with the largest page; at most once per listing.
                checkedFull = true;
                foreach (var bucket in After(page.Buckets, last))
                {
                    last = bucket.BucketName;
                    yield return await RefAsync(bucket, cancellationToken).ConfigureAwait(false);
                }

                page = await s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = MaxPage }, cancellationToken).ConfigureAwait(false);
                token = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
                if (token is null && (page.Buckets?.Count ?? 0) >= MaxPage)
                {
                    throw new InvalidOperationException($"ListBuckets answered a full page of {MaxPage} buckets without a continuation token: this endpoint truncates the listing, so the account's buckets after {page.Buckets![^1].BucketName} cannot be listed");
                }
            }

            foreach (var bucket in After(page.Buckets, last))
            {
                last = bucket.BucketName;
                yield return await RefAsync(bucket, cancellationToken).ConfigureAwait(false);
            }
        }
        while (token is not null);
    }

    /// <summary>The page's buckets after the last one already listed (all of them when none was).</summary>
    private static IEnumerable<S3Bucket> After(List<S3Bucket>? buckets, string? last) =>
        (buckets ?? []).Where(b => last is null || string.CompareOrdinal(b.BucketName, last) > 0);

    private async Task<BucketRef> RefAsync(S3Bucket bucket, CancellationToken cancellationToken) =>
        new(bucket.BucketName, string.IsNullOrEmpty(bucket.BucketRegion) ? await LocationAsync(bucket.BucketName, cancellationToken).ConfigureAwait(false) : bucket.BucketRegion);

    private async Task<string?> LocationAsync(string bucket, CancellationToken cancellationToken)
    {
        try
        {
            var location = await s3.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
            return BucketGuard.Core.BucketName.RegionOf(location.Location?.Value);
        }
        catch (AmazonS3Exception)
        {
            return null;
        }
    }
}
