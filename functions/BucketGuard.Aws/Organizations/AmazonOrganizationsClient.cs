// Stands in for AWSSDK.Organizations, which this project's NuGet registry does not serve. Namespaces, type and member
// names follow that package (Amazon.Organizations: IAmazonOrganizations, AmazonOrganizationsClient,
// AmazonOrganizationsConfig, AmazonOrganizationsException; Amazon.Organizations.Model: ListAccountsRequest/Response,
// Account, AccountStatus), so the swap is a package reference and deleting this folder. Only ListAccounts is here.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.Organizations.Model;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using BucketGuard.Aws;

namespace Amazon.Organizations
{
    public interface IAmazonOrganizations
    {
        Task<ListAccountsResponse> ListAccountsAsync(ListAccountsRequest request, CancellationToken cancellationToken = default);
    }

    /// <summary>Organizations is a global service: one endpoint (organizations.us-east-1.amazonaws.com in the aws
    /// partition) signed for us-east-1; AWS_ENDPOINT_URL_ORGANIZATIONS (or AWS_ENDPOINT_URL) overrides it.</summary>
    public sealed class AmazonOrganizationsConfig : ClientConfig
    {
        public AmazonOrganizationsConfig()
            : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
        {
            AuthenticationServiceName = "organizations";
            RegionEndpoint = RegionEndpoint.USEast1;
            ServiceURL = AwsEndpoints.Configured("Organizations")?.ToString() ?? "https://organizations.us-east-1.amazonaws.com/";
        }

        public override string RegionEndpointServiceName => "organizations";

        public override string ServiceVersion => "2016-11-28";

        public override string UserAgent => "bucketguard-organizations/1.0";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
            new(ServiceURL);
    }

    /// <summary>The AWS Organizations JSON 1.1 API (X-Amz-Target AWSOrganizationsV20161128.*), signed by AWSSDK.Core's
    /// signer through SignedHttp, with the SDK's standard retries (SignedHttp.WithStandardRetriesAsync); any other
    /// error is an AmazonOrganizationsException with the service's error code.</summary>
    public sealed class AmazonOrganizationsClient(AWSCredentials credentials, AmazonOrganizationsConfig config, HttpMessageHandler? handler = null) : IAmazonOrganizations, IDisposable
    {
        private readonly HttpClient http = handler is null ? new HttpClient { Timeout = TimeSpan.FromSeconds(20) } : new HttpClient(handler, disposeHandler: false);

        public AmazonOrganizationsClient()
            : this(DefaultAWSCredentialsIdentityResolver.GetCredentials(), new AmazonOrganizationsConfig())
        {
        }

        public async Task<ListAccountsResponse> ListAccountsAsync(ListAccountsRequest request, CancellationToken cancellationToken = default)
        {
            var body = new MemoryStream();
            using (var w = new Utf8JsonWriter(body))
            {
                w.WriteStartObject();
                if (request.MaxResults is { } max)
                {
                    w.WriteNumber("MaxResults", max);
                }

                if (request.NextToken is { } token)
                {
                    w.WriteString("NextToken", token);
                }

                w.WriteEndObject();
            }

            using var answer = await CallAsync("ListAccounts", body.ToArray(), cancellationToken).ConfigureAwait(false);
            var root = answer.RootElement;
            var response = new ListAccountsResponse
            {
                NextToken = root.TryGetProperty("NextToken", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null,
            };
            if (root.TryGetProperty("Accounts", out var accounts) && accounts.ValueKind == JsonValueKind.Array)
            {
                foreach (var a in accounts.EnumerateArray())
                {
                    response.Accounts.Add(new Account
                    {
                        Id = Text(a, "Id"),
                        Arn = Text(a, "Arn"),
                        Name = Text(a, "Name"),
                        Email = Text(a, "Email"),
                        Status = Text(a, "Status") is { } status ? new AccountStatus(status) : null,
                    });
                }
            }

            return response;
        }

        private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        private async Task<JsonDocument> CallAsync(string operation, byte[] content, CancellationToken cancellationToken)
        {
            var signed = new SignedHttp(http, credentials);
            var response = await SignedHttp.WithStandardRetriesAsync(
                () => signed.SendAsync(HttpMethod.Post, config, "organizations", new Uri(config.ServiceURL), "/", "us-east-1",
                    content: content, contentType: "application/x-amz-json-1.1",
                    headers: new Dictionary<string, string> { ["X-Amz-Target"] = "AWSOrganizationsV20161128." + operation }, cancellationToken: cancellationToken),
                r => SignedHttp.JsonErrorCode(r.Body), cancellationToken).ConfigureAwait(false);
            if (response.Status == HttpStatusCode.OK)
            {
                return JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
            }

            var code = SignedHttp.JsonErrorCode(response.Body);
            throw new AmazonOrganizationsException(
                string.Create(CultureInfo.InvariantCulture, $"Organizations {operation}: {(int)response.Status} {code ?? "(no error code)"}"), code, response.Status);
        }


        public void Dispose() => http.Dispose();
    }

    public sealed class AmazonOrganizationsException(string message, string? errorCode, HttpStatusCode statusCode)
        : AmazonServiceException(message, ErrorType.Unknown, errorCode, null, statusCode);
}

namespace Amazon.Organizations.Model
{
    public sealed class ListAccountsRequest
    {
        public int? MaxResults { get; set; }

        public string? NextToken { get; set; }
    }

    public sealed class ListAccountsResponse
    {
        public List<Account> Accounts { get; set; } = [];

        public string? NextToken { get; set; }
    }

    public sealed class Account
    {
        public string? Id { get; set; }

        public string? Arn { get; set; }

        public string? Name { get; set; }

        public string? Email { get; set; }

        public AccountStatus? Status { get; set; }
    }

    /// <summary>ACTIVE, SUSPENDED or PENDING_CLOSURE (the SDK's ConstantClass, reduced to its value).</summary>
    public sealed record AccountStatus(string Value)
    {
        public static readonly AccountStatus ACTIVE = new("ACTIVE");
        public static readonly AccountStatus SUSPENDED = new("SUSPENDED");
        public static readonly AccountStatus PENDING_CLOSURE = new("PENDING_CLOSURE");

        public override string ToString() => Value;
    }
}
