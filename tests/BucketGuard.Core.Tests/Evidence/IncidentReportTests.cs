using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using BucketGuard.Core;
using BucketGuard.Core.Evidence;
using BucketGuard.Core.Incidents;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Tests.Evidence;

/// <summary>Issue "Incident record", items 1 to 3 after the lock: each exposure report becomes a version of the
/// decision's incident, with its evidence (the report and the ledger's source records, from which its numbers recompute)
/// kept first; later looks for late access logs wait in the exposure queue and add a version, reported as an update, only
/// when they find more; the breach assessment fills its worksheet from the newest version.</summary>
public class IncidentReportTests
{
    private const string Bucket = "lab-results";
    private const string Account = "111122223333";
    private static readonly DateTimeOffset LockedAt = new(2026, 11, 21, 9, 10, 0, TimeSpan.Zero);
    private const string Owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

    private static string Line(string requestId, string requester = "-", string status = "200 - 48213", string key = "results/2026/patient-0042.pdf", string time = "21/Nov/2026:09:05:00 +0000") =>
        $"{Owner} {Bucket} [{time}] 203.0.113.7 {requester} {requestId} REST.GET.OBJECT {key} \"GET /{Bucket}/{key} HTTP/1.1\" {status} 48213 31 12 \"-\" \"curl/8.5.0\" - H{requestId}=";

    private const string DataEvent = """{"eventVersion":"1.10","userIdentity":{"type":"AWSAccount","principalId":"","accountId":"anonymous"},"eventTime":"2026-11-21T09:06:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"198.51.100.9","userAgent":"python-requests/2.31","requestParameters":{"bucketName":"lab-results","key":"results/2026/patient-0043.pdf"},"additionalEventData":{"bytesTransferredOut":1024,"x-amz-id-2":"HT1="},"requestID":"T1","eventCategory":"Data"}""";

