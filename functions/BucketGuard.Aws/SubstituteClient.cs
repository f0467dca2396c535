using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace BucketGuard.Aws;

/// <summary>What each substitute client (the Amazon.SimpleNotificationService, Amazon.S3Control, Amazon.SecurityHub,
/// Amazon.EventBridge, Amazon.Organizations, Amazon.StepFunctions and Amazon.Macie2 folders of this project, whose packages this registry lacks) takes from
/// its ClientConfig, as the real AWSSDK v4 clients do, so that their constructors keep the real shape
/// (<c>()</c>, <c>(config)</c>, <c>(credentials, config)</c>):
/// the HttpClient from ClientConfig.HttpClientFactory (tests fake or count requests through it) or a new one, the
/// timeout (ClientConfig.Timeout, default 20 s), the region (RegionEndpoint, then AuthenticationRegion, then the SDK's
/// FallbackRegionFactory chain, then us-east-1), and the endpoint (ServiceURL, which AWSSDK.Core itself fills from
/// AWS_ENDPOINT_URL_&lt;SERVICE_ID&gt; / AWS_ENDPOINT_URL once the config names its ServiceId, unless
/// IgnoreConfiguredEndpointUrls; otherwise the service's regional AWS endpoint). Credentials from the SDK's default chain are resolved on the first call, not at construction, so a
/// Lambda's init does no credential work (the real clients also resolve them per request).</summary>
internal sealed class SubstituteClient : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private readonly HttpClient http;
    private readonly Lazy<SignedHttp> signed;

    /// <param name="credentials">The identity to sign as; null for the SDK's default chain.</param>
    /// <param name="regionalEndpoint">The service's AWS endpoint for a region, used when none is configured.</param>
    /// <param name="globalRegion">A global service's region for the resolved one (Organizations: us-east-1 in the aws
    /// partition), for its endpoint and signature; null for a regional service.</param>
    public SubstituteClient(AWSCredentials? credentials, ClientConfig config, Func<RegionEndpoint, Uri> regionalEndpoint, Func<RegionEndpoint, RegionEndpoint>? globalRegion = null)
    {
        Config = config;
        http = config.HttpClientFactory?.CreateHttpClient(config) ?? new HttpClient();
        http.Timeout = config.Timeout ?? DefaultTimeout;
        var region = config.RegionEndpoint
            ?? (config.AuthenticationRegion is { } named ? RegionEndpoint.GetBySystemName(named) : null)
            ?? FallbackRegionFactory.GetRegionEndpoint()
            ?? RegionEndpoint.USEast1;
        region = globalRegion?.Invoke(region) ?? region;
        Region = region.SystemName;
        IsEndpointConfigured = config.ServiceURL is not null;
        Endpoint = config.ServiceURL is { } url ? new Uri(url) : regionalEndpoint(region);
        signed = new(() => new SignedHttp(http, credentials ?? DefaultAWSCredentialsIdentityResolver.GetCredentials()));
    }

    public ClientConfig Config { get; }

    /// <summary>The region requests are signed for (AWS SigV4 credential scope).</summary>
    public string Region { get; }

    /// <summary>Where requests go.</summary>
    public Uri Endpoint { get; }

    /// <summary>True when the endpoint came from ServiceURL or the environment rather than from the region (S3 Control
    /// then addresses it path-style instead of putting the account in the host).</summary>
    public bool IsEndpointConfigured { get; }

    public SignedHttp Signed => signed.Value;

    /// <summary>One call of an AWS JSON 1.1 API (POST / with X-Amz-Target, application/x-amz-json-1.1), with the SDK's
    /// standard retries on throttling and server errors; the caller turns any other status into its exception.</summary>
    /// <param name="signingName">The service's SigV4 signing name ("events", "organizations", "cloudtrail").</param>
    /// <param name="contentType">application/x-amz-json-1.1, or -1.0 for the services on AWS JSON 1.0 (Step Functions).</param>
    public Task<SignedHttp.Response> JsonCallAsync(string signingName, string target, byte[] body, CancellationToken cancellationToken, string contentType = "application/x-amz-json-1.1") =>
        SignedHttp.WithStandardRetriesAsync(
            () => Signed.SendAsync(HttpMethod.Post, Config, signingName, Endpoint, "/", Region,
                content: body, contentType: contentType,
                headers: new Dictionary<string, string> { ["X-Amz-Target"] = target }, cancellationToken: cancellationToken),
            r => SignedHttp.JsonErrorCode(r.Body), cancellationToken);

    /// <summary>The regional AWS endpoint https://PREFIX.REGION.DNS-SUFFIX/ (amazonaws.com, amazonaws.com.cn, ...).</summary>
    public static Uri Regional(string prefix, RegionEndpoint region) =>
        new($"https://{prefix}.{region.SystemName}.{region.PartitionDnsSuffix}/");

    public void Dispose() => http.Dispose();
}
