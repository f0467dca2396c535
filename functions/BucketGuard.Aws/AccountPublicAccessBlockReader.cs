using System.Globalization;
using System.Net;
using Amazon.S3;
using BucketGuard.Core;

namespace BucketGuard.Aws;

/// <summary>Reads an account's Block Public Access from the S3 Control API (GetPublicAccessBlock,
/// GET /v20180820/configuration/publicAccessBlock on ACCOUNT.s3-control.REGION.amazonaws.com), signed by the SDK's
/// signer: AWSSDK.S3Control is not in this registry. "Where permitted": a denied or failed read gives null, which
/// only makes BucketGuard more careful (it then relies on the bucket's own flags), never less. With the SDK's
/// service-specific endpoint setting for S3 Control (AWS_ENDPOINT_URL_S3_CONTROL, a local emulator) the same request
/// goes there, path-style, with the account in the x-amz-account-id header as on AWS.</summary>
public sealed class AccountPublicAccessBlockReader(SignedHttp signed, AmazonS3Config config, Uri? configuredEndpoint = null)
{
    /// <summary>Where the account-level block can be read: on AWS (no S3 endpoint configured) or at a configured S3
    /// Control endpoint; null for an S3-compatible endpoint without one (Ceph RGW has no S3 Control API).</summary>
    public static AccountPublicAccessBlockReader? FromEnvironment(SignedHttp signed, AmazonS3Config config)
    {
        var control = AwsEndpoints.Configured("S3 Control");
        return control is not null || AwsEndpoints.Configured("S3") is null ? new AccountPublicAccessBlockReader(signed, config, control) : null;
    }

    public async Task<PublicAccessBlock?> ReadAsync(string account, CancellationToken cancellationToken)
    {
        if (!AccountId.IsValid(account))
        {
            return null;
        }

        var region = config.RegionEndpoint?.SystemName ?? "us-east-1";
        var domain = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        var endpoint = configuredEndpoint ?? new Uri(string.Create(CultureInfo.InvariantCulture, $"https://{account}.s3-control.{region}.{domain}/"));
        try
        {
            var response = await signed.SendAsync(HttpMethod.Get, config, "S3", endpoint, "/v20180820/configuration/publicAccessBlock", region,
                headers: new Dictionary<string, string> { ["x-amz-account-id"] = account }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Status == HttpStatusCode.OK ? S3BucketStateReader.FlagsFromXml(response.Body) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Xml.XmlException)
        {
            return null;
        }
    }
}
