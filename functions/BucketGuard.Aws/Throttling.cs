using System.Net;
using Amazon.Runtime;

namespace BucketGuard.Aws;

/// <summary>Whether a failure is the service asking to slow down, after the SDK's own retries: S3's 503 SlowDown, STS,
/// Organizations and DynamoDB throttling (their error codes as the APIs document them), any 429 or 503. The sweep's
/// batch then fails for the state machine's Retry (with backoff) to run it again.</summary>
public static class Throttling
{
    private static readonly HashSet<string> Codes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
        "ProvisionedThroughputExceededException", "RequestThrottled", "RequestThrottledException",
    };

    public static bool IsThrottling(Exception exception) => exception switch
    {
        AmazonServiceException service => (service.ErrorCode is { } code && Codes.Contains(code)) || service.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsThrottling),
        _ => exception.InnerException is { } inner && IsThrottling(inner),
    };
}
