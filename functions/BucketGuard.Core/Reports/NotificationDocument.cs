using System.Globalization;
using System.Text.Json;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Core.Reports;

/// <summary>The JSON document of a notification, for machines (SQS, HTTPS, Lambda subscribers).</summary>
public static partial class Notifications
{
    /// <summary>The notification's JSON document: the change (who, from where, what was asked), the exposure and its
    /// findings (at most maxFindings, then findingsNotListed), the action (Block Public Access before, applied, in
    /// force), the exemption, and the owner, under "version" 1: the fields subscribers' code reads.</summary>
    private static string Document(BucketChange change, Verdict verdict, BucketState? state, ActionResult? result, string? owner, string eventType, Severity severity, int maxFindings)
    {
        var json = JsonLine.Write(w =>
        {
            w.WriteNumber("version", 1);
            w.WriteString("event", eventType);
            w.WriteString("severity", severity.ToString().ToLowerInvariant());
            w.WriteString("account", change.Account);
            w.WriteString("region", change.Region);
            w.WriteString("bucket", change.Bucket ?? state?.Bucket);
            w.WriteString("owner", owner);
            w.WriteString("dataClass", verdict.DataClass is { } dataClass ? DataClasses.Name(dataClass) : null);
            w.WriteString("dataClassSource", Untrusted.Clean(verdict.DataClassSource, 400));
            if (verdict.Incident is { } incident)
            {
                w.WriteStartObject("incident");
                w.WriteString("id", incident.Id);
                w.WriteString("state", Incidents.IncidentRules.Name(incident.State));
                w.WriteBoolean("opened", incident.Opened);
                w.WriteEndObject();
            }

            w.WriteString("why", verdict.Why);
            w.WriteStartObject("change");
            w.WriteString("eventName", change.EventName);
            w.WriteString("eventId", change.EventId);
            w.WriteString("eventTime", change.EventTimeText);
            w.WriteString("actor", change.Actor.Arn);
            w.WriteString("actorType", change.Actor.Type);
            w.WriteString("accessKeyId", change.Actor.AccessKeyId);
            w.WriteString("sessionIssuer", change.Actor.SessionIssuerArn);
            w.WriteString("sourceIp", change.SourceIp);
            w.WriteString("userAgent", change.UserAgent);
            if (change.ObjectKey is not null)
            {
                w.WriteStartObject("object");
                w.WriteString("key", change.ObjectKey);
                w.WriteString("versionId", change.ObjectVersion);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteBoolean("objectsCanBePublic", verdict.ObjectsCanBePublic);
            if (verdict.Exposure is { } exposure)
            {
                w.WriteStartObject("exposure");
                w.WriteBoolean("public", exposure.IsPublic);
                w.WriteBoolean("publicInEffect", exposure.IsPublicInEffect);
                FindingJson.WriteStrings(w, "access", AccessLevels.Names(exposure.AccessInEffect));
                w.WriteStartArray("findings");
                foreach (var f in exposure.Findings.Take(maxFindings))
                {
                    FindingJson.Write(w, f);
                }

                w.WriteEndArray();
                w.WriteNumber("findingsNotListed", exposure.Findings.Length - Math.Min(maxFindings, exposure.Findings.Length));
                w.WriteEndObject();
            }

            w.WriteStartObject("action");
            w.WriteString("outcome", verdict.Outcome.ToString());
            WriteBlock(w, "before", verdict.Before);
            WriteBlock(w, "apply", verdict.Apply);
            WriteBlock(w, "inForce", result?.InForce);
            w.WriteString("error", result?.Error);
            if (result?.Snapshot is { } snapshot)
            {
                w.WriteStartObject("snapshot");
                w.WriteNumber("versions", snapshot.Versions);
                w.WriteNumber("bytes", snapshot.Bytes);
                w.WriteBoolean("truncated", snapshot.Truncated);
                if (snapshot.AccessLogging is { } logging)
                {
                    w.WriteBoolean("accessLogging", logging);
                }
                else
                {
                    w.WriteNull("accessLogging");
                }

                w.WriteString("problem", snapshot.Problem);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteBoolean("restsOnEvent", verdict.RestsOnEvent);
            WriteBlock(w, "restores", verdict.Restores);
            w.WriteString("disagreement", verdict.Disagreement);
            FindingJson.WriteStrings(w, "problems", verdict.Problems);
            if (verdict.Exemption is { } exemption)
            {
                w.WriteStartObject("exemption");
                w.WriteString("state", exemption.State.ToString().ToLowerInvariant());
                w.WriteString("until", exemption.Until?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteString("scope", exemption.ScopeName);
                w.WriteString("reason", exemption.Reason);
                w.WriteString("owner", exemption.Owner);
                w.WriteString("approval", exemption.Approval switch
                {
                    ExemptionApproval.Approved => "approved",
                    ExemptionApproval.NotApproved => "not-approved",
                    ExemptionApproval.NotRequired => "unapproved",
                });
                if (eventType == "exemption-requested")
                {
                    w.WriteString("approveCommand", ApproveCommand(change.Bucket ?? state?.Bucket ?? "BUCKET", change.Account, exemption));
                }

                FindingJson.WriteStrings(w, "problems", exemption.Problems);
                FindingJson.WriteStrings(w, "notCovered", verdict.NotExempt);
                w.WriteEndObject();
            }
        });

        return json;
    }

    private static void WriteBlock(Utf8JsonWriter w, string name, PublicAccessBlock? block)
    {
        if (block is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        w.WriteBoolean(nameof(PublicAccessBlock.BlockPublicAcls), block.BlockPublicAcls);
        w.WriteBoolean(nameof(PublicAccessBlock.IgnorePublicAcls), block.IgnorePublicAcls);
        w.WriteBoolean(nameof(PublicAccessBlock.BlockPublicPolicy), block.BlockPublicPolicy);
        w.WriteBoolean(nameof(PublicAccessBlock.RestrictPublicBuckets), block.RestrictPublicBuckets);
        w.WriteEndObject();
    }
}
