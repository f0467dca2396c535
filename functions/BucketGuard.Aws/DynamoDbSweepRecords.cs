using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using BucketGuard.Core;
using BucketGuard.Core.Json;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Aws;

/// <summary>The organisation sweep's records in one DynamoDB table (the template's SweepTable: partition key "pk",
/// sort key "sk", both strings; TTL on "expiresAt"). One item holds the lease ("lease"/"lease": holder, leaseUntil,
/// latest); each sweep is one partition (pk = sweep id): "plan" (itemsKey, warnings), "account#ACCOUNT" (listed,
/// listError), "batch#ID" (result, SweepBatchResult.Json) and "reported#ACCOUNT/BUCKET". Sweep items expire after
/// RecordDays. The lease is taken and given back by conditional writes (DynamoDB Developer Guide, "Condition
/// expressions"), so that of two starts only one holds it; reads of a sweep are consistent and paginated.</summary>
public sealed class DynamoDbSweepRecords(IAmazonDynamoDB dynamo, string table, TimeProvider clock) : ISweepRecords
{
    /// <summary>How long a sweep's records are kept (for `sweep --redrive` and the audit trail).</summary>
    public const int RecordDays = 90;

    private static readonly Dictionary<string, AttributeValue> LeaseKey = new() { ["pk"] = new AttributeValue("lease"), ["sk"] = new AttributeValue("lease") };

