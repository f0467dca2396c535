using System.Text.Json;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Tests;

/// <summary>The snapshot at the lock (issue "after the lock", item 4): taken only once a lock took effect, reported in the
/// e-mail and the JSON document, the missing access log said as a gap to close, and never a reason to hold back the
/// lock's report.</summary>
public class LockSnapshotTests
{
    private sealed class Snapshots(LockSnapshot? answer = null, Exception? fails = null) : ILockSnapshotReader
    {
        public List<(string Bucket, int Max)> Calls { get; } = [];

        public Task<LockSnapshot> SnapshotAsync(string bucket, string? account, int maxVersions, CancellationToken cancellationToken)
        {
            Calls.Add((bucket, maxVersions));
            return fails is null ? Task.FromResult(answer!) : Task.FromException<LockSnapshot>(fails);
        }
    }

    private const string Event = """
        {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"111122223333","region":"eu-west-1",
         "detail":{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","eventTime":"2026-11-21T09:30:12Z","eventID":"e-1",
           "sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev"},
           "requestParameters":{"bucketName":"reports","x-amz-acl":"public-read"} } }
        """;

    private static FakeAws PublicBucket() => new(new BucketState("reports", true, CannedAcl.Expand("public-read").Value, null, null, null, null, [], null, []));

    private static RemediationPipeline Pipeline(FakeAws fake, Snapshots snapshots, RemediationPolicy? policy = null) =>
        new(fake.Ports with { Snapshots = snapshots }, fake, policy ?? RemediationPolicy.Default, TimeProvider.System);

    [Fact]
    public async Task A_lock_reports_what_the_bucket_held_and_that_without_access_logs_its_readers_cannot_be_known()
    {
        var fake = PublicBucket();
        var snapshots = new Snapshots(new LockSnapshot(1200, 57_851_904, false, AccessLogging: false));

        var handled = await Pipeline(fake, snapshots).HandleAsync(Event, default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Equal([("reports", LockSnapshot.MaxVersions)], snapshots.Calls);
        var sent = Assert.Single(fake.Sent);
        Assert.Contains("At the lock the bucket held 1200 object version(s), 57851904 bytes: the most that could have been taken while it was public.", sent.Text, StringComparison.Ordinal);
        Assert.Contains("Gap to close: server access logging is off", sent.Text, StringComparison.Ordinal);
        var snapshot = JsonDocument.Parse(sent.Document).RootElement.GetProperty("action").GetProperty("snapshot");
        Assert.Equal((1200, 57_851_904L, false, false), (snapshot.GetProperty("versions").GetInt32(), snapshot.GetProperty("bytes").GetInt64(), snapshot.GetProperty("truncated").GetBoolean(), snapshot.GetProperty("accessLogging").GetBoolean()));
    }

    [Fact]
    public async Task The_security_hub_finding_carries_the_snapshot_as_product_fields()
    {
        var fake = PublicBucket();
        var pipeline = Pipeline(fake, new Snapshots(new LockSnapshot(LockSnapshot.MaxVersions, 99, true, AccessLogging: null, "GetBucketLogging: AccessDenied")));
        var handled = await pipeline.HandleAsync(Event, default);
        var decision = new BucketGuard.Core.Reports.BucketDecision(handled.Change, handled.Verdict, handled.State, handled.Result, RemediationPolicy.Default, DateTimeOffset.UtcNow);

        var finding = BucketGuard.Core.Reports.SecurityHubFinding.For(decision)!;

        Assert.Equal(($">{LockSnapshot.MaxVersions}", "99", "unknown"), (finding.ProductFields["bucketguard/SnapshotVersions"], finding.ProductFields["bucketguard/SnapshotBytes"], finding.ProductFields["bucketguard/AccessLogging"]));
    }

    [Fact]
    public async Task A_bounded_listing_says_more_than_and_logging_on_raises_no_gap()
    {
        var fake = PublicBucket();

        await Pipeline(fake, new Snapshots(new LockSnapshot(LockSnapshot.MaxVersions, 10, true, AccessLogging: true))).HandleAsync(Event, default);

        var text = Assert.Single(fake.Sent).Text;
        Assert.Contains($"held more than {LockSnapshot.MaxVersions} object version(s), 10 bytes (listing stopped at its bound)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Gap to close", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_snapshot_is_taken_without_a_lock_in_effect_mode_notify_or_a_failed_put()
    {
        var notify = new Snapshots(new LockSnapshot(1, 1, false, true));
        var failed = new Snapshots(new LockSnapshot(1, 1, false, true));

        await Pipeline(PublicBucket(), notify, RemediationPolicy.Default with { Mode = Mode.Notify }).HandleAsync(Event, default);
        var handled = await Pipeline(new FakeAws(PublicBucket().State) { FailWith = "AccessDenied" }, failed).HandleAsync(Event, default);

        Assert.Empty(notify.Calls);
        Assert.Empty(failed.Calls);
        Assert.False(handled.Result!.Succeeded);
    }

    [Fact]
    public async Task A_snapshot_that_fails_leaves_the_lock_reported_with_what_could_not_be_read()
    {
        var fake = PublicBucket();

        var handled = await Pipeline(fake, new Snapshots(fails: new HttpRequestException("S3 unreachable"))).HandleAsync(Event, default);

        Assert.True(handled.Result!.Succeeded);
        Assert.Contains("Snapshot incomplete: the snapshot could not be taken: S3 unreachable.", Assert.Single(fake.Sent).Text, StringComparison.Ordinal);
    }
}
