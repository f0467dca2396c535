using System.Text.Json.Nodes;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Events;
using BucketGuard.Core.Incidents;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Tests;

/// <summary>The incident record through the pipeline: an exposure opens or updates its bucket's incident before it is
/// reported, so the incident id is in the notification, its document and the Security Hub finding; a replayed event
/// changes nothing; a store that fails never silences the report, and fails the event so that it is retried.</summary>
public class IncidentTests
{
    /// <summary>The incident table's rules, in memory: one open incident per key, one entry per event id.</summary>
    internal sealed class MemoryIncidents : IIncidents
    {
        public Dictionary<string, string> Open { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, List<IncidentUpdate>> History { get; } = new(StringComparer.Ordinal);

        public Exception? Fails { get; set; }

        /// <summary>Runs as each record is written (a clock to advance, say).</summary>
        public Action? Writing { get; set; }

        public Task<IncidentRef> RecordAsync(IncidentUpdate update, CancellationToken cancellationToken)
        {
            if (Fails is not null)
            {
                return Task.FromException<IncidentRef>(Fails);
            }

            Writing?.Invoke();
            lock (this)
            {
                var opened = !Open.TryGetValue(update.Key, out var id);
                id ??= Open[update.Key] = update.NewId();
                var history = History.TryGetValue(id, out var list) ? list : History[id] = [];
                var replayed = history.Any(h => h.EventId == update.EventId);
                if (!replayed)
                {
                    history.Add(update);
                }

                return Task.FromResult(new IncidentRef(id, history[^1].State, opened, replayed));
            }
        }

        /// <summary>Report versions by incident id: a content hash already there adds none.</summary>
        public Dictionary<string, List<ExposureSummary>> Reports { get; } = new(StringComparer.Ordinal);

        public Task<ReportRef> RecordReportAsync(string incidentId, ExposureSummary report, CancellationToken cancellationToken)
        {
            if (Fails is not null)
            {
                return Task.FromException<ReportRef>(Fails);
            }

            lock (this)
            {
                if (!History.ContainsKey(incidentId))
                {
                    return Task.FromException<ReportRef>(new InvalidOperationException($"incident {incidentId} does not exist"));
                }

                var versions = Reports.TryGetValue(incidentId, out var list) ? list : Reports[incidentId] = [];
                var earlier = versions.FindIndex(v => v.ContentHash == report.ContentHash);
                if (earlier >= 0)
                {
                    return Task.FromResult(new ReportRef(earlier + 1, Unchanged: true));
                }

                versions.Add(report with { Version = versions.Count + 1 });
                return Task.FromResult(new ReportRef(versions.Count, Unchanged: false));
            }
        }
    }

    private static BucketState Bucket(string canned) =>
        new("lab-results", true, CannedAcl.Expand(canned).Value, null, null, null, null, [], null, []);

    private static string Event(string eventId) => FakeAws.Event("PutBucketAcl", "lab-results", "arn:aws:sts::111122223333:assumed-role/Lab/alice", eventId);

    private static RemediationPipeline Pipeline(FakeAws fakes, MemoryIncidents incidents, Mode mode = Mode.Enforce) =>
        new(fakes.Ports with { Incidents = incidents }, [new NotificationOutput(fakes)], RemediationPolicy.Default with { Mode = mode }, TimeProvider.System);

    [Fact]
    public async Task A_lock_opens_a_contained_incident_whose_id_travels_in_the_notification_and_its_document()
    {
        var fakes = new FakeAws(Bucket("public-read"));
        var incidents = new MemoryIncidents();

        var handled = await Pipeline(fakes, incidents).HandleAsync(Event("e-1"), default);

        var incident = handled.Verdict.Incident!;
        Assert.True(incident.Opened);
        Assert.Equal(IncidentState.Contained, incident.State);
        var sent = Assert.Single(fakes.Sent);
        Assert.Equal(incident.Id, sent.Attributes["incidentId"]);
        var document = JsonNode.Parse(sent.Document)!["incident"]!;
        Assert.Equal((incident.Id, "contained", true), (document["id"]!.GetValue<string>(), document["state"]!.GetValue<string>(), document["opened"]!.GetValue<bool>()));
        var entry = Assert.Single(incidents.History[incident.Id]);
        Assert.Equal(("111122223333/lab-results", "e-1", true), (entry.Key, entry.EventId, entry.Locked));
        Assert.Equal(incident.Id, SecurityHubFinding.For(new BucketDecision(handled.Change, handled.Verdict, handled.State, handled.Result, RemediationPolicy.Default, DateTimeOffset.UtcNow))!.ProductFields["bucketguard/IncidentId"]);
    }

    /// <summary>In mode notify, so that the bucket stays public and every event is an exposure.</summary>
    [Fact]
    public async Task A_replayed_event_names_the_same_incident_and_adds_nothing_while_a_new_event_updates_it()
    {
        var fakes = new FakeAws(Bucket("public-read"));
        var incidents = new MemoryIncidents();
        var pipeline = Pipeline(fakes, incidents, Mode.Notify);

        var first = await pipeline.HandleAsync(Event("e-1"), default);
        var replay = await pipeline.HandleAsync(Event("e-1"), default);
        var next = await pipeline.HandleAsync(Event("e-2"), default);

        Assert.Equal(first.Verdict.Incident!.Id, replay.Verdict.Incident!.Id);
        Assert.True(replay.Verdict.Incident.Replayed);
        Assert.False(next.Verdict.Incident!.Opened);
        Assert.Equal(["e-1", "e-2"], incidents.History[first.Verdict.Incident.Id].Select(h => h.EventId));
        Assert.Single(incidents.Open);
    }

