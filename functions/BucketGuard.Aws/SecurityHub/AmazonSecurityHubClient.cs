// Stands in for AWSSDK.SecurityHub, which this project's NuGet registry does not serve. Namespaces, type and member names
// follow that package (Amazon.SecurityHub: IAmazonSecurityHub, AmazonSecurityHubClient, AmazonSecurityHubConfig,
// AmazonSecurityHubException; Amazon.SecurityHub.Model: BatchImportFindingsRequest/Response, AwsSecurityFinding and the
// parts of it BucketGuard fills; BatchUpdateFindingsRequest/Response, AwsSecurityFindingIdentifier, NoteUpdate,
// BatchUpdateFindingsUnprocessedFinding), so the swap is a package reference and deleting this folder. Only
// BatchImportFindings and BatchUpdateFindings are here.
using System.Globalization;
using System.Net;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.SecurityHub.Model;
using BucketGuard.Aws;

namespace Amazon.SecurityHub
{
    public interface IAmazonSecurityHub
    {
        Task<BatchImportFindingsResponse> BatchImportFindingsAsync(BatchImportFindingsRequest request, CancellationToken cancellationToken = default);

        Task<BatchUpdateFindingsResponse> BatchUpdateFindingsAsync(BatchUpdateFindingsRequest request, CancellationToken cancellationToken = default);
    }

    /// <summary>Mirrors AmazonSecurityHubConfig: ServiceId "SecurityHub" (AWS_ENDPOINT_URL_SECURITYHUB or
    /// AWS_ENDPOINT_URL), signing name "securityhub"; regional (securityhub.REGION.amazonaws.com).</summary>
    public sealed class AmazonSecurityHubConfig : ClientConfig
    {
        public AmazonSecurityHubConfig()
            : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
        {
            ServiceId = "SecurityHub";
            AuthenticationServiceName = "securityhub";
        }

        public override string RegionEndpointServiceName => "securityhub";

        public override string ServiceVersion => "2018-10-26";

        public override string UserAgent => "bucketguard-securityhub/1.0";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
            new(ServiceURL ?? SubstituteClient.Regional("securityhub", RegionEndpoint ?? RegionEndpoint.USEast1).ToString());
    }

    /// <summary>The Security Hub REST-JSON API (POST /findings/import), signed by AWSSDK.Core's signer through SignedHttp,
    /// with the SDK's standard retries (SignedHttp.WithStandardRetriesAsync); any other error is an
    /// AmazonSecurityHubException with the service's error code. Findings the service refused one by one are in the
    /// response's FailedFindings, as in the SDK.</summary>
    public sealed class AmazonSecurityHubClient : IAmazonSecurityHub, IDisposable
    {
        private readonly SubstituteClient client;

        public AmazonSecurityHubClient()
            : this(new AmazonSecurityHubConfig())
        {
        }

        public AmazonSecurityHubClient(AmazonSecurityHubConfig config)
            : this(null, config)
        {
        }

        /// <param name="credentials">The identity to sign as; null (only through the other constructors) for the SDK's chain.</param>
        public AmazonSecurityHubClient(AWSCredentials? credentials, AmazonSecurityHubConfig config) =>
            client = new SubstituteClient(credentials, config, region => SubstituteClient.Regional("securityhub", region));

        public IClientConfig Config => client.Config;