    /// <summary>A report as the investigation makes it: the ledger over the window read through the product's readers,
    /// keeping its sources.</summary>
    private static async Task<ExposureReport> ReportAsync(params string[] lines)
    {
        var ledger = new AccessLedger(Bucket, Account, LockedAt.AddMinutes(-10), LockedAt, null).KeepSources(AfterLock.MaxSources);
        await ServerAccessLog.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", lines))), ledger, (n, e) => throw new InvalidOperationException($"{n}: {e}"));
        await CloudTrailRecords.ReadDataEventsAsync(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"Records":[{{DataEvent}}]}""")), ledger);
        var window = new ExposureWindow(LockedAt.AddMinutes(-10), false, null, LockedAt, null, [], "public from 09:00 until 09:10");
        return new ExposureReport(Bucket, window, ledger.Report([new SourceCoverage(RequestSource.AccessLog, true, LockedAt.AddHours(-1), LockedAt.AddHours(1)), new SourceCoverage(RequestSource.DataEvent, true, LockedAt.AddHours(-1), LockedAt.AddHours(1))]), [])
        {
            Sources = [.. ledger.Sources],
            SourcesNotKept = ledger.SourcesNotKept,
        };
    }

    private sealed class Investigator(params ExposureReport[] reports) : IExposureInvestigator
    {
        public int Asked { get; private set; }

        public Task<Parsed<ExposureReport>> InvestigateAsync(ExposureRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(Parsed<ExposureReport>.Success(reports[Math.Min(Asked++, reports.Length - 1)]));
    }

    private sealed class Output : IExposureOutput
    {
        public List<ExposureReport> Published { get; } = [];

        public string Name => "sns";

        public Task<string?> PublishAsync(ExposureRequest request, ExposureReport report, CancellationToken cancellationToken)
        {
            Published.Add(report);
            return Task.FromResult<string?>("m-" + Published.Count);
        }
    }

    private sealed class Queue : IExposureRequests
    {
        public List<(ExposureRequest Request, TimeSpan Delay)> Sent { get; } = [];

        public Task SendAsync(ExposureRequest request, TimeSpan delay, CancellationToken cancellationToken)
        {
            Sent.Add((request, delay));
            return Task.CompletedTask;
        }
    }

    private sealed class Store : IEvidenceStore
    {
        public List<EvidenceBundle> Kept { get; } = [];

        public Task<EvidenceItem> KeepAsync(EvidenceBundle bundle, CancellationToken cancellationToken)
        {
            Kept.Add(bundle);
            return Task.FromResult(new EvidenceItem(bundle.Key, bundle.Sha256, bundle.Content.Length));
        }
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed record Rig(AfterLock AfterLock, IncidentTests.MemoryIncidents Incidents, Store Evidence, Queue Queue, Output Output, Clock Clock, string IncidentId)
    {
        public DataClassTests.MemoryFloors Floors { get; init; } = new();
    }

    private static async Task<Rig> RigAsync(params ExposureReport[] reports)
    {
        var incidents = new IncidentTests.MemoryIncidents();
        var opened = await incidents.RecordAsync(new IncidentUpdate($"{Account}/{Bucket}", "e-1", LockedAt, "remediated", Core.Decisions.Outcome.Block, Core.Decisions.Severity.Critical, "phi", null, true, null, "public"), default);
        var clock = new Clock(LockedAt.AddMinutes(5));
        var (store, queue, output, floors) = (new Store(), new Queue(), new Output(), new DataClassTests.MemoryFloors());
        var afterLock = new AfterLock(new Investigator(reports), [output], new AfterLockPorts(clock) { Incidents = incidents, Evidence = store, FollowUps = queue, Floors = floors });
        return new Rig(afterLock, incidents, store, queue, output, clock, opened.Id) { Floors = floors };
    }

    private static ExposureRequest Request(string incidentId) =>
        new(Bucket, Account, null, "remediated", "e-1", LockedAt, LockedAt, null, ImmutableDictionary<string, string>.Empty) { IncidentId = incidentId };

    [Fact]
    public async Task The_first_report_is_version_one_of_the_incident_with_its_evidence_kept_and_the_first_later_look_queued()
    {
        var rig = await RigAsync(await ReportAsync(Line("R1"), Line("R2", status: "403 AccessDenied 243"), Line("R3", requester: Owner)));

        var result = await rig.AfterLock.HandleAsync(Request(rig.IncidentId).Json(), false, default);

        Assert.Equal(AfterLockOutcome.Reported, result.Outcome);
        var version = Assert.Single(rig.Incidents.Reports[rig.IncidentId]);
        Assert.Equal((1, "read", 2, 1, 48213L + 1024), (version.Version, version.Access, version.Reads, version.Refused, version.BytesSent));
        var kept = Assert.Single(rig.Evidence.Kept);
        Assert.Equal((kept.Key, kept.Sha256), (version.Evidence!.Key, version.Evidence.Sha256));
        Assert.StartsWith($"evidence/{Account}/{Bucket}/exposure-20261121T091500Z-", kept.Key, StringComparison.Ordinal);
        var published = Assert.Single(rig.Output.Published);
        Assert.Equal((rig.IncidentId, 1), (published.IncidentId, published.Version));
        var notification = ExposureReports.For(Request(rig.IncidentId), published);
        Assert.Equal((rig.IncidentId, "1"), (notification.Attributes["incidentId"], notification.Attributes["reportVersion"]));
        var (next, delay) = Assert.Single(rig.Queue.Sent);
        Assert.Equal((1, LockedAt.AddHours(1), TimeSpan.FromMinutes(15)), (next.Recheck, next.NotBefore, delay));
    }

    [Fact]
    public async Task The_evidence_holds_the_source_records_of_every_outside_request_and_the_ledgers_numbers_recompute_from_them_alone()
    {
        var rig = await RigAsync(await ReportAsync(Line("R1"), Line("R2", status: "403 AccessDenied 243"), Line("R3", requester: Owner), Line("R4", key: "results/2026/patient%200044.pdf")));

        await rig.AfterLock.HandleAsync(Request(rig.IncidentId).Json(), false, default);

        var bundle = JsonNode.Parse(Assert.Single(rig.Evidence.Kept).Content)!;
        var logLines = bundle["sources"]!["accessLog"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
        var dataEvents = bundle["sources"]!["dataEvents"]!.AsArray();
        Assert.Equal(3, logLines.Count); // the owner's own request is counted, not kept
        Assert.Equal(Line("R4", key: "results/2026/patient%200044.pdf"), logLines[2]);
        Assert.Equal("T1", Assert.Single(dataEvents)!["requestID"]!.GetValue<string>());
        Assert.Equal(0, bundle["sourcesNotKept"]!.GetValue<int>());

        // Recomputed from the bundle alone: its window, its sources, the product's readers.
        var report = bundle["report"]!;
        var recomputed = new AccessLedger(Bucket, Account, DateTimeOffset.Parse(report["window"]!["start"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(report["window"]!["end"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        await ServerAccessLog.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", logLines))), recomputed, (n, e) => throw new InvalidOperationException(e));
        await CloudTrailRecords.ReadDataEventsAsync(new MemoryStream(Encoding.UTF8.GetBytes($"{{\"Records\":{dataEvents.ToJsonString()}}}")), recomputed);
        var again = recomputed.Report([]);
        var ledger = report["ledger"]!;
        Assert.Equal((ledger["reads"]!.GetValue<int>(), ledger["denied"]!.GetValue<int>(), ledger["bytesSent"]!.GetValue<long>()), (again.Reads, again.Denied, again.BytesSent));
        Assert.Equal(ledger["requests"]!.GetValue<int>() - ledger["insideRequests"]!.GetValue<int>(), again.Requests);
    }

    [Fact]
    public async Task A_later_look_that_arrives_early_waits_in_the_queue_without_reading_anything()
    {
        var rig = await RigAsync(await ReportAsync(Line("R1")));
        var early = Request(rig.IncidentId) with { Recheck = 1, NotBefore = LockedAt.AddHours(1) };

        var result = await rig.AfterLock.HandleAsync(early.Json(), false, default);

        Assert.Equal(AfterLockOutcome.Waiting, result.Outcome);
        var (again, delay) = Assert.Single(rig.Queue.Sent);
        Assert.Equal((1, LockedAt.AddHours(1), TimeSpan.FromMinutes(15)), (again.Recheck, again.NotBefore, delay));
        Assert.Empty(rig.Output.Published);
        Assert.False(rig.Incidents.Reports.ContainsKey(rig.IncidentId));
    }

    [Fact]
    public async Task A_later_look_that_finds_nothing_new_adds_no_version_and_reports_nothing_and_one_that_finds_late_logs_is_version_two_said_as_an_update()
    {
        var first = await ReportAsync(Line("R1"));
        var late = await ReportAsync(Line("R1"), Line("R9", time: "21/Nov/2026:09:08:00 +0000"));
        var rig = await RigAsync(first, first, late);
        await rig.AfterLock.HandleAsync(Request(rig.IncidentId).Json(), false, default);
        rig.Clock.Now = LockedAt.AddHours(1);

        var unchanged = await rig.AfterLock.HandleAsync((Request(rig.IncidentId) with { Recheck = 1, NotBefore = LockedAt.AddHours(1) }).Json(), false, default);
        rig.Clock.Now = LockedAt.AddHours(6);
        var updated = await rig.AfterLock.HandleAsync((Request(rig.IncidentId) with { Recheck = 2, NotBefore = LockedAt.AddHours(6) }).Json(), false, default);

        Assert.Equal(AfterLockOutcome.Unchanged, unchanged.Outcome);
        Assert.Equal(AfterLockOutcome.Reported, updated.Outcome);
        Assert.Equal([1, 2], rig.Incidents.Reports[rig.IncidentId].Select(v => v.Version));
        Assert.Equal(3, rig.Incidents.Reports[rig.IncidentId][1].Reads);
        Assert.Equal(2, rig.Output.Published.Count);
        Assert.StartsWith("Updated (v2): BucketGuard: lab-results was READ", ExposureReports.For(Request(rig.IncidentId), rig.Output.Published[1]).Subject, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], rig.Queue.Sent.Select(s => s.Request.Recheck));
        Assert.Equal(LockedAt.AddHours(24), rig.Queue.Sent[^1].Request.NotBefore);
    }

    [Fact]
    public async Task The_last_look_queues_no_other_and_a_retried_first_look_is_reported_again_under_the_same_version()
    {
        var report = await ReportAsync(Line("R1"));
        var rig = await RigAsync(report);
        await rig.AfterLock.HandleAsync(Request(rig.IncidentId).Json(), false, default);
        await rig.AfterLock.HandleAsync(Request(rig.IncidentId).Json(), false, default);
        rig.Clock.Now = LockedAt.AddDays(2);

        var last = await rig.AfterLock.HandleAsync((Request(rig.IncidentId) with { Recheck = 3, NotBefore = LockedAt.AddHours(24) }).Json(), false, default);

        Assert.Equal(AfterLockOutcome.Unchanged, last.Outcome);
        Assert.Equal([1, 1], rig.Output.Published.Select(p => p.Version));
        Assert.Single(rig.Incidents.Reports[rig.IncidentId]);
        Assert.Equal([1, 1], rig.Queue.Sent.Select(s => s.Request.Recheck));
    }

    [Fact]
    public async Task An_incident_store_that_fails_never_silences_the_report_and_fails_the_request_for_its_retry()
    {
        var rig = await RigAsync(await ReportAsync(Line("R1")));
        rig.Incidents.Fails = new InvalidOperationException("ProvisionedThroughputExceededException");

        var error = await Assert.ThrowsAsync<ExposureReportFailedException>(() => rig.AfterLock.HandleAsync(Request(rig.IncidentId).Json(), false, default));

        Assert.Contains("incidents: ProvisionedThroughputExceededException", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Assert.Single(rig.Output.Published).Version);
        Assert.Empty(rig.Queue.Sent);
    }

    [Fact]
    public async Task The_breach_assessment_fills_who_read_what_from_the_newest_version_and_lists_every_version()
    {
        var rig = await RigAsync(await ReportAsync(Line("R1")), await ReportAsync(Line("R1"), Line("R9", time: "21/Nov/2026:09:08:00 +0000")));
        await rig.AfterLock.HandleAsync(Request(rig.IncidentId).Json(), false, default);
        rig.Clock.Now = LockedAt.AddHours(1);
        await rig.AfterLock.HandleAsync((Request(rig.IncidentId) with { Recheck = 1, NotBefore = LockedAt.AddHours(1) }).Json(), false, default);
        var record = new IncidentRecord(rig.IncidentId, $"{Account}/{Bucket}", IncidentState.Contained, LockedAt, LockedAt, "critical", "phi", null, null, [])
        {
            Reports = [.. rig.Incidents.Reports[rig.IncidentId]],
        };

        var json = JsonNode.Parse(BreachAssessment.Json(record))!;

        Assert.Equal([1, 2], json["exposureReports"]!.AsArray().Select(r => r!["version"]!.GetValue<int>()));
        Assert.StartsWith("acquired: 3 read(s) of 2 object(s) from outside the account, 97450 bytes sent, per the access ledger (report version 2)", json["hipaa"]!["riskAssessment"]!["acquiredOrViewed"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(json["unknowns"]!.AsArray(), u => u!.GetValue<string>().StartsWith("whether the data was actually acquired", StringComparison.Ordinal));
        Assert.Contains("Exposure report (2 version(s)):", BreachAssessment.Text(record), StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_carries_its_incident_and_look_through_the_queue_and_one_whose_incident_look_or_time_is_not_one_is_refused()
    {
        var request = Request("inc-20261121-0123456789abcdef") with { Recheck = 2, NotBefore = LockedAt.AddHours(6) };

        var back = ExposureRequest.Parse(request.Json()).Value!;

        Assert.Equal((request.IncidentId, 2, LockedAt.AddHours(6)), (back.IncidentId, back.Recheck, back.NotBefore));
        foreach (var (member, value) in new (string, JsonNode)[] { ("incidentId", "inc-1\n<script>"), ("recheck", -1), ("recheck", 1000), ("notBefore", "soon") })
        {
            var hostile = JsonNode.Parse(request.Json())!.AsObject();
            hostile[member] = value;
            var refused = ExposureRequest.Parse(hostile.ToJsonString());
            Assert.False(refused.Ok, member);
            Assert.Contains(member, refused.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_phi_class_lowered_before_the_exposure_makes_the_report_critical_says_who_lowered_it_and_is_kept_for_the_next_decision()
    {
        var lowered = Core.Events.CloudTrailEventParser.Parse($$$"""
            {"eventTime":"2026-11-21T08:59:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketTagging","eventID":"ev-lower","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::{{{Account}}}:user/mallory"},
             "requestParameters":{"bucketName":"{{{Bucket}}}","tagging":"","Tagging":{"TagSet":{"Tag":{"Key":"bucketguard:data-class","Value":"public"} } } } }
            """).Value!;
        var report = await ReportAsync(Line("R1")) with { DataClassInWindow = new DataClassInWindow(Core.Decisions.DataClass.Phi, lowered, Core.Decisions.DataClass.Public) };
        var rig = await RigAsync(report);
        var request = Request(rig.IncidentId) with { Attributes = ImmutableDictionary<string, string>.Empty.Add("severity", "high").Add("dataClass", "public") };

        await rig.AfterLock.HandleAsync(request.Json(), false, default);

        var notification = ExposureReports.For(request, Assert.Single(rig.Output.Published));
        Assert.Equal(("critical", "phi"), (notification.Attributes["severity"], notification.Attributes["dataClass"]));
        Assert.Contains("Data class: the bucket's data class counts as phi: its tag held phi until 2026-11-21 08:59:00Z, when arn:aws:iam::111122223333:user/mallory", notification.Text, StringComparison.Ordinal);
        Assert.Contains("An exemption is never honoured for it", notification.Text, StringComparison.Ordinal);
        Assert.Equal("phi", Assert.Single(rig.Incidents.Reports[rig.IncidentId]).DataClassInWindow);
        var floor = Assert.Single(rig.Floors.Kept);
        Assert.Equal(($"{Account}/{Bucket}", Core.Decisions.DataClass.Phi, new DateTimeOffset(2026, 12, 21, 8, 59, 0, TimeSpan.Zero)), (floor.Key, floor.Value.Class, floor.Value.Until));
        var record = new IncidentRecord(rig.IncidentId, $"{Account}/{Bucket}", IncidentState.Contained, LockedAt, LockedAt, "high", "public", null, null, []) { Reports = [.. rig.Incidents.Reports[rig.IncidentId]] };
        var assessment = JsonNode.Parse(BreachAssessment.Json(record))!;
        Assert.Equal(("phi", "critical", true), (assessment["incident"]!["dataClass"]!.GetValue<string>(), assessment["incident"]!["severity"]!.GetValue<string>(), assessment["hipaa"]!["applies"]!.GetValue<bool>()));
    }
}
