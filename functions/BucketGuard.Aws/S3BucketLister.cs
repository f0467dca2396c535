using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Core.Sweep;
using BucketGuard.Core.Reports;

namespace BucketGuard.Aws;

/// <summary>Every bucket of the account, page by page (ListBuckets with ContinuationToken), with its region: ListBuckets'
/// BucketRegion where S3 gives it, else GetBucketLocation, only for those buckets (S3-compatible endpoints). An endpoint
/// that ignores pagination answers with one page and no token. A location that cannot be read leaves the region unknown.</summary>
public sealed class S3BucketLister(IAmazonS3 s3, int pageSize = 1000) : IBucketLister
{
    public async IAsyncEnumerable<BucketRef> ListAsync(string? account, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var page = await s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = pageSize, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var bucket in page.Buckets ?? [])
            {
                yield return new BucketRef(bucket.BucketName, string.IsNullOrEmpty(bucket.BucketRegion) ? await LocationAsync(bucket.BucketName, cancellationToken).ConfigureAwait(false) : bucket.BucketRegion);
            }

            token = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
        }
        while (token is not null);
    }

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
