using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using BucketGuard.Core.Evidence;

namespace BucketGuard.Core.Reports;

/// <summary>The after-lock report of one exposure, rendered for each output: the notification (the short block in the
/// e-mail, the whole report as the JSON document), the Security Hub finding's fields and note, and the EventBridge
/// detail (the same document). Pure. Every text from an event or a log is neutralised (Untrusted.Clean).</summary>
public static class ExposureReports
{
    /// <summary>The notification's event type, for subscription filter policies.</summary>
    public const string EventType = "exposure-report";

    /// <summary>Objects listed in the e-mail; the document lists more, within SNS's limit.</summary>
    public const int EmailObjects = 10;

    /// <summary>Security Hub's limits on a note (BatchUpdateFindings, NoteUpdate.Text) and on a user-defined value.</summary>
    public const int MaxNoteLength = 512;

    public const int MaxFieldLength = 1024;

    /// <summary>The notification: subject by verdict, the block for e-mail, the report as the document; within SNS's
    /// limit (the document's object list is halved until it fits). Attributes are the decision's, with event
    /// "exposure-report" and the verdict.</summary>
    public static Notification For(ExposureRequest request, ExposureReport report)
    {
        var attributes = request.Attributes.ToBuilder();
        attributes["event"] = EventType;
        Notifications.AddAttribute(attributes, "accessVerdict", LedgerReport.VerdictName(report.Ledger.Verdict));
        Notifications.AddAttribute(attributes, "bucket", request.Bucket);
        if (report.IncidentId is { } incident)
        {
            Notifications.AddAttribute(attributes, "incidentId", incident);
            Notifications.AddAttribute(attributes, "reportVersion", report.Version.ToString(CultureInfo.InvariantCulture));
        }

        if (report.DataClassInWindow is { LoweredBy: not null } lowered && Decisions.DataClasses.NeverExempt(lowered.Highest))
        {
            // Its class was lowered shortly before or during the exposure: it counts as the higher one, so it is critical.
            attributes["severity"] = "critical";
            Notifications.AddAttribute(attributes, "dataClass", Decisions.DataClasses.Name(lowered.Highest));
        }

        var subject = Subject(request.Bucket, report.Ledger);
        if (report.Version > 1)
        {
            // A later look, for logs delivered late: said first, so that it is not read as the same report again.
            subject = $"Updated (v{report.Version}): {subject}";
            subject = subject.Length <= Notifications.MaxSubjectLength ? subject : subject[..(Notifications.MaxSubjectLength - 3)] + "...";
        }
        var text = Text(request, report);
        int? objects = null;
        var notification = new Notification(subject, text, Document(request, report, objects), attributes.ToImmutable());
        while (notification.SnsSize > Notifications.MaxSnsBytes)
        {
            objects = (objects ?? report.Ledger.Objects.Length) / 2;
            notification = notification with { Document = Document(request, report, objects) };
        }

        return notification;
    }

    /// <summary>{"bucketguard":"exposure-report","version":1,"request":{...},"report":{...}} (ExposureRequest.Json,
    /// ExposureReport.Json), the document of the notification and the detail of the EventBridge event.</summary>
    public static string Document(ExposureRequest request, ExposureReport report, int? maxObjects = null) => JsonLine.Write(w =>
    {
        w.WriteString("bucketguard", EventType);
        w.WriteNumber("version", 1);
        w.WritePropertyName("request");
        w.WriteRawValue(request.Json());
        w.WritePropertyName("report");
        w.WriteRawValue(report.Json(maxObjects));
    });

    public static string Subject(string bucket, LedgerReport ledger)
    {
        var subject = ledger.Verdict switch
        {
            LedgerVerdict.Read => $"BucketGuard: {bucket} was READ from outside while public ({ledger.Reads} reads)",
            LedgerVerdict.Attempted => $"BucketGuard: {bucket} had {ledger.Denied} refused reads from outside while public",
            LedgerVerdict.NoOutsideAccess => $"BucketGuard: {bucket} had no outside access while public",
            LedgerVerdict.Unknown => $"BucketGuard: who read {bucket} while public is UNKNOWN",
        };
        return subject.Length <= Notifications.MaxSubjectLength ? subject : subject[..(Notifications.MaxSubjectLength - 3)] + "...";
    }

    /// <summary>The e-mail: the window, the verdict, the objects most read, the gaps, how to see the rest.</summary>
    public static string Text(ExposureRequest request, ExposureReport report)
    {
        var ledger = report.Ledger;
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"Exposure of bucket {request.Bucket}{(request.ObjectKey is { } key ? $", object {Untrusted.Clean(key)}" : string.Empty)}{(request.Account is { } account ? $" (account {account})" : string.Empty)}, after BucketGuard's decision \"{request.EventType}\"{(request.EventId is { } id ? $" on event {id}" : string.Empty)}.\n\n");
        if (report.IncidentId is { } incident)
        {
            b.Append(CultureInfo.InvariantCulture, $"Incident {incident}, exposure report version {report.Version}{(report.Version > 1 ? " (a later look: access logs arrive late, and this one found more)" : string.Empty)}: bucketguard incident show {incident}\n");
        }