        public async Task<BatchImportFindingsResponse> BatchImportFindingsAsync(BatchImportFindingsRequest request, CancellationToken cancellationToken = default)
        {
            var body = new MemoryStream();
            using (var w = new Utf8JsonWriter(body))
            {
                w.WriteStartObject();
                w.WriteStartArray("Findings");
                foreach (var finding in request.Findings ?? [])
                {
                    Write(w, finding);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            using var answer = await CallAsync(HttpMethod.Post, "/findings/import", "BatchImportFindings", body.ToArray(), cancellationToken).ConfigureAwait(false);
            var root = answer.RootElement;
            var result = new BatchImportFindingsResponse
            {
                FailedCount = root.TryGetProperty("FailedCount", out var failed) && failed.TryGetInt32(out var f) ? f : null,
                SuccessCount = root.TryGetProperty("SuccessCount", out var succeeded) && succeeded.TryGetInt32(out var s) ? s : null,
            };
            if (root.TryGetProperty("FailedFindings", out var failures) && failures.ValueKind == JsonValueKind.Array)
            {
                result.FailedFindings = [];
                foreach (var item in failures.EnumerateArray())
                {
                    result.FailedFindings.Add(new ImportFindingsError { Id = Text(item, "Id"), ErrorCode = Text(item, "ErrorCode"), ErrorMessage = Text(item, "ErrorMessage") });
                }
            }

            return result;
        }

        private static void Write(Utf8JsonWriter w, AwsSecurityFinding f)
        {
            w.WriteStartObject();
            w.WriteString("SchemaVersion", f.SchemaVersion);
            w.WriteString("Id", f.Id);
            w.WriteString("ProductArn", f.ProductArn);
            w.WriteString("GeneratorId", f.GeneratorId);
            w.WriteString("AwsAccountId", f.AwsAccountId);
            w.WriteStartArray("Types");
            foreach (var type in f.Types ?? [])
            {
                w.WriteStringValue(type);
            }

            w.WriteEndArray();
            w.WriteString("CreatedAt", f.CreatedAt);
            w.WriteString("UpdatedAt", f.UpdatedAt);
            w.WriteStartObject("Severity");
            w.WriteString("Label", f.Severity?.Label?.Value);
            w.WriteEndObject();
            w.WriteString("Title", f.Title);
            w.WriteString("Description", f.Description);
            if (f.Remediation?.Recommendation is { } recommendation)
            {
                w.WriteStartObject("Remediation");
                w.WriteStartObject("Recommendation");
                w.WriteString("Text", recommendation.Text);
                w.WriteString("Url", recommendation.Url);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            if (f.ProductFields is { Count: > 0 })
            {
                w.WriteStartObject("ProductFields");
                foreach (var (key, value) in f.ProductFields)
                {
                    w.WriteString(key, value);
                }

                w.WriteEndObject();
            }

            w.WriteStartArray("Resources");
            foreach (var r in f.Resources ?? [])
            {
                w.WriteStartObject();
                w.WriteString("Type", r.Type);
                w.WriteString("Id", r.Id);
                w.WriteString("Partition", r.Partition?.Value);
                if (r.Region is not null)
                {
                    w.WriteString("Region", r.Region);
                }

                if (r.Details?.AwsS3Bucket is { } bucket)
                {
                    w.WriteStartObject("Details");
                    w.WriteStartObject("AwsS3Bucket");
                    if (bucket.OwnerAccountId is not null)
                    {
                        w.WriteString("OwnerAccountId", bucket.OwnerAccountId);
                    }

                    if (bucket.PublicAccessBlockConfiguration is { } block)
                    {
                        w.WriteStartObject("PublicAccessBlockConfiguration");
                        w.WriteBoolean("BlockPublicAcls", block.BlockPublicAcls ?? false);
                        w.WriteBoolean("BlockPublicPolicy", block.BlockPublicPolicy ?? false);
                        w.WriteBoolean("IgnorePublicAcls", block.IgnorePublicAcls ?? false);
                        w.WriteBoolean("RestrictPublicBuckets", block.RestrictPublicBuckets ?? false);
                        w.WriteEndObject();
                    }

                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (f.Compliance?.Status is { } compliance)
            {
                w.WriteStartObject("Compliance");
                w.WriteString("Status", compliance.Value);
                w.WriteEndObject();
            }

            if (f.Workflow?.Status is { } workflow)
            {
                w.WriteStartObject("Workflow");
                w.WriteString("Status", workflow.Value);
                w.WriteEndObject();
            }

            w.WriteString("RecordState", f.RecordState?.Value);
            w.WriteEndObject();
        }

        /// <summary>PATCH /findings/batchupdate (Security Hub API Reference, BatchUpdateFindings): the fields a customer
        /// (not the finding's provider) sets, here the note and user-defined fields.</summary>
        public async Task<BatchUpdateFindingsResponse> BatchUpdateFindingsAsync(BatchUpdateFindingsRequest request, CancellationToken cancellationToken = default)
        {
            var body = new MemoryStream();
            using (var w = new Utf8JsonWriter(body))
            {
                w.WriteStartObject();
                w.WriteStartArray("FindingIdentifiers");
                foreach (var id in request.FindingIdentifiers ?? [])
                {
                    w.WriteStartObject();
                    w.WriteString("Id", id.Id);
                    w.WriteString("ProductArn", id.ProductArn);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                if (request.Note is { } note)
                {
                    w.WriteStartObject("Note");
                    w.WriteString("Text", note.Text);
                    w.WriteString("UpdatedBy", note.UpdatedBy);
                    w.WriteEndObject();
                }

                if (request.UserDefinedFields is { } fields)
                {
                    w.WriteStartObject("UserDefinedFields");
                    foreach (var (name, value) in fields)
                    {
                        w.WriteString(name, value);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            using var answer = await CallAsync(HttpMethod.Patch, "/findings/batchupdate", "BatchUpdateFindings", body.ToArray(), cancellationToken).ConfigureAwait(false);
            var root = answer.RootElement;
            static AwsSecurityFindingIdentifier Identifier(JsonElement e) => new() { Id = Text(e, "Id"), ProductArn = Text(e, "ProductArn") };
            return new BatchUpdateFindingsResponse
            {
                ProcessedFindings = root.TryGetProperty("ProcessedFindings", out var processed) && processed.ValueKind == JsonValueKind.Array
                    ? [.. processed.EnumerateArray().Select(Identifier)]
                    : null,
                UnprocessedFindings = root.TryGetProperty("UnprocessedFindings", out var unprocessed) && unprocessed.ValueKind == JsonValueKind.Array
                    ? [.. unprocessed.EnumerateArray().Select(u => new BatchUpdateFindingsUnprocessedFinding
                    {
                        ErrorCode = Text(u, "ErrorCode"),
                        ErrorMessage = Text(u, "ErrorMessage"),
                        FindingIdentifier = u.TryGetProperty("FindingIdentifier", out var id) && id.ValueKind == JsonValueKind.Object ? Identifier(id) : null,
                    })]
                    : null,
            };
        }

        /// <summary>One REST-JSON call with the SDK's standard retries; an error answer is an AmazonSecurityHubException
        /// with the service's code.</summary>
        private async Task<JsonDocument> CallAsync(HttpMethod method, string path, string operation, byte[] body, CancellationToken cancellationToken)
        {
            var response = await SignedHttp.WithStandardRetriesAsync(
                () => client.Signed.SendAsync(method, client.Config, "securityhub", client.Endpoint, path, client.Region,
                    content: body, contentType: "application/json", cancellationToken: cancellationToken),
                r => SignedHttp.JsonErrorCode(r.Body), cancellationToken).ConfigureAwait(false);
            if (response.Status != HttpStatusCode.OK)
            {
                var code = SignedHttp.JsonErrorCode(response.Body);
                throw new AmazonSecurityHubException(
                    string.Create(CultureInfo.InvariantCulture, $"Security Hub {operation}: {(int)response.Status} {code ?? "(no error code)"}{SignedHttp.JsonErrorMessage(response.Body)}"), code, response.Status);
            }

            return JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
        }

        private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;


        public void Dispose() => client.Dispose();
    }

    public sealed class AmazonSecurityHubException(string message, string? errorCode, HttpStatusCode statusCode)
        : AmazonServiceException(message, ErrorType.Unknown, errorCode, null, statusCode);
}

namespace Amazon.SecurityHub.Model
{
    public sealed class BatchImportFindingsRequest
    {
        public List<AwsSecurityFinding>? Findings { get; set; }
    }

    public sealed class BatchImportFindingsResponse
    {
        public int? FailedCount { get; set; }

        public int? SuccessCount { get; set; }

        public List<ImportFindingsError>? FailedFindings { get; set; }
    }

    public sealed class BatchUpdateFindingsRequest
    {
        public List<AwsSecurityFindingIdentifier>? FindingIdentifiers { get; set; }

        public NoteUpdate? Note { get; set; }

        /// <summary>At most 50 pairs; names up to 128 characters, values up to 1,024.</summary>
        public Dictionary<string, string>? UserDefinedFields { get; set; }
    }

    public sealed class AwsSecurityFindingIdentifier
    {
        public string? Id { get; set; }

        public string? ProductArn { get; set; }
    }

    public sealed class NoteUpdate
    {
        /// <summary>Up to 512 characters.</summary>
        public string? Text { get; set; }

        public string? UpdatedBy { get; set; }
    }

    public sealed class BatchUpdateFindingsResponse
    {
        public List<AwsSecurityFindingIdentifier>? ProcessedFindings { get; set; }

        public List<BatchUpdateFindingsUnprocessedFinding>? UnprocessedFindings { get; set; }
    }

    public sealed class BatchUpdateFindingsUnprocessedFinding
    {
        public string? ErrorCode { get; set; }

        public string? ErrorMessage { get; set; }

        public AwsSecurityFindingIdentifier? FindingIdentifier { get; set; }
    }

    public sealed class ImportFindingsError
    {
        public string? Id { get; set; }

        public string? ErrorCode { get; set; }

        public string? ErrorMessage { get; set; }
    }

    /// <summary>The ASFF attributes BucketGuard sets (CreatedAt and UpdatedAt are ISO 8601 strings, as in the SDK).</summary>
    public sealed class AwsSecurityFinding
    {
        public string? SchemaVersion { get; set; }

        public string? Id { get; set; }

        public string? ProductArn { get; set; }

        public string? GeneratorId { get; set; }

        public string? AwsAccountId { get; set; }

        public List<string>? Types { get; set; }

        public string? CreatedAt { get; set; }

        public string? UpdatedAt { get; set; }

        public Severity? Severity { get; set; }

        public string? Title { get; set; }

        public string? Description { get; set; }

        public Remediation? Remediation { get; set; }

        public Dictionary<string, string>? ProductFields { get; set; }

        public List<Resource>? Resources { get; set; }

        public Compliance? Compliance { get; set; }

        public Workflow? Workflow { get; set; }

        public RecordState? RecordState { get; set; }
    }

    public sealed class Severity
    {
        public SeverityLabel? Label { get; set; }
    }

    public sealed class Remediation
    {
        public Recommendation? Recommendation { get; set; }
    }

    public sealed class Recommendation
    {
        public string? Text { get; set; }

        public string? Url { get; set; }
    }

    public sealed class Resource
    {
        public string? Type { get; set; }

        public string? Id { get; set; }

        public Partition? Partition { get; set; }

        public string? Region { get; set; }

        public ResourceDetails? Details { get; set; }
    }

    public sealed class ResourceDetails
    {
        public AwsS3BucketDetails? AwsS3Bucket { get; set; }
    }

    public sealed class AwsS3BucketDetails
    {
        public string? OwnerAccountId { get; set; }

        public AwsS3AccountPublicAccessBlockDetails? PublicAccessBlockConfiguration { get; set; }
    }

    public sealed class AwsS3AccountPublicAccessBlockDetails
    {
        public bool? BlockPublicAcls { get; set; }

        public bool? BlockPublicPolicy { get; set; }

        public bool? IgnorePublicAcls { get; set; }

        public bool? RestrictPublicBuckets { get; set; }
    }

    public sealed class Compliance
    {
        public ComplianceStatus? Status { get; set; }
    }

    public sealed class Workflow
    {
        public WorkflowStatus? Status { get; set; }
    }

    /// <summary>The SDK's ConstantClass types, reduced to their value.</summary>
    public sealed record SeverityLabel(string Value)
    {
        public override string ToString() => Value;
    }

    public sealed record ComplianceStatus(string Value)
    {
        public override string ToString() => Value;
    }

    public sealed record WorkflowStatus(string Value)
    {
        public override string ToString() => Value;
    }

    public sealed record RecordState(string Value)
    {
        public override string ToString() => Value;
    }

    public sealed record Partition(string Value)
    {
        public override string ToString() => Value;
    }
}
