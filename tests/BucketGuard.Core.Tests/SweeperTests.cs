using System.Runtime.CompilerServices;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Tests;

public class SweeperTests
{
    /// <summary>An account of buckets: lists them, serves their states, records blocks and notifications.</summary>
    internal sealed class FakeAccount : IBucketLister, IBucketStateReader, IPublicAccessBlockWriter, INotifier
    {
        public Dictionary<string, BucketState> Buckets { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Broken { get; } = [];

        public List<string> Locked { get; } = [];

        public List<Notification> Sent { get; } = [];

        public async IAsyncEnumerable<BucketRef> ListAsync(string? account, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var name in Buckets.Keys.Reverse())
            {
                await Task.Yield();
                yield return new BucketRef(name, "eu-west-1");
            }
        }

        public Task<BucketState> ReadAsync(string bucket, string? account, CancellationToken cancellationToken) =>
            Broken.Contains(bucket) ? throw new InvalidOperationException("SlowDown after retries") : Task.FromResult(Buckets[bucket]);

        public Task<ActionResult> ApplyAsync(string bucket, string? account, PublicAccessBlock flags, CancellationToken cancellationToken)
        {
            lock (Locked)
            {
                Locked.Add(bucket);
            }

            return Task.FromResult(new ActionResult(flags, null));
        }

        public Task<string?> PublishAsync(Notification notification, CancellationToken cancellationToken)
        {
            lock (Sent)
            {
                Sent.Add(notification);
            }

            return Task.FromResult<string?>("m");
        }
    }

    private static readonly DateOnly Today = new(2026, 11, 21);

