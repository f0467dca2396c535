using System.Collections.Frozen;
using System.Text;
using Amazon.Lambda.Core;
using BucketGuard.Core;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Functions;

/// <summary>The handlers this bootstrap hosts, chosen by the function's handler setting. Each takes the events its
/// EventBridge rule routes to it; all of them run the same pipeline, so a misrouted event is still handled (and
/// the log says it was misrouted).</summary>
public static class Handlers
{
    /// <summary>Each handler's eventNames: EventRouting's table, the one place routing is listed.</summary>
    public static readonly FrozenDictionary<string, string[]> EventNames = BucketGuard.Core.Events.EventRouting.Handlers;

    /// <summary>The organisation sweep's states (the state machine invokes them), and the after-lock function.</summary>
    public static readonly string[] Others = ["sweep-plan", "sweep-batch", "sweep-summary", "exposure"];
}

/// <summary>Writes BucketGuard's own log records (decision lines, sweep lines, EMF metrics), each already one JSON line
/// with its timestamp and level.</summary>
public static class LambdaLog
{
    /// <summary>Through ILambdaLogger.Log, which the Lambda runtime writes as given, in one write. Not LogLine: the
    /// runtime makes each LogLine an Information record of its own, wrapped in a JSON envelope under LogFormat JSON (so
    /// the EMF "_aws" key would no longer be top-level and no metric extracted) and dropped under ApplicationLogLevel
    /// WARN. Lambda's own filter still reads the record's "level".</summary>
    public static void Write(ILambdaContext context, string jsonLine) => context.Logger.Log(jsonLine + "\n");
}

/// <summary>One invocation: read the event, run the pipeline within the time left, log the decision and the metrics,
/// answer with the outcome. An exception (S3 or SNS unreachable after retries) fails the invocation so that Lambda
/// retries it and finally dead-letters it: nothing ends silently.</summary>
/// <param name="quiet">BUCKETGUARD_LOG_LEVEL=warn: decision lines only for outcomes that need attention (metrics always,
/// at level warn so that Lambda's ApplicationLogLevel WARN keeps them).</param>
public sealed class EventHandler(string name, RemediationPipeline pipeline, TimeProvider clock, bool quiet = false)
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    public async Task<Stream> HandleAsync(Stream input, ILambdaContext context)
    {
        string json;
        using (var reader = new StreamReader(input, Encoding.UTF8))
        {
            json = await reader.ReadToEndAsync().ConfigureAwait(false);
        }

        var budget = context.RemainingTime > Margin * 2 ? context.RemainingTime - Margin : context.RemainingTime;
        using var deadline = new CancellationTokenSource(budget > TimeSpan.Zero ? budget : TimeSpan.FromSeconds(30));
        var handled = await pipeline.HandleAsync(json, deadline.Token).ConfigureAwait(false);
        if (handled.Change is { } change && Handlers.EventNames.TryGetValue(name, out var names) && change.EventName.Length > 0 && !names.Contains(change.EventName))
        {
            LambdaLog.Write(context, JsonLine.Log("warn", clock.GetUtcNow(), "misrouted", ("handler", name), ("eventName", change.EventName), ("requestId", context.AwsRequestId)));
        }

        // Lambda's log filter (ApplicationLogLevel, from the same LogLevel parameter) drops info lines when quiet; the
        // check here keeps a local run (invoke, tests) the same.
        if (!quiet || DecisionRecord.Level(handled) != "info")
        {
            LambdaLog.Write(context, DecisionRecord.LogLine(name, context.AwsRequestId, handled, clock.GetUtcNow()));
        }

        LambdaLog.Write(context, DecisionRecord.Metrics(name, handled, clock.GetUtcNow(), quiet ? "warn" : "info"));
        return new MemoryStream(Encoding.UTF8.GetBytes(DecisionRecord.Response(handled)));
    }
}
