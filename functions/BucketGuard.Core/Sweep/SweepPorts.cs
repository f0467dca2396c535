using System.Collections.Immutable;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Sweep;

/// <summary>Where a sweep reports its progress (the CLI's progress bar): the number of buckets once they are listed, then
/// each bucket's result as it is done.</summary>
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

/// <summary>Who holds the sweep's lease: this sweep (Acquired) or the one already running, until when.</summary>
public sealed record SweepLease(bool Acquired, string Holder, DateTimeOffset ExpiresAt);

/// <summary>An organisation's sweep's own records (a DynamoDB table): the lease that keeps two sweeps from running at
/// once, the plan's accounts, each batch's result, and which buckets this sweep has already reported. Every write that
/// decides something is conditional, so two writers never both win.</summary>
public interface ISweepRecords
{
    /// <summary>Takes the lease when no sweep holds it or its holder's lease has expired (a conditional write).</summary>
    Task<SweepLease> AcquireLeaseAsync(string sweepId, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives the lease back, only if this sweep holds it.</summary>
    Task ReleaseLeaseAsync(string sweepId, CancellationToken cancellationToken);

    /// <summary>Records the plan: where its items are, each account's listing, and failures beside them.</summary>
    Task PutPlanAsync(string sweepId, string itemsKey, IReadOnlyList<PlannedAccount> accounts, IReadOnlyList<string> warnings, CancellationToken cancellationToken);

    /// <summary>The sweep's plan and batches; null when no plan of that id was recorded.</summary>
    Task<SweepRecord?> ReadAsync(string sweepId, CancellationToken cancellationToken);

    /// <summary>The id of the last sweep that took the lease, or null.</summary>
    Task<string?> LatestAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the batch's record (a retried batch has the same BatchId).</summary>
    Task PutBatchAsync(SweepBatchResult result, CancellationToken cancellationToken);

    Task<bool> WasReportedAsync(string sweepId, string account, string bucket, CancellationToken cancellationToken);

    Task MarkReportedAsync(string sweepId, string account, string bucket, CancellationToken cancellationToken);
}

/// <summary>Where a plan's items are kept (an S3 object of JSON Lines, which the Distributed Map reads).</summary>
public interface ISweepItems
{
    /// <summary>Bucket of the items' objects (the Map's ItemReader reads from it).</summary>
    string Bucket { get; }

    /// <summary>Writes the items as JSON Lines under <paramref name="key"/>, streamed: memory does not grow with their number.</summary>
    /// <returns>How many items were written.</returns>
    Task<int> WriteAsync(string key, IAsyncEnumerable<SweepItem> items, CancellationToken cancellationToken);

    /// <summary>Reads them back, one at a time.</summary>
    /// <exception cref="FormatException">A line is not an item.</exception>
    IAsyncEnumerable<SweepItem> ReadAsync(string key, CancellationToken cancellationToken);
}
