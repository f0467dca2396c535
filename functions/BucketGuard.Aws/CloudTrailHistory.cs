using System.Collections.Immutable;
using Amazon.CloudTrail;
using Amazon.CloudTrail.Model;
using BucketGuard.Core;
using BucketGuard.Core.Events;
using BucketGuard.Core.Evidence;

namespace BucketGuard.Aws;

/// <summary>A bucket's management events from CloudTrail LookupEvents (CloudTrail API Reference, LookupEvents): the
/// ResourceName attribute set to the bucket, every page (NextToken), at most two requests a second as the API allows,
/// each event's CloudTrailEvent record parsed by the product's parser. LookupEvents reaches back 90 days and returns
/// management events only; older history is in the trail's files.</summary>
/// <param name="pace">The wait between two pages (default half a second: LookupEvents' two per second).</param>
public sealed class CloudTrailHistory(IAmazonCloudTrail cloudTrail, TimeProvider clock, TimeSpan? pace = null) : IManagementHistorySource
{
    /// <summary>How far back LookupEvents reaches (CloudTrail User Guide, "Working with CloudTrail event history").</summary>
    public static readonly TimeSpan Reach = TimeSpan.FromDays(90);

    private readonly TimeSpan wait = pace ?? TimeSpan.FromMilliseconds(500);

    public async Task<ManagementHistory> ReadAsync(string bucket, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var earliest = clock.GetUtcNow() - Reach;
        var start = from < earliest ? earliest : from;
        var changes = ImmutableArray.CreateBuilder<BucketChange>();
        var problems = ImmutableArray.CreateBuilder<string>();
        string? token = null;
        do
        {
            var page = await cloudTrail.LookupEventsAsync(new LookupEventsRequest
            {
                LookupAttributes = [new LookupAttribute { AttributeKey = LookupAttributeKey.ResourceName, AttributeValue = bucket }],
                StartTime = start.UtcDateTime,
                EndTime = to.UtcDateTime,
                MaxResults = 50,
                NextToken = token,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var e in page.Events ?? [])
            {
                var parsed = e.CloudTrailEvent is { } record ? CloudTrailEventParser.Parse(record) : Parsed<BucketChange>.Failure("the event has no CloudTrailEvent record");
                if (!parsed.Ok)
                {
                    problems.Add($"event {Untrusted.Clean(e.EventId) ?? "(no id)"} ({Untrusted.Clean(e.EventName)}): {parsed.Error}");
                }
                else if (parsed.Value!.Kind != ChangeKind.NotBucketChange)
                {
                    changes.Add(parsed.Value);
                }
            }

            token = string.IsNullOrEmpty(page.NextToken) ? null : page.NextToken;
            if (token is not null && wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock, cancellationToken).ConfigureAwait(false);
            }
        }
        while (token is not null);

        return new ManagementHistory(changes.ToImmutable(), start, problems.ToImmutable());
    }
}
