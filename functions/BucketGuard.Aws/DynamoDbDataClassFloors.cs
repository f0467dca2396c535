using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Aws;

/// <summary>The classes buckets held recently, in the incident table: one item per bucket, "floor#ACCOUNT/BUCKET"/"floor"
/// (rank 0 public to 4 phi, class, until, why). A raise is one conditional PutItem that writes only a higher class, or
/// the same class lasting more than RefreshAfter longer, so that deciding a phi bucket every day writes about once in
/// two weeks, and concurrent raises never lower one another.</summary>
public sealed class DynamoDbDataClassFloors(IAmazonDynamoDB dynamo, string table) : IDataClassFloors
{
    /// <summary>A floor of the same class is rewritten only when the new one lasts this much longer.</summary>
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromDays(15);

    public async Task<DataClassFloor?> FloorAsync(string account, string bucket, CancellationToken cancellationToken)
    {
        var item = (await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key(account, bucket) }, cancellationToken).ConfigureAwait(false)).Item;
        if (item is not { Count: > 0 } || DataClasses.Parse(item.GetValueOrDefault("class")?.S) is not { } dataClass
            || !DateTimeOffset.TryParse(item.GetValueOrDefault("until")?.S, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var until))
        {
            return null;
        }

        return new DataClassFloor(dataClass, until.ToUniversalTime(), item.GetValueOrDefault("why")?.S ?? "the class it held recently");
    }

    public async Task RaiseAsync(string account, string bucket, DataClassFloor floor, CancellationToken cancellationToken)
    {
        var item = Key(account, bucket);
        item["rank"] = new() { N = ((int)floor.Class).ToString(CultureInfo.InvariantCulture) };
        item["class"] = new(DataClasses.Name(floor.Class));
        item["until"] = new(Time(floor.Until));
        item["why"] = new(floor.Why.Length == 0 ? "-" : floor.Why);
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = table,
                Item = item,
                ConditionExpression = "attribute_not_exists(pk) OR #rank < :rank OR (#rank = :rank AND #until < :refresh)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#rank"] = "rank", ["#until"] = "until" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":rank"] = item["rank"],
                    [":refresh"] = new(Time(floor.Until - RefreshAfter)),
                },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // A floor at least as high, lasting about as long, is kept already.
        }
    }

    /// <summary>ISO 8601 UTC, which sorts as it compares, so the condition can compare the strings.</summary>
    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static Dictionary<string, AttributeValue> Key(string account, string bucket) => new() { ["pk"] = new($"floor#{account}/{bucket}"), ["sk"] = new("floor") };
}
