using System.Collections.Immutable;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Pipeline;

/// <summary>The one path from a change to its reports: triage, re-read the bucket, decide, act (the lock re-reads what
/// is in force), report to every output. Decisions are Remediation's; this only sequences the ports. Events (the Lambda
/// handlers and `bucketguard invoke`) enter with the event's JSON, the sweep and `audit` with one BucketChange per
/// bucket.</summary>
/// <param name="ports">The reads, the writer and the other capabilities this path uses, each given explicitly.</param>
/// <param name="outputs">Where decisions are reported, in order; empty: nothing is published.</param>
public sealed class RemediationPipeline(PipelinePorts ports, ImmutableArray<IDecisionOutput> outputs, RemediationPolicy policy, TimeProvider clock)
{
    /// <summary>The pipeline with the notification topic as its only output (null: none).</summary>
    public RemediationPipeline(PipelinePorts ports, INotifier? notifier, RemediationPolicy policy, TimeProvider clock)
        : this(ports, notifier is null ? [] : [new NotificationOutput(notifier)], policy, clock)
    {
    }

    private readonly IObjectReader? objects = ports.Objects;

    private readonly IAccessPointResolver? accessPoints = ports.AccessPoints;

    public PipelinePorts Ports => ports;

    public RemediationPolicy Policy => policy;

    public TimeProvider Clock => clock;

    public ImmutableArray<IDecisionOutput> Outputs => outputs;

