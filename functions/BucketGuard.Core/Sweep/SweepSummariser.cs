using System.Collections.Immutable;
using BucketGuard.Core.Json;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Sweep;

/// <summary>What an organisation's sweep came to: each account's counts (listed by the planner, swept by the batches)
/// and the organisation's sum.</summary>
/// <param name="Failure">The Map's error when it failed (more batches failed than it tolerates), or null.</param>
public sealed record SweepSummary(string SweepId, ImmutableArray<(string Account, SweepCounts Counts)> Accounts, SweepCounts Organization, string? Failure)
{
    public int Listed => Organization.Listed ?? 0;

    public int Swept => Organization.Seen;

    public int Missing => Organization.Missing;

    /// <summary>The summary state's answer: {"sweepId", "listed", "swept", "missing", "public", "locked", "errors",
    /// "accountsMissing": [ACCOUNT...], "failure"}. The state machine fails the execution when missing is not 0.</summary>
    public string Json() => JsonLine.Write(w =>
    {
        w.WriteString("sweepId", SweepId);
        w.WriteNumber("listed", Listed);
        w.WriteNumber("swept", Swept);
        w.WriteNumber("missing", Missing);
        w.WriteNumber("public", Organization.Public);
        w.WriteNumber("locked", Organization.Locked);
        w.WriteNumber("errors", Organization.Errors);
        FindingJson.WriteStrings(w, "accountsMissing", Accounts.Where(a => a.Counts.Missing > 0).Select(a => a.Account));
        w.WriteString("failure", Failure);
    });
}

/// <summary>The organisation sweep's last state: reads the plan and every batch's record, counts each account's swept
/// buckets by their item indexes (a bucket swept by two runs of a batch counts once), sends one summary per account and
/// one for the organisation through every output, and gives the lease back. Run again (a Step Functions retry), it
/// sends the summaries again and changes nothing else.</summary>
public sealed class SweepSummariser(ISweepRecords records, RemediationPipeline pipeline)
{
    /// <exception cref="InvalidOperationException">The sweep has no plan recorded.</exception>
    /// <exception cref="OutputsFailedException">A summary could not be published (Step Functions retries the state).</exception>
    public async Task<SweepSummary> SummariseAsync(string sweepId, string? failure, CancellationToken cancellationToken)
    {
        var record = await records.ReadAsync(sweepId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"sweep {sweepId} has no plan recorded: nothing can be summarised");
        var summary = Summarise(record, failure);
        var outputFailures = new List<string>();
        foreach (var (account, counts) in summary.Accounts)
        {
            try
            {
                await pipeline.PublishSummaryAsync(counts, account, cancellationToken).ConfigureAwait(false);
            }
            catch (OutputsFailedException ex)
            {
                outputFailures.AddRange(ex.Failures);
            }
        }

        await pipeline.PublishSummaryAsync(summary.Organization, null, cancellationToken, organization: true).ConfigureAwait(false);
        if (outputFailures.Count > 0)
        {
            throw new OutputsFailedException(new HandledEvent(null, new Decisions.Verdict(Decisions.Outcome.Incomplete, "sweep summary", Decisions.Severity.High), null, null, null, null), [.. outputFailures]);
        }

        await records.ReleaseLeaseAsync(sweepId, cancellationToken).ConfigureAwait(false);
        return summary;
    }

    /// <summary>The counts from the records alone (pure).</summary>
    public static SweepSummary Summarise(SweepRecord record, string? failure)
    {
        var byAccount = record.Batches.SelectMany(b => b.Accounts).GroupBy(a => a.Account, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var accounts = ImmutableArray.CreateBuilder<(string, SweepCounts)>();
        var organization = SweepCounts.None with { Listed = 0, Warnings = record.Warnings };
        if (failure is not null)
        {
            organization = organization with { Warnings = organization.Warnings.Add($"the sweep's Map failed: {failure}") };
        }

        foreach (var planned in record.Accounts)
        {
            var parts = byAccount.GetValueOrDefault(planned.Account) ?? [];
            var counts = parts.Aggregate(SweepCounts.None, (sum, part) => sum.Add(part.Counts));
            var swept = parts.SelectMany(p => IndexRanges.Parse(p.Indexes)).Distinct().Count();
            counts = counts with { Seen = swept, Listed = planned.Listed, ListError = planned.ListError };
            accounts.Add((planned.Account, counts));
            organization = organization.Add(counts);
        }

        return new SweepSummary(record.SweepId, accounts.ToImmutable(), organization, failure);
    }
}
