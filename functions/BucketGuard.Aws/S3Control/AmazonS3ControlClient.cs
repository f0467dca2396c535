// Stands in for AWSSDK.S3Control, which this project's NuGet registry does not serve. Namespaces, type and member names
// follow that package (Amazon.S3Control: AmazonS3ControlClient, AmazonS3ControlException; Amazon.S3Control.Model:
// GetAccessPointRequest/Response, GetAccessPointPolicyRequest/Response, GetAccessPointPolicyStatusRequest/Response,
// ListAccessPointsRequest/Response, AccessPoint, PolicyStatus, VpcConfiguration, PublicAccessBlockConfiguration,
// NetworkOrigin), so the swap is a package reference and deleting this folder. Only the access point reads are here; as in AWSSDK v4,
// collections are null until set.
using System.Globalization;
using System.Net;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.S3Control.Model;
using BucketGuard.Aws;

namespace Amazon.S3Control
{
    /// <summary>The S3 Control REST-XML API (/v20180820/accesspoint...), with the account in the x-amz-account-id header
    /// and on AWS in the host (ACCOUNT.s3-control.REGION.amazonaws.com); at a configured endpoint
    /// (AWS_ENDPOINT_URL_S3_CONTROL) the same requests go there, path-style. Signed by AWSSDK.Core's signer through
    /// SignedHttp with the SDK's standard retries; any other error is an AmazonS3ControlException with S3's error code.</summary>
    public sealed class AmazonS3ControlClient : IDisposable
    {
        private const string Version = "/v20180820";

        private readonly SubstituteClient client;

        public AmazonS3ControlClient()
            : this(new AmazonS3ControlConfig())
        {
        }

        public AmazonS3ControlClient(AmazonS3ControlConfig config)
            : this(null, config)
        {
        }

        /// <param name="credentials">The identity to sign as; null (only through the other constructors) for the SDK's chain.</param>
        public AmazonS3ControlClient(AWSCredentials? credentials, AmazonS3ControlConfig config) =>
            client = new SubstituteClient(credentials, config, region => SubstituteClient.Regional("s3-control", region));

        public IClientConfig Config => client.Config;

        public void Dispose() => client.Dispose();

        public async Task<GetAccessPointResponse> GetAccessPointAsync(GetAccessPointRequest request, CancellationToken cancellationToken = default)
        {
            var root = await GetAsync(request.AccountId, $"{Version}/accesspoint/{Name(request.Name)}", cancellationToken).ConfigureAwait(false);
            var block = Child(root, "PublicAccessBlockConfiguration");
            return new GetAccessPointResponse
            {
                Name = Text(root, "Name"),
                Bucket = Text(root, "Bucket"),
                BucketAccountId = Text(root, "BucketAccountId"),
                NetworkOrigin = Text(root, "NetworkOrigin") is { } origin ? new NetworkOrigin(origin) : null,
                VpcConfiguration = Child(root, "VpcConfiguration") is { } vpc ? new VpcConfiguration { VpcId = Text(vpc, "VpcId") } : null,
                PublicAccessBlockConfiguration = block is null ? null : new PublicAccessBlockConfiguration
                {
                    BlockPublicAcls = Flag(block, "BlockPublicAcls"),
                    IgnorePublicAcls = Flag(block, "IgnorePublicAcls"),
                    BlockPublicPolicy = Flag(block, "BlockPublicPolicy"),
                    RestrictPublicBuckets = Flag(block, "RestrictPublicBuckets"),
                },
                Alias = Text(root, "Alias"),
                AccessPointArn = Text(root, "AccessPointArn"),
            };
        }

        public async Task<GetAccessPointPolicyResponse> GetAccessPointPolicyAsync(GetAccessPointPolicyRequest request, CancellationToken cancellationToken = default)
        {
            var root = await GetAsync(request.AccountId, $"{Version}/accesspoint/{Name(request.Name)}/policy", cancellationToken).ConfigureAwait(false);
            return new GetAccessPointPolicyResponse { Policy = Text(root, "Policy") };
        }