        b.Append(CultureInfo.InvariantCulture, $"Window: {Untrusted.Clean(report.Window.Explanation, 2048)}\n");
        if (report.DataClassInWindow is { LoweredBy: not null } lowered)
        {
            b.Append(CultureInfo.InvariantCulture, $"Data class: {Untrusted.Clean(lowered.Explain(), 1024)}.{(Decisions.DataClasses.NeverExempt(lowered.Highest) ? " An exemption is never honoured for it: BucketGuard keeps the class for the bucket's next decision (the daily sweep at the latest), which locks it if it is still public under one; to lock it now, remove the exemption tags (a tagging event is decided at once) and review who lowered the class." : string.Empty)}\n");
        }
        b.Append(CultureInfo.InvariantCulture, $"Access: {LedgerReport.VerdictName(ledger.Verdict)}. From outside the account: {ledger.Reads} read(s), {ledger.Denied} refused, {ledger.BytesSent} bytes sent; {ledger.InsideRequests} request(s) from inside.\n");
        foreach (var o in ledger.Objects.Where(o => o.Reads > 0 || o.Denied > 0).OrderByDescending(o => o.Reads).ThenBy(o => o.Key, StringComparer.Ordinal).Take(EmailObjects))
        {
            b.Append("  ").Append(o.Describe()).Append('\n');
        }

        var touched = ledger.Objects.Count(o => o.Reads > 0 || o.Denied > 0);
        if (touched > EmailObjects)
        {
            b.Append(CultureInfo.InvariantCulture, $"  and {touched - EmailObjects} more object(s)\n");
        }

        foreach (var gap in ledger.Gaps)
        {
            b.Append(CultureInfo.InvariantCulture, $"Gap: {gap}\n");
        }

        foreach (var problem in report.Problems.Take(10))
        {
            b.Append(CultureInfo.InvariantCulture, $"Problem: {Untrusted.Clean(problem, 1024)}\n");
        }

        b.Append(CultureInfo.InvariantCulture, $"\nThe whole report: bucketguard exposure {request.Bucket}{(request.Account is { } owner ? $" --account {owner}" : string.Empty)} --output json (or --html FILE)\n");
        return b.ToString();
    }

    /// <summary>The Security Hub finding's user-defined fields (BatchUpdateFindings, UserDefinedFields: at most 50, values
    /// up to 1,024 characters), beside the fields the decision put.</summary>
    public static ImmutableDictionary<string, string> Fields(ExposureReport report)
    {
        var ledger = report.Ledger;
        var fields = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        void Add(string name, string? value)
        {
            if (Untrusted.Clean(value, MaxFieldLength) is { Length: > 0 } clean)
            {
                fields["bucketguard/" + name] = clean;
            }
        }

        Add("AccessVerdict", LedgerReport.VerdictName(ledger.Verdict));
        Add("ExposureStart", Time(report.Window.Start));
        Add("ExposureStartIsLowerBound", report.Window.Start is null ? null : report.Window.StartIsLowerBound ? "true" : "false");
        Add("ExposureEnd", Time(report.Window.End));
        Add("ExposureCauseEventId", report.Window.Cause?.EventId);
        Add("ExposureCauseActor", report.Window.Cause?.Actor.Arn);
        Add("OutsideReads", ledger.Reads.ToString(CultureInfo.InvariantCulture));
        Add("OutsideRefused", ledger.Denied.ToString(CultureInfo.InvariantCulture));
        Add("OutsideBytesSent", ledger.BytesSent.ToString(CultureInfo.InvariantCulture));
        Add("ObjectsRead", ledger.Objects.Count(o => o.Reads > 0).ToString(CultureInfo.InvariantCulture));
        Add("AnonymousRequests", (ledger.RequestsByCaller.TryGetValue(CallerKind.Anonymous, out var anonymous) ? anonymous : 0).ToString(CultureInfo.InvariantCulture));
        Add("AccessCoverageGaps", string.Join("; ", ledger.Gaps));
        return fields.ToImmutable();
    }

    /// <summary>The finding's note: one line, within 512 characters.</summary>
    public static string Note(ExposureReport report)
    {
        var ledger = report.Ledger;
        var note = $"BucketGuard exposure report: access {LedgerReport.VerdictName(ledger.Verdict)}, {ledger.Reads} outside read(s) of {ledger.Objects.Count(o => o.Reads > 0)} object(s), {ledger.BytesSent} bytes, {ledger.Denied} refused; {Untrusted.Clean(report.Window.Explanation, 2048)}";
        return note.Length <= MaxNoteLength ? note : note[..(MaxNoteLength - 3)] + "...";
    }

    private static string? Time(DateTimeOffset? time) => time?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
