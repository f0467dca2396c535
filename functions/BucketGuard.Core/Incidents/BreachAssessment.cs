using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BucketGuard.Core.Incidents;

/// <summary>One decision in an incident's history, as the record keeps it (times UTC).</summary>
public sealed record IncidentEntry(DateTimeOffset Time, string EventId, string EventType, string Outcome, string Severity, bool Locked, string? Actor, string? Exemption, string Why)
{
    /// <summary>The decision's evidence in the evidence bucket, with its SHA-256 (Bytes not recorded: 0).</summary>
    public EvidenceItem? Evidence { get; init; }
}

/// <summary>An incident as the record holds it.</summary>
/// <param name="Key">ACCOUNT/BUCKET or ACCOUNT/BUCKET/KEY.</param>
/// <param name="OpenedAt">When BucketGuard first decided the exposure: the discovery, for the deadlines.</param>
public sealed record IncidentRecord(
    string Id, string Key, IncidentState State, DateTimeOffset OpenedAt, DateTimeOffset LastAt, string Severity, string? DataClass,
    DateTimeOffset? ClosedAt, string? ClosedBy, ImmutableArray<IncidentEntry> History)
{
    /// <summary>The exposure report's versions, oldest first (the after-lock function's, and its later looks for late logs).</summary>
    public ImmutableArray<ExposureSummary> Reports { get; init; } = [];
}

/// <summary>The breach-assessment report of an incident (issue "Incident record", item 3): the timeline, and a worksheet
/// pre-filled from what BucketGuard knows for the HIPAA breach risk assessment (45 CFR 164.402, the four factors) and the
/// GDPR Article 33 notification, with the deadlines computed from discovery (the incident's opening): HIPAA, individuals
/// without unreasonable delay and no later than 60 calendar days (45 CFR 164.404(b)), the Secretary within the same 60
/// days when 500 or more individuals are affected, else within 60 days of the end of the calendar year (164.408);
/// GDPR, the supervisory authority without undue delay and where feasible within 72 hours (Article 33(1)). What it
/// cannot know is said as unknown, never filled in. JSON shape: tests/schemas/breach-assessment.schema.json.</summary>
public static class BreachAssessment
{
    public static DateTimeOffset HipaaIndividualsBy(DateTimeOffset discovered) => discovered.AddDays(60);

    /// <summary>60 days after the end of the calendar year of discovery (its 31 December, end of day, UTC).</summary>
    public static DateTimeOffset HipaaSecretaryIfFewerThan500By(DateTimeOffset discovered) =>
        new DateTimeOffset(discovered.UtcDateTime.Year, 12, 31, 23, 59, 59, TimeSpan.Zero).AddDays(60);

    public static DateTimeOffset GdprAuthorityBy(DateTimeOffset discovered) => discovered.AddHours(72);