        public async Task<GetAccessPointPolicyStatusResponse> GetAccessPointPolicyStatusAsync(GetAccessPointPolicyStatusRequest request, CancellationToken cancellationToken = default)
        {
            var root = await GetAsync(request.AccountId, $"{Version}/accesspoint/{Name(request.Name)}/policyStatus", cancellationToken).ConfigureAwait(false);
            var status = Child(root, "PolicyStatus");
            return new GetAccessPointPolicyStatusResponse { PolicyStatus = status is null ? null : new PolicyStatus { IsPublic = Flag(status, "IsPublic") } };
        }

        public async Task<ListAccessPointsResponse> ListAccessPointsAsync(ListAccessPointsRequest request, CancellationToken cancellationToken = default)
        {
            var query = new Dictionary<string, string>(StringComparer.Ordinal);
            if (request.Bucket is { } bucket)
            {
                query["bucket"] = bucket;
            }

            if (request.NextToken is { } token)
            {
                query["nextToken"] = token;
            }

            if (request.MaxResults is { } max)
            {
                query["maxResults"] = max.ToString(CultureInfo.InvariantCulture);
            }

            var root = await GetAsync(request.AccountId, $"{Version}/accesspoint", cancellationToken, query).ConfigureAwait(false);
            var response = new ListAccessPointsResponse { NextToken = Text(root, "NextToken") };
            if (Child(root, "AccessPointList") is not null)
            {
                response.AccessPointList = [];
            }

            foreach (var point in Child(root, "AccessPointList")?.Elements().Where(e => e.Name.LocalName == "AccessPoint") ?? [])
            {
                response.AccessPointList!.Add(new AccessPoint
                {
                    Name = Text(point, "Name"),
                    Bucket = Text(point, "Bucket"),
                    NetworkOrigin = Text(point, "NetworkOrigin") is { } origin ? new NetworkOrigin(origin) : null,
                    VpcConfiguration = Child(point, "VpcConfiguration") is { } vpc ? new VpcConfiguration { VpcId = Text(vpc, "VpcId") } : null,
                    AccessPointArn = Text(point, "AccessPointArn"),
                    Alias = Text(point, "Alias"),
                    BucketAccountId = Text(point, "BucketAccountId"),
                });
            }

            return response;
        }

        private async Task<XElement> GetAsync(string? account, string path, CancellationToken cancellationToken, Dictionary<string, string>? query = null)
        {
            ArgumentException.ThrowIfNullOrEmpty(account);
            // On AWS the account is part of the host (the S3 Control endpoint rules); a configured endpoint takes the
            // same request path-style.
            var endpoint = client.IsEndpointConfigured ? client.Endpoint : new UriBuilder(client.Endpoint) { Host = account + "." + client.Endpoint.Host }.Uri;
            var response = await SignedHttp.WithStandardRetriesAsync(
                () => client.Signed.SendAsync(HttpMethod.Get, client.Config, "S3", endpoint, path, client.Region,
                    headers: new Dictionary<string, string> { ["x-amz-account-id"] = account }, cancellationToken: cancellationToken, query: query),
                r => ErrorCode(r.Body), cancellationToken).ConfigureAwait(false);
            if (response.Status != HttpStatusCode.OK)
            {
                var code = ErrorCode(response.Body);
                throw new AmazonS3ControlException($"S3 Control GET {path}: {(int)response.Status} {code ?? "(no error code)"}", code, response.Status);
            }

            return XDocument.Parse(response.Body).Root!;
        }

        private static string Name(string? name) =>
            Uri.EscapeDataString(name ?? throw new ArgumentException("Name is required", nameof(name)));

        private static XElement? Child(XElement e, string name) => e.Elements().FirstOrDefault(c => c.Name.LocalName == name);

        private static string? Text(XElement e, string name) => Child(e, name)?.Value;

        private static bool? Flag(XElement e, string name) => Text(e, name) is { } v ? string.Equals(v, "true", StringComparison.OrdinalIgnoreCase) : null;