    internal sealed class Clock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 11, 21, 3, 0, 0, TimeSpan.Zero);
    }

    internal static BucketState State(string name, string canned = "private", string? policy = null, params (string, string)[] tags) =>
        new(name, true, CannedAcl.Expand(canned).Value, policy, null, null, null, [.. tags.Select(t => new Tag(t.Item1, t.Item2))], null, []);

    internal static FakeAccount Mixed()
    {
        var account = new FakeAccount();
        account.Buckets["a-private"] = State("a-private");
        account.Buckets["b-public-acl"] = State("b-public-acl", "public-read");
        account.Buckets["c-public-policy"] = State("c-public-policy", policy: Policies.Everyone("s3:GetObject"));
        account.Buckets["d-exempt"] = State("d-exempt", "public-read", null, ("bucketguard:exempt-until", "2026-12-31"), ("bucketguard:exempt-scope", "read-list"), ("bucketguard:exempt-reason", "site"));
        account.Buckets["e-expired"] = State("e-expired", "public-read", null, ("bucketguard:exempt-until", "2026-11-01"), ("bucketguard:exempt-scope", "read-list"), ("bucketguard:exempt-reason", "site"));
        return account;
    }

    private static Sweeper Sweeper(FakeAccount account, RemediationPolicy? policy = null) =>
        new(account, new PipelinePorts(account, account), account, policy ?? RemediationPolicy.Default, new Clock());

    [Fact]
    public async Task The_sweep_locks_exactly_the_public_buckets_without_a_valid_exemption_and_sends_one_summary()
    {
        var account = Mixed();

        var report = await Sweeper(account).RunAsync("111122223333", act: true, concurrency: 3);

        Assert.Equal(["b-public-acl", "c-public-policy", "e-expired"], account.Locked.Order());
        Assert.Equal(5, report.Seen);
        Assert.Equal(4, report.Public);
        Assert.Equal(3, report.Locked);
        Assert.Equal(1, report.Exempted);
        Assert.True(report.Completed);
        Assert.Equal(3, account.Sent.Count(n => n.Attributes["event"] == "remediated"));
        Assert.DoesNotContain(account.Sent, n => n.Attributes["event"] == "exempted");
        var summary = Assert.Single(account.Sent, n => n.Attributes["event"] == "sweep-summary");
        Assert.Equal("BucketGuard sweep: 5 buckets, 4 public, 3 locked, 0 errors", summary.Subject);
        Assert.Contains("found", account.Sent.First(n => n.Attributes["event"] == "remediated").Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_exemption_is_acted_on_and_the_notice_says_it_expired()
    {
        var account = Mixed();

        await Sweeper(account).RunAsync("111122223333", act: true, concurrency: 2);

        var expired = Assert.Single(account.Sent, n => n.Attributes.GetValueOrDefault("bucket") == "e-expired");
        Assert.Contains("the exemption expired on 2026-11-01", expired.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bucket_that_fails_is_reported_and_the_rest_complete()
    {
        var account = Mixed();
        account.Broken.Add("c-public-policy");

        var report = await Sweeper(account).RunAsync(null, act: true, concurrency: 4);

        Assert.Equal(5, report.Seen);
        Assert.Equal(1, report.Errors);
        Assert.Contains("SlowDown after retries", report.Buckets.Single(b => b.Bucket.Name == "c-public-policy").Error, StringComparison.Ordinal);
        Assert.Equal(["b-public-acl", "e-expired"], account.Locked.Order());
        Assert.Contains("error: c-public-policy", account.Sent.Single(n => n.Attributes["event"] == "sweep-summary").Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_time_runs_short_the_sweep_stops_and_says_where_to_continue_and_resuming_finishes_the_rest()
    {
        var account = Mixed();
        var started = 0;

        var first = await Sweeper(account).RunAsync(null, act: true, concurrency: 1, timeIsShort: () => Interlocked.Increment(ref started) > 2);
        var second = await Sweeper(account).RunAsync(null, act: true, concurrency: 1, startAfter: first.ContinueAfter);

        Assert.False(first.Completed);
        Assert.Equal("b-public-acl", first.ContinueAfter);
        Assert.Equal(["a-private", "b-public-acl"], first.Buckets.Select(b => b.Bucket.Name));
        Assert.True(second.Completed);
        Assert.Equal(["c-public-policy", "d-exempt", "e-expired"], second.Buckets.Select(b => b.Bucket.Name));
    }

    [Fact]
    public async Task An_audit_without_acting_changes_nothing_and_sends_nothing()
    {
        var account = Mixed();

        var report = await Sweeper(account).RunAsync(null, act: false, concurrency: 2);

        Assert.Empty(account.Locked);
        Assert.Empty(account.Sent);
        Assert.Equal(["b-public-acl", "c-public-policy", "e-expired"], report.Buckets.Where(b => b.Unexempted).Select(b => b.Bucket.Name));
        Assert.Equal(Outcome.WouldBlock, report.Buckets.Single(b => b.Bucket.Name == "b-public-acl").Verdict!.Outcome);
    }

    [Fact]
    public async Task Concurrency_is_bounded()
    {
        var account = new FakeAccount();
        for (var i = 0; i < 40; i++)
        {
            account.Buckets[$"bucket-{i:D2}"] = State($"bucket-{i:D2}");
        }

        var gate = new GatedReader(account);
        var sweeper = new Sweeper(account, new PipelinePorts(gate, account), account, RemediationPolicy.Default, new Clock());

        var report = await sweeper.RunAsync(null, act: false, concurrency: 4);

        Assert.Equal(40, report.Seen);
        Assert.InRange(gate.MaxInFlight, 1, 4);
    }

    /// <summary>Accounts of an organisation, each its own FakeAccount; an account not in it cannot be entered (no member role).</summary>
    internal sealed class FakeOrganization : IBucketLister, IBucketStateReader, IPublicAccessBlockWriter, INotifier
    {
        public Dictionary<string, FakeAccount> Accounts { get; } = new(StringComparer.Ordinal);

        public List<Notification> Sent { get; } = [];

        private FakeAccount In(string? account) =>
            Accounts.TryGetValue(account ?? string.Empty, out var found) ? found : throw new InvalidOperationException($"BucketGuard could not assume the member role in {account}");

        public IAsyncEnumerable<BucketRef> ListAsync(string? account, CancellationToken cancellationToken) => In(account).ListAsync(account, cancellationToken);

        /// <summary>Called before each read (a test that kills a batch mid-way cancels its token here).</summary>
        public Action<string>? OnRead { get; set; }

        public Task<BucketState> ReadAsync(string bucket, string? account, CancellationToken cancellationToken)
        {
            OnRead?.Invoke(bucket);
            cancellationToken.ThrowIfCancellationRequested();
            return In(account).ReadAsync(bucket, account, cancellationToken);
        }

        public Task<ActionResult> ApplyAsync(string bucket, string? account, PublicAccessBlock flags, CancellationToken cancellationToken) => In(account).ApplyAsync(bucket, account, flags, cancellationToken);

        public Task<string?> PublishAsync(Notification notification, CancellationToken cancellationToken)
        {
            lock (Sent)
            {
                Sent.Add(notification);
            }

            return Task.FromResult<string?>("m");
        }

        public RemediationPipeline Pipeline() => new(new PipelinePorts(this, this), this, RemediationPolicy.Default, new Clock());
    }

    internal static FakeOrganization Organization()
    {
        var organization = new FakeOrganization();
        organization.Accounts["111122223333"] = Mixed();
        var member = new FakeAccount();
        member.Buckets["m-public"] = State("m-public", "public-read");
        member.Buckets["m-private"] = State("m-private");
        organization.Accounts["222233334444"] = member;
        return organization;
    }

    private sealed class GatedReader(FakeAccount account) : IBucketStateReader
    {
        private int inFlight;

        public int MaxInFlight { get; private set; }

        public async Task<BucketState> ReadAsync(string bucket, string? account1, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref inFlight);
            lock (this)
            {
                MaxInFlight = Math.Max(MaxInFlight, now);
            }

            await Task.Delay(5, cancellationToken);
            Interlocked.Decrement(ref inFlight);
            return await account.ReadAsync(bucket, account1, cancellationToken);
        }
    }
}
