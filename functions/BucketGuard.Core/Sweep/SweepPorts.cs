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
