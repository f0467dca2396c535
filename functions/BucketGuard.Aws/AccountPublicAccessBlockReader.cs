using System.Collections.Concurrent;
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
    /// <param name="reuse">How long a read is reused (Reuse): zero for events, SweepReuse for the sweep.</param>
    public static AccountPublicAccessBlockReader? FromEnvironment(SignedHttp signed, AmazonS3Config config, TimeSpan reuse = default)
    {
        var control = AwsEndpoints.Configured("S3 Control");
        return control is not null || AwsEndpoints.Configured("S3") is null ? new AccountPublicAccessBlockReader(signed, config, control) { Reuse = reuse } : null;
    }

    /// <summary>The sweep's reuse interval: five minutes, a few reads per account over a 15-minute sweep invocation.</summary>
    public static readonly TimeSpan SweepReuse = TimeSpan.FromMinutes(5);

    /// <summary>How long one read of an account's block is reused (zero, the default: every call reads). The sweep sets
    /// it, so that its thousands of buckets per account cost one S3 Control request per account and interval, not one
    /// each; the event path never does, because an event is decided on what is true now. A stale answer can only come
    /// from a change of the account's block during the interval, and that change is an event of its own (reported).</summary>
    public TimeSpan Reuse { get; init; }

    // Lazy, so that buckets of one account read in parallel share one request rather than race to make their own.
    private readonly ConcurrentDictionary<string, Lazy<(Task<PublicAccessBlock?> Read, long At)>> reads = new(StringComparer.Ordinal);

    /// <returns>The account's flags; null when the account has none, or they could not be read (denied, unreachable).</returns>
    public Task<PublicAccessBlock?> ReadAsync(string account, CancellationToken cancellationToken)
    {
        if (Reuse <= TimeSpan.Zero)
        {
            return ReadNowAsync(account, cancellationToken);
        }

        var entry = reads.AddOrUpdate(account, Fresh, (_, old) => Expired(old) ? Fresh(account) : old);
        return entry.Value.Read.WaitAsync(cancellationToken);
    }

    private Lazy<(Task<PublicAccessBlock?> Read, long At)> Fresh(string account) =>
        new(() => (ReadNowAsync(account, CancellationToken.None), Environment.TickCount64));

    private bool Expired(Lazy<(Task<PublicAccessBlock?> Read, long At)> entry) =>
        entry.IsValueCreated
        && (Environment.TickCount64 - entry.Value.At > Reuse.TotalMilliseconds || entry.Value.Read.IsFaulted || entry.Value.Read.IsCanceled);

    private async Task<PublicAccessBlock?> ReadNowAsync(string account, CancellationToken cancellationToken)
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
