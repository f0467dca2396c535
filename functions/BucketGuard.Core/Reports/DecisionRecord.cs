using BucketGuard.Core.Decisions;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Core.Reports;

/// <summary>The one structured log line per decision, and the CloudWatch embedded-metric-format line with its
/// counts (events, skipped, remediated, failed) and the time from the CloudTrail eventTime to the applied block.</summary>
public static class DecisionRecord
{
    /// <summary>"warn" for outcomes that need attention (incomplete, a failed lock), "info" otherwise.</summary>
    public static string Level(HandledEvent handled) =>
        handled.Verdict.Outcome is Outcome.Incomplete || handled.Result is { Succeeded: false } ? "warn" : "info";

    public static string LogLine(string handler, string requestId, HandledEvent handled, DateTimeOffset now)
    {
        var change = handled.Change;
        return JsonLine.Write(w =>
        {
            JsonLine.Header(w, Level(handled), now);
            w.WriteString("message", "decision");
            w.WriteString("handler", handler);
            w.WriteString("requestId", requestId);
            w.WriteString("outcome", handled.Verdict.Outcome.ToString());
            w.WriteString("severity", handled.Verdict.Severity.ToString().ToLowerInvariant());
            w.WriteString("why", handled.Verdict.Why);
            w.WriteString("eventName", change?.EventName);
            w.WriteString("eventId", change?.EventId);
            w.WriteString("account", change?.Account);
            w.WriteString("bucket", change?.Bucket);
            w.WriteString("actor", change?.Actor.Arn);
            w.WriteString("applied", handled.Result?.Succeeded == true ? handled.Verdict.Apply?.ToString() : null);
            w.WriteString("inForce", handled.Result?.InForce?.ToString());
            w.WriteString("error", handled.Result?.Error);
            w.WriteString("disagreement", handled.Verdict.Disagreement);
            w.WriteString("notification", handled.Notification?.Attributes.GetValueOrDefault("event"));
            w.WriteString("notificationId", handled.NotificationId);
            w.WriteString("incidentId", handled.Verdict.Incident?.Id);
            if (handled.EventToBlock is { } latency)
            {
                w.WriteNumber("eventToBlockMs", (long)latency.TotalMilliseconds);
            }

            if (handled.LockToContained is { } contained)
            {
                w.WriteNumber("lockToContainedMs", (long)contained.TotalMilliseconds);
            }
        });
    }

    /// <param name="level">The level the metrics line carries: the lowest level the function's log filter lets through
    /// (ApplicationLogLevel), so that Lambda never drops the metrics with the chatter.</param>
    public static string Metrics(string handler, HandledEvent handled, DateTimeOffset now, string level = "info")
    {
        var remediated = handled.Verdict.Outcome == Outcome.Block && handled.Result?.Succeeded == true;
        var failed = handled.Result is { Succeeded: false } || handled.Verdict.Outcome == Outcome.Incomplete;
        List<(string, string, double)> metrics =
        [
            ("Events", "Count", 1),
            ("Skipped", "Count", handled.Verdict.Outcome == Outcome.Skipped ? 1 : 0),
            ("Remediated", "Count", remediated ? 1 : 0),
            ("Failed", "Count", failed ? 1 : 0),
        ];
        if (handled.EventToBlock is { } latency)
        {
            metrics.Add(("EventToBlock", "Milliseconds", Math.Round(latency.TotalMilliseconds, 0)));
        }

        if (handled.LockToContained is { } contained)
        {
            metrics.Add(("LockToContained", "Milliseconds", Math.Round(contained.TotalMilliseconds, 0)));
        }

        return Emf(handler, now, metrics, level);
    }

    /// <summary>The organisation sweep's counts (handler "sweep-summary"): ListedBuckets, SweptBuckets and MissingBuckets
    /// (listed, not swept: the template's alarm fires on 1 or more), Remediated and Failed.</summary>
    public static string DistributedSweepMetrics(Sweep.SweepSummary summary, DateTimeOffset now) =>
        Emf("sweep-summary", now, [("ListedBuckets", "Count", summary.Listed), ("SweptBuckets", "Count", summary.Swept), ("MissingBuckets", "Count", summary.Missing),
            ("Remediated", "Count", summary.Organization.Locked), ("Failed", "Count", summary.Organization.Errors)], summary.Missing > 0 || summary.Organization.Errors > 0 ? "warn" : "info");

    /// <summary>One CloudWatch embedded-metric-format line: namespace BucketGuard, dimension Handler (CloudWatch
    /// "Specification: Embedded metric format"). The only writer of EMF in BucketGuard. A top-level JSON object on its
    /// own line, as Lambda's JSON log format keeps it, with a level and timestamp for Lambda's filter.</summary>
    private static string Emf(string handler, DateTimeOffset now, IReadOnlyList<(string Name, string Unit, double Value)> metrics, string level) => JsonLine.Write(w =>
    {
        JsonLine.Header(w, level, now);
        w.WriteStartObject("_aws");
        w.WriteNumber("Timestamp", now.ToUnixTimeMilliseconds());
        w.WriteStartArray("CloudWatchMetrics");
        w.WriteStartObject();
        w.WriteString("Namespace", "BucketGuard");
        w.WriteStartArray("Dimensions");
        w.WriteStartArray();
        w.WriteStringValue("Handler");
        w.WriteEndArray();
        w.WriteEndArray();
        w.WriteStartArray("Metrics");
        foreach (var (name, unit, _) in metrics)
        {
            w.WriteStartObject();
            w.WriteString("Name", name);
            w.WriteString("Unit", unit);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteString("Handler", handler);
        foreach (var (name, _, value) in metrics)
        {
            w.WriteNumber(name, value);
        }
    });

    /// <summary>What the function returns to its invoker.</summary>
    public static string Response(HandledEvent handled) => JsonLine.Write(w =>
    {
        w.WriteString("outcome", handled.Verdict.Outcome.ToString());
        w.WriteString("why", handled.Verdict.Why);
        w.WriteString("bucket", handled.Change?.Bucket);
        w.WriteString("notification", handled.Notification?.Attributes.GetValueOrDefault("event"));
        w.WriteString("inForce", handled.Result?.InForce?.ToString());
        w.WriteString("error", handled.Result?.Error);
    });
}
