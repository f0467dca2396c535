using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using BucketGuard.Core.Json;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Sweep;

/// <summary>One bucket of an organisation's sweep: a line of the JSON Lines object the Step Functions Distributed Map
/// reads (ItemReader, InputType JSONL): {"i": INDEX, "account": "111122223333", "bucket": "NAME", "region": "eu-west-1"}.
/// The index is the line's position in the plan, unique in the sweep: the batches' records say which indexes were
/// swept, so that listed and swept are compared bucket by bucket, however the Map groups the lines.</summary>
public sealed record SweepItem(int Index, string Account, string Bucket, string? Region)
{
    public string Line() => JsonLine.Write(w =>
    {
        w.WriteNumber("i", Index);
        w.WriteString("account", Account);
        w.WriteString("bucket", Bucket);
        if (Region is not null)
        {
            w.WriteString("region", Region);
        }
    });

    /// <summary>Reads one item. Nothing in it is trusted: the account must be 12 digits and the bucket a valid bucket name
    /// (S3 User Guide, "General purpose bucket naming rules"), or the item is refused with the reason.</summary>
    public static Parsed<SweepItem> Parse(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return Parsed<SweepItem>.Failure($"a sweep item is a JSON object, not {JsonRead.Describe(e.ValueKind)}");
        }

        if (!e.TryGet("i", out var i) || i.ValueKind != JsonValueKind.Number || !i.TryGetInt32(out var index) || index < 0)
        {
            return Parsed<SweepItem>.Failure("a sweep item has its index \"i\", a count");
        }

        var account = e.TextOf("account");
        var bucket = e.TextOf("bucket");
        if (!AccountId.IsValid(account) || !BucketName.IsValid(bucket))
        {
            return Parsed<SweepItem>.Failure($"sweep item {index} names no valid account and bucket (\"{Untrusted.Clean(account, 40)}\", \"{Untrusted.Clean(bucket, 80)}\")");
        }

        var region = e.TextOf("region");
        return Parsed<SweepItem>.Success(new SweepItem(index, account, bucket, region is { Length: > 0 and <= 32 } && region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') ? region : null));
    }
}

/// <summary>One account as the planner found it: how many buckets it listed, or why it could not.</summary>
public sealed record PlannedAccount(string Account, int Listed, string? ListError);

/// <summary>Ranges of item indexes, written "0-249,300,302-310": what a batch swept, kept small in its record.</summary>
public static class IndexRanges
{
    public static string Format(IEnumerable<int> indexes)
    {
        var text = new StringBuilder();
        int? start = null, last = null;
        foreach (var i in indexes.Order().Distinct())
        {
            if (last is { } l && i == l + 1)
            {
                last = i;
                continue;
            }

            Append(text, start, last);
            start = last = i;
        }

        Append(text, start, last);
        return text.ToString();
    }

    /// <summary>Every index of the ranges; text that is not ranges of counts is an error, never an empty set.</summary>
    /// <exception cref="FormatException">The text is not what Format writes.</exception>
    public static IEnumerable<int> Parse(string text)
    {
        if (text.Length == 0)
        {
            yield break;
        }

        foreach (var range in text.Split(','))
        {
            var dash = range.IndexOf('-', StringComparison.Ordinal);
            var first = Count(dash < 0 ? range : range[..dash]);
            var end = dash < 0 ? first : Count(range[(dash + 1)..]);
            if (end < first)
            {
                throw new FormatException($"index range \"{Untrusted.Clean(range, 40)}\" ends before it starts");
            }

            for (var i = first; i <= end; i++)
            {
                yield return i;
            }
        }
    }

    private static int Count(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"\"{Untrusted.Clean(text, 40)}\" is not an item index");

    private static void Append(StringBuilder text, int? start, int? last)
    {
        if (start is not { } s || last is not { } l)
        {
            return;
        }

        text.Append(text.Length == 0 ? string.Empty : ",").Append(CultureInfo.InvariantCulture, $"{s}");
        if (l > s)
        {
            text.Append(CultureInfo.InvariantCulture, $"-{l}");
        }
    }
}

/// <summary>What the Distributed Map's ItemBatcher hands one worker: {"BatchInput": {"sweepId": ID}, "Items": [SweepItem...]}
/// (Step Functions Developer Guide, "ItemBatcher (Map)").</summary>
/// <param name="BatchId">The same for the same items (a hash of their indexes), so that a retried or redriven batch
/// replaces its record instead of adding a second one.</param>
public sealed record SweepBatch(string SweepId, string BatchId, ImmutableArray<SweepItem> Items)
{
    /// <summary>Most items a batch may hold (the template's MaxItemsPerBatch is 250; more is refused, not half-done).</summary>
    public const int MaxItems = 1000;