        private static string? ErrorCode(string body)
        {
            try
            {
                var root = XDocument.Parse(body).Root;
                return root?.Descendants().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value;
            }
            catch (System.Xml.XmlException)
            {
                return null;
            }
        }
    }

    /// <summary>Mirrors AmazonS3ControlConfig: ServiceId "S3 Control" (AWS_ENDPOINT_URL_S3_CONTROL or AWS_ENDPOINT_URL),
    /// signed as "s3"; regional (ACCOUNT.s3-control.REGION.amazonaws.com).</summary>
    public sealed class AmazonS3ControlConfig : ClientConfig
    {
        public AmazonS3ControlConfig()
            : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
        {
            ServiceId = "S3 Control";
            AuthenticationServiceName = "s3";
        }

        public override string RegionEndpointServiceName => "s3-control";

        public override string ServiceVersion => "2018-08-20";

        public override string UserAgent => "bucketguard-s3control/1.0";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
            new(ServiceURL ?? SubstituteClient.Regional("s3-control", RegionEndpoint ?? RegionEndpoint.USEast1).ToString());
    }

    public sealed class AmazonS3ControlException(string message, string? errorCode, HttpStatusCode statusCode)
        : AmazonServiceException(message, ErrorType.Unknown, errorCode, null, statusCode);
}

namespace Amazon.S3Control.Model
{
    public sealed class GetAccessPointRequest
    {
        public string? AccountId { get; set; }

        public string? Name { get; set; }
    }

    public sealed class GetAccessPointResponse
    {
        public string? Name { get; set; }

        public string? Bucket { get; set; }

        public string? BucketAccountId { get; set; }

        public NetworkOrigin? NetworkOrigin { get; set; }

        public VpcConfiguration? VpcConfiguration { get; set; }

        public PublicAccessBlockConfiguration? PublicAccessBlockConfiguration { get; set; }

        public string? Alias { get; set; }

        public string? AccessPointArn { get; set; }
    }

    public sealed class GetAccessPointPolicyRequest
    {
        public string? AccountId { get; set; }

        public string? Name { get; set; }
    }

    public sealed class GetAccessPointPolicyResponse
    {
        public string? Policy { get; set; }
    }

    public sealed class GetAccessPointPolicyStatusRequest
    {
        public string? AccountId { get; set; }

        public string? Name { get; set; }
    }

    public sealed class GetAccessPointPolicyStatusResponse
    {
        public PolicyStatus? PolicyStatus { get; set; }
    }

    public sealed class PolicyStatus
    {
        public bool? IsPublic { get; set; }
    }

    public sealed class ListAccessPointsRequest
    {
        public string? AccountId { get; set; }

        public string? Bucket { get; set; }

        public string? NextToken { get; set; }

        public int? MaxResults { get; set; }
    }

    public sealed class ListAccessPointsResponse
    {
        public List<AccessPoint>? AccessPointList { get; set; }

        public string? NextToken { get; set; }
    }

    public sealed class AccessPoint
    {
        public string? Name { get; set; }

        public string? Bucket { get; set; }

        public NetworkOrigin? NetworkOrigin { get; set; }

        public VpcConfiguration? VpcConfiguration { get; set; }

        public string? AccessPointArn { get; set; }

        public string? Alias { get; set; }

        public string? BucketAccountId { get; set; }
    }

    public sealed class VpcConfiguration
    {
        public string? VpcId { get; set; }
    }

    public sealed class PublicAccessBlockConfiguration
    {
        public bool? BlockPublicAcls { get; set; }

        public bool? IgnorePublicAcls { get; set; }

        public bool? BlockPublicPolicy { get; set; }

        public bool? RestrictPublicBuckets { get; set; }
    }

    /// <summary>Internet or VPC (the SDK's ConstantClass, reduced to its value).</summary>
    public sealed record NetworkOrigin(string Value)
    {
        public static readonly NetworkOrigin Internet = new("Internet");
        public static readonly NetworkOrigin VPC = new("VPC");

        public override string ToString() => Value;
    }
}
