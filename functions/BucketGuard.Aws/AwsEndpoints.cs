namespace BucketGuard.Aws;

/// <summary>The SDK's standard endpoint settings (AWS_ENDPOINT_URL_&lt;SERVICE&gt;, AWS_ENDPOINT_URL and
/// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), read the way the AWS SDKs document them, so that the same build talks
/// to real AWS when they are unset and to a local implementation when they are set.</summary>
public static class AwsEndpoints
{
    /// <summary>The configured endpoint for a service id ("S3", "SNS", "SQS"), or null for the AWS default.</summary>
    public static Uri? Configured(string serviceId, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (string.Equals(environment("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var value = environment("AWS_ENDPOINT_URL_" + serviceId.ToUpperInvariant().Replace(' ', '_')) ?? environment("AWS_ENDPOINT_URL");
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : null;
    }
}