    private static string T(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>The unknowns this record leaves: who read what while no exposure report answered it (none yet, or its
    /// verdict unknown), with the command that answers it; how many individuals; the data class when none was recorded.</summary>
    public static ImmutableArray<string> Unknowns(IncidentRecord record) =>
    [
        .. Latest(record) is { Access: not "unknown" } ? Array.Empty<string>() : [$"whether the data was actually acquired or viewed, and by whom: {(Latest(record) is { } latest ? $"the access ledger (report version {latest.Version}) could not cover the window ({string.Join("; ", latest.Gaps)}); " : "no exposure report is in the incident yet; ")}run `bucketguard exposure {record.Key.Split('/').ElementAtOrDefault(1)}` for the access ledger of the window"],
        "how many individuals' records the bucket holds: the lock snapshot in the notification bounds the objects, not the people",
        .. DataClassOf(record) is null or "unknown" ? ["the data class: the bucket has no data-class tag and no default was recorded"] : Array.Empty<string>(),
    ];

    /// <summary>The newest exposure report version, or null.</summary>
    public static ExposureSummary? Latest(IncidentRecord record) => record.Reports.IsEmpty ? null : record.Reports.MaxBy(r => r.Version);

    /// <summary>The class the assessment goes by: the highest of the incident's and of what any report's replay saw the
    /// tag hold in the window (a class lowered shortly before the exposure does not lower it).</summary>
    public static string? DataClassOf(IncidentRecord record) =>
        record.Reports.Select(r => r.DataClassInWindow).Append(record.DataClass)
            .Select(c => (Name: c, Class: Decisions.DataClasses.Parse(c)))
            .OrderByDescending(c => c.Class.HasValue ? (int)c.Class.Value : -1).Select(c => c.Name).FirstOrDefault();

    /// <summary>Who obtained it, and whether it was acquired or viewed, from the newest report; null when none says.</summary>
    private static (string Who, string Acquired, string Consequences)? FromLedger(ExposureSummary? report) => report switch
    {
        null or { Access: "unknown" } => null,
        { Access: "read" } r => (
            $"{r.AnonymousRequests} anonymous request(s) among the callers outside the account; who exactly is for the source IPs and user agents in the ledger (`bucketguard exposure`, report version {r.Version})",
            $"acquired: {r.Reads} read(s) of {r.ObjectsRead} object(s) from outside the account, {r.BytesSent} bytes sent, per the access ledger (report version {r.Version}){Gaps(r)}",
            $"the {r.ObjectsRead} object(s) read from outside may be in unauthorized hands; the likelihood of harm is for the covered entity or controller to assess"),
        { Access: "attempted" } r => (
            $"callers outside the account tried and were refused ({r.Refused} attempt(s)); none read (report version {r.Version})",
            $"not acquired: {r.Refused} refused attempt(s) and no read from outside, per the access ledger (report version {r.Version}){Gaps(r)}",
            "no object was read from outside the account"),
        var r => (
            $"no caller outside the account made a request in the window (report version {r.Version})",
            $"not acquired or viewed: the access ledger covers the window and shows no request from outside the account (report version {r.Version}){Gaps(r)}",
            "no object was read from outside the account"),
    };

    private static string Gaps(ExposureSummary report) => report.Gaps.IsEmpty ? string.Empty : $"; gaps: {string.Join("; ", report.Gaps)}";

    public static string Json(IncidentRecord record) => JsonLine.Write(w =>
    {
        var dataClass = DataClassOf(record);
        var phi = dataClass == "phi";
        var personal = dataClass is "phi" or "pii";
        var ledger = FromLedger(Latest(record));
        var locked = record.History.Where(h => h.Locked).Select(h => (DateTimeOffset?)h.Time).Min();
        w.WriteNumber("version", 1);
        w.WriteStartObject("incident");
        w.WriteString("id", record.Id);
        w.WriteString("key", Untrusted.Clean(record.Key, 1100));
        w.WriteString("state", IncidentRules.Name(record.State));
        // A phi or pci exposure is critical, also when only the replay showed the class (lowered before the exposure).
        w.WriteString("severity", Decisions.DataClasses.Parse(dataClass) is { } cls && Decisions.DataClasses.NeverExempt(cls) ? "critical" : record.Severity);
        w.WriteString("dataClass", dataClass);
        w.WriteString("discovered", T(record.OpenedAt));
        w.WriteString("contained", locked is { } l ? T(l) : null);
        w.WriteString("lastChanged", T(record.LastAt));
        w.WriteString("closed", record.ClosedAt is { } c ? T(c) : null);
        w.WriteString("closedBy", Untrusted.Clean(record.ClosedBy, 200));
        w.WriteEndObject();
        w.WriteStartArray("timeline");
        foreach (var entry in record.History.OrderBy(h => h.Time))
        {
            w.WriteStartObject();
            w.WriteString("time", T(entry.Time));
            w.WriteString("eventId", Untrusted.Clean(entry.EventId, 200));
            w.WriteString("eventType", entry.EventType);
            w.WriteString("outcome", entry.Outcome);
            w.WriteString("severity", entry.Severity);
            w.WriteBoolean("locked", entry.Locked);
            w.WriteString("actor", Untrusted.Clean(entry.Actor, 300));
            w.WriteString("exemption", Untrusted.Clean(entry.Exemption, 300));
            w.WriteString("why", Untrusted.Clean(entry.Why, 1000));
            Evidence(w, entry.Evidence);

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("exposureReports");
        foreach (var report in record.Reports.OrderBy(r => r.Version))
        {
            w.WriteStartObject();
            w.WriteNumber("version", report.Version);
            w.WriteString("reportedAt", T(report.ReportedAt));
            w.WriteString("publicFrom", report.PublicFrom is { } from ? T(from) : null);
            w.WriteBoolean("publicFromIsLowerBound", report.FromIsLowerBound);
            w.WriteString("publicUntil", report.PublicUntil is { } until ? T(until) : null);
            w.WriteString("causeEventId", Untrusted.Clean(report.CauseEventId, 128));
            w.WriteString("causeActor", Untrusted.Clean(report.CauseActor, 300));
            w.WriteString("access", report.Access);
            w.WriteNumber("reads", report.Reads);
            w.WriteNumber("refused", report.Refused);
            w.WriteNumber("bytesSent", report.BytesSent);
            w.WriteNumber("objectsRead", report.ObjectsRead);
            w.WriteNumber("anonymousRequests", report.AnonymousRequests);
            w.WriteString("dataClassInWindow", report.DataClassInWindow);
            FindingJson.WriteStrings(w, "gaps", [.. report.Gaps.Select(g => Untrusted.Clean(g, 400)!)]);
            Evidence(w, report.Evidence);

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("hipaa");
        w.WriteBoolean("applies", phi);
        w.WriteString("basis", phi ? "the bucket's data class is phi (protected health information)" : "the bucket's data class is not phi: the Breach Notification Rule applies only if it holds PHI after all");
        w.WriteStartObject("deadlines");
        w.WriteString("individuals", T(HipaaIndividualsBy(record.OpenedAt)));
        w.WriteString("secretaryIf500OrMore", T(HipaaIndividualsBy(record.OpenedAt)));
        w.WriteString("secretaryIfFewerThan500", T(HipaaSecretaryIfFewerThan500By(record.OpenedAt)));
        w.WriteString("mediaIfMoreThan500InAState", T(HipaaIndividualsBy(record.OpenedAt)));
        w.WriteEndObject();
        w.WriteStartObject("riskAssessment");
        w.WriteString("natureAndExtent", $"data class {dataClass ?? "unknown"} in {Untrusted.Clean(record.Key, 1100)}; the objects exposed are bounded by the lock snapshot; the identifiers involved are for the covered entity to state");
        w.WriteString("unauthorizedPerson", ledger?.Who ?? "unknown until the access ledger is read (anonymous callers, other accounts): `bucketguard exposure`");
        w.WriteString("acquiredOrViewed", ledger?.Acquired ?? "unknown until the access ledger is read; a ledger of \"no-outside-access\" over full coverage is the evidence that it was not");
        w.WriteString("mitigation", locked is { } at ? $"public access blocked by BucketGuard at {T(at)} (S3 Block Public Access)" : "not locked by BucketGuard (notify mode or exempted): the exposure may continue");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("gdpr");
        w.WriteBoolean("applies", personal);
        w.WriteString("basis", personal ? $"the bucket's data class is {dataClass} (personal data{(phi ? "; health data is a special category, Article 9" : string.Empty)})" : "the bucket's data class is not pii or phi");
        w.WriteString("notifyAuthorityBy", T(GdprAuthorityBy(record.OpenedAt)));
        w.WriteStartObject("article33");
        w.WriteString("natureOfBreach", $"public access to storage bucket {Untrusted.Clean(record.Key, 1100)} from {T(record.OpenedAt)}{(locked is { } end ? $" to {T(end)}" : " (not ended by BucketGuard)")}");
        w.WriteString("categoriesAndNumbers", "unknown: the data subjects and records are for the controller to state (the lock snapshot bounds the objects)");
        w.WriteNull("dpoContact");
        w.WriteString("likelyConsequences", ledger?.Consequences ?? "unknown until the access ledger is read");
        w.WriteString("measuresTaken", locked is { } m ? $"S3 Block Public Access applied at {T(m)}" : "none by BucketGuard");
        w.WriteEndObject();
        w.WriteEndObject();
        FindingJson.WriteStrings(w, "unknowns", Unknowns(record));
    });

    /// <summary>"evidence": {"key","sha256"}, or null when none was kept.</summary>
    private static void Evidence(System.Text.Json.Utf8JsonWriter w, EvidenceItem? evidence)
    {
        if (evidence is null)
        {
            w.WriteNull("evidence");
            return;
        }

        w.WriteStartObject("evidence");
        w.WriteString("key", evidence.Key);
        w.WriteString("sha256", evidence.Sha256);
        w.WriteEndObject();
    }

    /// <summary>The same, for a person.</summary>
    public static string Text(IncidentRecord record)
    {
        using var document = JsonDocument.Parse(Json(record));
        var root = document.RootElement;
        var text = new StringBuilder();
        var incident = root.GetProperty("incident");
        text.AppendLine(CultureInfo.InvariantCulture, $"Incident {record.Id}: {incident.GetProperty("key").GetString()}, {incident.GetProperty("state").GetString()}, severity {incident.GetProperty("severity").GetString()}, data class {incident.GetProperty("dataClass").GetString() ?? "unknown"}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Discovered {incident.GetProperty("discovered").GetString()}; contained {incident.GetProperty("contained").GetString() ?? "no"}; last changed {incident.GetProperty("lastChanged").GetString()}{(record.ClosedAt is { } c ? $"; closed {T(c)} by {Untrusted.Clean(record.ClosedBy)}" : string.Empty)}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Timeline ({record.History.Length} decision(s)):");
        foreach (var entry in root.GetProperty("timeline").EnumerateArray())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {entry.GetProperty("time").GetString()} {entry.GetProperty("eventType").GetString()} ({entry.GetProperty("outcome").GetString()}) event {entry.GetProperty("eventId").GetString()} by {entry.GetProperty("actor").GetString() ?? "-"}: {entry.GetProperty("why").GetString()}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Exposure report ({record.Reports.Length} version(s)):");
        foreach (var report in record.Reports.OrderBy(r => r.Version))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {report.Describe()}{(report.Gaps.IsEmpty ? string.Empty : $"; gaps: {string.Join("; ", report.Gaps)}")}");
        }

        var hipaa = root.GetProperty("hipaa");
        text.AppendLine(CultureInfo.InvariantCulture, $"HIPAA ({(hipaa.GetProperty("applies").GetBoolean() ? "applies" : "does not apply by data class")}): individuals by {hipaa.GetProperty("deadlines").GetProperty("individuals").GetString()}; the Secretary by the same date for 500 or more, else by {hipaa.GetProperty("deadlines").GetProperty("secretaryIfFewerThan500").GetString()}.");
        foreach (var factor in hipaa.GetProperty("riskAssessment").EnumerateObject())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {factor.Name}: {factor.Value.GetString()}");
        }

        var gdpr = root.GetProperty("gdpr");
        text.AppendLine(CultureInfo.InvariantCulture, $"GDPR Article 33 ({(gdpr.GetProperty("applies").GetBoolean() ? "applies" : "does not apply by data class")}): the supervisory authority by {gdpr.GetProperty("notifyAuthorityBy").GetString()}.");
        foreach (var field in gdpr.GetProperty("article33").EnumerateObject())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {field.Name}: {field.Value.GetString() ?? "(to fill in)"}");
        }

        text.AppendLine("Unknown:");
        foreach (var unknown in root.GetProperty("unknowns").EnumerateArray())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {unknown.GetString()}");
        }

        return text.ToString();
    }
}
