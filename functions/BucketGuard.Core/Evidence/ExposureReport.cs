using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Evidence;

/// <summary>What `bucketguard exposure` reports: the window, the ledger over it, and what could not be read.</summary>
public sealed record ExposureReport(string Bucket, ExposureWindow Window, LedgerReport Ledger, ImmutableArray<string> Problems)
{
    /// <summary>The raw records of the counted outside requests, when the ledger kept them (AccessLedger.KeepSources),
    /// for the evidence; never in the report's JSON.</summary>
    public IReadOnlyList<LedgerSource> Sources { get; init; } = [];

    /// <summary>Counted outside requests whose records were past the number kept.</summary>
    public int SourcesNotKept { get; init; }

    /// <summary>The report's version in its incident (1 the first look, more for late logs); 0 when no incident keeps it.</summary>
    public int Version { get; init; }

    /// <summary>The incident this report is a version of, when one keeps it.</summary>
    public string? IncidentId { get; init; }

    /// <summary>The highest data class the bucket's tag held from shortly before the exposure to its end, from the
    /// replayed tagging events; null when the history shows none.</summary>
    public DataClassInWindow? DataClassInWindow { get; init; }

    /// <summary>One JSON document: {"version":1,"bucket","window":{...},"ledger":{...},"problems":[...]}; every text
    /// from an event or a log neutralised.</summary>
    /// <param name="maxObjects">At most this many objects in the ledger (LedgerReport.Json).</param>
    public string Json(int? maxObjects = null)
    {
        using var ledger = JsonDocument.Parse(Ledger.Json(maxObjects));
        return JsonLine.Write(w =>
        {
            w.WriteNumber("version", 1);
            w.WriteString("bucket", Bucket);
            if (IncidentId is not null)
            {
                w.WriteString("incidentId", IncidentId);
                w.WriteNumber("reportVersion", Version);
            }

            w.WriteStartObject("window");
            w.WriteString("start", Time(Window.Start));
            w.WriteBoolean("startIsLowerBound", Window.StartIsLowerBound);
            Change(w, "cause", Window.Cause);
            w.WriteString("end", Time(Window.End));
            Change(w, "ender", Window.Ender);
            w.WriteString("explanation", Untrusted.Clean(Window.Explanation, 2048));
            w.WriteEndObject();
            if (DataClassInWindow is { } dataClass)
            {
                w.WriteStartObject("dataClassInWindow");
                w.WriteString("highest", Decisions.DataClasses.Name(dataClass.Highest));
                w.WriteString("loweredTo", dataClass.LoweredTo is { } to ? Decisions.DataClasses.Name(to) : null);
                Change(w, "loweredBy", dataClass.LoweredBy);
                w.WriteString("explanation", Untrusted.Clean(dataClass.Explain(), 1024));
                w.WriteEndObject();
            }

            w.WritePropertyName("ledger");
            ledger.RootElement.WriteTo(w);
            w.WriteStartArray("problems");
            foreach (var problem in Problems)
            {
                w.WriteStringValue(Untrusted.Clean(problem, 1024));
            }

            w.WriteEndArray();
        });
    }

    /// <summary>The report for a person: the window, the verdict, who read what.</summary>
    public string Text()
    {
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"{Bucket}: {Untrusted.Clean(Window.Explanation, 2048)}\n");
        b.Append(CultureInfo.InvariantCulture, $"access: {LedgerReport.VerdictName(Ledger.Verdict)}; {Ledger.Reads} read(s), {Ledger.Denied} refused, {Ledger.BytesSent} bytes sent, from outside the account; {Ledger.InsideRequests} request(s) from inside\n");
        foreach (var o in Ledger.Objects.Where(o => o.Reads > 0 || o.Denied > 0))
        {
            b.Append("  ").Append(o.Describe()).Append('\n');
        }

        foreach (var gap in Ledger.Gaps)
        {
            b.Append(CultureInfo.InvariantCulture, $"gap: {gap}\n");
        }

        foreach (var problem in Problems)
        {
            b.Append(CultureInfo.InvariantCulture, $"problem: {Untrusted.Clean(problem, 1024)}\n");
        }

        return b.ToString();
    }

    private static string? Time(DateTimeOffset? time) => time?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static void Change(Utf8JsonWriter w, string name, BucketChange? change)
    {
        if (change is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        w.WriteString("eventId", Untrusted.Clean(change.EventId));
        w.WriteString("eventName", Untrusted.Clean(change.EventName));
        w.WriteString("time", Time(change.EventTime));
        w.WriteString("actor", Untrusted.Clean(change.Actor.ToString()));
        w.WriteString("sourceIp", Untrusted.Clean(change.SourceIp));
        w.WriteString("userAgent", Untrusted.Clean(change.UserAgent));
        w.WriteEndObject();
    }
}
