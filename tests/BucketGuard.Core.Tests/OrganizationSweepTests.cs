using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using BucketGuard.Core.Reports;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Tests;

/// <summary>The organisation sweep's planner, worker and summariser, driven the way the state machine drives them: Plan,
/// then the items cut into batches of 250 in order (as the Distributed Map's ItemBatcher cuts them), then Summarise.
/// What Step Functions itself adds (Retry with backoff, tolerated failures, redriving a failed Map Run) is played here
/// by running, re-running or skipping batches.</summary>
public class OrganizationSweepTests
{
    private const string Home = "111122223333";
    private const string Member = "222233334444";

    /// <summary>The sweep table as DynamoDB keeps it, with its conditional lease.</summary>
    internal sealed class MemoryRecords : ISweepRecords
    {
        private readonly Dictionary<string, SweepBatchResult> batches = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string ItemsKey, List<PlannedAccount> Accounts, List<string> Warnings)> plans = new(StringComparer.Ordinal);
        private readonly HashSet<string> reported = new(StringComparer.Ordinal);

        public string? Holder { get; private set; }

        public DateTimeOffset Until { get; private set; }

        public string? Latest { get; private set; }

        public int BatchWrites { get; private set; }

        public Task<SweepLease> AcquireLeaseAsync(string sweepId, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken)
        {
            lock (this)
            {
                if (Holder is not null && Until >= now && Holder != sweepId)
                {
                    return Task.FromResult(new SweepLease(false, Holder, Until));
                }

                (Holder, Until, Latest) = (sweepId, now + duration, sweepId);
                return Task.FromResult(new SweepLease(true, sweepId, Until));
            }
        }

        public Task ReleaseLeaseAsync(string sweepId, CancellationToken cancellationToken)
        {
            lock (this)
            {
                if (Holder == sweepId)
                {
                    Holder = null;
                }
            }

            return Task.CompletedTask;
        }

        public Task PutPlanAsync(string sweepId, string itemsKey, IReadOnlyList<PlannedAccount> accounts, IReadOnlyList<string> warnings, CancellationToken cancellationToken)
        {
            lock (this)
            {
                plans[sweepId] = (itemsKey, [.. accounts], [.. warnings]);
            }

            return Task.CompletedTask;
        }

        public Task<SweepRecord?> ReadAsync(string sweepId, CancellationToken cancellationToken)
        {
            lock (this)
            {
                return Task.FromResult(plans.TryGetValue(sweepId, out var plan)
                    ? new SweepRecord(sweepId, plan.ItemsKey, [.. plan.Accounts], [.. batches.Values.Where(b => b.SweepId == sweepId)], [.. plan.Warnings])
                    : null);
            }
        }

        public Task<string?> LatestAsync(CancellationToken cancellationToken) => Task.FromResult(Latest);

        public Task PutBatchAsync(SweepBatchResult result, CancellationToken cancellationToken)
        {
            lock (this)
            {
                // Through its JSON, as DynamoDB keeps it.
                batches[result.SweepId + "/" + result.BatchId] = SweepBatchResult.Parse(result.Json());
                BatchWrites++;
            }

            return Task.CompletedTask;
        }

        public Task<bool> WasReportedAsync(string sweepId, string account, string bucket, CancellationToken cancellationToken)
        {
            lock (this)
            {
                return Task.FromResult(reported.Contains($"{sweepId}/{account}/{bucket}"));
            }
        }

