using System.Collections.Concurrent;
using System.Collections.Immutable;
using BucketGuard.Core.Events;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Sweep;

/// <summary>A batch stopped by throttling that outlasted the SDK's retries (S3 503 SlowDown, STS, Organizations): the
/// worker fails with this error (its type name is the Step Functions error name, as Lambda reports it), so that the
/// Map's Retry runs the batch again with backoff, then counts it failed and its buckets listed and not swept.</summary>
public sealed class SweepThrottledException(string message, Exception inner) : Exception(message, inner);

/// <summary>The organisation sweep's worker (the Distributed Map's item processor): each bucket of one batch goes
/// through the one pipeline as the event path's decisions do (state, exposure, exemption, verdict, lock, report), a
/// bucket reported once in this sweep is never reported again (ISweepRecords), and the batch's result is recorded
/// under its BatchId, so that a retry or a redrive replaces it rather than counting it twice.</summary>
/// <param name="isThrottling">Whether an exception is throttling that outlasted the SDK's retries (S3 503 SlowDown,
/// STS and Organizations throttling): the batch then fails for the Map to retry with backoff.</param>
public sealed class SweepWorker(RemediationPipeline pipeline, ISweepRecords records, Func<Exception, bool> isThrottling)
{
    /// <exception cref="SweepThrottledException">Throttled after the SDK's retries; nothing is recorded.</exception>
    public async Task<SweepBatchResult> RunAsync(SweepBatch batch, int concurrency, CancellationToken cancellationToken)
    {
        var results = new ConcurrentDictionary<int, BucketAudit>();
        var once = new SweepReportOnce(records, batch.SweepId);
        try
        {
            await Parallel.ForEachAsync(batch.Items, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken },
                async (item, ct) => results[item.Index] = await AuditAsync(pipeline, new BucketRef(item.Bucket, item.Region), item.Account, act: true, ct, once, isThrottling).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && isThrottling(ex))
        {
            throw new SweepThrottledException($"batch {batch.BatchId} of sweep {batch.SweepId} was throttled: {ex.Message}", ex);
        }

        var accounts = batch.Items.GroupBy(i => i.Account, StringComparer.Ordinal).Select(group =>
        {
            var report = new SweepReport([.. group.OrderBy(i => i.Index).Select(i => results[i.Index])], null);
            return new BatchAccount(group.Key, IndexRanges.Format(group.Select(i => i.Index)), report.Counts);
        }).ToImmutableArray();
        var result = new SweepBatchResult(batch.SweepId, batch.BatchId, accounts);
        await records.PutBatchAsync(result, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>One bucket through the pipeline, for every sweep (the organisation's batches, one account's sweep,
    /// `audit`): one bucket's failure (AccessDenied, deleted meanwhile) is its result, never the others' end.</summary>
    /// <param name="rethrow">Exceptions the caller handles itself (the batch's throttling), not made a result.</param>
    public static async Task<BucketAudit> AuditAsync(RemediationPipeline pipeline, BucketRef bucket, string? account, bool act, CancellationToken cancellationToken,
        IReportOnce? once = null, Func<Exception, bool>? rethrow = null)
    {
        try
        {
            var handled = await pipeline.HandleAsync(BucketChange.ForSweep(bucket.Name, account, bucket.Region, pipeline.Clock.GetUtcNow()), act, cancellationToken, once).ConfigureAwait(false);
            return new BucketAudit(bucket, handled.Verdict, handled.Result, null) { AccessPoints = handled.State?.AccessPoints };
        }
        catch (OutputsFailedException ex)
        {
            // Decided and acted on, but not fully reported: the report says both, and the bucket counts as an error.
            return new BucketAudit(bucket, ex.Handled.Verdict, ex.Handled.Result, $"not reported: {ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !(rethrow?.Invoke(ex) ?? false))
        {
            return new BucketAudit(bucket, null, null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>The sweep's reported-once record for each decision's bucket.</summary>
    private sealed class SweepReportOnce(ISweepRecords records, string sweepId) : IReportOnce
    {
        public Task<bool> AlreadyReportedAsync(BucketDecision decision, CancellationToken cancellationToken) =>
            records.WasReportedAsync(sweepId, decision.Change?.Account ?? string.Empty, decision.Bucket ?? string.Empty, cancellationToken);

        public Task ReportedAsync(BucketDecision decision, CancellationToken cancellationToken) =>
            records.MarkReportedAsync(sweepId, decision.Change?.Account ?? string.Empty, decision.Bucket ?? string.Empty, cancellationToken);
    }
}