    public async Task<SweepLease> AcquireLeaseAsync(string sweepId, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken)
    {
        var until = now + duration;
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table,
                Key = LeaseKey,
                // Free, expired, or already this sweep's (the planner's own retry).
                ConditionExpression = "attribute_not_exists(holder) OR leaseUntil < :now OR holder = :me",
                UpdateExpression = "SET holder = :me, leaseUntil = :until, latest = :me",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":me"] = new AttributeValue(sweepId),
                    [":now"] = Number(now.ToUnixTimeSeconds()),
                    [":until"] = Number(until.ToUnixTimeSeconds()),
                },
            }, cancellationToken).ConfigureAwait(false);
            return new SweepLease(true, sweepId, until);
        }
        catch (ConditionalCheckFailedException)
        {
            var held = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = LeaseKey, ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
            var holder = held.Item?.GetValueOrDefault("holder")?.S ?? "(unknown)";
            var expires = long.TryParse(held.Item?.GetValueOrDefault("leaseUntil")?.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : until;
            return new SweepLease(false, holder, expires);
        }
    }

    public async Task ReleaseLeaseAsync(string sweepId, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table,
                Key = LeaseKey,
                ConditionExpression = "holder = :me",
                UpdateExpression = "REMOVE holder, leaseUntil",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":me"] = new AttributeValue(sweepId) },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Not this sweep's any more (it expired and another took it): nothing to give back.
        }
    }

    public async Task PutPlanAsync(string sweepId, string itemsKey, IReadOnlyList<PlannedAccount> accounts, IReadOnlyList<string> warnings, CancellationToken cancellationToken)
    {
        var writes = accounts.Select(a =>
        {
            var item = Item(sweepId, "account#" + a.Account);
            item["listed"] = Number(a.Listed);
            if (a.ListError is not null)
            {
                item["listError"] = new AttributeValue(a.ListError);
            }

            return item;
        }).ToList();
        foreach (var chunk in writes.Chunk(25))
        {
            var pending = new Dictionary<string, List<WriteRequest>> { [table] = [.. chunk.Select(i => new WriteRequest { PutRequest = new PutRequest { Item = i } })] };
            for (var attempt = 0; pending.Count > 0 && pending.Values.Sum(v => v.Count) > 0; attempt++)
            {
                if (attempt > 0)
                {
                    // UnprocessedItems: DynamoDB throttled part of the batch; back off and send the rest again.
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 50 << Math.Min(attempt, 7))), cancellationToken).ConfigureAwait(false);
                }

                if (attempt > 12)
                {
                    throw new InvalidOperationException($"DynamoDB kept {pending.Values.Sum(v => v.Count)} of sweep {sweepId}'s account records unprocessed after {attempt} attempts");
                }

                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellationToken).ConfigureAwait(false);
                pending = response.UnprocessedItems ?? [];
            }
        }

        // The plan last: a sweep whose plan is recorded has all its accounts recorded.
        var plan = Item(sweepId, "plan");
        plan["itemsKey"] = new AttributeValue(itemsKey);
        plan["warnings"] = new AttributeValue(JsonLine.Write(w => FindingJson.WriteStrings(w, "warnings", warnings)));
        await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = plan }, cancellationToken).ConfigureAwait(false);
    }

    /// <exception cref="FormatException">A record is not readable: the summary fails rather than count it as nothing.</exception>
    public async Task<SweepRecord?> ReadAsync(string sweepId, CancellationToken cancellationToken)
    {
        string? itemsKey = null;
        var warnings = ImmutableArray<string>.Empty;
        var accounts = ImmutableArray.CreateBuilder<PlannedAccount>();
        var batches = ImmutableArray.CreateBuilder<SweepBatchResult>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "pk = :id",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":id"] = new AttributeValue(sweepId) },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                var sk = item.GetValueOrDefault("sk")?.S ?? string.Empty;
                if (sk == "plan")
                {
                    itemsKey = item.GetValueOrDefault("itemsKey")?.S;
                    warnings = Warnings(item.GetValueOrDefault("warnings")?.S);
                }
                else if (sk.StartsWith("account#", StringComparison.Ordinal))
                {
                    var listed = int.TryParse(item.GetValueOrDefault("listed")?.N, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                        : throw new FormatException($"sweep {sweepId}'s record {sk} has no listed count");
                    accounts.Add(new PlannedAccount(sk["account#".Length..], listed, item.GetValueOrDefault("listError")?.S));
                }
                else if (sk.StartsWith("batch#", StringComparison.Ordinal))
                {
                    batches.Add(SweepBatchResult.Parse(item.GetValueOrDefault("result")?.S ?? throw new FormatException($"sweep {sweepId}'s record {sk} has no result")));
                }
            }

            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return itemsKey is null ? null : new SweepRecord(sweepId, itemsKey, accounts.ToImmutable(), batches.ToImmutable(), warnings);
    }

    public async Task<string?> LatestAsync(CancellationToken cancellationToken)
    {
        var lease = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = LeaseKey, ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        return lease.Item?.GetValueOrDefault("latest")?.S;
    }

    public async Task PutBatchAsync(SweepBatchResult result, CancellationToken cancellationToken)
    {
        var item = Item(result.SweepId, "batch#" + result.BatchId);
        item["result"] = new AttributeValue(result.Json());
        await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = item }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> WasReportedAsync(string sweepId, string account, string bucket, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key(sweepId, $"reported#{account}/{bucket}"), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 };
    }

    public Task MarkReportedAsync(string sweepId, string account, string bucket, CancellationToken cancellationToken) =>
        dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = Item(sweepId, $"reported#{account}/{bucket}") }, cancellationToken);

    private Dictionary<string, AttributeValue> Item(string pk, string sk)
    {
        var item = Key(pk, sk);
        item["expiresAt"] = Number(clock.GetUtcNow().AddDays(RecordDays).ToUnixTimeSeconds());
        return item;
    }

    private static Dictionary<string, AttributeValue> Key(string pk, string sk) => new() { ["pk"] = new AttributeValue(pk), ["sk"] = new AttributeValue(sk) };

    private static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static ImmutableArray<string> Warnings(string? json)
    {
        if (json is null || !JsonRead.TryParse(json, out var document, out _))
        {
            return [];
        }

        using (document)
        {
            return document!.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGet("warnings", out var list) ? [.. list.Strings() ?? []] : [];
        }
    }
}
