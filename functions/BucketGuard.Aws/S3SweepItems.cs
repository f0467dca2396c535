using System.Runtime.CompilerServices;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using BucketGuard.Core.Json;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Aws;

/// <summary>A sweep's items as one JSON Lines object in the sweep bucket, which the Distributed Map's ItemReader reads
/// (Step Functions Developer Guide, "ItemReader (Map)": InputType JSONL). Written to a temporary file line by line, then
/// uploaded by the SDK's TransferUtility (multipart above its threshold), so memory does not grow with the number of
/// buckets (1,000,000 items are about 90 MB on disk; Lambda's /tmp holds 512 MB by default); read back streamed.</summary>
public sealed class S3SweepItems(IAmazonS3 s3, string bucket) : ISweepItems
{
    public string Bucket => bucket;

    public async Task<int> WriteAsync(string key, IAsyncEnumerable<SweepItem> items, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"bucketguard-{Guid.NewGuid():N}.jsonl");
        try
        {
            var count = 0;
            await using (var file = new StreamWriter(path, append: false, new UTF8Encoding(false)))
            {
                await foreach (var item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    await file.WriteAsync(item.Line()).ConfigureAwait(false);
                    await file.WriteAsync('\n').ConfigureAwait(false);
                    count++;
                }
            }

            using var transfer = new TransferUtility(s3);
            await transfer.UploadAsync(new TransferUtilityUploadRequest
            {
                BucketName = bucket,
                Key = key,
                FilePath = path,
                // Encrypted by the bucket's default encryption (the template's SweepBucket), as every object there is.
                ContentType = "application/jsonl",
            }, cancellationToken).ConfigureAwait(false);
            return count;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public async IAsyncEnumerable<SweepItem> ReadAsync(string key, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            if (!JsonRead.TryParse(line, out var document, out var error))
            {
                throw new FormatException($"line {number} of s3://{bucket}/{key} is not JSON: {error}");
            }

            using (document)
            {
                var item = SweepItem.Parse(document!.RootElement);
                yield return item.Ok ? item.Value! : throw new FormatException($"line {number} of s3://{bucket}/{key}: {item.Error}");
            }
        }
    }
}
