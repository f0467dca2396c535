// Stands in for AWSSDK.EventBridge, which this project's NuGet registry does not serve. Namespaces, type and member names
// follow that package (Amazon.EventBridge: IAmazonEventBridge, AmazonEventBridgeClient, AmazonEventBridgeConfig,
// AmazonEventBridgeException; Amazon.EventBridge.Model: PutEventsRequest/Response, PutEventsRequestEntry,
// PutEventsResultEntry), so the swap is a package reference and deleting this folder. Only PutEvents is here.
using System.Globalization;
using System.Net;
using System.Text.Json;
using Amazon.EventBridge.Model;
using Amazon.Runtime;
using BucketGuard.Aws;

namespace Amazon.EventBridge
{
    public interface IAmazonEventBridge
    {
        Task<PutEventsResponse> PutEventsAsync(PutEventsRequest request, CancellationToken cancellationToken = default);
    }

    /// <summary>Mirrors AmazonEventBridgeConfig: ServiceId "EventBridge" (AWS_ENDPOINT_URL_EVENTBRIDGE or
    /// AWS_ENDPOINT_URL), signing name "events"; regional (events.REGION.amazonaws.com).</summary>
    public sealed class AmazonEventBridgeConfig : ClientConfig
    {
        public AmazonEventBridgeConfig()
            : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
        {
            ServiceId = "EventBridge";
            AuthenticationServiceName = "events";
        }

        public override string RegionEndpointServiceName => "events";

        public override string ServiceVersion => "2015-10-07";

        public override string UserAgent => "bucketguard-eventbridge/1.0";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
            new(ServiceURL ?? SubstituteClient.Regional("events", RegionEndpoint ?? RegionEndpoint.USEast1).ToString());
    }

    /// <summary>The EventBridge JSON 1.1 API (X-Amz-Target AWSEvents.PutEvents), signed by AWSSDK.Core's signer through
    /// SignedHttp, with the SDK's standard retries; any other error is an AmazonEventBridgeException with the service's
    /// error code. Entries the service refused one by one are in the response (FailedEntryCount), as in the SDK.</summary>
    public sealed class AmazonEventBridgeClient : IAmazonEventBridge, IDisposable
    {
        private readonly SubstituteClient client;

        public AmazonEventBridgeClient()
            : this(new AmazonEventBridgeConfig())
        {
        }

        public AmazonEventBridgeClient(AmazonEventBridgeConfig config)
            : this(null, config)
        {
        }

        /// <param name="credentials">The identity to sign as; null (only through the other constructors) for the SDK's chain.</param>
        public AmazonEventBridgeClient(AWSCredentials? credentials, AmazonEventBridgeConfig config) =>
            client = new SubstituteClient(credentials, config, region => SubstituteClient.Regional("events", region));

        public IClientConfig Config => client.Config;

        public async Task<PutEventsResponse> PutEventsAsync(PutEventsRequest request, CancellationToken cancellationToken = default)
        {
            var body = new MemoryStream();
            using (var w = new Utf8JsonWriter(body))
            {
                w.WriteStartObject();
                w.WriteStartArray("Entries");
                foreach (var e in request.Entries ?? [])
                {
                    w.WriteStartObject();
                    w.WriteString("Source", e.Source);
                    w.WriteString("DetailType", e.DetailType);
                    w.WriteString("Detail", e.Detail);
                    if (e.EventBusName is not null)
                    {
                        w.WriteString("EventBusName", e.EventBusName);
                    }

                    if (e.Time is { } time)
                    {
                        w.WriteNumber("Time", new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToUnixTimeMilliseconds() / 1000.0);
                    }

                    if (e.Resources is { Count: > 0 })
                    {
                        w.WriteStartArray("Resources");
                        foreach (var resource in e.Resources)
                        {
                            w.WriteStringValue(resource);
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            var response = await client.JsonCallAsync("events", "AWSEvents.PutEvents", body.ToArray(), cancellationToken).ConfigureAwait(false);
            if (response.Status != HttpStatusCode.OK)
            {
                var code = SignedHttp.JsonErrorCode(response.Body);
                throw new AmazonEventBridgeException(
                    string.Create(CultureInfo.InvariantCulture, $"EventBridge PutEvents: {(int)response.Status} {code ?? "(no error code)"}{SignedHttp.JsonErrorMessage(response.Body)}"), code, response.Status);
            }

            using var answer = JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
            var root = answer.RootElement;
            var result = new PutEventsResponse
            {
                FailedEntryCount = root.TryGetProperty("FailedEntryCount", out var failed) && failed.TryGetInt32(out var f) ? f : null,
            };
            if (root.TryGetProperty("Entries", out var entries) && entries.ValueKind == JsonValueKind.Array)
            {
                result.Entries = [];
                foreach (var item in entries.EnumerateArray())
                {
                    result.Entries.Add(new PutEventsResultEntry { EventId = Text(item, "EventId"), ErrorCode = Text(item, "ErrorCode"), ErrorMessage = Text(item, "ErrorMessage") });
                }
            }

            return result;
        }

        private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        public void Dispose() => client.Dispose();
    }

    public sealed class AmazonEventBridgeException(string message, string? errorCode, HttpStatusCode statusCode)
        : AmazonServiceException(message, ErrorType.Unknown, errorCode, null, statusCode);
}

namespace Amazon.EventBridge.Model
{
    public sealed class PutEventsRequest
    {
        public List<PutEventsRequestEntry>? Entries { get; set; }
    }

    public sealed class PutEventsRequestEntry
    {
        public string? Source { get; set; }

        public string? DetailType { get; set; }

        public string? Detail { get; set; }

        public string? EventBusName { get; set; }

        /// <summary>UTC.</summary>
        public DateTime? Time { get; set; }

        public List<string>? Resources { get; set; }
    }

    public sealed class PutEventsResponse
    {
        public int? FailedEntryCount { get; set; }

        public List<PutEventsResultEntry>? Entries { get; set; }
    }

    public sealed class PutEventsResultEntry
    {
        public string? EventId { get; set; }

        public string? ErrorCode { get; set; }

        public string? ErrorMessage { get; set; }
    }
}
