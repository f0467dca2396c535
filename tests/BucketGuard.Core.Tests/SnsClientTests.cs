using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.SimpleNotificationService;
using Amazon.SimpleNotificationService.Model;

namespace BucketGuard.Tests;

public class SnsClientTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// <summary>Answers with the queued responses and records what was sent.</summary>
    private sealed class Recorder(params (HttpStatusCode Status, string Body)[] answers) : HttpMessageHandler
    {
        public List<(HttpRequestMessage Request, string Body)> Sent { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Sent.Add((request, await request.Content!.ReadAsStringAsync(cancellationToken)));
            var (status, body) = answers[Math.Min(Sent.Count - 1, answers.Length - 1)];
            return new HttpResponseMessage(status) { Content = new StringContent(body) };
        }
    }

    private const string Published = """<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>""";

    private static AmazonSimpleNotificationServiceClient Client(Recorder recorder) =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonSimpleNotificationServiceConfig { RegionEndpoint = Amazon.RegionEndpoint.EUWest1, IgnoreConfiguredEndpointUrls = true, HttpClientFactory = new HandlerClientFactory(recorder) });

    private static PublishRequest Request() => new()
    {
        TopicArn = "arn:aws:sns:eu-west-1:111122223333:bucketguard",
        Subject = "BucketGuard: reports locked",
        Message = """{"default":"d","email":"e & more","sqs":"{}"}""",
        MessageStructure = "json",
        MessageAttributes = new()
        {
            ["severity"] = new MessageAttributeValue { DataType = "String", StringValue = "high" },
            ["event"] = new MessageAttributeValue { DataType = "String", StringValue = "remediated" },
        },
    };

    [Fact]
    public async Task With_temporary_credentials_as_lambda_gives_the_session_token_is_sent_and_signed()
    {
        var recorder = new Recorder((HttpStatusCode.OK, Published));
        var client = new AmazonSimpleNotificationServiceClient(new SessionAWSCredentials("ASIAEXAMPLE", SecretKey, "the-session-token"),
            new AmazonSimpleNotificationServiceConfig { RegionEndpoint = Amazon.RegionEndpoint.EUWest1, IgnoreConfiguredEndpointUrls = true, HttpClientFactory = new HandlerClientFactory(recorder) });

        await client.PublishAsync(Request());

        var request = Assert.Single(recorder.Sent).Request;
        Assert.Equal("the-session-token", request.Headers.GetValues("X-Amz-Security-Token").Single());
        var authorization = request.Headers.GetValues("Authorization").Single();
        Assert.Contains("Credential=ASIAEXAMPLE/", authorization, StringComparison.Ordinal);
        Assert.Contains("x-amz-security-token", authorization.Split("SignedHeaders=")[1].Split(',')[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_sends_the_query_api_form_with_structure_and_attributes()
    {
        var recorder = new Recorder((HttpStatusCode.OK, Published));

        var response = await Client(recorder).PublishAsync(Request());

        Assert.Equal("m-1", response.MessageId);
        var form = Assert.Single(recorder.Sent).Body.Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("Publish", form["Action"]);
        Assert.Equal("2010-03-31", form["Version"]);
        Assert.Equal("arn:aws:sns:eu-west-1:111122223333:bucketguard", form["TopicArn"]);
        Assert.Equal("json", form["MessageStructure"]);
        Assert.Equal("""{"default":"d","email":"e & more","sqs":"{}"}""", form["Message"]);
        Assert.Equal("event", form["MessageAttributes.entry.1.Name"]);
        Assert.Equal("String", form["MessageAttributes.entry.1.Value.DataType"]);
        Assert.Equal("remediated", form["MessageAttributes.entry.1.Value.StringValue"]);
        Assert.Equal("severity", form["MessageAttributes.entry.2.Name"]);
    }

    [Fact]
    public async Task The_request_on_the_wire_carries_a_valid_sigv4_signature_for_sns_in_the_region()
    {
        var recorder = new Recorder((HttpStatusCode.OK, Published));

        await Client(recorder).PublishAsync(Request());

        var (request, body) = Assert.Single(recorder.Sent);
        Assert.True(SigV4.Verify(request, body, SecretKey, out var scope), "the signature does not match the request as sent");
        Assert.EndsWith("/eu-west-1/sns/aws4_request", scope, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttling_and_server_errors_are_retried_then_succeed()
    {
        var recorder = new Recorder(
            (HttpStatusCode.BadRequest, "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"),
            (HttpStatusCode.InternalServerError, "<ErrorResponse><Error><Code>InternalError</Code></Error></ErrorResponse>"),
            (HttpStatusCode.OK, Published));

        var response = await Client(recorder).PublishAsync(Request());

        Assert.Equal("m-1", response.MessageId);
        Assert.Equal(3, recorder.Sent.Count);
    }

    [Fact]
    public async Task A_client_error_fails_at_once_with_its_code_and_message()
    {
        var recorder = new Recorder((HttpStatusCode.NotFound, "<ErrorResponse><Error><Code>NotFound</Code><Message>Topic does not exist</Message></Error></ErrorResponse>"));

        var error = await Assert.ThrowsAsync<AmazonSimpleNotificationServiceException>(() => Client(recorder).PublishAsync(Request()));

        Assert.Single(recorder.Sent);
        Assert.Equal("NotFound", error.ErrorCode);
        Assert.Contains("Topic does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Persistent_server_errors_end_in_an_exception_after_three_attempts()
    {
        var recorder = new Recorder((HttpStatusCode.ServiceUnavailable, "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>"));

        var error = await Assert.ThrowsAsync<AmazonSimpleNotificationServiceException>(() => Client(recorder).PublishAsync(Request()));

        Assert.Equal(3, recorder.Sent.Count);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
    }

    /// <summary>An independent SigV4 check written from the specification (canonical request, string to sign,
    /// derived key), applied to the request exactly as it goes on the wire.</summary>
    private static class SigV4
    {
        public static bool Verify(HttpRequestMessage request, string body, string secret, out string scope)
        {
            var authorization = request.Headers.GetValues("Authorization").Single();
            var parts = authorization["AWS4-HMAC-SHA256 ".Length..].Split(", ").Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            var credential = parts["Credential"].Split('/', 2);
            scope = credential[1];
            var signedHeaders = parts["SignedHeaders"].Split(';');
            var amzDate = request.Headers.GetValues("X-Amz-Date").Single();

            string HeaderValue(string name) => name switch
            {
                "host" => request.RequestUri!.Authority,
                "content-type" => request.Content!.Headers.ContentType!.ToString(),
                _ => string.Join(",", request.Headers.GetValues(name)),
            };

            var canonical = string.Join('\n',
                request.Method.Method,
                request.RequestUri!.AbsolutePath,
                request.RequestUri.Query.TrimStart('?'),
                string.Concat(signedHeaders.Select(h => h + ":" + HeaderValue(h).Trim() + "\n")),
                parts["SignedHeaders"],
                Hex(SHA256.HashData(Encoding.UTF8.GetBytes(body))));
            var toSign = string.Join('\n', "AWS4-HMAC-SHA256", amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
            var scopeParts = scope.Split('/');
            var key = Encoding.UTF8.GetBytes("AWS4" + secret);
            foreach (var step in scopeParts)
            {
                key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(step));
            }

            return Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign))) == parts["Signature"]
                && DateTime.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) > DateTime.UtcNow.AddMinutes(-5);
        }

        private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
    }
}