        public Task MarkReportedAsync(string sweepId, string account, string bucket, CancellationToken cancellationToken)
        {
            lock (this)
            {
                reported.Add($"{sweepId}/{account}/{bucket}");
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>The sweep bucket: each object its JSON Lines text.</summary>
    internal sealed class MemoryItems : ISweepItems
    {
        public Dictionary<string, string> Objects { get; } = new(StringComparer.Ordinal);

        public string Bucket => "bucketguard-sweep";

        public async Task<int> WriteAsync(string key, IAsyncEnumerable<SweepItem> items, CancellationToken cancellationToken)
        {
            var text = new System.Text.StringBuilder();
            var count = 0;
            await foreach (var item in items)
            {
                text.Append(item.Line()).Append('\n');
                count++;
            }

            Objects[key] = text.ToString();
            return count;
        }

        public async IAsyncEnumerable<SweepItem> ReadAsync(string key, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            foreach (var line in Objects[key].Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var document = JsonDocument.Parse(line);
                yield return SweepItem.Parse(document.RootElement).Value!;
            }
        }
    }

    private sealed class Listing(params string[] accounts) : IOrganizationAccounts
    {
        public int Calls { get; private set; }

        public Exception? Fails { get; init; }

        public Task<ImmutableArray<string>> ListActiveAsync(CancellationToken cancellationToken)
        {
            Calls++;
            return Fails is not null ? Task.FromException<ImmutableArray<string>>(Fails) : Task.FromResult<ImmutableArray<string>>([.. accounts]);
        }
    }

    /// <summary>An organisation, its sweep's records and items, and the three states wired to them.</summary>
    private sealed class Run(SweeperTests.FakeOrganization organization, IOrganizationAccounts? listing = null, Func<Exception, bool>? isThrottling = null)
    {
        public SweeperTests.FakeOrganization Organization { get; } = organization;

        public MemoryRecords Records { get; } = new();

        public MemoryItems Items { get; } = new();

        public SweepPlanner Planner => new(Organization, Records, Items, Home, new SweeperTests.Clock(), listing, isThrottling);

        public SweepWorker Worker => new(Organization.Pipeline(), Records, isThrottling ?? (_ => false));

        public SweepSummariser Summariser => new(Records, Organization.Pipeline());

        public async Task<PlanAnswer> PlanAsync(string input = """{"request":{}}""", string id = "sweep-1")
        {
            var request = PlanRequest.Parse(input.Replace("{\"request\"", $"{{\"sweepId\":\"{id}\",\"request\"", StringComparison.Ordinal));
            return await Planner.PlanAsync(request.Value!, concurrency: 2, CancellationToken.None);
        }

        /// <summary>The items cut as ItemBatcher cuts them, each batch as the worker receives it.</summary>
        public List<string> Batches(PlanAnswer plan, int size = SweepPlanner.BatchSize) =>
            [.. Items.Objects[plan.ItemsKey!].Split('\n', StringSplitOptions.RemoveEmptyEntries).Chunk(size)
                .Select(lines => $$"""{"BatchInput":{"sweepId":"{{plan.SweepId}}"},"Items":[{{string.Join(',', lines)}}]}""")];

        public Task<SweepBatchResult> SweepAsync(string batch) => Worker.RunAsync(SweepBatch.Parse(batch).Value!, concurrency: 3, CancellationToken.None);

        public Task<SweepSummary> SummariseAsync(string id = "sweep-1") => Summariser.SummariseAsync(id, CancellationToken.None);
    }

    private static Run Organization(int memberBuckets = 2, IOrganizationAccounts? listing = null, Func<Exception, bool>? isThrottling = null)
    {
        var organization = SweeperTests.Organization();
        for (var i = 0; i < memberBuckets - 2; i++)
        {
            organization.Accounts[Member].Buckets[$"m-bulk-{i:D4}"] = SweeperTests.State($"m-bulk-{i:D4}", i % 100 == 7 ? "public-read" : "private");
        }

        return new Run(organization, listing, isThrottling);
    }

    [Fact]
    public async Task A_sweep_lists_every_account_once_sweeps_every_bucket_and_summarises_listed_against_swept()
    {
        var run = Organization(memberBuckets: 600, listing: new Listing(Home, Member));

        var plan = await run.PlanAsync();
        foreach (var batch in run.Batches(plan))
        {
            await run.SweepAsync(batch);
        }

        var summary = await run.SummariseAsync();

        Assert.Equal(605, plan.Items);
        Assert.Equal(605, summary.Listed);
        Assert.Equal(605, summary.Swept);
        Assert.Equal(0, summary.Missing);
        Assert.All(summary.Accounts, a => Assert.Equal(a.Counts.Listed, a.Counts.Seen));
        Assert.Equal(["b-public-acl", "c-public-policy", "e-expired"], run.Organization.Accounts[Home].Locked.Order());
        Assert.Equal(7, run.Organization.Accounts[Member].Locked.Count);
        var sent = run.Organization.Sent;
        Assert.Equal(10, sent.Count(n => n.Attributes["event"] == "remediated"));
        Assert.Equal([Home, Member], sent.Where(n => n.Attributes["event"] == "sweep-summary").Select(n => n.Attributes["account"]).Order());
        var organizationSummary = Assert.Single(sent, n => n.Attributes["event"] == "organization-sweep-summary");
        Assert.Equal("BucketGuard organisation sweep: 605 buckets, 11 public, 10 locked, 0 errors", organizationSummary.Subject);
        Assert.Equal(605, JsonNode.Parse(organizationSummary.Document)!["listed"]!.GetValue<int>());
        Assert.Null(run.Records.Holder);
    }

    /// <summary>The issue's invariants at its scale, 10 accounts of 500 buckets with 8 workers at once: every account's
    /// buckets swept as listed; every public bucket locked and reported exactly once in the sweep, even after 5 % of the
    /// batches are killed mid-way and the sweep is redriven once; no bucket in two batches.</summary>
    [Fact]
    public async Task Ten_accounts_of_500_buckets_with_batches_killed_mid_way_and_one_redrive_are_swept_and_reported_exactly_once()
    {
        var organization = new SweeperTests.FakeOrganization();
        string[] accounts = [Home, .. Enumerable.Range(1, 9).Select(i => $"2222333344{i:D2}")];
        foreach (var account in accounts)
        {
            var fake = new SweeperTests.FakeAccount();
            for (var i = 0; i < 500; i++)
            {
                var name = $"b{account[^2..]}-{i:D4}";
                fake.Buckets[name] = SweeperTests.State(name, i % 10 == 3 ? "public-read" : "private");
            }

            organization.Accounts[account] = fake;
        }

        var run = new Run(organization, new Listing(accounts));
        var plan = await run.PlanAsync();
        var batches = run.Batches(plan);
        var items = batches.SelectMany(b => SweepBatch.Parse(b).Value!.Items).ToList();
        Assert.Equal(items.Count, items.Select(i => (i.Account, i.Bucket)).Distinct().Count());
        Assert.Equal(items.Count, items.Select(i => i.Index).Distinct().Count());

        // Every 20th batch is killed when it reaches its 100th bucket.
        var kills = new Dictionary<string, CancellationTokenSource>(StringComparer.Ordinal);
        var killed = batches.Where((_, i) => i % 20 == 7).ToList();
        foreach (var batch in killed)
        {
            kills[SweepBatch.Parse(batch).Value!.Items[100].Bucket] = new CancellationTokenSource();
        }

        organization.OnRead = bucket =>
        {
            if (kills.TryGetValue(bucket, out var kill))
            {
                kill.Cancel();
            }
        };
        var failed = 0;
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, _) =>
        {
            var parsed = SweepBatch.Parse(batch).Value!;
            var token = parsed.Items.Select(i => kills.GetValueOrDefault(i.Bucket)).OfType<CancellationTokenSource>().FirstOrDefault()?.Token ?? CancellationToken.None;
            try
            {
                await run.Worker.RunAsync(parsed, concurrency: 4, token);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref failed);
            }
        });
        var first = await run.SummariseAsync();
        organization.OnRead = null;
        var redrive = await run.PlanAsync("""{"request":{"redrive":"sweep-1"}}""", id: "sweep-1-redrive-1");
        foreach (var batch in run.Batches(redrive))
        {
            await run.SweepAsync(batch);
        }