    [Fact]
    public async Task The_time_from_the_lock_to_the_contained_incident_is_in_the_decision_log_and_its_metrics_and_none_without_a_lock()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
        var incidents = new MemoryIncidents { Writing = () => clock.Advance(TimeSpan.FromMilliseconds(340)) };
        RemediationPipeline PipelineFor(FakeAws fakes, Mode mode) =>
            new(fakes.Ports with { Incidents = incidents }, [new NotificationOutput(fakes)], RemediationPolicy.Default with { Mode = mode }, clock);

        var locked = await PipelineFor(new FakeAws(Bucket("public-read")), Mode.Enforce).HandleAsync(Event("e-1"), default);
        var notified = await PipelineFor(new FakeAws(Bucket("public-read")), Mode.Notify).HandleAsync(Event("e-2"), default);

        Assert.Equal(TimeSpan.FromMilliseconds(340), locked.LockToContained);
        var log = JsonNode.Parse(DecisionRecord.LogLine("acl", "r-1", locked, clock.GetUtcNow()))!;
        Assert.Equal((340L, locked.Verdict.Incident!.Id), (log["lockToContainedMs"]!.GetValue<long>(), log["incidentId"]!.GetValue<string>()));
        Assert.Equal(340, JsonNode.Parse(DecisionRecord.Metrics("acl", locked, clock.GetUtcNow()))!["LockToContained"]!.GetValue<double>());
        Assert.Null(notified.LockToContained);
        Assert.Null(JsonNode.Parse(DecisionRecord.LogLine("acl", "r-2", notified, clock.GetUtcNow()))!["lockToContainedMs"]);
    }

    [Fact]
    public async Task A_private_bucket_opens_no_incident()
    {
        var fakes = new FakeAws(Bucket("private"));
        var incidents = new MemoryIncidents();

        var handled = await Pipeline(fakes, incidents).HandleAsync(Event("e-1"), default);

        Assert.Null(handled.Verdict.Incident);
        Assert.Empty(incidents.Open);
    }

    [Fact]
    public async Task An_incident_store_that_fails_never_silences_the_report_and_fails_the_event_for_its_retry()
    {
        var fakes = new FakeAws(Bucket("public-read"));
        var incidents = new MemoryIncidents { Fails = new InvalidOperationException("ProvisionedThroughputExceededException") };

        var error = await Assert.ThrowsAsync<OutputsFailedException>(() => Pipeline(fakes, incidents).HandleAsync(Event("e-1"), default));

        Assert.Single(fakes.Applied);
        Assert.Single(fakes.Sent);
        Assert.Equal("incidents: ProvisionedThroughputExceededException", Assert.Single(error.Failures));
        Assert.False(fakes.Sent[0].Attributes.ContainsKey("incidentId"));
    }

    private sealed class MemoryEvidence : IEvidenceStore
    {
        public Dictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

        public Task<EvidenceItem> KeepAsync(EvidenceBundle bundle, CancellationToken cancellationToken)
        {
            Objects[bundle.Key] = bundle.Content;
            return Task.FromResult(new EvidenceItem(bundle.Key, bundle.Sha256, bundle.Content.Length));
        }
    }

    [Fact]
    public async Task Each_exposure_keeps_its_evidence_before_its_incident_lists_it_with_the_sha256_of_those_bytes()
    {
        var fakes = new FakeAws(Bucket("public-read"));
        var incidents = new MemoryIncidents();
        var evidence = new MemoryEvidence();
        var pipeline = new RemediationPipeline(fakes.Ports with { Incidents = incidents, Evidence = evidence }, [new NotificationOutput(fakes)], RemediationPolicy.Default, TimeProvider.System);
        var sent = Event("e-1");

        var handled = await pipeline.HandleAsync(sent, default);

        var entry = Assert.Single(incidents.History[handled.Verdict.Incident!.Id]);
        var (key, content) = Assert.Single(evidence.Objects);
        Assert.Equal(key, entry.Evidence!.Key);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), entry.Evidence.Sha256);
        Assert.Matches("^evidence/111122223333/lab-results/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}\\.json$", key);
        var bundle = JsonNode.Parse(content)!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(sent), bundle["sourceEvent"]));
        Assert.Equal("e-1", bundle["decision"]!["change"]!["eventId"]!.GetValue<string>());
        Assert.Equal("remediated", bundle["decision"]!["event"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(Outcome.Block, true)]
    [InlineData(Outcome.WouldBlock, true)]
    [InlineData(Outcome.Exempted, true)]
    [InlineData(Outcome.AlreadyBlocked, false)]
    [InlineData(Outcome.NothingToDo, false)]
    [InlineData(Outcome.Incomplete, false)]
    [InlineData(Outcome.BucketGone, false)]
    public void Exposures_are_the_public_decisions_locked_would_be_locked_or_exempted(Outcome outcome, bool exposure)
    {
        var publicRead = new Exposure([new Finding(FindingSource.AclGrant, 1, null, "AllUsers", ["READ"], AccessLevel.Read, "a public grant")], []);

        Assert.Equal(exposure, IncidentRules.IsExposure(new Verdict(outcome, "x", Severity.High, publicRead)));
    }
}
