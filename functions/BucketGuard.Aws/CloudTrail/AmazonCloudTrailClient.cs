// Stands in for AWSSDK.CloudTrail, which this project's NuGet registry does not serve. Namespaces, type and member names
// follow that package (Amazon.CloudTrail: IAmazonCloudTrail, AmazonCloudTrailClient, AmazonCloudTrailConfig,
// AmazonCloudTrailException; Amazon.CloudTrail.Model: LookupEventsRequest/Response, LookupAttribute, LookupAttributeKey,
// Event, Resource), so the swap is a package reference and deleting this folder. Only LookupEvents is here; as in AWSSDK
// v4, collections are null until set.
using System.Globalization;
using System.Net;
using System.Text.Json;
using Amazon.CloudTrail.Model;
using Amazon.Runtime;
using BucketGuard.Aws;

namespace Amazon.CloudTrail
{
    public interface IAmazonCloudTrail
    {
        Task<LookupEventsResponse> LookupEventsAsync(LookupEventsRequest request, CancellationToken cancellationToken = default);
    }

    /// <summary>Mirrors AmazonCloudTrailConfig: ServiceId "CloudTrail" (AWS_ENDPOINT_URL_CLOUDTRAIL or AWS_ENDPOINT_URL),
    /// signing name "cloudtrail"; regional (cloudtrail.REGION.amazonaws.com).</summary>
    public sealed class AmazonCloudTrailConfig : ClientConfig
    {
        public AmazonCloudTrailConfig()
            : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
        {
            ServiceId = "CloudTrail";
            AuthenticationServiceName = "cloudtrail";
        }

        public override string RegionEndpointServiceName => "cloudtrail";

        public override string ServiceVersion => "2013-11-01";

        public override string UserAgent => "bucketguard-cloudtrail/1.0";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
            new(ServiceURL ?? SubstituteClient.Regional("cloudtrail", RegionEndpoint ?? RegionEndpoint.USEast1).ToString());
    }

    /// <summary>The CloudTrail JSON 1.1 API (X-Amz-Target com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents),
    /// signed by AWSSDK.Core's signer through SignedHttp, with the SDK's standard retries (LookupEvents answers
    /// ThrottlingException beyond two requests a second per account and region); any other error is an
    /// AmazonCloudTrailException with the service's error code.</summary>
    public sealed class AmazonCloudTrailClient : IAmazonCloudTrail, IDisposable
    {
        private readonly SubstituteClient client;

        public AmazonCloudTrailClient()
            : this(new AmazonCloudTrailConfig())
        {
        }

        public AmazonCloudTrailClient(AmazonCloudTrailConfig config)
            : this(null, config)
        {
        }

        /// <param name="credentials">The identity to sign as; null (only through the other constructors) for the SDK's chain.</param>
        public AmazonCloudTrailClient(AWSCredentials? credentials, AmazonCloudTrailConfig config) =>
            client = new SubstituteClient(credentials, config, region => SubstituteClient.Regional("cloudtrail", region));

        public IClientConfig Config => client.Config;

