using System.Collections.Immutable;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Evidence;

/// <summary>A bucket's management events as CloudTrail keeps them, each parsed by the product's own parser.</summary>
/// <param name="Changes">The changes, in the order the source gave them (ExposureWindow.Replay orders them).</param>
/// <param name="Reaches">The earliest time the source covers (CloudTrail LookupEvents: 90 days back).</param>
/// <param name="Problems">Records that could not be read, each with why: said in the report, never dropped silently.</param>
public sealed record ManagementHistory(ImmutableArray<BucketChange> Changes, DateTimeOffset Reaches, ImmutableArray<string> Problems);

/// <summary>Where a bucket's management events are read from: CloudTrail LookupEvents (90 days) in the account, or a
/// trail's log files for older history. Throws when the source cannot be read at all (denied, throttled after retries).</summary>
public interface IManagementHistorySource
{
    Task<ManagementHistory> ReadAsync(string bucket, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);
}