    /// <summary>One CloudTrail event as EventBridge delivers it. An event that cannot be read is reported as
    /// malformed-event (never dropped).</summary>
    /// <exception cref="OutputsFailedException">An output could not publish; the event must be retried.</exception>
    public async Task<HandledEvent> HandleAsync(string eventJson, CancellationToken cancellationToken)
    {
        var parsed = CloudTrailEventParser.Parse(eventJson);
        if (!parsed.Ok || parsed.Value!.Invalid is not null)
        {
            var decision = BucketDecision.Malformed(parsed.Error ?? parsed.Value!.Invalid!, eventJson, policy, clock.GetUtcNow());
            var handled = new HandledEvent(null, decision.Verdict, null, decision.Notification, null, null);
            return handled with { NotificationId = await ReportAsync(decision, handled, cancellationToken).ConfigureAwait(false) };
        }

        return await HandleAsync(parsed.Value! with { SourceEvent = eventJson }, act: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One change, from an event or the sweep.</summary>
    /// <param name="act">False only judges (`audit` without --fix): the decision is made as in mode notify, nothing is
    /// put and nothing is published. The one place where acting is switched off.</param>
    /// <param name="once">The organisation sweep's record of what it already reported: a decision reported once in this
    /// sweep (a retried or redriven batch) is acted on again, never reported again; null reports every time.</param>
    /// <exception cref="OutputsFailedException">An output could not publish; what was done is in its Handled.</exception>
    public async Task<HandledEvent> HandleAsync(BucketChange change, bool act, CancellationToken cancellationToken, IReportOnce? once = null)
    {
        var effective = act ? policy : policy with { Mode = Mode.Notify };
        var verdict = Remediation.Triage(change, effective);
        BucketState? state = null;
        if (verdict is null && change.IsAccessPointLevel && change.Bucket is null)
        {
            var bucket = accessPoints is null ? null : await accessPoints.BucketOfAsync(change.AccessPointName!, change.Account, cancellationToken).ConfigureAwait(false);
            if (bucket is not null)
            {
                change = change with { Bucket = bucket };
            }
            else
            {
                verdict = accessPoints is null
                    ? new Verdict(Outcome.Incomplete, $"{change.EventName}: this BucketGuard cannot read access points, so it cannot find the bucket of {change.AccessPointName}", Severity.Info)
                    : new Verdict(Outcome.NothingToDo, $"access point {change.AccessPointName} no longer exists, so it exposes nothing", Severity.Info);
            }
        }

        if (verdict is null && change.IsObjectLevel && objects is null)
        {
            verdict = new Verdict(Outcome.Incomplete, $"{change.EventName} of {change.ObjectName}: this BucketGuard cannot read objects' ACLs, so it cannot check the object", Severity.High);
        }

        if (verdict is null)
        {
            state = change.IsObjectLevel
                ? await objects!.ReadObjectAsync(change.Bucket!, change.ObjectKey!, change.ObjectVersion, change.Account, cancellationToken).ConfigureAwait(false)
                : await ports.Buckets.ReadAsync(change.Bucket!, change.Account, cancellationToken).ConfigureAwait(false);
            if (objects is not null && Remediation.ObjectSampleSize(change, state, effective) is > 0 and var sample)
            {
                state = state with { Sample = await objects.SampleAsync(change.Bucket!, change.Account, sample, cancellationToken).ConfigureAwait(false) };
            }

            var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
            var exemption = state.Exists ? await ExemptionApprovals.CheckAsync(state, change.Account, effective, ports.Verifier, today, cancellationToken).ConfigureAwait(false) : null;
            verdict = Remediation.Decide(change, state, effective, today, exemption);

            state = await RaisedClassAsync(change, state, verdict, effective, cancellationToken).ConfigureAwait(false);
            if (state.Sensitivity is not null || !state.DataClassProblems.IsEmpty || state.DataClassFloor is not null)
            {
                verdict = Remediation.Decide(change, state, effective, today, exemption);
            }
        }

        ActionResult? result = null;
        TimeSpan? eventToBlock = null;
        DateTimeOffset? lockedAt = null;
        TimeSpan? lockToContained = null;
        if (verdict is { Outcome: Outcome.Block, Apply: { } apply })
        {
            result = await ports.Writer.ApplyAsync(change.Bucket!, change.Account, apply, cancellationToken).ConfigureAwait(false);
            lockedAt = result.Succeeded ? clock.GetUtcNow() : null;
            if (result.Succeeded && change.EventTime is { } eventTime && change.Kind != ChangeKind.Sweep)
            {
                eventToBlock = clock.GetUtcNow() - eventTime;
            }

            // After the lock, so that it is never slowed: what the bucket held, the bound of what could have been taken.
            if (result.Succeeded && ports.Snapshots is { } snapshots)
            {
                try
                {
                    result = result with { Snapshot = await snapshots.SnapshotAsync(change.Bucket!, change.Account, LockSnapshot.MaxVersions, cancellationToken).ConfigureAwait(false) };
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The lock is done: a snapshot that fails (S3 unreachable after retries) must not hold back its report.
                    result = result with { Snapshot = new LockSnapshot(0, 0, false, null, $"the snapshot could not be taken: {ex.Message}") };
                }
            }
        }

        var decidedAt = clock.GetUtcNow();
        var decision = new BucketDecision(change, verdict, state, result, effective, decidedAt);
        string? incidentFailure = null;
        if (act && ports.Incidents is { } incidents && Incidents.IncidentRules.For(decision) is { } update)
        {
            try
            {
                if (ports.Evidence is { } evidence)
                {
                    // Kept before it is recorded, so that the incident lists it with its hash.
                    var bundle = Incidents.EvidenceBundle.For(decision, update);
                    update = update with { Evidence = await evidence.KeepAsync(bundle, cancellationToken).ConfigureAwait(false) };
                }

                verdict = verdict with { Incident = await incidents.RecordAsync(update, cancellationToken).ConfigureAwait(false) };
                decision = new BucketDecision(change, verdict, state, result, effective, decidedAt);
                lockToContained = lockedAt is { } locked && verdict.Incident.State == Incidents.IncidentState.Contained ? clock.GetUtcNow() - locked : null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Reported anyway (the people must hear of the lock), then the event fails and is retried to record it.
                incidentFailure = $"incidents: {ex.Message}";
            }
        }

        var handled = new HandledEvent(change, verdict, result, decision.Notification, null, eventToBlock) { State = state, LockToContained = lockToContained };
        if (!act)
        {
            return handled;
        }

        if (once is not null && decision.Notification is not null && await once.AlreadyReportedAsync(decision, cancellationToken).ConfigureAwait(false))
        {
            return handled;
        }

        handled = handled with { NotificationId = await ReportAsync(decision, handled, cancellationToken).ConfigureAwait(false) };
        if (incidentFailure is not null)
        {
            throw new OutputsFailedException(handled, [incidentFailure]);
        }
        if (once is not null && decision.Notification is not null)
        {
            // After every output published: a failure before this reports again on the retry (at least once).
            await once.ReportedAsync(decision, cancellationToken).ConfigureAwait(false);
        }

        return handled;
    }

    /// <summary>What can raise the bucket's class beyond its tag, read only where the class can change the decision (an
    /// exposure: whether an exemption may be honoured, how severe it is): the class it held recently, and Macie's score.
    /// A phi or pci tag is kept as the bucket's floor on every decision, so that lowering the tag later does not lower
    /// it. A floor store or Macie that fails never fails the decision: the class then stands on the tag.</summary>
    private async Task<BucketState> RaisedClassAsync(BucketChange change, BucketState state, Verdict verdict, RemediationPolicy effective, CancellationToken cancellationToken)
    {
        if (!state.Exists || change.Bucket is not { } bucket)
        {
            return state;
        }

        var account = change.Account ?? "unknown";
        var tagged = DataClasses.TaggedClass(state, effective);
        if (ports.Floors is { } floors && DataClasses.NeverExempt(tagged) && state.Tag(effective.DataClassTag) is not null)
        {
            try
            {
                await floors.RaiseAsync(account, bucket, new DataClassFloor(tagged, clock.GetUtcNow() + DataClassFloor.Lookback, $"its {effective.DataClassTag} tag said {DataClasses.Name(tagged)} at {clock.GetUtcNow():u}"), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Not kept this time (the next decision keeps it); this decision stands on the tag, which says phi or pci.
                state = state with { DataClassProblems = state.DataClassProblems.Add($"its class could not be kept for later decisions ({Untrusted.Clean(ex.Message, 200)})") };
            }
        }

        if (!Incidents.IncidentRules.IsExposure(verdict))
        {
            return state;
        }

        if (ports.Floors is { } kept)
        {
            try
            {
                if (await kept.FloorAsync(account, bucket, cancellationToken).ConfigureAwait(false) is { } floor && floor.Until > clock.GetUtcNow() && floor.Class > tagged)
                {
                    state = state with { DataClassFloor = floor };
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                state = state with { DataClassProblems = state.DataClassProblems.Add($"the class it held recently could not be read ({Untrusted.Clean(ex.Message, 200)}), so a lowered tag counts as it is") };
            }
        }

        // Macie is asked only here too; its score only raises the class.
        if (effective.MacieSensitiveDataClass is not null && ports.Sensitivity is { } sensitivity)
        {
            try
            {
                state = state with { Sensitivity = await sensitivity.ScoreAsync(bucket, change.Account, cancellationToken).ConfigureAwait(false) };
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                state = state with { DataClassProblems = state.DataClassProblems.Add($"Amazon Macie could not be consulted ({Untrusted.Clean(ex.Message, 200)}), so a Sensitive score would not show") };
            }
        }

        return state;
    }

    /// <summary>The sweep's summary of one account (or of the organisation), to every output.</summary>
    /// <exception cref="OutputsFailedException">An output could not publish it.</exception>
    public async Task PublishSummaryAsync(SweepCounts report, string? account, CancellationToken cancellationToken, bool organization = false)
    {
        var failures = await EachOutputAsync(output => output.PublishSummaryAsync(report, account, organization, cancellationToken)).ConfigureAwait(false);
        if (failures.Count > 0)
        {
            throw new OutputsFailedException(new HandledEvent(null, new Verdict(Outcome.Incomplete, "sweep summary", Severity.High), null, null, null, null), failures.ToImmutable());
        }
    }

    /// <summary>Every output is tried, whatever the others did, so that one failing service does not silence the rest;
    /// then any failure fails the whole report, so the event is retried. On that retry each output publishes again:
    /// Security Hub updates the same finding (its Id is stable), SNS and EventBridge deliver a second message with the
    /// same eventId, which subscribers may drop.</summary>
    /// <returns>The notification topic's MessageId, when it published one.</returns>
    private async Task<string?> ReportAsync(BucketDecision decision, HandledEvent handled, CancellationToken cancellationToken)
    {
        string? id = null;
        var failures = await EachOutputAsync(async output =>
        {
            var published = await output.PublishAsync(decision, cancellationToken).ConfigureAwait(false);
            if (output is NotificationOutput)
            {
                id = published;
            }
        }).ConfigureAwait(false);

        if (failures.Count == 0)
        {
            return id;
        }

        if (ports.Unreported is { } unreported && decision.Result is { Succeeded: true })
        {
            try
            {
                await unreported.KeepAsync(decision, failures.ToImmutable(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Add($"dead-letter queue: {ex.Message}");
            }
        }

        throw new OutputsFailedException(handled, failures.ToImmutable());
    }

    /// <summary>Runs <paramref name="publish"/> for every output in order, whatever the others did, and collects each
    /// failure as "name: message".</summary>
    private async Task<ImmutableArray<string>.Builder> EachOutputAsync(Func<IDecisionOutput, Task> publish)
    {
        var failures = ImmutableArray.CreateBuilder<string>();
        foreach (var output in outputs)
        {
            try
            {
                await publish(output).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Add($"{output.Name}: {ex.Message}");
            }
        }

        return failures;
    }
}
