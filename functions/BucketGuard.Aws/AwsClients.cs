using Amazon;
using Amazon.Runtime;
using Amazon.RuntimeDependencies;
using Amazon.S3;
using Amazon.SecurityToken;

namespace BucketGuard.Aws;

/// <summary>Builds the AWS clients from the SDK's standard settings: credentials chain, region, service-specific
/// endpoint variables, and AWS_REQUEST_CHECKSUM_CALCULATION / AWS_RESPONSE_CHECKSUM_VALIDATION. Nothing here
/// differs between real AWS and the local services except what those settings say.</summary>
public static class AwsClients
{
    /// <summary>How an assumed role's session is named in the member account's CloudTrail.</summary>
    public const string SessionName = "bucketguard";

    /// <param name="credentials">An identity other than the SDK's chain (a member role's); null for the chain.</param>
    /// <param name="configure">Extra settings (tools and benchmarks: an HTTP client factory that counts requests).</param>
    public static AmazonS3Client CreateS3(AWSCredentials? credentials = null, Action<AmazonS3Config>? configure = null)
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
        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }

    /// <summary>Credentials of a role, from the SDK's own AssumeRoleAWSCredentials: it calls STS AssumeRole with the
    /// function's credentials and refreshes before expiry. Call <see cref="UseSecurityTokenService"/> first.</summary>
    public static AssumeRoleAWSCredentials AssumeRole(string roleArn) =>
        new(Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentials(), roleArn, SessionName);

    /// <summary>Gives the SDK its STS client explicitly. AssumeRoleAWSCredentials otherwise loads AWSSDK.SecurityToken by
    /// reflection, which trimming removes; the registry is the SDK's documented way round that. The client it makes
    /// signs with the SDK's chain (the function's role), the same identity as the source credentials above.</summary>
    /// <param name="configure">Extra settings (tests: an HTTP client factory that answers for STS).</param>
    public static void UseSecurityTokenService(Action<AmazonSecurityTokenServiceConfig>? configure = null) =>
        GlobalRuntimeDependencyRegistry.Instance.RegisterSecurityTokenServiceClient(context => CreateSts(context.SecurityTokenServiceClientContextData?.Region, configure));

    /// <summary>KMS from the SDK's standard settings (AWS_ENDPOINT_URL_KMS locally).</summary>
    public static Amazon.KeyManagementService.AmazonKeyManagementServiceClient CreateKms()
    {
        var config = new Amazon.KeyManagementService.AmazonKeyManagementServiceConfig();
        if (AwsEndpoints.Configured("KMS") is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
        }

        return new Amazon.KeyManagementService.AmazonKeyManagementServiceClient(config);
    }

    /// <summary>SQS from the SDK's standard settings (AWS_ENDPOINT_URL_SQS locally).</summary>
    public static Amazon.SQS.AmazonSQSClient CreateSqs()
    {
        var config = new Amazon.SQS.AmazonSQSConfig();
        if (AwsEndpoints.Configured("SQS") is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
        }

        return new Amazon.SQS.AmazonSQSClient(config);
    }

    /// <summary>DynamoDB from the SDK's standard settings (AWS_ENDPOINT_URL_DYNAMODB locally).</summary>
    public static Amazon.DynamoDBv2.AmazonDynamoDBClient CreateDynamoDb()
    {
        var config = new Amazon.DynamoDBv2.AmazonDynamoDBConfig();
        if (AwsEndpoints.Configured("DynamoDB") is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
        }

        return new Amazon.DynamoDBv2.AmazonDynamoDBClient(config);
    }

    /// <summary>The verifier of exemption signatures, when an approval key is configured.</summary>
    public static KmsExemptionVerifier? ExemptionVerifier(BucketGuard.Core.Decisions.RemediationPolicy policy) =>
        policy.ExemptionKeyId is { } key ? new KmsExemptionVerifier(CreateKms(), key, policy.MemberRole.HomeAccount, () => CreateSts(null)) : null;

    public static AmazonSecurityTokenServiceClient CreateSts(RegionEndpoint? region, Action<AmazonSecurityTokenServiceConfig>? configure = null)
    {
        var config = new AmazonSecurityTokenServiceConfig();
        if (AwsEndpoints.Configured("STS") is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
        }
        else if (region is not null)
        {
            config.RegionEndpoint = region;
        }

        configure?.Invoke(config);
        return new AmazonSecurityTokenServiceClient(config);
    }
}
