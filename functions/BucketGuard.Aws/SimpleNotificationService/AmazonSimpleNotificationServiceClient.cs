using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon;
using Amazon.Runtime;
using Amazon.SimpleNotificationService.Model;
using BucketGuard.Aws;

namespace Amazon.SimpleNotificationService;

/// <summary>Stands in for AWSSDK.SimpleNotificationService's client of the same name (that package is not in
/// this project's registry). It speaks the SNS Query API (form-encoded POST, XML answers) and takes from
/// AWSSDK.Core what the real client would: the default credentials chain, region resolution, and the SigV4
/// signer (AWS4Signer). Only the calls BucketGuard needs are here: Publish, and for tests and setup
/// CreateTopic, Subscribe and DeleteTopic.</summary>
public sealed class AmazonSimpleNotificationServiceClient : IDisposable
{
    private const string ApiVersion = "2010-03-31";
    private static readonly XNamespace Ns = "http://sns.amazonaws.com/doc/2010-03-31/";

    private readonly SubstituteClient client;

    public AmazonSimpleNotificationServiceClient()
        : this(new AmazonSimpleNotificationServiceConfig())
    {
    }

    public AmazonSimpleNotificationServiceClient(AmazonSimpleNotificationServiceConfig config)
        : this(null, config)
    {
    }

    /// <param name="credentials">The identity to sign as; null (only through the other constructors) for the SDK's chain.</param>
    public AmazonSimpleNotificationServiceClient(AWSCredentials? credentials, AmazonSimpleNotificationServiceConfig config) =>
        client = new SubstituteClient(credentials, config, region => SubstituteClient.Regional("sns", region));

    public IClientConfig Config => client.Config;