    /// <summary>Reads the worker's input. A batch that is not one, or holds an item that is not valid, is refused whole
    /// with the reason: the Map records the batch as failed, and its buckets as listed and not swept.</summary>
    public static Parsed<SweepBatch> Parse(string json)
    {
        if (!JsonRead.TryParse(json, out var document, out var error))
        {
            return Parsed<SweepBatch>.Failure($"the sweep batch is not JSON: {error}");
        }

        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGet("BatchInput", out var input) || input.ValueKind != JsonValueKind.Object
                || !SweepIds.IsValid(input.TextOf("sweepId")) || !root.TryGet("Items", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                return Parsed<SweepBatch>.Failure("a sweep batch is {\"BatchInput\": {\"sweepId\": ID}, \"Items\": [...]}, as the state machine's ItemBatcher writes it");
            }

            if (list.GetArrayLength() > MaxItems)
            {
                return Parsed<SweepBatch>.Failure($"a sweep batch holds at most {MaxItems} items; this one holds {list.GetArrayLength()}");
            }

            var items = ImmutableArray.CreateBuilder<SweepItem>();
            foreach (var element in list.EnumerateArray())
            {
                var item = SweepItem.Parse(element);
                if (!item.Ok)
                {
                    return Parsed<SweepBatch>.Failure(item.Error!);
                }

                items.Add(item.Value!);
            }

            var indexes = items.Select(i => i.Index).Order().ToArray();
            var id = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(indexes.AsSpan())).ToString("x16", CultureInfo.InvariantCulture);
            return Parsed<SweepBatch>.Success(new SweepBatch(input.TextOf("sweepId")!, id, items.ToImmutable()));
        }
    }
}

/// <summary>Sweep ids: the execution's name (Step Functions: up to 80 characters, letters, digits, - and _).</summary>
public static class SweepIds
{
    public static bool IsValid(string? id) => id is { Length: > 0 and <= 80 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A new id for a sweep started at <paramref name="now"/> (UTC): sweep-yyyyMMddTHHmmssZ.</summary>
    public static string New(DateTimeOffset now) => "sweep-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>One account's part of one batch: the indexes swept and their counts.</summary>
public sealed record BatchAccount(string Account, string Indexes, SweepCounts Counts);

/// <summary>What one batch did, per account, as its record keeps it and its answer to the Map says it.</summary>
public sealed record SweepBatchResult(string SweepId, string BatchId, ImmutableArray<BatchAccount> Accounts)
{
    /// <summary>{"sweepId", "batchId", "accounts": [{"account", "indexes", "counts": SweepCounts.Json}]}.</summary>
    public string Json() => JsonLine.Write(w =>
    {
        w.WriteString("sweepId", SweepId);
        w.WriteString("batchId", BatchId);
        w.WriteStartArray("accounts");
        foreach (var account in Accounts)
        {
            w.WriteStartObject();
            w.WriteString("account", account.Account);
            w.WriteString("indexes", account.Indexes);
            w.WritePropertyName("counts");
            w.WriteRawValue(account.Counts.Json());
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    /// <exception cref="FormatException">The record is not what Json wrote: a summary must not count it as nothing.</exception>
    public static SweepBatchResult Parse(string json)
    {
        if (!JsonRead.TryParse(json, out var document, out var error))
        {
            throw new FormatException($"a sweep batch record is not JSON: {error}");
        }

        using (document)
        {
            var root = document!.RootElement;
            var accounts = ImmutableArray.CreateBuilder<BatchAccount>();
            if (root.ValueKind != JsonValueKind.Object || root.TextOf("sweepId") is not { } sweepId || root.TextOf("batchId") is not { } batchId
                || !root.TryGet("accounts", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("a sweep batch record has sweepId, batchId and accounts");
            }

            foreach (var a in list.EnumerateArray())
            {
                var counts = a.ValueKind == JsonValueKind.Object && a.TryGet("counts", out var c) ? SweepCounts.Parse(c) : Parsed<SweepCounts>.Failure("no counts");
                if (a.ValueKind != JsonValueKind.Object || a.TextOf("account") is not { } account || a.TextOf("indexes") is not { } indexes || !counts.Ok)
                {
                    throw new FormatException($"a sweep batch record's account is not readable: {counts.Error ?? "account and indexes are needed"}");
                }

                accounts.Add(new BatchAccount(account, indexes, counts.Value!));
            }

            return new SweepBatchResult(sweepId, batchId, accounts.ToImmutable());
        }
    }
}

/// <summary>Everything recorded of one sweep: its plan's accounts and the batches done so far.</summary>
/// <param name="ItemsKey">The S3 key of the plan's items (JSON Lines), for a redrive to find the ones not swept.</param>
public sealed record SweepRecord(string SweepId, string ItemsKey, ImmutableArray<PlannedAccount> Accounts, ImmutableArray<SweepBatchResult> Batches, ImmutableArray<string> Warnings)
{
    /// <summary>The indexes some batch swept.</summary>
    public BitArray Swept(int items)
    {
        var swept = new BitArray(Math.Max(items, 1));
        foreach (var index in Batches.SelectMany(b => b.Accounts).SelectMany(a => IndexRanges.Parse(a.Indexes)))
        {
            if (index < swept.Length)
            {
                swept[index] = true;
            }
        }

        return swept;
    }
}
