using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using BucketGuard.Core.Json;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Sweep;

/// <summary>What the state machine's first state asks the planner: a new sweep (its id the execution's name), or a
/// redrive of an earlier one (its buckets not yet swept). {"sweepId": ID, "request": {"memberAccounts":
/// "111122223333,...", "redrive": ID | "latest"}}: the request is the execution's input (the schedule's, or `bucketguard
/// sweep --redrive`'s); anything else in it is ignored.</summary>
public sealed record PlanRequest(string SweepId, ImmutableArray<string> MemberAccounts, string? Redrive)
{
    public static Parsed<PlanRequest> Parse(string json)
    {
        if (!JsonRead.TryParse(json, out var document, out var error))
        {
            return Parsed<PlanRequest>.Failure($"the plan request is not JSON: {error}");
        }

        using (document)
        {
            var root = document!.RootElement;
            var id = root.ValueKind == JsonValueKind.Object ? root.TextOf("sweepId") : null;
            if (!SweepIds.IsValid(id))
            {
                return Parsed<PlanRequest>.Failure("the plan request names its sweepId (the execution's name: letters, digits, - and _)");
            }

            var input = root.TryGet("request", out var r) && r.ValueKind == JsonValueKind.Object ? r : default;
            var members = input.ValueKind == JsonValueKind.Object && input.TryGet("memberAccounts", out var list)
                ? list.ValueKind == JsonValueKind.String
                    ? [.. list.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
                    : list.Strings() ?? []
                : new List<string>();
            if (members.FirstOrDefault(m => !AccountId.IsValid(m)) is { } bad)
            {
                return Parsed<PlanRequest>.Failure($"memberAccounts holds \"{Untrusted.Clean(bad, 40)}\", which is not a 12-digit account");
            }

            var redrive = input.ValueKind == JsonValueKind.Object ? input.TextOf("redrive") : null;
            if (redrive is not null && redrive != "latest" && !SweepIds.IsValid(redrive))
            {
                return Parsed<PlanRequest>.Failure("redrive names a sweep id or \"latest\"");
            }

            return Parsed<PlanRequest>.Success(new PlanRequest(id!, [.. members.Distinct(StringComparer.Ordinal)], redrive));
        }
    }
}

/// <summary>The planner's answer, the state machine's input to the Map and the summary:
/// {"sweepId", "skipped", "reason", "itemsBucket", "itemsKey", "items", "listed"}. Skipped: another sweep holds the lease,
/// and this execution does nothing (it says so and ends).</summary>
public sealed record PlanAnswer(string SweepId, bool Skipped, string? Reason, string? ItemsBucket, string? ItemsKey, int Items, int Listed)
{
    public string Json() => JsonLine.Write(w =>
    {
        w.WriteString("sweepId", SweepId);
        w.WriteBoolean("skipped", Skipped);
        w.WriteString("reason", Reason);
        w.WriteString("itemsBucket", ItemsBucket);
        w.WriteString("itemsKey", ItemsKey);
        w.WriteNumber("items", Items);
        w.WriteNumber("listed", Listed);
    });
}

/// <summary>The organisation sweep's planner (the state machine's Plan state): takes the lease, lists the accounts once
/// (the request's, else the organisation's ACTIVE ones), lists every account's buckets (paginated, through its member
/// role, MaxAccountsAtOnce accounts at a time), and writes one item per bucket, the accounts interleaved in runs of
/// BatchSize so that the Map's concurrent batches spread over accounts (and their S3 request rates) instead of queueing
/// on one. Memory holds one group of accounts' listings at a time, not the organisation's. A redrive writes only the
/// items of an earlier sweep that no batch swept, under that sweep's id, so its reported-once records still hold.</summary>
/// <param name="isThrottling">Whether a failure of the organisation's listing is throttling that outlasted the SDK's
/// retries (Organizations TooManyRequestsException): the plan then fails for the state's Retry, instead of sweeping
/// only the home account.</param>
public sealed class SweepPlanner(IBucketLister lister, ISweepRecords records, ISweepItems items, string homeAccount, TimeProvider clock, IOrganizationAccounts? organization = null, Func<Exception, bool>? isThrottling = null)
{
    /// <summary>Accounts listed at once: each holds its listing until its runs are written.</summary>
    public const int MaxAccountsAtOnce = 8;

    /// <summary>The Map's MaxItemsPerBatch, and the runs the accounts are interleaved in.</summary>
    public const int BatchSize = 250;

    /// <summary>How long a lease holds without being given back: longer than the state machine's timeout (22 hours),
    /// so that only a sweep that failed without its summary (and was not redriven) holds it, and never past the next
    /// day's start.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromHours(23);

