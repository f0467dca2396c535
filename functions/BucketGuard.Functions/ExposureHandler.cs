using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.Lambda.Core;
using Amazon.Lambda.SQSEvents;
using BucketGuard.Core;
using BucketGuard.Core.Evidence;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Functions;

/// <summary>The after-lock function: each exposure request from the exposure queue (SQS event source mapping with
/// ReportBatchItemFailures) through AfterLock. A request that fails (an output failed, the request cannot be read,
/// throttling) or finds CloudTrail not yet showing the lock is answered as a batch item failure: SQS delivers it again
/// after the queue's visibility timeout, and after maxReceiveCount moves it to the dead-letter queue, whose alarm tells the
/// security team. On its last delivery a request still without the lock is reported as it stands.</summary>
/// <param name="maxReceiveCount">The queue's redrive policy's maxReceiveCount: the delivery that is the last.</param>
public sealed class ExposureHandler(AfterLock afterLock, int maxReceiveCount, TimeProvider clock)
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    public async Task<Stream> HandleAsync(Stream input, ILambdaContext context)
    {
        var sqsEvent = await JsonSerializer.DeserializeAsync(input, FunctionJson.Default.SQSEvent).ConfigureAwait(false);
        var response = new SQSBatchResponse();
        foreach (var message in sqsEvent?.Records ?? [])
        {
            var receives = message.Attributes?.GetValueOrDefault("ApproximateReceiveCount") is { } count && int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1;
            var budget = context.RemainingTime - Margin;
            using var deadline = new CancellationTokenSource(budget > TimeSpan.Zero ? budget : TimeSpan.FromSeconds(1));
            try
            {
                var result = await afterLock.HandleAsync(message.Body, receives >= maxReceiveCount, deadline.Token).ConfigureAwait(false);
                var level = result.Outcome is AfterLockOutcome.Waiting or AfterLockOutcome.Unchanged
                    || (result.Outcome == AfterLockOutcome.Reported && result.Report?.Ledger.Verdict is LedgerVerdict.NoOutsideAccess) ? "info" : "warn";
                LambdaLog.Write(context, JsonLine.Log(level, clock.GetUtcNow(), "exposure " + result.Outcome.ToString().ToLowerInvariant(),
                    ("messageId", message.MessageId), ("receiveCount", receives.ToString(CultureInfo.InvariantCulture)), ("why", result.Why),
                    ("published", string.Join(" ", result.Published)), ("requestId", context.AwsRequestId)));
                if (result.Outcome == AfterLockOutcome.NotYet)
                {
                    response.BatchItemFailures.Add(new SQSBatchResponse.BatchItemFailure { ItemIdentifier = message.MessageId });
                }
            }
#pragma warning disable CA1031 // Any failure of one request retries that request only; it is logged, never dropped.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LambdaLog.Write(context, JsonLine.Log("error", clock.GetUtcNow(), "exposure failed",
                    ("messageId", message.MessageId), ("receiveCount", receives.ToString(CultureInfo.InvariantCulture)), ("error", ex.Message), ("requestId", context.AwsRequestId)));
                response.BatchItemFailures.Add(new SQSBatchResponse.BatchItemFailure { ItemIdentifier = message.MessageId });
            }
        }

        var output = new MemoryStream();
        await JsonSerializer.SerializeAsync(output, response, FunctionJson.Default.SQSBatchResponse).ConfigureAwait(false);
        output.Position = 0;
        return output;
    }
}

/// <summary>The Lambda event types this bootstrap reads and answers, by source generation (trimming- and AOT-clean), as
/// Amazon.Lambda.Serialization.SystemTextJson's SourceGeneratorLambdaJsonSerializer would: member names matched without
/// regard to case (the event says "messageId" and "eventSourceARN").</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(SQSEvent))]
[JsonSerializable(typeof(SQSBatchResponse))]
internal sealed partial class FunctionJson : JsonSerializerContext;
