using System.Net;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;

namespace BucketGuard.Aws;

/// <summary>The one place that sends a raw HTTP request signed by AWSSDK.Core's own SigV4 signer (AWS4Signer) with
/// credentials from the SDK's chain. Used where no SDK service client can make the call: the SNS Query API (its
/// package is not in this registry) and S3 reads whose answer the SDK cannot parse from an S3-compatible endpoint.</summary>
public sealed class SignedHttp(HttpClient http, AWSCredentials credentials)
{
    private readonly AWS4Signer signer = new();

    public sealed record Response(HttpStatusCode Status, string Body)
    {
        /// <summary>The x-amzn-ErrorType header, where REST-JSON services (Macie, Security Hub) name an error.</summary>
        public string? ErrorType { get; init; }
    }

    /// <param name="subResources">Query sub-resources such as "publicAccessBlock" (sent as ?publicAccessBlock=).</param>
    /// <param name="query">Query parameters with values (signed as part of the canonical query string).</param>
    public async Task<Response> SendAsync(
        HttpMethod method,
        ClientConfig config,
        string serviceName,
        Uri endpoint,
        string resourcePath,
        string region,
        IEnumerable<string>? subResources = null,
        byte[]? content = null,
        string? contentType = null,
        IReadOnlyDictionary<string, string>? headers = null,
        CancellationToken cancellationToken = default,
        IReadOnlyDictionary<string, string>? query = null)
    {
        var request = new DefaultRequest(new RawRequest(), serviceName)
        {
            HttpMethod = method.Method,
            Endpoint = endpoint,
            ResourcePath = resourcePath,
            Content = content ?? [],
            AuthenticationRegion = region,
        };
        foreach (var sub in subResources ?? [])
        {
            request.AddSubResource(sub);
        }

        foreach (var (name, value) in query ?? new Dictionary<string, string>())
        {
            request.Parameters[name] = value;
            request.UseQueryString = true;
        }

        if (contentType is not null)
        {
            request.Headers["Content-Type"] = contentType;
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers[name] = value;
        }

        // Temporary credentials (a Lambda function's own, an assumed member role's) carry a session token. The SDK's
        // pipeline adds its header before signing; AWS4Signer alone does not, so it is added here, and signed.
        var identity = await credentials.GetCredentialsAsync().ConfigureAwait(false);
        if (identity.UseToken)
        {
            request.Headers["X-Amz-Security-Token"] = identity.Token;
        }

        signer.Sign(request, config, null, credentials);

        using var message = new HttpRequestMessage(method, AmazonServiceClient.ComposeUrl(request)) { Content = new ByteArrayContent(request.Content) };
        foreach (var (name, value) in request.Headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else if (!name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        return new Response(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))
        {
            ErrorType = response.Headers.TryGetValues("x-amzn-ErrorType", out var type) ? type.FirstOrDefault() : null,
        };
    }

    /// <summary>The SDK's standard retry mode for raw calls, whose service packages (and so whose retry handler) are
    /// missing: up to 3 attempts with capped, jittered exponential backoff (base 100 ms, cap 20 s) on transport
    /// failures, 5xx, 429 and throttling error codes. Returns the last answer, successful or not; throws the transport
    /// failure of the last attempt.</summary>
    /// <param name="errorCode">The service's error code in an answer (its XML or JSON error body).</param>
    public static async Task<Response> WithStandardRetriesAsync(Func<Task<Response>> send, Func<Response, string?> errorCode, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            Response response;
            try
            {
                response = await send().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested && attempt < MaxAttempts)
            {
                await BackoffAsync(attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var retryable = (int)response.Status >= 500 || response.Status == HttpStatusCode.TooManyRequests
                || errorCode(response) is "Throttling" or "ThrottlingException" or "ThrottledException" or "RequestLimitExceeded" or "TooManyRequestsException";
            if ((int)response.Status is >= 200 and < 300 || !retryable || attempt >= MaxAttempts)
            {
                return response;
            }

            await BackoffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Attempts in the SDK's standard retry mode.</summary>
    public const int MaxAttempts = 3;

    private static Task BackoffAsync(int attempt, CancellationToken cancellationToken)
    {
        var ceiling = Math.Min(20_000, 100 * (1 << attempt));
        return Task.Delay(Random.Shared.Next(ceiling / 2, ceiling), cancellationToken);
    }

    /// <summary>A REST-JSON error's code: the x-amzn-ErrorType header ("ResourceNotFoundException:http://...", the part
    /// before ':'), else the body's (JsonErrorCode).</summary>
    public static string? RestJsonErrorCode(Response response) =>
        response.ErrorType is { Length: > 0 } type ? type.Split(':')[0] : JsonErrorCode(response.Body);

    /// <summary>A JSON protocol error's code ("__type", or "Code"/"code" in REST-JSON), without the namespace some services
    /// put before a '#' or the suffix after a ':'; null when the body is not such an error.</summary>
    public static string? JsonErrorCode(string body) => JsonError(body, "__type", "Code", "code") is { } type ? type[(type.LastIndexOf('#') + 1)..].Split(':')[0] : null;

    /// <summary>A JSON protocol error's message as ": message", or empty.</summary>
    public static string JsonErrorMessage(string body) => JsonError(body, "message", "Message") is { } message ? ": " + message : string.Empty;

    private static string? JsonError(string body, params string[] names)
    {
        try
        {
            using var error = System.Text.Json.JsonDocument.Parse(body);
            foreach (var name in names)
            {
                if (error.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && error.RootElement.TryGetProperty(name, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String)
                {
                    return value.GetString();
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return null;
    }

    private sealed class RawRequest : AmazonWebServiceRequest;
}
