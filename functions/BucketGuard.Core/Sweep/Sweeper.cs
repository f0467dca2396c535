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
/// <param name="organization">Where the scheduled sweep finds the member accounts when its request names none (AWS
/// Organizations); null: only the accounts the request names.</param>
public sealed class Sweeper(IBucketLister lister, RemediationPipeline pipeline, IOrganizationAccounts? organization = null)
{
    /// <summary>A sweep over its own pipeline with the notification topic as its only output (null: report only). A
    /// bucket whose exemption signature cannot be checked (the key service unreachable) is an error in the report, and
    /// the sweep goes on.</summary>
    public Sweeper(IBucketLister lister, PipelinePorts ports, INotifier? notifier, RemediationPolicy policy, TimeProvider clock, IOrganizationAccounts? organization = null)
        : this(lister, new RemediationPipeline(ports, notifier, policy, clock), organization)
    {
    }

    /// <param name="act">Apply Block Public Access (in mode enforce) and notify; false only reports (audit).</param>
    /// <param name="progress">Told how many buckets will be swept once they are listed, then each bucket's result.</param>
    /// <param name="startAfter">Resume after this bucket name (from a previous report's ContinueAfter).</param>
    /// <param name="timeIsShort">Polled before each bucket; true stops the sweep cleanly.</param>
    /// <param name="warnings">Failures found before this account's sweep, reported in its summary.</param>
    public async Task<SweepReport> RunAsync(string? account, bool act, int concurrency, ISweepProgress? progress = null,
        string? startAfter = null, Func<bool>? timeIsShort = null, CancellationToken cancellationToken = default, ImmutableArray<string> warnings = default)
    {
        var buckets = new List<BucketRef>();
        string? listError = null;
        Exception? listException = null;
        try
        {
            await foreach (var bucket in lister.ListAsync(account, cancellationToken).ConfigureAwait(false))
            {
                if (startAfter is null || string.CompareOrdinal(bucket.Name, startAfter) > 0)
                {
                    buckets.Add(bucket);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An account that cannot be listed is reported in the summary; the next sweep tries again, and the other
            // accounts of an organisation's sweep still run.
            listError = $"the buckets of account {account ?? "(unknown)"} could not be listed: {ex.Message}";
            listException = ex;
            buckets.Clear();
        }

        buckets.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
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

                var audit = await AuditAsync(buckets[i], account, act, ct).ConfigureAwait(false);
                results[i] = audit;
                progress?.Report(audit);
            }).ConfigureAwait(false);

        // Resume point: the last bucket before the first one not done (parallel work may have finished later ones too).
        var firstMissing = Enumerable.Range(0, buckets.Count).FirstOrDefault(i => !results.ContainsKey(i), -1);
        var continueAfter = firstMissing < 0 ? null : firstMissing == 0 ? startAfter ?? string.Empty : buckets[firstMissing - 1].Name;
        var done = results.Where(r => firstMissing < 0 || r.Key < firstMissing).OrderBy(r => r.Key).Select(r => r.Value).ToImmutableArray();
        var report = new SweepReport(done, continueAfter, listError) { Warnings = warnings.IsDefault ? [] : warnings, ListException = listException };
        if (act)
        {
            await pipeline.PublishSummaryAsync(report, account, cancellationToken).ConfigureAwait(false);
        }

        return report;
    }

    /// <summary>The scheduled sweep: each account of the request in turn (the function's own, then an organisation's
    /// members), acting and notifying. When time runs short it answers with the request that resumes the rest.</summary>
    public async Task<MultiAccountSweepReport> RunAsync(SweepRequest request, int concurrency, Func<bool>? timeIsShort = null, CancellationToken cancellationToken = default)
    {
        // The request's own list wins (the template's MemberAccountIds); otherwise the organisation's active accounts.
        // A resumed request's list is final. A listing that fails is an error in the first account's summary; the
        // accounts that are known are still swept.
        string? organizationError = null;
        if (organization is not null && request.MemberAccounts.IsEmpty && !request.Resumed)
        {
            try
            {
                request = request with { MemberAccounts = [.. (await organization.ListActiveAsync(cancellationToken).ConfigureAwait(false)).Where(a => a != request.Account && a != pipeline.Policy.MemberRole.HomeAccount)] };
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                organizationError = $"the organisation's accounts could not be listed (Organizations ListAccounts, which answers only in the management account or a delegated administrator): {ex.Message}; only account {request.Account ?? "(own)"} was swept";
            }
        }

        var accounts = request.Accounts;
        var done = ImmutableArray.CreateBuilder<AccountSweep>();
        for (var i = 0; i < accounts.Length; i++)
        {
            var report = await RunAsync(accounts[i], act: true, concurrency, startAfter: i == 0 ? request.ContinueAfter : null,
                timeIsShort: timeIsShort, cancellationToken: cancellationToken, warnings: i == 0 && organizationError is not null ? [organizationError] : []).ConfigureAwait(false);
            done.Add(new AccountSweep(accounts[i], report));
            var rest = accounts[(i + 1)..].Select(a => a!).ToImmutableArray();
            if (!report.Completed)
            {
                return new MultiAccountSweepReport(done.ToImmutable(), new SweepRequest(accounts[i], report.ContinueAfter, rest));
            }

            if (!rest.IsEmpty && (timeIsShort?.Invoke() ?? false))
            {
                return new MultiAccountSweepReport(done.ToImmutable(), new SweepRequest(rest[0], null, rest[1..]));
            }
        }

        return new MultiAccountSweepReport(done.ToImmutable(), null);
    }

    private async Task<BucketAudit> AuditAsync(BucketRef bucket, string? account, bool act, CancellationToken cancellationToken)
    {
        try
        {
            var handled = await pipeline.HandleAsync(BucketChange.ForSweep(bucket.Name, account, bucket.Region, pipeline.Clock.GetUtcNow()), act, cancellationToken).ConfigureAwait(false);
            return new BucketAudit(bucket, handled.Verdict, handled.Result, null) { AccessPoints = handled.State?.AccessPoints };
        }
        catch (OutputsFailedException ex)
        {
            // Decided and acted on, but not fully reported: the report says both, and the bucket counts as an error.
            return new BucketAudit(bucket, ex.Handled.Verdict, ex.Handled.Result, $"not reported: {ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new BucketAudit(bucket, null, null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }
}
