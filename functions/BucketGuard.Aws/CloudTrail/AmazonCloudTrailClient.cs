// Stands in for AWSSDK.CloudTrail, which this project's NuGet registry does not serve. Namespaces, type and member names
// follow that package (Amazon.CloudTrail: IAmazonCloudTrail, AmazonCloudTrailClient, AmazonCloudTrailConfig,
// AmazonCloudTrailException; Amazon.CloudTrail.Model: LookupEventsRequest/Response, LookupAttribute, LookupAttributeKey,
// Event, Resource; DescribeTrailsRequest/Response, Trail; GetEventSelectorsRequest/Response, EventSelector, DataResource,
// ReadWriteType, AdvancedEventSelector, AdvancedFieldSelector), so the swap is a package reference and deleting this
// folder. Only LookupEvents, DescribeTrails and GetEventSelectors are here; as in AWSSDK v4, collections are null until
// set and flags are nullable.
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

        Task<DescribeTrailsResponse> DescribeTrailsAsync(DescribeTrailsRequest request, CancellationToken cancellationToken = default);

        Task<GetEventSelectorsResponse> GetEventSelectorsAsync(GetEventSelectorsRequest request, CancellationToken cancellationToken = default);
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

            using var answer = await CallAsync("LookupEvents", body.ToArray(), cancellationToken).ConfigureAwait(false);
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

        public async Task<DescribeTrailsResponse> DescribeTrailsAsync(DescribeTrailsRequest request, CancellationToken cancellationToken = default)
        {
            var body = Write(w =>
            {
                if (request.TrailNameList is { } names)
                {
                    w.WriteStartArray("trailNameList");
                    foreach (var name in names)
                    {
                        w.WriteStringValue(name);
                    }

                    w.WriteEndArray();
                }

                if (request.IncludeShadowTrails is { } shadow)
                {
                    w.WriteBoolean("includeShadowTrails", shadow);
                }
            });
            using var answer = await CallAsync("DescribeTrails", body, cancellationToken).ConfigureAwait(false);
            var result = new DescribeTrailsResponse();
            if (answer.RootElement.TryGetProperty("trailList", out var trails) && trails.ValueKind == JsonValueKind.Array)
            {
                result.TrailList = [.. trails.EnumerateArray().Select(t => new Trail
                {
                    Name = Text(t, "Name"),
                    TrailARN = Text(t, "TrailARN"),
                    HomeRegion = Text(t, "HomeRegion"),
                    S3BucketName = Text(t, "S3BucketName"),
                    S3KeyPrefix = Text(t, "S3KeyPrefix"),
                    KmsKeyId = Text(t, "KmsKeyId"),
                    IsMultiRegionTrail = Flag(t, "IsMultiRegionTrail"),
                    IsOrganizationTrail = Flag(t, "IsOrganizationTrail"),
                })];
            }

            return result;
        }

        public async Task<GetEventSelectorsResponse> GetEventSelectorsAsync(GetEventSelectorsRequest request, CancellationToken cancellationToken = default)
        {
            var body = Write(w => w.WriteString("TrailName", request.TrailName));
            using var answer = await CallAsync("GetEventSelectors", body, cancellationToken).ConfigureAwait(false);
            var root = answer.RootElement;
            var result = new GetEventSelectorsResponse { TrailARN = Text(root, "TrailARN") };
            if (root.TryGetProperty("EventSelectors", out var basic) && basic.ValueKind == JsonValueKind.Array)
            {
                result.EventSelectors = [.. basic.EnumerateArray().Select(e => new EventSelector
                {
                    ReadWriteType = Text(e, "ReadWriteType") is { } type ? new ReadWriteType(type) : null,
                    IncludeManagementEvents = Flag(e, "IncludeManagementEvents"),
                    DataResources = e.TryGetProperty("DataResources", out var resources) && resources.ValueKind == JsonValueKind.Array
                        ? [.. resources.EnumerateArray().Select(r => new DataResource { Type = Text(r, "Type"), Values = Texts(r, "Values") })]
                        : null,
                })];
            }

            if (root.TryGetProperty("AdvancedEventSelectors", out var advanced) && advanced.ValueKind == JsonValueKind.Array)
            {
                result.AdvancedEventSelectors = [.. advanced.EnumerateArray().Select(a => new AdvancedEventSelector
                {
                    Name = Text(a, "Name"),
                    FieldSelectors = a.TryGetProperty("FieldSelectors", out var fields) && fields.ValueKind == JsonValueKind.Array
                        ? [.. fields.EnumerateArray().Select(f => new AdvancedFieldSelector
                        {
                            Field = Text(f, "Field"),
                            Equals = Texts(f, "Equals"),
                            StartsWith = Texts(f, "StartsWith"),
                            EndsWith = Texts(f, "EndsWith"),
                            NotEquals = Texts(f, "NotEquals"),
                            NotStartsWith = Texts(f, "NotStartsWith"),
                            NotEndsWith = Texts(f, "NotEndsWith"),
                        })]
                        : null,
                })];
            }

            return result;
        }

        /// <summary>One JSON 1.1 call; an error answer is an AmazonCloudTrailException with the service's code.</summary>
        private async Task<JsonDocument> CallAsync(string operation, byte[] body, CancellationToken cancellationToken)
        {
            var response = await client.JsonCallAsync("cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101." + operation, body, cancellationToken).ConfigureAwait(false);
            if (response.Status != HttpStatusCode.OK)
            {
                var code = SignedHttp.JsonErrorCode(response.Body);
                throw new AmazonCloudTrailException(
                    string.Create(CultureInfo.InvariantCulture, $"CloudTrail {operation}: {(int)response.Status} {code ?? "(no error code)"}{SignedHttp.JsonErrorMessage(response.Body)}"), code, response.Status);
            }

            return JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
        }

        private static byte[] Write(Action<Utf8JsonWriter> members)
        {
            var body = new MemoryStream();
            using (var w = new Utf8JsonWriter(body))
            {
                w.WriteStartObject();
                members(w);
                w.WriteEndObject();
            }

            return body.ToArray();
        }

        private static bool? Flag(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

        private static List<string>? Texts(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? [.. v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)] : null;

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

    public sealed class DescribeTrailsRequest
    {
        public List<string>? TrailNameList { get; set; }

        /// <summary>Also the trails of other regions that apply here (multi-region and organisation trails).</summary>
        public bool? IncludeShadowTrails { get; set; }
    }

    public sealed class DescribeTrailsResponse
    {
        public List<Trail>? TrailList { get; set; }
    }

    public sealed class Trail
    {
        public string? HomeRegion { get; set; }

        public bool? IsMultiRegionTrail { get; set; }

        public bool? IsOrganizationTrail { get; set; }

        public string? KmsKeyId { get; set; }

        public string? Name { get; set; }

        public string? S3BucketName { get; set; }

        public string? S3KeyPrefix { get; set; }

        public string? TrailARN { get; set; }
    }

    public sealed class GetEventSelectorsRequest
    {
        /// <summary>The trail's name or ARN.</summary>
        public string? TrailName { get; set; }
    }

    public sealed class GetEventSelectorsResponse
    {
        public List<AdvancedEventSelector>? AdvancedEventSelectors { get; set; }

        public List<EventSelector>? EventSelectors { get; set; }

        public string? TrailARN { get; set; }
    }

    public sealed class EventSelector
    {
        public List<DataResource>? DataResources { get; set; }

        public bool? IncludeManagementEvents { get; set; }

        public ReadWriteType? ReadWriteType { get; set; }
    }

    public sealed class DataResource
    {
        /// <summary>"AWS::S3::Object", "AWS::Lambda::Function", ...</summary>
        public string? Type { get; set; }

        /// <summary>ARN prefixes: "arn:aws:s3" (every bucket), "arn:aws:s3:::BUCKET/" or "arn:aws:s3:::BUCKET/PREFIX".</summary>
        public List<string>? Values { get; set; }
    }

    /// <summary>The SDK's ConstantClass, reduced to its value (CloudTrail API Reference, EventSelector: ReadWriteType).</summary>
    public sealed record ReadWriteType(string Value)
    {
        public static readonly ReadWriteType All = new("All");
        public static readonly ReadWriteType ReadOnly = new("ReadOnly");
        public static readonly ReadWriteType WriteOnly = new("WriteOnly");

        public override string ToString() => Value;
    }

    public sealed class AdvancedEventSelector
    {
        public List<AdvancedFieldSelector>? FieldSelectors { get; set; }

        public string? Name { get; set; }
    }

    public sealed class AdvancedFieldSelector
    {
        public List<string>? EndsWith { get; set; }

        public new List<string>? Equals { get; set; }

        public string? Field { get; set; }

        public List<string>? NotEndsWith { get; set; }

        public List<string>? NotEquals { get; set; }

        public List<string>? NotStartsWith { get; set; }

        public List<string>? StartsWith { get; set; }
    }
}
