using System.Collections.Immutable;
using BucketGuard.Core.Json;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Sweep;

/// <summary>What an organisation's sweep came to: each account's counts (listed by the planner, swept by the batches)
/// and the organisation's sum.</summary>
public sealed record SweepSummary(string SweepId, ImmutableArray<(string Account, SweepCounts Counts)> Accounts, SweepCounts Organization)
{
    public int Listed => Organization.Listed ?? 0;

    public int Swept => Organization.Seen;

    public int Missing => Organization.Missing;

    /// <summary>The summary state's answer: {"sweepId", "listed", "swept", "missing", "public", "locked", "errors",
    /// "accountsMissing": [ACCOUNT...]}. A sweep with buckets missing ends as it is; its MissingBuckets metric raises the
    /// alarm and `bucketguard sweep --redrive` sweeps them.</summary>
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
    public async Task<SweepSummary> SummariseAsync(string sweepId, CancellationToken cancellationToken)
    {
        var record = await records.ReadAsync(sweepId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"sweep {sweepId} has no plan recorded: nothing can be summarised");
        var summary = Summarise(record);
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
    public static SweepSummary Summarise(SweepRecord record)
    {
        var byAccount = record.Batches.SelectMany(b => b.Accounts).GroupBy(a => a.Account, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var accounts = ImmutableArray.CreateBuilder<(string, SweepCounts)>();
        var organization = SweepCounts.None with { Listed = 0, Warnings = record.Warnings };
        foreach (var planned in record.Accounts)
        {
            var parts = byAccount.GetValueOrDefault(planned.Account) ?? [];
            var counts = parts.Aggregate(SweepCounts.None, (sum, part) => sum.Add(part.Counts));
            var swept = parts.SelectMany(p => IndexRanges.Parse(p.Indexes)).Distinct().Count();
            counts = counts with { Seen = swept, Listed = planned.Listed, ListError = planned.ListError };
            accounts.Add((planned.Account, counts));
            organization = organization.Add(counts);
        }

        return new SweepSummary(record.SweepId, accounts.ToImmutable(), organization);
    }
}
