using System.Text;
using Amazon.Lambda.Core;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Json;
using BucketGuard.Core.Reports;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Functions;

/// <summary>The organisation sweep's Lambda tasks, one per state of the state machine (infra/sweep/sweep.asl.json):
/// handler "sweep-plan" (Plan), "sweep-batch" (the Distributed Map's item processor) and "sweep-summary" (Summarise).
/// Each answers JSON the next state reads; a failure is the invocation's error, which the state's Retry and Catch see
/// by its type name (SweepThrottledException is retried with backoff).</summary>
public sealed class SweepStatesHandler(DistributedSweep sweep, TimeProvider clock)
{
    public async Task<Stream> PlanAsync(Stream input, ILambdaContext context)
    {
        var request = PlanRequest.Parse(await TextAsync(input).ConfigureAwait(false));
        if (!request.Ok)
        {
            throw new FormatException(request.Error);
        }

        using var deadline = Deadline(context);
        var answer = await sweep.Planner.PlanAsync(request.Value!, sweep.Concurrency, deadline.Token).ConfigureAwait(false);
        LambdaLog.Write(context, JsonLine.Log(answer.Skipped ? "warn" : "info", clock.GetUtcNow(), answer.Skipped ? "sweep skipped" : "sweep planned",
            ("sweepId", answer.SweepId), ("reason", answer.Reason), ("items", answer.Items.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("requestId", context.AwsRequestId)));
        return Output(answer.Json());
    }

    public async Task<Stream> BatchAsync(Stream input, ILambdaContext context)
    {
        var batch = SweepBatch.Parse(await TextAsync(input).ConfigureAwait(false));
        if (!batch.Ok)
        {
            // Not retried (a FormatException): the batch fails, and its buckets are counted listed and not swept.
            throw new FormatException(batch.Error);
        }

        using var deadline = Deadline(context);
        var result = await sweep.Worker.RunAsync(batch.Value!, sweep.Concurrency, deadline.Token).ConfigureAwait(false);
        foreach (var account in result.Accounts)
        {
            LambdaLog.Write(context, JsonLine.Write(w =>
            {
                JsonLine.Header(w, account.Counts.Errors > 0 || account.Counts.Locked > 0 ? "warn" : "info", clock.GetUtcNow());
                w.WriteString("message", "sweep batch");
                w.WriteString("sweepId", result.SweepId);
                w.WriteString("batchId", result.BatchId);
                w.WriteString("account", account.Account);
                account.Counts.WriteCounts(w);
                w.WriteString("requestId", context.AwsRequestId);
            }));
        }

        // The Map keeps each batch's answer; a short one keeps the execution's history small.
        return Output(JsonLine.Write(w =>
        {
            w.WriteString("batchId", result.BatchId);
            w.WriteNumber("swept", result.Accounts.Sum(a => a.Counts.Seen));
            w.WriteNumber("locked", result.Accounts.Sum(a => a.Counts.Locked));
            w.WriteNumber("errors", result.Accounts.Sum(a => a.Counts.Errors));
        }));
    }

    public async Task<Stream> SummaryAsync(Stream input, ILambdaContext context)
    {
        var text = await TextAsync(input).ConfigureAwait(false);
        string? sweepId = null;
        if (JsonRead.TryParse(text, out var document, out _))
        {
            using (document)
            {
                sweepId = document!.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object ? document.RootElement.TextOf("sweepId") : null;
            }
        }

        if (!SweepIds.IsValid(sweepId))
        {
            throw new FormatException("the summary's input names its sweepId");
        }

        using var deadline = Deadline(context);
        var summary = await sweep.Summariser.SummariseAsync(sweepId!, deadline.Token).ConfigureAwait(false);
        LambdaLog.Write(context, DecisionRecord.DistributedSweepMetrics(summary, clock.GetUtcNow()));
        return Output(summary.Json());
    }

    /// <summary>Cancels 5 s before the invocation's deadline, so that a state fails cleanly (and is retried) instead of timing out.</summary>
    private static CancellationTokenSource Deadline(ILambdaContext context)
    {
        var budget = context.RemainingTime - TimeSpan.FromSeconds(5);
        return new CancellationTokenSource(budget > TimeSpan.Zero ? budget : TimeSpan.FromSeconds(1));
    }

    private static async Task<string> TextAsync(Stream input)
    {
        using var reader = new StreamReader(input, Encoding.UTF8);
        return await reader.ReadToEndAsync().ConfigureAwait(false);
    }

    private static MemoryStream Output(string json) => new(Encoding.UTF8.GetBytes(json));
}
