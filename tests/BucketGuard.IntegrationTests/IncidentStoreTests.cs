using BucketGuard.Aws;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Incidents;

namespace BucketGuard.IntegrationTests;

/// <summary>The incident record's conditional writes against moto's DynamoDB: 50 events for one bucket make one incident
/// with 50 entries; replaying them adds none and opens no second incident; closing it lets the next exposure open a new
/// one; `bucketguard incident show` and `close` on the same record. The events are written one after another: moto
/// does not serialize concurrent writes to one item (50 concurrent UpdateItem ADDs to one counter kept 49 when measured
/// with boto3), where DynamoDB applies each UpdateItem atomically; that the adapter's every change is one such
/// UpdateItem, conditioned on its event id, is pinned by DynamoDbIncidentTests against the request it sends.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class IncidentStoreTests
{
    private static IncidentUpdate Update(string eventId, bool locked = false) => new(
        "111122223333/lab-results", eventId, new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero), locked ? "remediated" : "would-remediate",
        locked ? Outcome.Block : Outcome.WouldBlock, Severity.Critical, "phi", "arn:aws:sts::111122223333:assumed-role/Lab/alice", locked, null, "the bucket is public (read)");

    [Fact]
    public async Task Fifty_events_for_one_bucket_make_one_incident_with_every_entry_and_a_replay_adds_none()
    {
        using var dynamo = AwsClients.CreateDynamoDb();
        var table = await MotoClient.TableAsync(dynamo, "bg-incidents");
        try
        {
            var incidents = new DynamoDbIncidents(dynamo, table);
            var events = Enumerable.Range(0, 50).Select(i => $"event-{i:D2}").ToList();

            var first = new IncidentRef[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                first[i] = await incidents.RecordAsync(Update(events[i], locked: i == 49), CancellationToken.None);
            }

            var replay = new IncidentRef[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                replay[i] = await incidents.RecordAsync(Update(events[i]), CancellationToken.None);
            }

            var id = Assert.Single(first.Select(f => f.Id).Distinct());
            Assert.Single(first, f => f.Opened);
            Assert.All(replay, r => Assert.True(r.Replayed && r.Id == id));
            var item = (await incidents.ReadAsync(id, CancellationToken.None))!;
            Assert.Equal(50, item["history"].L.Count);
            Assert.Equal(events.Order(), item["eventIds"].SS.Order());
            Assert.Equal("50", item["updates"].N);

            // What a person sees of it, and closes, with the CLI.
            Environment.SetEnvironmentVariable("BUCKETGUARD_INCIDENT_TABLE", table);
            var shown = new StringWriter();
            var text = new StringWriter();
            var closed = new StringWriter();
            var errors = new StringWriter();
            try
            {
                Assert.Equal(0, await BucketGuard.Cli.BucketGuardCli.RunAsync(["incident", "show", id, "--output", "json"], TextReader.Null, shown, errors));
                Assert.Equal(0, await BucketGuard.Cli.BucketGuardCli.RunAsync(["incident", "show", id], TextReader.Null, text, errors));
                Assert.Equal(2, await BucketGuard.Cli.BucketGuardCli.RunAsync(["incident", "show", "inc-20261207-0000000000000000"], TextReader.Null, new StringWriter(), errors));
                Assert.Equal(0, await BucketGuard.Cli.BucketGuardCli.RunAsync(["incident", "close", id, "--by", "security@example.com"], TextReader.Null, closed, errors));
            }
            finally
            {
                Environment.SetEnvironmentVariable("BUCKETGUARD_INCIDENT_TABLE", null);
            }

            var document = System.Text.Json.Nodes.JsonNode.Parse(shown.ToString())!;
            Assert.Equal(("111122223333/lab-results", 50), (document["incident"]!["key"]!.GetValue<string>(), document["timeline"]!.AsArray().Count));
            Assert.Equal(("contained", true), (document["incident"]!["state"]!.GetValue<string>(), document["hipaa"]!["applies"]!.GetValue<bool>()));
            Assert.Contains("Timeline (50 decision(s)):", text.ToString(), StringComparison.Ordinal);
            Assert.Contains("HIPAA (applies): individuals by 2027-02-05T09:00:00Z", text.ToString(), StringComparison.Ordinal);
            Assert.Contains("no incident inc-20261207-0000000000000000", errors.ToString(), StringComparison.Ordinal);
            var next = await incidents.RecordAsync(Update("event-after-close"), CancellationToken.None);
            Assert.True(next.Opened);
            Assert.NotEqual(id, next.Id);
            Assert.Equal("closed", (await incidents.ReadAsync(id, CancellationToken.None))!["state"].S);
        }
        finally
        {
            await dynamo.DeleteTableAsync(table);
        }
    }

    private static ExposureSummary Summary(string hash, int reads) => new(
        new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 7, 8, 55, 0, TimeSpan.Zero), false, new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero),
        "e-cause", "arn:aws:sts::111122223333:assumed-role/Lab/alice", reads > 0 ? "read" : "no-outside-access", reads, 1, reads * 48213L, reads, reads, ["server access logs are delivered on a best-effort basis: late records update this ledger"], hash, "phi")
    {
        Evidence = new EvidenceItem($"evidence/111122223333/lab-results/exposure-20261207T100000Z-{hash[..16]}.json", hash, 0),
    };

    [Fact]
    public async Task Report_versions_are_appended_once_per_content_kept_in_order_and_shown_by_incident_show()
    {
        using var dynamo = AwsClients.CreateDynamoDb();
        var table = await MotoClient.TableAsync(dynamo, "bg-incidents");
        try
        {
            var incidents = new DynamoDbIncidents(dynamo, table);
            var incident = await incidents.RecordAsync(Update("e-1", locked: true), CancellationToken.None);
            var (first, second) = (new string('a', 64), new string('b', 64));

            var one = await incidents.RecordReportAsync(incident.Id, Summary(first, 1), CancellationToken.None);
            var retried = await incidents.RecordReportAsync(incident.Id, Summary(first, 1), CancellationToken.None);
            var two = await incidents.RecordReportAsync(incident.Id, Summary(second, 3), CancellationToken.None);
            var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => incidents.RecordReportAsync("inc-20261207-0000000000000000", Summary(first, 1), CancellationToken.None));

            Assert.Equal((new ReportRef(1, false), new ReportRef(1, true), new ReportRef(2, false)), (one, retried, two));
            Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
            var record = (await incidents.ReadRecordAsync(incident.Id, CancellationToken.None))!;
            Assert.Equal([(1, 1, first), (2, 3, second)], record.Reports.Select(r => (r.Version, r.Reads, r.ContentHash)));
            Assert.Equal((Summary(second, 3).PublicFrom, "phi", true), (record.Reports[1].PublicFrom, record.Reports[1].DataClassInWindow, record.Reports[1].Evidence is not null));

            Environment.SetEnvironmentVariable("BUCKETGUARD_INCIDENT_TABLE", table);
            var shown = new StringWriter();
            try
            {
                Assert.Equal(0, await BucketGuard.Cli.BucketGuardCli.RunAsync(["incident", "show", incident.Id, "--output", "json"], TextReader.Null, shown, new StringWriter()));
            }
            finally
            {
                Environment.SetEnvironmentVariable("BUCKETGUARD_INCIDENT_TABLE", null);
            }

            var document = System.Text.Json.Nodes.JsonNode.Parse(shown.ToString())!;
            Assert.Equal([1, 2], document["exposureReports"]!.AsArray().Select(r => r!["version"]!.GetValue<int>()));
            Assert.StartsWith("acquired: 3 read(s) of 3 object(s)", document["hipaa"]!["riskAssessment"]!["acquiredOrViewed"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            await dynamo.DeleteTableAsync(table);
        }
    }

    [Fact]
    public async Task A_data_class_floor_is_only_ever_raised_and_is_rewritten_for_the_same_class_only_when_it_lasts_well_longer()
    {
        using var dynamo = AwsClients.CreateDynamoDb();
        var table = await MotoClient.TableAsync(dynamo, "bg-incidents");
        try
        {
            var floors = new DynamoDbDataClassFloors(dynamo, table);
            var t0 = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

            await floors.RaiseAsync("111122223333", "lab-results", new DataClassFloor(DataClass.Phi, t0.AddDays(30), "seen phi"), CancellationToken.None);
            await floors.RaiseAsync("111122223333", "lab-results", new DataClassFloor(DataClass.Pii, t0.AddDays(60), "seen pii"), CancellationToken.None);
            await floors.RaiseAsync("111122223333", "lab-results", new DataClassFloor(DataClass.Phi, t0.AddDays(31), "seen phi a day later"), CancellationToken.None);
            var kept = await floors.FloorAsync("111122223333", "lab-results", CancellationToken.None);
            await floors.RaiseAsync("111122223333", "lab-results", new DataClassFloor(DataClass.Phi, t0.AddDays(50), "seen phi twenty days later"), CancellationToken.None);
            var refreshed = await floors.FloorAsync("111122223333", "lab-results", CancellationToken.None);

            Assert.Equal(new DataClassFloor(DataClass.Phi, t0.AddDays(30), "seen phi"), kept);
            Assert.Equal(new DataClassFloor(DataClass.Phi, t0.AddDays(50), "seen phi twenty days later"), refreshed);
            Assert.Null(await floors.FloorAsync("111122223333", "another-bucket", CancellationToken.None));
        }
        finally
        {
            await dynamo.DeleteTableAsync(table);
        }
    }

    /// <summary>The evidence bucket on Ceph RGW, which enforces S3 Object Lock: a kept bundle is stored with its SHA-256
    /// checked by S3, its version cannot be deleted under the lock, `incident verify` matches it, and a later object put
    /// over its key (a new version: the locked one stays) is caught as changed.</summary>
    [Fact]
    public async Task Evidence_kept_under_object_lock_cannot_be_deleted_and_verify_catches_a_changed_copy()
    {
        using var s3 = AwsClients.CreateS3();
        var bucket = await LocalAws.CreateEvidenceBucketAsync(s3);
        using var dynamo = AwsClients.CreateDynamoDb();
        var table = await MotoClient.TableAsync(dynamo, "bg-incidents");
        var store = new S3EvidenceStore(s3, bucket);
        var bundle = new EvidenceBundle("evidence/111122223333/lab-results/20261207T090000Z-0123456789abcdef.json", System.Text.Encoding.UTF8.GetBytes("""{"version":1,"eventId":"e-1"}""" + "\n"));
        try
        {
            var kept = await store.KeepAsync(bundle, CancellationToken.None);
            var incident = await new DynamoDbIncidents(dynamo, table).RecordAsync(Update("e-1", locked: true) with { Evidence = kept }, CancellationToken.None);

            var (sha, mode, until) = await store.ReadAsync(kept.Key, CancellationToken.None);
            Assert.Equal(bundle.Sha256, sha);
            Assert.Equal("GOVERNANCE", mode);
            Assert.True(until > DateTime.UtcNow);
            var version = (await s3.GetObjectMetadataAsync(bucket, kept.Key)).VersionId;
            var refused = await Assert.ThrowsAsync<Amazon.S3.AmazonS3Exception>(() => s3.DeleteObjectAsync(new Amazon.S3.Model.DeleteObjectRequest { BucketName = bucket, Key = kept.Key, VersionId = version }));
            Assert.Equal("AccessDenied", refused.ErrorCode);

            Environment.SetEnvironmentVariable("BUCKETGUARD_INCIDENT_TABLE", table);
            Environment.SetEnvironmentVariable("BUCKETGUARD_INCIDENT_EVIDENCE_BUCKET", bucket);
            try
            {
                var matches = new StringWriter();
                Assert.Equal(0, await BucketGuard.Cli.BucketGuardCli.RunAsync(["incident", "verify", incident.Id], TextReader.Null, matches, new StringWriter()));
                Assert.Contains($"ok         {kept.Key} sha256 {bundle.Sha256}; GOVERNANCE until", matches.ToString(), StringComparison.Ordinal);

                await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = kept.Key, ContentBody = "tampered", ChecksumAlgorithm = Amazon.S3.ChecksumAlgorithm.SHA256 });
                var changed = new StringWriter();
                Assert.Equal(1, await BucketGuard.Cli.BucketGuardCli.RunAsync(["incident", "verify", incident.Id], TextReader.Null, changed, new StringWriter()));
                Assert.Contains("DIFFERS", changed.ToString(), StringComparison.Ordinal);
            }
            finally
            {
                Environment.SetEnvironmentVariable("BUCKETGUARD_INCIDENT_TABLE", null);
                Environment.SetEnvironmentVariable("BUCKETGUARD_INCIDENT_EVIDENCE_BUCKET", null);
            }
        }
        finally
        {
            await LocalAws.DeleteEvidenceBucketAsync(s3, bucket);
            await dynamo.DeleteTableAsync(table);
        }
    }
}
