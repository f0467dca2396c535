// Stands in for AWSSDK.StepFunctions, which this project's NuGet registry does not serve. Namespaces, type and member
// names follow that package (Amazon.StepFunctions: IAmazonStepFunctions, AmazonStepFunctionsClient,
// AmazonStepFunctionsConfig, AmazonStepFunctionsException, ExecutionStatus; Amazon.StepFunctions.Model:
// StartExecutionRequest/Response, ListExecutionsRequest/Response, ExecutionListItem), so the swap is a package reference
// and deleting this folder. Only StartExecution and ListExecutions (what `bucketguard sweep --redrive` calls) are here;
// as in AWSSDK v4, collections are null until set and numbers are nullable.
using System.Globalization;
using System.Net;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.StepFunctions.Model;
using BucketGuard.Aws;

namespace Amazon.StepFunctions
{
    public interface IAmazonStepFunctions
    {
        Task<StartExecutionResponse> StartExecutionAsync(StartExecutionRequest request, CancellationToken cancellationToken = default);

        Task<ListExecutionsResponse> ListExecutionsAsync(ListExecutionsRequest request, CancellationToken cancellationToken = default);
    }

    /// <summary>Mirrors AmazonStepFunctionsConfig: ServiceId "SFN" (AWS_ENDPOINT_URL_SFN or AWS_ENDPOINT_URL), signing
    /// name "states", endpoint states.REGION.amazonaws.com.</summary>
    public sealed class AmazonStepFunctionsConfig : ClientConfig
    {
        public AmazonStepFunctionsConfig()
            : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
        {
            ServiceId = "SFN";
            AuthenticationServiceName = "states";
        }

        public override string RegionEndpointServiceName => "states";

        public override string ServiceVersion => "2016-11-23";

        public override string UserAgent => "bucketguard-stepfunctions/1.0";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
            new(ServiceURL ?? SubstituteClient.Regional("states", RegionEndpoint ?? RegionEndpoint.USEast1).ToString());
    }

    /// <summary>The Step Functions AWS JSON 1.0 API (X-Amz-Target AWSStepFunctions.*), signed by AWSSDK.Core's signer
    /// through SignedHttp, with the SDK's standard retries; any other error is an AmazonStepFunctionsException with the
    /// service's error code (ExecutionAlreadyExists, StateMachineDoesNotExist, AccessDeniedException...).</summary>
    public sealed class AmazonStepFunctionsClient : IAmazonStepFunctions, IDisposable
    {
        private readonly SubstituteClient client;

        public AmazonStepFunctionsClient()
            : this(new AmazonStepFunctionsConfig())
        {
        }

        public AmazonStepFunctionsClient(AmazonStepFunctionsConfig config)
            : this(null, config)
        {
        }

        /// <param name="credentials">The identity to sign as; null (only through the other constructors) for the SDK's chain.</param>
        public AmazonStepFunctionsClient(AWSCredentials? credentials, AmazonStepFunctionsConfig config) =>
            client = new SubstituteClient(credentials, config, region => SubstituteClient.Regional("states", region));

        public IClientConfig Config => client.Config;

        public async Task<StartExecutionResponse> StartExecutionAsync(StartExecutionRequest request, CancellationToken cancellationToken = default)
        {
            using var answer = await CallAsync("StartExecution", w =>
            {
                w.WriteString("stateMachineArn", request.StateMachineArn);
                if (request.Name is { } name)
                {
                    w.WriteString("name", name);
                }

                if (request.Input is { } input)
                {
                    w.WriteString("input", input);
                }
            }, cancellationToken).ConfigureAwait(false);
            return new StartExecutionResponse { ExecutionArn = Text(answer.RootElement, "executionArn"), StartDate = Date(answer.RootElement, "startDate") };
        }

