using Amazon.S3;

namespace BucketGuard.Aws;

/// <summary>Builds the AWS clients from the SDK's standard settings: credentials chain, region, service-specific
/// endpoint variables, and AWS_REQUEST_CHECKSUM_CALCULATION / AWS_RESPONSE_CHECKSUM_VALIDATION. Nothing here
/// differs between real AWS and the local services except what those settings say.</summary>
public static class AwsClients
{
    /// <param name="configure">Extra settings (tools and benchmarks: an HTTP client factory that counts requests).</param>
    public static AmazonS3Client CreateS3(Action<AmazonS3Config>? configure = null)
    {
        var config = new AmazonS3Config();
        if (AwsEndpoints.Configured("S3") is { } endpoint)
        {
            // A configured endpoint is an S3-compatible service (Ceph RGW locally) addressed as one host:
            // buckets go in the path, not in the host name.
            config.ServiceURL = endpoint.ToString();
            config.ForcePathStyle = true;
        }

        configure?.Invoke(config);
        return new AmazonS3Client(config);
    }
}
