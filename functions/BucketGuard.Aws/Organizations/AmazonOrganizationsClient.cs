// Stands in for AWSSDK.Organizations, which this project's NuGet registry does not serve. Namespaces, type and member
// names follow that package (Amazon.Organizations: IAmazonOrganizations, AmazonOrganizationsClient,
// AmazonOrganizationsConfig, AmazonOrganizationsException; Amazon.Organizations.Model: ListAccountsRequest/Response,
// Account, AccountState, AccountStatus), so the swap is a package reference and deleting this folder. Only ListAccounts is here; as in
// AWSSDK v4, collections are null until set.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.Organizations.Model;
using Amazon.Runtime;
using BucketGuard.Aws;

namespace Amazon.Organizations
{
    public interface IAmazonOrganizations
    {
        Task<ListAccountsResponse> ListAccountsAsync(ListAccountsRequest request, CancellationToken cancellationToken = default);
    }

    /// <summary>Mirrors AmazonOrganizationsConfig: ServiceId "Organizations" (AWS_ENDPOINT_URL_ORGANIZATIONS or
    /// AWS_ENDPOINT_URL), signing name "organizations". A global service: one endpoint per partition
    /// (organizations.us-east-1.amazonaws.com in the aws partition) signed for its region.</summary>
    public sealed class AmazonOrganizationsConfig : ClientConfig
    {
        public AmazonOrganizationsConfig()
            : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
        {
            ServiceId = "Organizations";
            AuthenticationServiceName = "organizations";
        }

        public override string RegionEndpointServiceName => "organizations";

        public override string ServiceVersion => "2016-11-28";

        public override string UserAgent => "bucketguard-organizations/1.0";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
            new(ServiceURL ?? SubstituteClient.Regional("organizations", AmazonOrganizationsClient.GlobalRegion(RegionEndpoint ?? RegionEndpoint.USEast1)).ToString());
    }

    /// <summary>The AWS Organizations JSON 1.1 API (X-Amz-Target AWSOrganizationsV20161128.*), signed by AWSSDK.Core's
    /// signer through SignedHttp, with the SDK's standard retries (SignedHttp.WithStandardRetriesAsync); any other
    /// error is an AmazonOrganizationsException with the service's error code.</summary>
    public sealed class AmazonOrganizationsClient : IAmazonOrganizations, IDisposable
    {
        private readonly SubstituteClient client;

        public AmazonOrganizationsClient()
            : this(new AmazonOrganizationsConfig())
        {
        }

        public AmazonOrganizationsClient(AmazonOrganizationsConfig config)
            : this(null, config)
        {
        }

        /// <param name="credentials">The identity to sign as; null (only through the other constructors) for the SDK's chain.</param>
        public AmazonOrganizationsClient(AWSCredentials? credentials, AmazonOrganizationsConfig config) =>
            client = new SubstituteClient(credentials, config, region => SubstituteClient.Regional("organizations", region), GlobalRegion);

        public IClientConfig Config => client.Config;

        /// <summary>The region of the partition's one Organizations endpoint (AWS General Reference, "AWS Organizations
        /// endpoints and quotas"): us-east-1, cn-northwest-1, us-gov-west-1.</summary>
        internal static RegionEndpoint GlobalRegion(RegionEndpoint region) => region.PartitionName switch
        {
            "aws-cn" => RegionEndpoint.CNNorthWest1,
            "aws-us-gov" => RegionEndpoint.USGovCloudWest1,
            "aws" => RegionEndpoint.USEast1,
            _ => region,
        };

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
                response.Accounts = [];
                foreach (var a in accounts.EnumerateArray())
                {
                    response.Accounts.Add(new Account
                    {
                        Id = Text(a, "Id"),
                        Arn = Text(a, "Arn"),
                        Name = Text(a, "Name"),
                        Email = Text(a, "Email"),
#pragma warning disable CS0618 // the retired Status is still answered, and read, as the real SDK does
                        Status = Text(a, "Status") is { } status ? new AccountStatus(status) : null,
#pragma warning restore CS0618
                        State = Text(a, "State") is { } state ? new AccountState(state) : null,
                    });
                }
            }

            return response;
        }

        private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        private async Task<JsonDocument> CallAsync(string operation, byte[] content, CancellationToken cancellationToken)
        {
            var response = await client.JsonCallAsync("organizations", "AWSOrganizationsV20161128." + operation, content, cancellationToken).ConfigureAwait(false);
            if (response.Status == HttpStatusCode.OK)
            {
                return JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
            }

            var code = SignedHttp.JsonErrorCode(response.Body);
            throw new AmazonOrganizationsException(
                string.Create(CultureInfo.InvariantCulture, $"Organizations {operation}: {(int)response.Status} {code ?? "(no error code)"}"), code, response.Status);
        }

        public void Dispose() => client.Dispose();
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
        public List<Account>? Accounts { get; set; }

        public string? NextToken { get; set; }
    }

    public sealed class Account
    {
        public string? Id { get; set; }

        public string? Arn { get; set; }

        public string? Name { get; set; }

        public string? Email { get; set; }

        /// <summary>Retired by Organizations for <see cref="State"/> (ListAccounts still answers both during the
        /// transition; the SDK marks it obsolete).</summary>
        [Obsolete("Organizations replaced Status with State; read State and fall back to Status.")]
        public AccountStatus? Status { get; set; }

        public AccountState? State { get; set; }
    }

    /// <summary>PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE or CLOSED (Organizations API Reference, Account:
    /// State; the SDK's ConstantClass, reduced to its value).</summary>
    public sealed record AccountState(string Value)
    {
        public static readonly AccountState PENDING_ACTIVATION = new("PENDING_ACTIVATION");
        public static readonly AccountState ACTIVE = new("ACTIVE");
        public static readonly AccountState SUSPENDED = new("SUSPENDED");
        public static readonly AccountState PENDING_CLOSURE = new("PENDING_CLOSURE");
        public static readonly AccountState CLOSED = new("CLOSED");

        public override string ToString() => Value;
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
