using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Remediation;

public sealed record BucketRef(string Name, string? Region);

/// <summary>A progress receiver that also wants the number of buckets to audit, once they are listed.</summary>
public interface ISweepProgress : IProgress<BucketAudit>
{
    void Listed(int buckets);
}

/// <summary>The organisation's active member accounts (AWS Organizations ListAccounts, paginated), for the sweep.</summary>
public interface IOrganizationAccounts
{
    Task<ImmutableArray<string>> ListActiveAsync(CancellationToken cancellationToken);
}

/// <summary>Lists every bucket of the account (paginated).</summary>
public interface IBucketLister
{
    IAsyncEnumerable<BucketRef> ListAsync(string? account, CancellationToken cancellationToken);
}

/// <summary>One bucket's result in a sweep or audit; Error is set (and nothing else) when the bucket could not be handled.</summary>
public sealed record BucketAudit(BucketRef Bucket, Verdict? Verdict, ActionResult? Result, string? Error)
{
    /// <summary>The bucket's access points as read (null: not read).</summary>
    public ImmutableArray<AccessPoint>? AccessPoints { get; init; }

    public Exposure? Exposure => Verdict?.Exposure;

    public bool PublicInEffect => Verdict?.Outcome is Outcome.Block or Outcome.WouldBlock or Outcome.Exempted
        || (Verdict?.Exposure?.IsPublicInEffect ?? false);

    /// <summary>BucketGuard could not tell whether the bucket is public (a read denied or unreadable): never "not public".</summary>
    public bool Unknown => Error is not null || (Verdict?.Outcome == Outcome.Incomplete && !PublicInEffect);

    /// <summary>What stopped the check, for reports: the error, the failed lock, or why the verdict is incomplete.</summary>
    public string? Problem => Error ?? Result?.Error ?? (Verdict?.Outcome == Outcome.Incomplete ? Verdict.Why : null);

    public bool Locked => Verdict?.Outcome == Outcome.Block && Result?.Succeeded == true;

    /// <summary>Public and not covered by a valid exemption (what `audit` fails on).</summary>
    public bool Unexempted => PublicInEffect && Verdict?.Outcome != Outcome.Exempted && !Locked;
}

/// <param name="ListError">Why the account's buckets could not be listed (its member role refused, S3 failing after retries).</param>
public sealed record SweepReport(ImmutableArray<BucketAudit> Buckets, string? ContinueAfter, string? ListError = null)
{
    /// <summary>Failures beside the buckets' own (the organisation's accounts could not be listed): counted as errors.</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];

    /// <summary>What made the listing fail, for a caller that explains it in its own words (the CLI).</summary>
    public Exception? ListException { get; init; }

    public bool Completed => ContinueAfter is null;

    public int Seen => Buckets.Length;

    public int Public => Buckets.Count(b => b.PublicInEffect);

    public int Locked => Buckets.Count(b => b.Locked);

    public int Exempted => Buckets.Count(b => b.Verdict?.Outcome == Outcome.Exempted);

    public int Expiring => Buckets.Count(b => b.Verdict?.ExemptionExpiring == true);

    /// <summary>Buckets whose objects can be public (ACLs honoured, IgnorePublicAcls off): a risk, not an exposure.</summary>
    public int ObjectsCanBePublic => Buckets.Count(b => b.Verdict?.ObjectsCanBePublic == true);

    /// <summary>Buckets whose exposure could not be read (a denied or unreadable read): counted among the errors.</summary>
    public int Unreadable => Buckets.Count(b => b.Error is null && b.Verdict?.Outcome == Outcome.Incomplete);

    public int Errors => Buckets.Count(b => b.Problem is not null) + (ListError is null ? 0 : 1) + Warnings.Length;

    /// <summary>The counts as JSON members, for the summary document and the sweep's log line alike.</summary>
    public void WriteCounts(Utf8JsonWriter w)
    {
        w.WriteNumber("seen", Seen);
        w.WriteNumber("public", Public);
        w.WriteNumber("locked", Locked);
        w.WriteNumber("exempted", Exempted);
        w.WriteNumber("expiring", Expiring);
        w.WriteNumber("objectsCanBePublic", ObjectsCanBePublic);
        w.WriteNumber("unreadable", Unreadable);
        w.WriteNumber("errors", Errors);
        w.WriteBoolean("completed", Completed);
    }
}

/// <summary>Every bucket, not only the ones that changed: each goes through the event path's pipeline as one
/// BucketChange (state -> exposure -> exemption -> verdict -> act -> report), with bounded parallelism, and one bucket's
/// failure (AccessDenied, deleted meanwhile) never stops the others. The sweep only lists and aggregates. When time
/// runs short it stops starting new buckets and says where to continue.</summary>
/// <param name="organization">Where the scheduled sweep finds the member accounts when its request names none (AWS
/// Organizations); null: only the accounts the request names.</param>
public sealed class Sweeper(IBucketLister lister, RemediationPipeline pipeline, IOrganizationAccounts? organization = null)
{
    /// <summary>A sweep over its own pipeline with the notification topic as its only output (null: report only).</summary>
    /// <param name="verifier">Checks exemption signatures when an approval key is configured; a bucket whose signature
    /// cannot be checked (the key service unreachable) is an error in the report, and the sweep goes on.</param>
    public Sweeper(IBucketLister lister, IBucketStateReader reader, IPublicAccessBlockWriter writer, INotifier? notifier, RemediationPolicy policy, TimeProvider clock, IOrganizationAccounts? organization = null, IExemptionVerifier? verifier = null)
        : this(lister, new RemediationPipeline(reader, writer, notifier, policy, clock, verifier), organization)
    {
    }

    /// <param name="act">Apply Block Public Access (in mode enforce) and notify; false only reports (audit).</param>
    /// <param name="startAfter">Resume after this bucket name (from a previous report's ContinueAfter).</param>
    /// <param name="timeIsShort">Polled before each bucket; true stops the sweep cleanly.</param>
    /// <param name="warnings">Failures found before this account's sweep, reported in its summary.</param>
    public async Task<SweepReport> RunAsync(string? account, bool act, int concurrency, IProgress<BucketAudit>? progress = null,
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
        (progress as ISweepProgress)?.Listed(buckets.Count);
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
