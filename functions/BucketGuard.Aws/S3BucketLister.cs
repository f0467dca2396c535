using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Core.Remediation;

namespace BucketGuard.Aws;

/// <summary>Every bucket of the account, page by page (ListBuckets with ContinuationToken), with its region where S3
/// says it. An S3-compatible endpoint that ignores pagination answers with one page and no token.</summary>
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
                yield return new BucketRef(bucket.BucketName, string.IsNullOrEmpty(bucket.BucketRegion) ? null : bucket.BucketRegion);
            }

            token = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
        }
        while (token is not null);
    }
}
