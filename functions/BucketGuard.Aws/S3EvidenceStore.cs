using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Core.Incidents;

namespace BucketGuard.Aws;

/// <summary>The evidence bucket (the template's IncidentEvidenceBucket: S3 Object Lock on, its default retention in the mode
/// and days the stack was given): each bundle is put once with its SHA-256 checksum (x-amz-checksum-sha256), which S3
/// checks on receipt and Object Lock requires of a put into a bucket with a default retention; the bucket's default
/// retention then protects it (S3 User Guide, "Locking objects with Object Lock").</summary>
public sealed class S3EvidenceStore(IAmazonS3 s3, string bucket) : IEvidenceStore
{
    public async Task<EvidenceItem> KeepAsync(EvidenceBundle bundle, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(bundle.Content, writable: false);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = bundle.Key,
            InputStream = body,
            ContentType = "application/json",
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
        }, cancellationToken).ConfigureAwait(false);
        return new EvidenceItem(bundle.Key, bundle.Sha256, bundle.Content.Length);
    }

    /// <summary>The SHA-256 (lower-case hex) of the kept object's bytes as S3 returns them now, and its Object Lock
    /// retention (mode and end; null where the bucket keeps none), for `bucketguard incident verify`.</summary>
    /// <exception cref="AmazonS3Exception">NoSuchKey: the evidence is gone.</exception>
    public async Task<(string Sha256, string? Mode, DateTime? RetainUntil)> ReadAsync(string key, CancellationToken cancellationToken)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(response.ResponseStream, cancellationToken).ConfigureAwait(false));
        string? mode = null;
        DateTime? until = null;
        try
        {
            var retention = await s3.GetObjectRetentionAsync(new GetObjectRetentionRequest { BucketName = bucket, Key = key, VersionId = response.VersionId }, cancellationToken).ConfigureAwait(false);
            mode = retention.Retention?.Mode?.Value;
            until = retention.Retention?.RetainUntilDate;
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "NoSuchObjectLockConfiguration" or "ObjectLockConfigurationNotFoundError" or "InvalidRequest")
        {
            // No retention on it: verify says so.
        }

        return (hash, mode, until);
    }
}