    /// <exception cref="InvalidOperationException">A redrive of a sweep that has no record.</exception>
    public async Task<PlanAnswer> PlanAsync(PlanRequest request, int concurrency, CancellationToken cancellationToken)
    {
        var redrive = request.Redrive switch
        {
            null => null,
            "latest" => await records.LatestAsync(cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("there is no earlier sweep to redrive"),
            var id => id,
        };
        var sweepId = redrive ?? request.SweepId;
        var lease = await records.AcquireLeaseAsync(sweepId, clock.GetUtcNow(), LeaseDuration, cancellationToken).ConfigureAwait(false);
        if (!lease.Acquired)
        {
            return new PlanAnswer(sweepId, true, $"sweep {lease.Holder} is running (its lease holds until {lease.ExpiresAt:u}); this execution does nothing", null, null, 0, 0);
        }

        return redrive is null
            ? await PlanNewAsync(request, concurrency, cancellationToken).ConfigureAwait(false)
            : await PlanRedriveAsync(redrive, request.SweepId, cancellationToken).ConfigureAwait(false);
    }

    private async Task<PlanAnswer> PlanNewAsync(PlanRequest request, int concurrency, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var members = request.MemberAccounts;
        if (members.IsEmpty && organization is not null)
        {
            try
            {
                members = await organization.ListActiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && (isThrottling?.Invoke(ex) ?? false))
            {
                throw new SweepThrottledException($"the organisation's accounts could not be listed for throttling: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                warnings.Add($"the organisation's accounts could not be listed (Organizations ListAccounts, which answers only in the management account or a delegated administrator): {ex.Message}; only account {homeAccount} was swept");
            }
        }

        string[] accounts = [homeAccount, .. members.Where(a => a != homeAccount).Distinct(StringComparer.Ordinal)];
        var planned = new List<PlannedAccount>();
        var key = $"sweeps/{request.SweepId}/items.jsonl";
        var written = await items.WriteAsync(key, ItemsAsync(accounts, Math.Clamp(concurrency, 1, MaxAccountsAtOnce), planned, cancellationToken), cancellationToken).ConfigureAwait(false);
        await records.PutPlanAsync(request.SweepId, key, planned, warnings, cancellationToken).ConfigureAwait(false);
        return new PlanAnswer(request.SweepId, false, null, items.Bucket, key, written, written);
    }

    private async IAsyncEnumerable<SweepItem> ItemsAsync(string[] accounts, int concurrency, List<PlannedAccount> planned, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var index = 0;
        foreach (var group in accounts.Chunk(concurrency))
        {
            var listings = new Listing[group.Length];
            await Parallel.ForEachAsync(Enumerable.Range(0, group.Length), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
                async (i, ct) => listings[i] = await ListAsync(lister, group[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
            for (var i = 0; i < group.Length; i++)
            {
                planned.Add(new PlannedAccount(group[i], listings[i].Buckets.Count, listings[i].Error));
            }

            foreach (var (account, bucket) in Interleave(group, listings.Select(l => l.Buckets).ToArray(), BatchSize))
            {
                yield return new SweepItem(index++, account, bucket.Name, bucket.Region);
            }
        }
    }

    /// <summary>Runs of at most <paramref name="run"/> buckets from each account in turn, until every account's are out.</summary>
    public static IEnumerable<(string Account, BucketRef Bucket)> Interleave(IReadOnlyList<string> accounts, IReadOnlyList<IReadOnlyList<BucketRef>> buckets, int run)
    {
        var next = new int[accounts.Count];
        for (var any = true; any;)
        {
            any = false;
            for (var a = 0; a < accounts.Count; a++)
            {
                var end = Math.Min(buckets[a].Count, next[a] + run);
                for (; next[a] < end; next[a]++)
                {
                    any = true;
                    yield return (accounts[a], buckets[a][next[a]]);
                }
            }
        }
    }

    private async Task<PlanAnswer> PlanRedriveAsync(string sweepId, string executionName, CancellationToken cancellationToken)
    {
        var record = await records.ReadAsync(sweepId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"sweep {sweepId} has no plan recorded, so it cannot be redriven");
        var listed = record.Accounts.Sum(a => a.Listed);
        var swept = record.Swept(listed);
        var key = $"sweeps/{sweepId}/redrive-{executionName}.jsonl";
        var written = await items.WriteAsync(key, NotSweptAsync(record.ItemsKey, swept, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new PlanAnswer(sweepId, false, null, items.Bucket, key, written, listed);
    }

    private async IAsyncEnumerable<SweepItem> NotSweptAsync(string key, System.Collections.BitArray swept, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in items.ReadAsync(key, cancellationToken).ConfigureAwait(false))
        {
            if (item.Index >= swept.Length || !swept[item.Index])
            {
                yield return item;
            }
        }
    }

    /// <summary>One account's buckets, sorted by name, or why they could not be listed (its member role refused, S3
    /// failing after retries): an account that cannot be listed is an error in its summary, and the others go on. The
    /// one listing of the organisation's sweep and of `bucketguard audit`.</summary>
    public static async Task<Listing> ListAsync(IBucketLister lister, string? account, CancellationToken cancellationToken, string? startAfter = null)
    {
        var buckets = new List<BucketRef>();
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
            return new Listing([], $"the buckets of account {account ?? "(unknown)"} could not be listed: {ex.Message}", ex);
        }

        buckets.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new Listing(buckets, null, null);
    }

    public sealed record Listing(List<BucketRef> Buckets, string? Error, Exception? Exception);
}