        public async Task<ListExecutionsResponse> ListExecutionsAsync(ListExecutionsRequest request, CancellationToken cancellationToken = default)
        {
            using var answer = await CallAsync("ListExecutions", w =>
            {
                w.WriteString("stateMachineArn", request.StateMachineArn);
                if (request.StatusFilter is { } status)
                {
                    w.WriteString("statusFilter", status.Value);
                }

                if (request.MaxResults is { } max)
                {
                    w.WriteNumber("maxResults", max);
                }

                if (request.NextToken is { } token)
                {
                    w.WriteString("nextToken", token);
                }
            }, cancellationToken).ConfigureAwait(false);
            var root = answer.RootElement;
            var response = new ListExecutionsResponse { NextToken = Text(root, "nextToken") };
            if (root.TryGetProperty("executions", out var executions) && executions.ValueKind == JsonValueKind.Array)
            {
                response.Executions = [.. executions.EnumerateArray().Select(e => new ExecutionListItem
                {
                    ExecutionArn = Text(e, "executionArn"),
                    StateMachineArn = Text(e, "stateMachineArn"),
                    Name = Text(e, "name"),
                    Status = Text(e, "status") is { } status ? new ExecutionStatus(status) : null,
                    StartDate = Date(e, "startDate"),
                    StopDate = Date(e, "stopDate"),
                })];
            }

            return response;
        }

        private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        /// <summary>AWS JSON timestamps are epoch seconds (a number, with a fraction).</summary>
        private static DateTime? Date(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? DateTimeOffset.FromUnixTimeMilliseconds((long)(v.GetDouble() * 1000)).UtcDateTime : null;

        private async Task<JsonDocument> CallAsync(string operation, Action<Utf8JsonWriter> body, CancellationToken cancellationToken)
        {
            var content = new MemoryStream();
            using (var w = new Utf8JsonWriter(content))
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            }

            var response = await client.JsonCallAsync("states", "AWSStepFunctions." + operation, content.ToArray(), cancellationToken, "application/x-amz-json-1.0").ConfigureAwait(false);
            if (response.Status == HttpStatusCode.OK)
            {
                return JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
            }

            var code = SignedHttp.JsonErrorCode(response.Body);
            throw new AmazonStepFunctionsException(
                string.Create(CultureInfo.InvariantCulture, $"Step Functions {operation}: {(int)response.Status} {code ?? "(no error code)"}"), code, response.Status);
        }

        public void Dispose() => client.Dispose();
    }

    public sealed class AmazonStepFunctionsException(string message, string? errorCode, HttpStatusCode statusCode)
        : AmazonServiceException(message, ErrorType.Unknown, errorCode, null, statusCode);

    /// <summary>RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE (Step Functions API Reference,
    /// ExecutionListItem: status; the SDK's ConstantClass, reduced to its value).</summary>
    public sealed record ExecutionStatus(string Value)
    {
        public static readonly ExecutionStatus RUNNING = new("RUNNING");
        public static readonly ExecutionStatus SUCCEEDED = new("SUCCEEDED");
        public static readonly ExecutionStatus FAILED = new("FAILED");
        public static readonly ExecutionStatus TIMED_OUT = new("TIMED_OUT");
        public static readonly ExecutionStatus ABORTED = new("ABORTED");
        public static readonly ExecutionStatus PENDING_REDRIVE = new("PENDING_REDRIVE");

        public override string ToString() => Value;
    }
}

namespace Amazon.StepFunctions.Model
{
    public sealed class StartExecutionRequest
    {
        public string? StateMachineArn { get; set; }

        public string? Name { get; set; }

        public string? Input { get; set; }
    }

    public sealed class StartExecutionResponse
    {
        public string? ExecutionArn { get; set; }

        public DateTime? StartDate { get; set; }
    }

    public sealed class ListExecutionsRequest
    {
        public string? StateMachineArn { get; set; }

        public ExecutionStatus? StatusFilter { get; set; }

        public int? MaxResults { get; set; }

        public string? NextToken { get; set; }
    }

    public sealed class ListExecutionsResponse
    {
        public List<ExecutionListItem>? Executions { get; set; }

        public string? NextToken { get; set; }
    }

    public sealed class ExecutionListItem
    {
        public string? ExecutionArn { get; set; }

        public string? StateMachineArn { get; set; }

        public string? Name { get; set; }

        public ExecutionStatus? Status { get; set; }

        public DateTime? StartDate { get; set; }

        public DateTime? StopDate { get; set; }
    }
}
