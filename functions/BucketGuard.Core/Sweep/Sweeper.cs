using System.Collections.Concurrent;
using System.Collections.Immutable;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Sweep;

/// <summary>Every bucket, not only the ones that changed: each goes through the event path's pipeline as one
/// BucketChange (state -> exposure -> exemption -> verdict -> act -> report), with bounded parallelism, and one bucket's
/// failure (AccessDenied, deleted meanwhile) never stops the others. The sweep only lists and aggregates. When time
/// runs short it stops starting new buckets and says where to continue.</summary>
public sealed class Sweeper(IBucketLister lister, RemediationPipeline pipeline)
{
    /// <summary>A sweep over its own pipeline with the notification topic as its only output (null: report only). A
    /// bucket whose exemption signature cannot be checked (the key service unreachable) is an error in the report, and
    /// the sweep goes on.</summary>
    public Sweeper(IBucketLister lister, PipelinePorts ports, INotifier? notifier, RemediationPolicy policy, TimeProvider clock)
        : this(lister, new RemediationPipeline(ports, notifier, policy, clock))
    {
    }

    /// <param name="act">Apply Block Public Access (in mode enforce) and notify; false only reports (audit).</param>
    /// <param name="progress">Told how many buckets will be swept once they are listed, then each bucket's result.</param>
    /// <param name="startAfter">Resume after this bucket name (from a previous report's ContinueAfter).</param>
    /// <param name="timeIsShort">Polled before each bucket; true stops the sweep cleanly.</param>
    public async Task<SweepReport> RunAsync(string? account, bool act, int concurrency, ISweepProgress? progress = null,
        string? startAfter = null, Func<bool>? timeIsShort = null, CancellationToken cancellationToken = default)
    {
        var (buckets, listError, listException) = await SweepPlanner.ListAsync(lister, account, cancellationToken, startAfter).ConfigureAwait(false);
        progress?.Listed(buckets.Count);
        var results = new ConcurrentDictionary<int, BucketAudit>();
        var stopped = false;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, buckets.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                if (Volatile.Read(ref stopped) || (timeIsShort?.Invoke() ?? false))
                {
                    Volatile.Write(ref stopped, true);
                    return;
                }

                var audit = await SweepWorker.AuditAsync(pipeline, buckets[i], account, act, ct).ConfigureAwait(false);
                results[i] = audit;
                progress?.Report(audit);
            }).ConfigureAwait(false);

        // Resume point: the last bucket before the first one not done (parallel work may have finished later ones too).
        var firstMissing = Enumerable.Range(0, buckets.Count).FirstOrDefault(i => !results.ContainsKey(i), -1);
        var continueAfter = firstMissing < 0 ? null : firstMissing == 0 ? startAfter ?? string.Empty : buckets[firstMissing - 1].Name;
        var done = results.Where(r => firstMissing < 0 || r.Key < firstMissing).OrderBy(r => r.Key).Select(r => r.Value).ToImmutableArray();
        var report = new SweepReport(done, continueAfter, listError) { ListException = listException };
        if (act)
        {
            await pipeline.PublishSummaryAsync(report.Counts, account, cancellationToken).ConfigureAwait(false);
        }

        return report;
    }
}
