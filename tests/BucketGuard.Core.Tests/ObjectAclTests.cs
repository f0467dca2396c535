using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Check;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Tests;

/// <summary>Issue 12: objects made public one by one through their own ACLs (PutObjectAcl, and uploads and copies that
/// carry an ACL), ownership changes that bring stored object ACLs back, and buckets whose objects can be public.</summary>
public class ObjectAclTests
{
    private const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";

    private sealed class Clock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 11, 21, 9, 30, 15, TimeSpan.Zero);
    }

    private sealed class OneBucket : IBucketLister
    {
        public async IAsyncEnumerable<BucketRef> ListAsync(string? account, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new BucketRef("reports", "eu-west-1");
        }
    }

    /// <summary>A bucket that honours ACLs (no ownership controls, as before April 2023) and has no Block Public Access.</summary>
    private static BucketState Bucket(PublicAccessBlock? block = null, string? ownership = null, string? policy = null, params Tag[] tags) =>
        new("reports", true, CannedAcl.Expand("private").Value, policy, block, null, ownership, [.. tags], null, []);

    private static string ObjectEvent(string eventName = "PutObject", string parameters = """ "x-amz-acl":"public-read" """, string id = "e-1") => $$"""
        {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"111122223333","region":"eu-west-1",
         "detail":{"eventSource":"s3.amazonaws.com","eventName":"{{eventName}}","eventCategory":"Data","eventTime":"2026-11-21T09:30:12Z","eventID":"{{id}}",
           "sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2",
           "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/lab-uploader","accessKeyId":"AKIAEXAMPLE"},
           "requestParameters":{"bucketName":"reports","key":"results/2026/patient-0042.pdf",{{parameters}} } } }
        """;

    private static BucketChange Parse(string json) => CloudTrailEventParser.Parse(json).Value!;

    private static FakeAws WithObject(BucketState state, string canned = "public-read", string key = "results/2026/patient-0042.pdf")
    {
        var fake = new FakeAws(state);
        fake.Objects[key] = CannedAcl.Expand(canned).Value;
        return fake;
    }

    private static RemediationPipeline Pipeline(FakeAws fake, RemediationPolicy? policy = null) =>
        new(fake.Ports, fake, policy ?? RemediationPolicy.Default, new Clock());

    private static readonly PublicAccessBlock AclFlags = new(true, true, false, false);

    [Fact]
    public async Task An_object_event_through_a_pipeline_given_no_object_reader_is_incomplete_and_reported_never_private()
    {
        var fake = WithObject(Bucket());
        var pipeline = new RemediationPipeline(fake.Ports with { Objects = null }, fake, RemediationPolicy.Default, new Clock());

        var handled = await pipeline.HandleAsync(ObjectEvent(), default);

        Assert.Equal(Outcome.Incomplete, handled.Verdict.Outcome);
        Assert.Contains("cannot read objects' ACLs", handled.Verdict.Why, StringComparison.Ordinal);
        Assert.Equal((0, 0), (fake.Reads, fake.ObjectReads));
        Assert.Null(handled.Result);
        Assert.NotNull(Assert.Single(fake.Sent));
    }

    [Theory]
    [InlineData(""" "x-amz-acl":"public-read" """, "AllUsers", "READ")]
    [InlineData(""" "x-amz-acl":["public-read"] """, "AllUsers", "READ")]
    [InlineData(""" "x-amz-acl":"authenticated-read" """, "AuthenticatedUsers", "READ")]
    [InlineData(""" "x-amz-grant-read":"uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"" """, "AllUsers", "READ")]
    [InlineData(""" "x_amz_grant_read":"uri=http://acs.amazonaws.com/groups/global/AllUsers" """, "AllUsers", "READ")]
    [InlineData(""" "x-amz-grant-write-acp":["uri=http://acs.amazonaws.com/groups/global/AllUsers"] """, "AllUsers", "WRITE_ACP")]
    [InlineData(""" "AccessControlList":{"x-amz-grant-full-control":"uri=http://acs.amazonaws.com/groups/global/AllUsers"} """, "AllUsers", "FULL_CONTROL")]
    [InlineData(""" "AccessControlPolicy":{"AccessControlList":{"Grant":{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}},"Owner":{"ID":"abc"}} """, "AllUsers", "READ")]
    [InlineData(""" "AccessControlPolicy":{"AccessControlList":{"Grant":[{"Grantee":{"xsi:type":"CanonicalUser","ID":"abc"},"Permission":"FULL_CONTROL"},{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},"Permission":"READ_ACP"}]}} """, "AuthenticatedUsers", "READ_ACP")]
    public void Every_request_form_of_an_object_acl_is_read_and_judged_as_that_objects_grant(string parameters, string grantee, string permission)
    {
        foreach (var eventName in new[] { "PutObject", "PutObjectAcl", "CopyObject", "CreateMultipartUpload" })
        {
            var change = Parse(ObjectEvent(eventName, parameters));

            Assert.Equal(ChangeKind.ObjectAclChanged, change.Kind);
            Assert.True(change.AclInRequest);
            Assert.Equal("results/2026/patient-0042.pdf", change.ObjectKey);
            var finding = Assert.Single(AclEvaluator.EvaluateObject(change.RequestedAcl!, change.ObjectName!).Findings);
            Assert.Equal((FindingSource.ObjectAclGrant, permission), (finding.Source, finding.Actions.Single()));
            Assert.Contains(grantee, finding.Principal, StringComparison.Ordinal);
            Assert.Equal("grant " + (finding.Index + 1) + " of object results/2026/patient-0042.pdf", finding.Location);
        }
    }

    [Theory]
    [InlineData("PutObject", """ "x-amz-server-side-encryption":"AES256" """)]
    [InlineData("CopyObject", """ "x-amz-copy-source":"other/key" """)]
    [InlineData("CreateMultipartUpload", """ "uploads":"" """)]
    [InlineData("PutObject", """ "x-amz-acl":"bucket-owner-full-control" """)]
    [InlineData("PutObject", """ "x-amz-acl":"private" """)]
    public async Task Uploads_that_ask_for_no_public_acl_are_skipped_without_any_s3_call(string eventName, string parameters)
    {
        var fake = WithObject(Bucket());

        var handled = await Pipeline(fake).HandleAsync(ObjectEvent(eventName, parameters), default);

        Assert.Equal(Outcome.Skipped, handled.Verdict.Outcome);
        Assert.Equal((0, 0), (fake.Reads, fake.ObjectReads));
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public void The_version_an_event_names_is_kept_and_read_acp_of_an_object_is_read_of_its_acl_as_aws_tables_it()
    {
        var change = Parse(ObjectEvent("PutObjectAcl", """ "versionId":"3HL4kqtJlcpXroDTDmJ", "x-amz-grant-read-acp":"uri=http://acs.amazonaws.com/groups/global/AllUsers" """));

        Assert.Equal("3HL4kqtJlcpXroDTDmJ", change.ObjectVersion);
        Assert.Equal("results/2026/patient-0042.pdf (version 3HL4kqtJlcpXroDTDmJ)", change.ObjectName);
        Assert.Equal(AccessLevel.Read, AclEvaluator.EvaluateObject(change.RequestedAcl!, change.ObjectName!).Access);
    }

    [Fact]
    public async Task A_public_object_locks_only_the_buckets_acls_and_the_notice_names_the_object_its_uploader_and_the_remedy()
    {
        var fake = WithObject(Bucket());

        var handled = await Pipeline(fake).HandleAsync(ObjectEvent(), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Equal(AclFlags, Assert.Single(fake.Applied));
        Assert.Equal((0, 1), (fake.Reads, fake.ObjectReads));
        var sent = Assert.Single(fake.Sent);
        Assert.Equal(("remediated", "high"), (sent.Attributes["event"], sent.Attributes["severity"]));
        Assert.Contains("object results/2026/patient-0042.pdf is public (read)", sent.Text, StringComparison.Ordinal);
        Assert.Contains("uploaded by arn:aws:iam::111122223333:user/lab-uploader from 198.51.100.23", sent.Text, StringComparison.Ordinal);
        Assert.Contains("every public ACL in the bucket, the bucket's and every object's, at once", sent.Text, StringComparison.Ordinal);
        Assert.Contains("aws s3api delete-public-access-block --bucket reports", sent.Text, StringComparison.Ordinal);
        var document = JsonNode.Parse(sent.Document)!;
        Assert.Equal("results/2026/patient-0042.pdf", document["change"]!["object"]!["key"]!.GetValue<string>());
        Assert.Equal("object-grant", document["exposure"]!["findings"]![0]!["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task Fifty_uploads_into_one_bucket_give_one_lock_and_exactly_one_notification()
    {
        var fake = WithObject(Bucket());
        var pipeline = Pipeline(fake);

        for (var i = 0; i < 50; i++)
        {
            await pipeline.HandleAsync(ObjectEvent(id: $"e-{i}"), default);
        }

        Assert.Single(fake.Applied);
        Assert.Equal("remediated", Assert.Single(fake.Sent).Attributes["event"]);
    }

    [Fact]
    public async Task A_read_exemption_covers_a_public_object_read_but_never_public_write_acp()
    {
        Tag[] exemption = [new("bucketguard:exempt-until", "2026-12-15"), new("bucketguard:exempt-reason", "published results"), new("bucketguard:exempt-scope", "read")];
        var readable = WithObject(Bucket(tags: exemption));
        var exempted = await Pipeline(readable).HandleAsync(ObjectEvent(), default);

        var writable = new FakeAws(Bucket(tags: exemption));
        writable.Objects["results/2026/patient-0042.pdf"] = new AccessControlList("abc", [new Grant(Grantee.Group(AllUsers), "WRITE_ACP")]);
        var locked = await Pipeline(writable).HandleAsync(ObjectEvent("PutObjectAcl", """ "x-amz-grant-write-acp":"uri=http://acs.amazonaws.com/groups/global/AllUsers" """), default);

        Assert.Equal(Outcome.Exempted, exempted.Verdict.Outcome);
        Assert.Empty(readable.Applied);
        Assert.Equal("exempted", Assert.Single(readable.Sent).Attributes["event"]);
        Assert.Equal(Outcome.Block, locked.Verdict.Outcome);
        Assert.Equal(Severity.Critical, locked.Verdict.Severity);
        Assert.Contains("which no exemption covers", Assert.Single(locked.Verdict.NotExempt), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Locking_on_an_object_leaves_a_public_bucket_policy_under_exemption_working()
    {
        const string website = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/site/*"}]}""";
        Tag[] exemption = [new("bucketguard:exempt-until", "2026-12-15"), new("bucketguard:exempt-reason", "website"), new("bucketguard:exempt-scope", "read")];
        var fake = new FakeAws(Bucket(policy: website, tags: exemption));
        fake.Objects["results/2026/patient-0042.pdf"] = CannedAcl.Expand("public-read-write").Value;

        await Pipeline(fake).HandleAsync(ObjectEvent(parameters: """ "x-amz-acl":"public-read-write" """), default);

        Assert.Equal(AclFlags, Assert.Single(fake.Applied));
    }

    [Fact]
    public async Task An_object_already_neutralised_by_ignore_public_acls_or_bucket_owner_enforced_is_not_reported()
    {
        foreach (var state in new[] { Bucket(AclFlags), Bucket(ownership: "BucketOwnerEnforced") })
        {
            var fake = WithObject(state);

            var handled = await Pipeline(fake).HandleAsync(ObjectEvent(), default);

            Assert.Equal(Outcome.AlreadyBlocked, handled.Verdict.Outcome);
            Assert.Empty(fake.Sent);
            Assert.Empty(fake.Applied);
        }
    }

    [Fact]
    public async Task An_object_deleted_before_it_was_read_exposes_nothing_but_a_multipart_upload_is_judged_on_its_requested_acl()
    {
        var deleted = new FakeAws(Bucket());
        var gone = await Pipeline(deleted).HandleAsync(ObjectEvent(), default);
        var pending = new FakeAws(Bucket());
        var upload = await Pipeline(pending).HandleAsync(ObjectEvent("CreateMultipartUpload"), default);

        Assert.Equal(Outcome.NothingToDo, gone.Verdict.Outcome);
        Assert.Contains("no longer exists", gone.Verdict.Why, StringComparison.Ordinal);
        Assert.Empty(deleted.Applied);
        Assert.Equal(Outcome.Block, upload.Verdict.Outcome);
        Assert.Equal(AclFlags, Assert.Single(pending.Applied));
    }

    [Fact]
    public async Task An_object_that_denies_reading_its_acl_is_locked_on_the_public_acl_its_event_requested()
    {
        var fake = new FakeAws(Bucket());
        fake.Objects["results/2026/patient-0042.pdf"] = null;

        var handled = await Pipeline(fake).HandleAsync(ObjectEvent(), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.True(handled.Verdict.RestsOnEvent);
        Assert.Contains("the object denies BucketGuard's reads (GetObjectAcl: AccessDenied)", handled.Verdict.Why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Object_acls_set_to_report_are_reported_and_never_locked()
    {
        var fake = WithObject(Bucket());

        var handled = await Pipeline(fake, RemediationPolicy.Default with { ObjectAcls = ObjectAcls.Report }).HandleAsync(ObjectEvent(), default);

        Assert.Equal(Outcome.WouldBlock, handled.Verdict.Outcome);
        Assert.Contains("BUCKETGUARD_OBJECT_ACLS=report", handled.Verdict.Why, StringComparison.Ordinal);
        Assert.Empty(fake.Applied);
        Assert.Equal("would-remediate", Assert.Single(fake.Sent).Attributes["event"]);
    }

    [Fact]
    public async Task An_ownership_change_that_brings_acls_back_samples_objects_and_locks_when_one_is_public()
    {
        var fake = new FakeAws(Bucket(ownership: "ObjectWriter"));
        for (var i = 0; i < 30; i++)
        {
            fake.Objects[$"doc-{i:00}.pdf"] = CannedAcl.Expand(i == 17 ? "public-read" : "private").Value;
        }

        var ownership = ObjectEvent("PutBucketOwnershipControls", """ "OwnershipControls":{"Rule":{"ObjectOwnership":"ObjectWriter"}} """);
        var handled = await Pipeline(fake).HandleAsync(ownership, default);

        Assert.Equal([100], fake.Samples);
        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Equal(AclFlags, Assert.Single(fake.Applied));
        Assert.Contains("object doc-17.pdf is public (read)", handled.Verdict.Why, StringComparison.Ordinal);
        Assert.Contains("Objects sampled: 30, public: 1.", Assert.Single(fake.Sent).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ownership_change_whose_sample_finds_nothing_public_reports_that_objects_can_be_public()
    {
        var fake = new FakeAws(Bucket(ownership: "BucketOwnerPreferred"));
        fake.Objects["a.pdf"] = CannedAcl.Expand("private").Value;

        var handled = await Pipeline(fake).HandleAsync(ObjectEvent("DeleteBucketOwnershipControls", """ "ownershipControls":"" """), default);

        Assert.Equal(Outcome.NothingToDo, handled.Verdict.Outcome);
        Assert.True(handled.Verdict.ObjectsCanBePublic);
        var sent = Assert.Single(fake.Sent);
        Assert.Equal("objects-can-be-public", sent.Attributes["event"]);
        Assert.Contains("objects can be public", sent.Text, StringComparison.Ordinal);
        Assert.Empty(fake.Applied);
    }

    [Fact]
    public async Task An_ownership_change_to_bucket_owner_enforced_samples_nothing()
    {
        var fake = new FakeAws(Bucket(ownership: "BucketOwnerEnforced"));
        fake.Objects["a.pdf"] = CannedAcl.Expand("public-read").Value;

        var handled = await Pipeline(fake).HandleAsync(ObjectEvent("PutBucketOwnershipControls", """ "OwnershipControls":{"Rule":{"ObjectOwnership":"BucketOwnerEnforced"}} """), default);

        Assert.Empty(fake.Samples);
        Assert.Equal(Outcome.NothingToDo, handled.Verdict.Outcome);
        Assert.False(handled.Verdict.ObjectsCanBePublic);
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public async Task The_sweep_counts_buckets_whose_objects_can_be_public_and_samples_them_when_asked()
    {
        var fake = new FakeAws(Bucket());
        fake.Objects["a.pdf"] = CannedAcl.Expand("private").Value;
        fake.Objects["b.pdf"] = CannedAcl.Expand("public-read").Value;

        var counted = await new Sweeper(new OneBucket(), Pipeline(fake)).RunAsync("111122223333", act: false, concurrency: 1);
        var sampled = await new Sweeper(new OneBucket(), Pipeline(fake, RemediationPolicy.Default with { SweepObjectSample = 20 })).RunAsync("111122223333", act: true, concurrency: 1);

        Assert.Equal(1, counted.ObjectsCanBePublic);
        Assert.Equal(Outcome.NothingToDo, counted.Buckets[0].Verdict!.Outcome);
        Assert.Equal([20], fake.Samples);
        Assert.True(sampled.Buckets[0].Locked);
        Assert.Equal("b.pdf", sampled.Buckets[0].Verdict!.Exposure!.Findings.Single(f => f.InEffect).Object);
        Assert.Equal(0, sampled.ObjectsCanBePublic); // the lock turned IgnorePublicAcls on
        Assert.Contains("Objects can be public: 0", fake.Sent.Last().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lock_when_possible_locks_a_bucket_whose_objects_can_be_public_unless_it_is_exempt()
    {
        var policy = RemediationPolicy.Default with { ObjectAcls = ObjectAcls.LockWhenPossible };
        var plain = new FakeAws(Bucket());
        var exempt = new FakeAws(Bucket(tags: [new("bucketguard:exempt-until", "2026-12-15"), new("bucketguard:exempt-reason", "legacy uploads"), new("bucketguard:exempt-scope", "read")]));

        await new Sweeper(new OneBucket(), Pipeline(plain, policy)).RunAsync("111122223333", act: true, concurrency: 1);
        await new Sweeper(new OneBucket(), Pipeline(exempt, policy)).RunAsync("111122223333", act: true, concurrency: 1);

        Assert.Equal(AclFlags, Assert.Single(plain.Applied));
        Assert.Empty(exempt.Applied);
    }

    [Theory]
    [InlineData("BUCKETGUARD_OBJECT_ACLS", "sometimes", "not lock-when-public, lock-when-possible or report")]
    [InlineData("BUCKETGUARD_OBJECT_SAMPLE", "-1", "not a number of objects from 0 to 10000")]
    [InlineData("BUCKETGUARD_SWEEP_OBJECT_SAMPLE", "10001", "not a number of objects from 0 to 10000")]
    public void Object_settings_that_cannot_be_understood_are_errors(string name, string value, string error)
    {
        var parsed = RemediationPolicy.FromEnvironment(n => n == name ? value : null);

        Assert.Contains(error, parsed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_explains_the_object_acl_an_event_requests_the_way_it_does_for_bucket_acls()
    {
        var path = Path.Combine(Path.GetTempPath(), $"object-event-{Guid.NewGuid():n}.json");
        File.WriteAllText(path, ObjectEvent("PutObject", """ "x-amz-grant-read":"uri=http://acs.amazonaws.com/groups/global/AllUsers" """));
        try
        {
            var result = Checker.Check(path, File.ReadAllText(path));

            Assert.True(result.Public);
            var finding = Assert.Single(result.Exposure!.Findings);
            Assert.Equal("grant 1 of object results/2026/patient-0042.pdf", finding.Location);
            Assert.Contains(result.Notes, n => n.Contains("neutralises every public object ACL", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class Kept : IUnreportedLocks
    {
        public List<(BucketDecision Decision, System.Collections.Immutable.ImmutableArray<string> Failures)> Decisions { get; } = [];

        public Task KeepAsync(BucketDecision decision, System.Collections.Immutable.ImmutableArray<string> failures, CancellationToken cancellationToken)
        {
            Decisions.Add((decision, failures));
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_lock_whose_report_fails_is_kept_in_the_dead_letter_queue_because_the_retry_of_an_object_event_stays_silent()
    {
        var fake = WithObject(Bucket());
        fake.SnsDown = true;
        var kept = new Kept();
        var pipeline = new RemediationPipeline(fake.Ports with { Unreported = kept }, fake, RemediationPolicy.Default, new Clock());

        var error = await Assert.ThrowsAsync<OutputsFailedException>(() => pipeline.HandleAsync(ObjectEvent(), default));
        fake.SnsDown = false;
        var retry = await pipeline.HandleAsync(ObjectEvent(), default);

        var (decision, failures) = Assert.Single(kept.Decisions);
        Assert.Equal(Outcome.Block, decision.Verdict.Outcome);
        Assert.Equal("remediated", decision.EventType);
        Assert.Equal(["sns: SNS unreachable"], failures.AsEnumerable());
        Assert.True(error.Handled.Result!.Succeeded);
        Assert.Equal(Outcome.AlreadyBlocked, retry.Verdict.Outcome);
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public async Task A_report_that_fails_without_a_lock_is_not_kept_because_the_retry_reports_it()
    {
        var fake = WithObject(Bucket(), canned: "private");
        fake.SnsDown = true;
        var kept = new Kept();
        var policy = RemediationPolicy.Default with { Mode = Mode.Notify };
        fake.Objects["results/2026/patient-0042.pdf"] = CannedAcl.Expand("public-read").Value;

        await Assert.ThrowsAsync<OutputsFailedException>(() => new RemediationPipeline(fake.Ports with { Unreported = kept }, fake, policy, new Clock()).HandleAsync(ObjectEvent(), default));

        Assert.Empty(kept.Decisions);
    }
}
