namespace BucketGuard.Core;

/// <summary>The URL a person opens for a bucket, an object or an access point: AWS's virtual-hosted style
/// (https://BUCKET.s3.REGION.amazonaws.com/KEY), or path style at a configured S3 endpoint (ENDPOINT/BUCKET/KEY). The
/// key is percent-encoded, its slashes kept.</summary>
public static class S3Url
{
    /// <param name="bucket">A bucket name, or an access point alias (S3 takes one wherever a bucket name goes).</param>
    /// <param name="endpoint">A configured S3 endpoint; null for AWS.</param>
    public static string Of(string bucket, string region, string? key = null, string? endpoint = null)
    {
        var path = key is null ? string.Empty : Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal);
        return endpoint is not null ? $"{endpoint.TrimEnd('/')}/{bucket}/{path}" : $"https://{bucket}.s3.{region}.amazonaws.com/{path}";
    }
}