    public async Task<PublishResponse> PublishAsync(PublishRequest request, CancellationToken cancellationToken = default)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("TopicArn", Require(request.TopicArn, nameof(request.TopicArn))),
            new("Message", Require(request.Message, nameof(request.Message))),
        };
        if (request.Subject is not null)
        {
            form.Add(new("Subject", request.Subject));
        }

        if (request.MessageStructure is not null)
        {
            form.Add(new("MessageStructure", request.MessageStructure));
        }

        var n = 0;
        foreach (var (name, value) in (request.MessageAttributes ?? []).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            n++;
            form.Add(new($"MessageAttributes.entry.{n}.Name", name));
            if (value.DataType is not null)
            {
                // Without it SNS refuses the request (InvalidParameterValue), as with the real client.
                form.Add(new($"MessageAttributes.entry.{n}.Value.DataType", value.DataType));
            }

            form.Add(new($"MessageAttributes.entry.{n}.Value.StringValue", value.StringValue ?? string.Empty));
        }

        var result = await CallAsync("Publish", form, cancellationToken).ConfigureAwait(false);
        return new PublishResponse { MessageId = result.Element(Ns + "MessageId")?.Value };
    }

    public async Task<CreateTopicResponse> CreateTopicAsync(CreateTopicRequest request, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("CreateTopic", [new("Name", Require(request.Name, nameof(request.Name)))], cancellationToken).ConfigureAwait(false);
        return new CreateTopicResponse { TopicArn = result.Element(Ns + "TopicArn")?.Value };
    }

    public async Task<SubscribeResponse> SubscribeAsync(SubscribeRequest request, CancellationToken cancellationToken = default)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("TopicArn", Require(request.TopicArn, nameof(request.TopicArn))),
            new("Protocol", Require(request.Protocol, nameof(request.Protocol))),
            new("Endpoint", Require(request.Endpoint, nameof(request.Endpoint))),
        };
        var n = 0;
        foreach (var (key, value) in request.Attributes ?? [])
        {
            n++;
            form.Add(new($"Attributes.entry.{n}.key", key));
            form.Add(new($"Attributes.entry.{n}.value", value));
        }

        var result = await CallAsync("Subscribe", form, cancellationToken).ConfigureAwait(false);
        return new SubscribeResponse { SubscriptionArn = result.Element(Ns + "SubscriptionArn")?.Value };
    }

    public async Task DeleteTopicAsync(DeleteTopicRequest request, CancellationToken cancellationToken = default) =>
        await CallAsync("DeleteTopic", [new("TopicArn", Require(request.TopicArn, nameof(request.TopicArn)))], cancellationToken).ConfigureAwait(false);

    public void Dispose() => client.Dispose();

    private static string Require(string? value, string name) =>
        value ?? throw new ArgumentException($"{name} is required", name);

    /// <summary>Sends one Query action and returns its &lt;ActionResult&gt; element, with the SDK's standard retries
    /// (SignedHttp.WithStandardRetriesAsync): the SDK's retry handler lives inside its service-client pipeline, which a
    /// client without its service package cannot use.</summary>
    private async Task<XElement> CallAsync(string action, List<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        var body = "Action=" + action + "&Version=" + ApiVersion
            + string.Concat(parameters.Select(p => "&" + Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var content = Encoding.UTF8.GetBytes(body);
        SignedHttp.Response response;
        try
        {
            response = await SignedHttp.WithStandardRetriesAsync(
                () => client.Signed.SendAsync(HttpMethod.Post, client.Config, "SNS", client.Endpoint, "/", client.Region,
                    content: content, contentType: "application/x-www-form-urlencoded; charset=utf-8", cancellationToken: cancellationToken),
                r => ParseError(r.Body).Code, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new AmazonSimpleNotificationServiceException($"SNS {action} failed after {SignedHttp.MaxAttempts} attempts: {ex.Message}", ex);
        }

        if ((int)response.Status is >= 200 and < 300)
        {
            return ParseResult(action, response.Body);
        }

        var (code, errorMessage) = ParseError(response.Body);
        throw new AmazonSimpleNotificationServiceException(
            $"SNS {action} failed: {(int)response.Status} {code ?? "(no code)"}: {errorMessage ?? response.Body}", code, response.Status);
    }

    private static XElement ParseResult(string action, string xml)
    {
        var document = XDocument.Parse(xml);
        return document.Root?.Element(Ns + action + "Result") ?? new XElement(Ns + action + "Result");
    }

    private static (string? Code, string? Message) ParseError(string xml)
    {
        try
        {
            var error = XDocument.Parse(xml).Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
            return (error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value,
                    error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value);
        }
        catch (System.Xml.XmlException)
        {
            return (null, null);
        }
    }

}

/// <summary>Mirrors AmazonSimpleNotificationServiceConfig: ServiceId "SNS" (so AWSSDK.Core fills ServiceURL from
/// AWS_ENDPOINT_URL_SNS or AWS_ENDPOINT_URL), signing name "sns"; the region and endpoint resolve as in
/// <see cref="SubstituteClient"/>.</summary>
public sealed class AmazonSimpleNotificationServiceConfig : ClientConfig
{
    public AmazonSimpleNotificationServiceConfig()
        : base(new Amazon.Runtime.Internal.DefaultConfigurationProvider([new DefaultConfiguration { Name = DefaultConfigurationMode.Standard, RetryMode = RequestRetryMode.Standard }]))
    {
        ServiceId = "SNS";
        AuthenticationServiceName = "sns";
    }

    public override string RegionEndpointServiceName => "sns";

    public override string ServiceVersion => "2010-03-31";

    public override string UserAgent => "bucketguard-sns/1.0";

    public override Amazon.Runtime.Endpoints.Endpoint DetermineServiceOperationEndpoint(Amazon.Runtime.Endpoints.ServiceOperationEndpointParameters parameters) =>
        new(ServiceURL ?? SubstituteClient.Regional("sns", RegionEndpoint ?? RegionEndpoint.USEast1).ToString());
}

/// <summary>Mirrors Amazon.SimpleNotificationService.AmazonSimpleNotificationServiceException.</summary>
public sealed class AmazonSimpleNotificationServiceException : AmazonServiceException
{
    public AmazonSimpleNotificationServiceException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public AmazonSimpleNotificationServiceException(string message, string? errorCode, HttpStatusCode statusCode)
        : base(message, ErrorType.Unknown, errorCode, null, statusCode)
    {
    }
}
