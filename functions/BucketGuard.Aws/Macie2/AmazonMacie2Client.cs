// Stands in for AWSSDK.Macie2, which this project's NuGet registry does not serve. Namespaces, type and member names
// follow that package (Amazon.Macie2: IAmazonMacie2, AmazonMacie2Client, AmazonMacie2Config, AmazonMacie2Exception;
// Amazon.Macie2.Model: GetResourceProfileRequest/Response), so the swap is a package reference and deleting this
// folder. Only GetResourceProfile is here, and of its response the members BucketGuard reads (Statistics is left out);
// as in AWSSDK v4, numbers and flags are nullable. The real package throws Amazon.Macie2.Model.ResourceNotFoundException
// (an AmazonMacie2Exception whose ErrorCode is "ResourceNotFoundException"); here the ErrorCode alone says it.
using System.Globalization;
using System.Net;
using System.Text.Json;
using Amazon.Macie2.Model;
using Amazon.Runtime;
using BucketGuard.Aws;

namespace Amazon.Macie2
{
    public interface IAmazonMacie2
    {
        Task<GetResourceProfileResponse> GetResourceProfileAsync(GetResourceProfileRequest request, CancellationToken cancellationToken = default);
    }

    /// <summary>Mirrors AmazonMacie2Config: ServiceId "Macie2" (AWS_ENDPOINT_URL_MACIE2 or AWS_ENDPOINT_URL), signing
    /// name "macie2"; regional (macie2.REGION.amazonaws.com).</summary>
    public sealed class AmazonMacie2Config : ClientConfig
    {
        public AmazonMacie2Config()
            : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
        {
            ServiceId = "Macie2";
            AuthenticationServiceName = "macie2";
        }

        public override string RegionEndpointServiceName => "macie2";

        public override string ServiceVersion => "2020-01-01";

        public override string UserAgent => "bucketguard-macie2/1.0";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
            new(ServiceURL ?? SubstituteClient.Regional("macie2", RegionEndpoint ?? RegionEndpoint.USEast1).ToString());
    }

    /// <summary>The Macie REST-JSON API (GET /resource-profiles?resourceArn=ARN), signed by AWSSDK.Core's signer through
    /// SignedHttp, with the SDK's standard retries; any other error is an AmazonMacie2Exception with the service's error
    /// code (ResourceNotFoundException, AccessDeniedException, ValidationException...).</summary>
    public sealed class AmazonMacie2Client : IAmazonMacie2, IDisposable
    {
        private readonly SubstituteClient client;

        public AmazonMacie2Client()
            : this(new AmazonMacie2Config())
        {
        }

        public AmazonMacie2Client(AmazonMacie2Config config)
            : this(null, config)
        {
        }

        /// <param name="credentials">The identity to sign as; null (only through the other constructors) for the SDK's chain.</param>
        public AmazonMacie2Client(AWSCredentials? credentials, AmazonMacie2Config config) =>
            client = new SubstituteClient(credentials, config, region => SubstituteClient.Regional("macie2", region));

        public IClientConfig Config => client.Config;

        public async Task<GetResourceProfileResponse> GetResourceProfileAsync(GetResourceProfileRequest request, CancellationToken cancellationToken = default)
        {
            var response = await SignedHttp.WithStandardRetriesAsync(
                () => client.Signed.SendAsync(HttpMethod.Get, client.Config, "macie2", client.Endpoint, "/resource-profiles", client.Region,
                    headers: new Dictionary<string, string> { ["X-Amz-Api-Version"] = "2020-01-01" }, cancellationToken: cancellationToken,
                    query: new Dictionary<string, string> { ["resourceArn"] = request.ResourceArn ?? string.Empty }),
                SignedHttp.RestJsonErrorCode, cancellationToken).ConfigureAwait(false);
            if (response.Status != HttpStatusCode.OK)
            {
                var code = SignedHttp.RestJsonErrorCode(response);
                throw new AmazonMacie2Exception(
                    string.Create(CultureInfo.InvariantCulture, $"Macie GetResourceProfile: {(int)response.Status} {code ?? "(no error code)"}{SignedHttp.JsonErrorMessage(response.Body)}"), code, response.Status);
            }

            using var answer = JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
            var root = answer.RootElement;
            return new GetResourceProfileResponse
            {
                ProfileUpdatedAt = root.TryGetProperty("profileUpdatedAt", out var at) && at.ValueKind == JsonValueKind.String
                    && DateTime.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time) ? time : null,
                SensitivityScore = root.TryGetProperty("sensitivityScore", out var score) && score.ValueKind == JsonValueKind.Number && score.TryGetInt32(out var n) ? n : null,
                SensitivityScoreOverridden = root.TryGetProperty("sensitivityScoreOverridden", out var overridden) && overridden.ValueKind is JsonValueKind.True or JsonValueKind.False ? overridden.GetBoolean() : null,
            };
        }

        public void Dispose() => client.Dispose();
    }

    public sealed class AmazonMacie2Exception(string message, string? errorCode, HttpStatusCode statusCode)
        : AmazonServiceException(message, ErrorType.Unknown, errorCode, null, statusCode);
}

namespace Amazon.Macie2.Model
{
    public sealed class GetResourceProfileRequest
    {
        /// <summary>The bucket's ARN (arn:aws:s3:::BUCKET).</summary>
        public string? ResourceArn { get; set; }
    }

    public sealed class GetResourceProfileResponse
    {
        public DateTime? ProfileUpdatedAt { get; set; }

        /// <summary>-1 (classification error) to 100 (sensitive).</summary>
        public int? SensitivityScore { get; set; }

        /// <summary>True when the score was set to 100 by hand.</summary>
        public bool? SensitivityScoreOverridden { get; set; }
    }
}