        public async Task<LookupEventsResponse> LookupEventsAsync(LookupEventsRequest request, CancellationToken cancellationToken = default)
        {
            var body = new MemoryStream();
            using (var w = new Utf8JsonWriter(body))
            {
                w.WriteStartObject();
                if (request.LookupAttributes is { Count: > 0 } attributes)
                {
                    w.WriteStartArray("LookupAttributes");
                    foreach (var attribute in attributes)
                    {
                        w.WriteStartObject();
                        w.WriteString("AttributeKey", attribute.AttributeKey?.Value);
                        w.WriteString("AttributeValue", attribute.AttributeValue);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }

                if (request.StartTime is { } start)
                {
                    w.WriteNumber("StartTime", Epoch(start));
                }

                if (request.EndTime is { } end)
                {
                    w.WriteNumber("EndTime", Epoch(end));
                }

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

            var response = await client.JsonCallAsync("cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", body.ToArray(), cancellationToken).ConfigureAwait(false);
            if (response.Status != HttpStatusCode.OK)
            {
                var code = SignedHttp.JsonErrorCode(response.Body);
                throw new AmazonCloudTrailException(
                    string.Create(CultureInfo.InvariantCulture, $"CloudTrail LookupEvents: {(int)response.Status} {code ?? "(no error code)"}{SignedHttp.JsonErrorMessage(response.Body)}"), code, response.Status);
            }

            using var answer = JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
            var root = answer.RootElement;
            var result = new LookupEventsResponse { NextToken = Text(root, "NextToken") };
            if (root.TryGetProperty("Events", out var events) && events.ValueKind == JsonValueKind.Array)
            {
                result.Events = [];
                foreach (var e in events.EnumerateArray())
                {
                    var item = new Event
                    {
                        AccessKeyId = Text(e, "AccessKeyId"),
                        CloudTrailEvent = Text(e, "CloudTrailEvent"),
                        EventId = Text(e, "EventId"),
                        EventName = Text(e, "EventName"),
                        EventSource = Text(e, "EventSource"),
                        ReadOnly = Text(e, "ReadOnly"),
                        Username = Text(e, "Username"),
                        EventTime = e.TryGetProperty("EventTime", out var time) && time.ValueKind == JsonValueKind.Number
                            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(time.GetDouble() * 1000)).UtcDateTime
                            : null,
                    };
                    if (e.TryGetProperty("Resources", out var resources) && resources.ValueKind == JsonValueKind.Array)
                    {
                        item.Resources = [.. resources.EnumerateArray().Select(r => new Resource { ResourceName = Text(r, "ResourceName"), ResourceType = Text(r, "ResourceType") })];
                    }

                    result.Events.Add(item);
                }
            }

            return result;
        }

        private static double Epoch(DateTime time) => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToUnixTimeMilliseconds() / 1000.0;

        private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        public void Dispose() => client.Dispose();
    }

    public sealed class AmazonCloudTrailException(string message, string? errorCode, HttpStatusCode statusCode)
        : AmazonServiceException(message, ErrorType.Unknown, errorCode, null, statusCode);
}

namespace Amazon.CloudTrail.Model
{
    public sealed class LookupEventsRequest
    {
        public List<LookupAttribute>? LookupAttributes { get; set; }

        /// <summary>UTC.</summary>
        public DateTime? StartTime { get; set; }

        /// <summary>UTC.</summary>
        public DateTime? EndTime { get; set; }

        public int? MaxResults { get; set; }

        public string? NextToken { get; set; }
    }

    public sealed class LookupAttribute
    {
        public LookupAttributeKey? AttributeKey { get; set; }

        public string? AttributeValue { get; set; }
    }

    /// <summary>The SDK's ConstantClass, reduced to its value (CloudTrail API Reference, LookupAttribute: AttributeKey).</summary>
    public sealed record LookupAttributeKey(string Value)
    {
        public static readonly LookupAttributeKey EventName = new("EventName");
        public static readonly LookupAttributeKey EventSource = new("EventSource");
        public static readonly LookupAttributeKey ResourceName = new("ResourceName");
        public static readonly LookupAttributeKey ResourceType = new("ResourceType");

        public override string ToString() => Value;
    }

    public sealed class LookupEventsResponse
    {
        public List<Event>? Events { get; set; }

        public string? NextToken { get; set; }
    }

    public sealed class Event
    {
        public string? AccessKeyId { get; set; }

        /// <summary>The event's CloudTrail record, as JSON text.</summary>
        public string? CloudTrailEvent { get; set; }

        public string? EventId { get; set; }

        public string? EventName { get; set; }

        public string? EventSource { get; set; }

        /// <summary>UTC.</summary>
        public DateTime? EventTime { get; set; }

        public string? ReadOnly { get; set; }

        public List<Resource>? Resources { get; set; }

        public string? Username { get; set; }
    }

    public sealed class Resource
    {
        public string? ResourceName { get; set; }

        public string? ResourceType { get; set; }
    }
}