        var second = await run.SummariseAsync();

        Assert.Equal(killed.Count, failed);
        Assert.Equal(killed.Count * SweepPlanner.BatchSize, first.Missing);
        Assert.Equal(5000, second.Listed);
        Assert.All(second.Accounts, a => Assert.Equal((500, 500), (a.Counts.Listed, a.Counts.Seen)));
        var remediated = organization.Sent.Where(n => n.Attributes["event"] == "remediated").Select(n => n.Attributes["account"] + "/" + n.Attributes["bucket"]).ToList();
        Assert.Equal(500, remediated.Count);
        Assert.Equal(500, remediated.Distinct().Count());
        Assert.All(accounts, a => Assert.Equal(50, organization.Accounts[a].Locked.Distinct().Count()));
    }

    [Fact]
    public void Accounts_are_interleaved_in_runs_of_a_batch_so_concurrent_batches_spread_over_accounts()
    {
        List<BucketRef> Buckets(string prefix, int n) => [.. Enumerable.Range(0, n).Select(i => new BucketRef($"{prefix}-{i:D4}", null))];

        var order = SweepPlanner.Interleave(["a", "b", "c"], [Buckets("a", 600), Buckets("b", 10), Buckets("c", 300)], 250).ToList();

        Assert.Equal(910, order.Count);
        var runs = order.Select(o => o.Account).Aggregate(new List<(string Account, int Count)>(), (list, account) =>
        {
            if (list.Count > 0 && list[^1].Account == account)
            {
                list[^1] = (account, list[^1].Count + 1);
            }
            else
            {
                list.Add((account, 1));
            }

            return list;
        });
        Assert.Equal([("a", 250), ("b", 10), ("c", 250), ("a", 250), ("c", 50), ("a", 100)], runs);
    }

    [Fact]
    public async Task Members_named_in_the_request_override_the_organisations_list_and_each_account_is_planned_once()
    {
        var listing = new Listing(Home, Member, "999988887777");
        var run = Organization(listing: listing);

        await run.PlanAsync("{\"request\":{\"memberAccounts\":\"" + Member + ", " + Member + "," + Home + "\"}}");
        var record = await run.Records.ReadAsync("sweep-1", CancellationToken.None);

        Assert.Equal(0, listing.Calls);
        Assert.Equal([Home, Member], record!.Accounts.Select(a => a.Account));
    }

    [Fact]
    public async Task An_organisation_that_cannot_be_listed_is_an_error_in_the_organisations_summary_and_the_own_account_is_still_swept()
    {
        var run = Organization(listing: new Listing { Fails = new InvalidOperationException("Organizations listed 3 account(s) but none is ACTIVE") });

        var plan = await run.PlanAsync();
        foreach (var batch in run.Batches(plan))
        {
            await run.SweepAsync(batch);
        }

        var summary = await run.SummariseAsync();

        Assert.Equal([Home], summary.Accounts.Select(a => a.Account));
        Assert.Single(summary.Organization.Warnings);
        var organizationSummary = run.Organization.Sent.Single(n => n.Attributes["event"] == "organization-sweep-summary");
        Assert.Equal("high", organizationSummary.Attributes["severity"]);
        Assert.Contains("none is ACTIVE", organizationSummary.Text, StringComparison.Ordinal);
        Assert.Contains("only account 111122223333 was swept", organizationSummary.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_organisation_listing_throttled_past_the_sdks_retries_fails_the_plan_for_its_retry_instead_of_sweeping_one_account()
    {
        var run = Organization(listing: new Listing { Fails = new InvalidOperationException("TooManyRequestsException") }, isThrottling: ex => ex.Message.Contains("TooManyRequests", StringComparison.Ordinal));

        await Assert.ThrowsAsync<SweepThrottledException>(() => run.PlanAsync());

        Assert.Null(await run.Records.ReadAsync("sweep-1", CancellationToken.None));
    }

    [Fact]
    public async Task A_member_account_that_cannot_be_entered_is_an_error_in_its_summary_and_the_others_are_swept()
    {
        var run = Organization(listing: new Listing(Home, "999988887777", Member));

        var plan = await run.PlanAsync();
        foreach (var batch in run.Batches(plan))
        {
            await run.SweepAsync(batch);
        }

        var summary = await run.SummariseAsync();

        var refused = summary.Accounts.Single(a => a.Account == "999988887777").Counts;
        Assert.Contains("could not assume the member role in 999988887777", refused.ListError, StringComparison.Ordinal);
        Assert.Equal(1, refused.Errors);
        Assert.Equal(["m-public"], run.Organization.Accounts[Member].Locked);
        var sent = run.Organization.Sent.Single(n => n.Attributes.GetValueOrDefault("account") == "999988887777");
        Assert.Equal("high", sent.Attributes["severity"]);
    }

    [Fact]
    public async Task A_batch_run_twice_reports_each_public_bucket_once_and_is_counted_once()
    {
        var run = Organization(memberBuckets: 300, listing: new Listing(Home, Member));
        var plan = await run.PlanAsync();
        var batches = run.Batches(plan);

        foreach (var batch in batches.Concat(batches))
        {
            await run.SweepAsync(batch);
        }

        var summary = await run.SummariseAsync();

        var remediated = run.Organization.Sent.Where(n => n.Attributes["event"] == "remediated").Select(n => n.Attributes["bucket"]).ToList();
        Assert.Equal(remediated.Distinct().Count(), remediated.Count);
        Assert.Equal(7, remediated.Count);
        Assert.Equal(305, summary.Swept);
        Assert.Equal(7, summary.Organization.Locked);
        Assert.Equal(2 * batches.Count, run.Records.BatchWrites);
    }

    [Fact]
    public async Task Buckets_of_a_failed_batch_are_counted_missing_and_a_redrive_sweeps_only_them()
    {
        var run = Organization(memberBuckets: 700, listing: new Listing(Home, Member));
        var plan = await run.PlanAsync();
        var batches = run.Batches(plan);

        // The second batch failed after its retries: the Map tolerated it.
        foreach (var batch in batches.Where((_, i) => i != 1))
        {
            await run.SweepAsync(batch);
        }

        var first = await run.SummariseAsync();
        var failed = SweepBatch.Parse(batches[1]).Value!;
        var redrive = await run.PlanAsync("""{"request":{"redrive":"latest"}}""", id: "sweep-1-redrive");
        foreach (var batch in run.Batches(redrive))
        {
            await run.SweepAsync(batch);
        }

        var second = await run.SummariseAsync();

        Assert.Equal(failed.Items.Length, first.Missing);
        Assert.Contains(first.Accounts, a => a.Counts.Missing > 0 && !a.Counts.Completed);
        var missingSummary = run.Organization.Sent.First(n => n.Attributes["event"] == "organization-sweep-summary");
        Assert.Contains("listed bucket(s) were not swept (a batch failed): run `bucketguard sweep --redrive`", missingSummary.Text, StringComparison.Ordinal);
        Assert.Equal("sweep-1", redrive.SweepId);
        Assert.Equal(failed.Items.Length, redrive.Items);
        Assert.Equal(failed.Items.Select(i => i.Index), run.Items.Objects[redrive.ItemsKey!].Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["i"]!.GetValue<int>()));
        Assert.Equal(0, second.Missing);
        Assert.Equal(705, second.Swept);
        Assert.Contains("\"missing\":0", second.Json(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_start_while_a_sweep_holds_the_lease_does_nothing_and_says_so()
    {
        var run = Organization(listing: new Listing(Home, Member));
        await run.PlanAsync(id: "sweep-1");

        var second = await run.PlanAsync(id: "sweep-2");

        Assert.True(second.Skipped);
        Assert.Contains("sweep sweep-1 is running", second.Reason, StringComparison.Ordinal);
        Assert.Null(await run.Records.ReadAsync("sweep-2", CancellationToken.None));
        Assert.DoesNotContain(run.Items.Objects.Keys, k => k.Contains("sweep-2", StringComparison.Ordinal));
        Assert.Equal("sweep-1", run.Records.Holder);
    }

    [Fact]
    public async Task Once_summarised_the_lease_is_free_for_the_next_days_sweep()
    {
        var run = Organization(listing: new Listing(Home, Member));
        var plan = await run.PlanAsync(id: "sweep-1");
        foreach (var batch in run.Batches(plan))
        {
            await run.SweepAsync(batch);
        }

        await run.SummariseAsync("sweep-1");
        var next = await run.PlanAsync(id: "sweep-2");

        Assert.False(next.Skipped);
        Assert.Equal("sweep-2", run.Records.Holder);
    }

    [Fact]
    public async Task Throttling_that_outlasts_the_sdks_retries_fails_the_batch_for_the_maps_retry_and_records_nothing()
    {
        var run = Organization(listing: new Listing(Home, Member), isThrottling: ex => ex.Message.Contains("SlowDown", StringComparison.Ordinal));
        run.Organization.Accounts[Home].Broken.Add("c-public-policy");
        var plan = await run.PlanAsync();

        var error = await Assert.ThrowsAsync<SweepThrottledException>(() => run.SweepAsync(run.Batches(plan)[0]));

        Assert.Contains("SlowDown", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, run.Records.BatchWrites);
    }

    [Fact]
    public async Task A_bucket_that_fails_for_another_reason_is_an_error_in_the_batch_and_the_rest_are_swept()
    {
        var run = Organization(listing: new Listing(Home, Member));
        run.Organization.Accounts[Home].Broken.Add("c-public-policy");
        var plan = await run.PlanAsync();

        var result = await run.SweepAsync(run.Batches(plan)[0]);

        var home = result.Accounts.Single(a => a.Account == Home).Counts;
        Assert.Equal(5, home.Seen);
        Assert.Equal(1, home.BucketErrors);
        Assert.Equal("c-public-policy", Assert.Single(home.Problems).Bucket);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("""{"Items":[]}""", "BatchInput")]
    [InlineData("""{"BatchInput":{"sweepId":"a b"},"Items":[]}""", "BatchInput")]
    [InlineData("""{"BatchInput":{"sweepId":"s"},"Items":[{"i":0,"account":"1111","bucket":"ok-bucket"}]}""", "no valid account and bucket")]
    [InlineData("""{"BatchInput":{"sweepId":"s"},"Items":[{"i":0,"account":"111122223333","bucket":"../etc"}]}""", "no valid account and bucket")]
    [InlineData("""{"BatchInput":{"sweepId":"s"},"Items":[{"i":-1,"account":"111122223333","bucket":"ok-bucket"}]}""", "index")]
    [InlineData("""{"BatchInput":{"sweepId":"s"},"Items":[7]}""", "JSON object")]
    public void A_batch_that_is_not_one_is_refused_whole_with_the_reason(string input, string reason)
    {
        var batch = SweepBatch.Parse(input);

        Assert.False(batch.Ok);
        Assert.Contains(reason, batch.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_larger_than_any_the_map_sends_is_refused()
    {
        var items = string.Join(',', Enumerable.Range(0, SweepBatch.MaxItems + 1).Select(i => new SweepItem(i, Home, $"b-{i}", null).Line()));

        Assert.Contains("at most 1000", SweepBatch.Parse($$"""{"BatchInput":{"sweepId":"s"},"Items":[{{items}}]}""").Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_items_make_the_same_batch_id_whatever_their_order()
    {
        var a = SweepBatch.Parse($$"""{"BatchInput":{"sweepId":"s"},"Items":[{{new SweepItem(1, Home, "b-1", null).Line()}},{{new SweepItem(2, Home, "b-2", null).Line()}}]}""").Value!;
        var b = SweepBatch.Parse($$"""{"BatchInput":{"sweepId":"s"},"Items":[{{new SweepItem(2, Home, "b-2", null).Line()}},{{new SweepItem(1, Home, "b-1", null).Line()}}]}""").Value!;
        var c = SweepBatch.Parse($$"""{"BatchInput":{"sweepId":"s"},"Items":[{{new SweepItem(1, Home, "b-1", null).Line()}}]}""").Value!;

        Assert.Equal(a.BatchId, b.BatchId);
        Assert.NotEqual(a.BatchId, c.BatchId);
    }

    [Theory]
    [InlineData("""{"sweepId":"s","request":{"memberAccounts":"2222,3333"}}""", "not a 12-digit account")]
    [InlineData("""{"sweepId":"s","request":{"redrive":"x y"}}""", "redrive names")]
    [InlineData("""{"request":{}}""", "sweepId")]
    [InlineData("""{"sweepId":"../../x","request":{}}""", "sweepId")]
    public void A_plan_request_from_a_hostile_input_is_refused(string input, string reason)
    {
        Assert.Contains(reason, PlanRequest.Parse(input).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plan_request_reads_the_schedules_input_as_the_state_machine_passes_it()
    {
        var request = PlanRequest.Parse("""{"sweepId":"abc-1","request":{"memberAccounts":"222233334444, 333344445555","detail":{}}}""").Value!;

        Assert.Equal("abc-1", request.SweepId);
        Assert.Equal(["222233334444", "333344445555"], request.MemberAccounts.ToArray());
        Assert.Null(request.Redrive);
    }

    [Theory]
    [InlineData(new int[0], "")]
    [InlineData(new[] { 5 }, "5")]
    [InlineData(new[] { 3, 1, 2, 7, 9, 8, 2 }, "1-3,7-9")]
    [InlineData(new[] { 0, 2, 4 }, "0,2,4")]
    public void Index_ranges_are_written_short_and_read_back_to_the_same_set(int[] indexes, string text)
    {
        Assert.Equal(text, IndexRanges.Format(indexes));
        Assert.Equal(indexes.Distinct().Order(), IndexRanges.Parse(text));
    }

    [Theory]
    [InlineData("1-x")]
    [InlineData("5-3")]
    [InlineData("-4")]
    public void Index_ranges_that_are_not_ranges_are_an_error_never_an_empty_set(string text)
    {
        Assert.Throws<FormatException>(() => IndexRanges.Parse(text).ToList());
    }

    [Fact]
    public void Sweep_counts_survive_their_record_and_add_up_with_problems_bounded()
    {
        var problems = Enumerable.Range(0, 150).Select(i => new BucketProblem($"b-{i}", "AccessDenied")).ToImmutableArray();
        var counts = new SweepCounts(250, 3, 2, 1, 0, 4, 1, 150) { Listed = 260, Problems = problems, Warnings = ["w"] };

        var back = SweepCounts.Parse(JsonDocument.Parse(counts.Json()).RootElement).Value!;
        var sum = back.Add(back);

        Assert.Equal(counts with { }, back with { Problems = counts.Problems, Warnings = counts.Warnings });
        Assert.Equal(problems.ToArray(), back.Problems.ToArray());
        Assert.Equal(10, back.Missing);
        Assert.Equal(500, sum.Seen);
        Assert.Equal(520, sum.Listed);
        Assert.Equal(SweepCounts.MaxProblems, sum.Problems.Length);
        Assert.Equal(100, sum.ProblemsNotListed);
    }
}
