using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;
using BucketGuard.Aws;

namespace BucketGuard.IntegrationTests;

/// <summary>Test tooling: calls to the local moto server, signed by AWSSDK.Core's signer through SignedHttp as the
/// product signs its raw calls.</summary>
public static class MotoClient
{
    /// <summary>moto's one account: S3 Control answers AccessDenied for any other account ID.</summary>
    public const string Account = "123456789012";

    public static Uri Endpoint => AwsEndpoints.Configured("S3 Control")
        ?? throw new InvalidOperationException("AWS_ENDPOINT_URL_S3_CONTROL is not set: infra/local/start did not start moto server (is moto[server] installed?)");

    public static SignedHttp Signed() => new(new HttpClient(), new BasicAWSCredentials(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"), Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY")));

    /// <summary>A JSON-protocol call (KMS, Organizations, EventBridge, SQS) with its X-Amz-Target.</summary>
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> JsonAsync(string service, string target, JsonObject body, string version = "1.1")
    {
        var response = await Signed().SendAsync(HttpMethod.Post, new SigningConfig(service), service, Endpoint, "/", "us-east-1",
            content: Encoding.UTF8.GetBytes(body.ToJsonString()), contentType: $"application/x-amz-json-{version}",
            headers: new Dictionary<string, string> { ["X-Amz-Target"] = target });
        return (response.Status, response.Body.Length == 0 ? null : JsonNode.Parse(response.Body));
    }

    public static async Task<JsonNode> OkAsync(string service, string target, JsonObject body, string version = "1.1")
    {
        var (status, answer) = await JsonAsync(service, target, body, version);
        Assert.True(status == HttpStatusCode.OK, $"{target}: {(int)status} {answer?.ToJsonString()}");
        return answer ?? new JsonObject();
    }

    /// <summary>A new DynamoDB table in moto with BucketGuard's key schema (pk, sk: strings), its name unique.</summary>
    public static async Task<string> TableAsync(Amazon.DynamoDBv2.IAmazonDynamoDB dynamo, string prefix)
    {
        var table = LocalAws.UniqueName(prefix);
        await dynamo.CreateTableAsync(new Amazon.DynamoDBv2.Model.CreateTableRequest
        {
            TableName = table,
            BillingMode = Amazon.DynamoDBv2.BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions = [new("pk", Amazon.DynamoDBv2.ScalarAttributeType.S), new("sk", Amazon.DynamoDBv2.ScalarAttributeType.S)],
            KeySchema = [new("pk", Amazon.DynamoDBv2.KeyType.HASH), new("sk", Amazon.DynamoDBv2.KeyType.RANGE)],
        });
        return table;
    }

    /// <summary>The signer's view of a service: its signing name and region. Test tooling only.</summary>
    public sealed class SigningConfig : ClientConfig
    {
        private readonly string service;

        public SigningConfig(string service)
            : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
        {
            this.service = service;
            AuthenticationServiceName = service;
            RegionEndpoint = RegionEndpoint.USEast1;
        }

        public override string RegionEndpointServiceName => service;

        public override string ServiceVersion => "1";

        public override string UserAgent => "bucketguard-tests/1.0";

        public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
            new(Endpoint.ToString());
    }
}
