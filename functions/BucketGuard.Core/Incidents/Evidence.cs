using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BucketGuard.Core.Json;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Incidents;

/// <summary>One kept piece of evidence: its S3 key, the SHA-256 of its bytes (hex), and their number.</summary>
public sealed record EvidenceItem(string Key, string Sha256, long Bytes);

/// <summary>One exposure's evidence, ready to keep: its key and its exact bytes.</summary>
public sealed record EvidenceBundle(string Key, byte[] Content)
{
    /// <summary>The SHA-256 of the content, lower-case hex (what the incident lists and `incident verify` recomputes).</summary>
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Content));

    /// <summary>The evidence of one decision: {"version": 1, "key", "eventId", "decidedAt", "sourceEvent": the event as
    /// delivered (EventBridge's envelope with the CloudTrail record; null for the sweep), "decision": the notification's
    /// JSON document (the change, the state read as findings and flags, the action)}. Keyed
    /// evidence/ACCOUNT/BUCKET/yyyyMMddTHHmmssZ-HASH.json: the bucket name is a valid S3 name, the rest BucketGuard's own.</summary>
    public static EvidenceBundle For(BucketDecision decision, IncidentUpdate update)
    {
        var json = JsonLine.Write(w =>
        {
            w.WriteNumber("version", 1);
            w.WriteString("key", update.Key);
            w.WriteString("eventId", update.EventId);
            w.WriteString("decidedAt", update.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            w.WritePropertyName("sourceEvent");
            if (decision.Change?.SourceEvent is { } source && JsonRead.TryParse(source, out var document, out _))
            {
                using (document)
                {
                    document!.WriteTo(w);
                }
            }
            else
            {
                w.WriteNullValue();
            }

            w.WritePropertyName("decision");
            if (decision.Notification is { } notification)
            {
                w.WriteRawValue(notification.Document);
            }
            else
            {
                w.WriteNullValue();
            }
        });
        var content = Encoding.UTF8.GetBytes(json + "\n");
        var hash = Convert.ToHexStringLower(SHA256.HashData(content))[..16];
        var parts = update.Key.Split('/');
        var key = $"evidence/{parts[0]}/{(parts.Length > 1 ? parts[1] : "unknown")}/{update.Time.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{hash}.json";
        return new EvidenceBundle(key, content);
    }
}

/// <summary>Where evidence is kept safe from the people involved: a bucket with S3 Object Lock (compliance or governance
/// mode, the template's retention), which no one, the bucket's owner included, can change or delete before it ends.</summary>
public interface IEvidenceStore
{
    /// <exception cref="Exception">S3 refused or failed: the event is retried.</exception>
    Task<EvidenceItem> KeepAsync(EvidenceBundle bundle, CancellationToken cancellationToken);
}
