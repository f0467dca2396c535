using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Json;

namespace BucketGuard.Core.Reports;

/// <summary>What the after-lock function is asked, by the decision that found a bucket or object public (locked, would be
/// locked in notify mode, or exempted): when it was public and who read what while it was. Sent as one SQS message
/// (JSON, a few hundred bytes) so that the lock is never slowed by the investigation.</summary>
/// <param name="EventType">The decision's notification event type ("remediated", "public-notified", "exempted"...).</param>
/// <param name="LockedAt">When BucketGuard's lock took effect, when it did: the window must show an end before it is
/// reported, since CloudTrail takes minutes to show the lock.</param>
/// <param name="FindingId">The decision's Security Hub finding id, to add the ledger to it; null when it made none.</param>
/// <param name="Attributes">The decision notification's SNS message attributes (owner, account, severity...), so that the
/// report reaches the same subscribers.</param>
public sealed record ExposureRequest(
    string Bucket, string? Account, string? ObjectKey, string EventType, string? EventId, DateTimeOffset DecidedAt,
    DateTimeOffset? LockedAt, string? FindingId, ImmutableDictionary<string, string> Attributes)
{
    /// <summary>The incident the decision was recorded in: each report becomes a version of it. Null: none kept.</summary>
    public string? IncidentId { get; init; }

    /// <summary>Which look this is: 0 the first, after the lock; 1 and on the later looks for late logs (AfterLock.Rechecks).</summary>
    public int Recheck { get; init; }

    /// <summary>Not to be investigated before this time (UTC): a later look waits in the queue, at most 15 minutes a
    /// delivery (SQS DelaySeconds), until then. Null: now.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The longest object key S3 takes (bytes of UTF-8; characters here bound it).</summary>
    private const int MaxKeyLength = 1024;

    /// <summary>The request for a decision, or null when it found nothing public to investigate. An exhaustive switch over
    /// Outcome: a new outcome does not compile until it is placed here.</summary>
    public static ExposureRequest? For(BucketDecision decision)
    {
        if (decision.Change is not { } change || decision.Bucket is not { } bucket || decision.Notification is not { } notification)
        {
            return null;
        }

        var investigate = decision.Verdict.Outcome switch
        {
            Outcome.Block or Outcome.WouldBlock or Outcome.Exempted => true,
            Outcome.Skipped or Outcome.NothingToDo or Outcome.AlreadyBlocked or Outcome.ExemptionRecorded or Outcome.AccountBlockChanged
                or Outcome.BucketGone or Outcome.Incomplete => false,
        };
        if (!investigate || decision.EventType is not { } eventType)
        {
            return null;
        }

        return new ExposureRequest(
            bucket, change.Account, change.ObjectKey, eventType, change.EventId, decision.DecidedAt,
            decision.Result is { Succeeded: true } ? decision.DecidedAt : null, SecurityHubFinding.For(decision)?.Id, notification.Attributes)
        {
            IncidentId = decision.Verdict.Incident?.Id,
        };
    }

    /// <summary>{"version":1,"bucket","account","objectKey","eventType","eventId","decidedAt","lockedAt","findingId",
    /// "incidentId","recheck","notBefore","attributes":{}}.</summary>
    public string Json() => JsonLine.Write(w =>
    {
        w.WriteNumber("version", 1);
        w.WriteString("bucket", Bucket);
        w.WriteString("account", Account);
        w.WriteString("objectKey", ObjectKey);
        w.WriteString("eventType", EventType);
        w.WriteString("eventId", EventId);
        w.WriteString("decidedAt", Time(DecidedAt));
        w.WriteString("lockedAt", LockedAt is { } at ? Time(at) : null);
        w.WriteString("findingId", FindingId);
        w.WriteString("incidentId", IncidentId);
        w.WriteNumber("recheck", Recheck);
        w.WriteString("notBefore", NotBefore is { } notBefore ? Time(notBefore) : null);
        w.WriteStartObject("attributes");
        foreach (var (name, value) in Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            w.WriteString(name, value);
        }

        w.WriteEndObject();
    });

    /// <summary>Reads a request back. Nothing in it is trusted: the bucket must be a valid bucket name, the account 12
    /// digits, the times ISO 8601, the attributes strings within SNS's limits.</summary>
    /// <returns>A failure that says what is wrong: such a message cannot become right by retrying.</returns>
    public static Parsed<ExposureRequest> Parse(string? json)
    {
        if (json is null)
        {
            return Parsed<ExposureRequest>.Failure("the exposure request is empty");
        }

        if (!JsonRead.TryParse(json, out var document, out var error))
        {
            return Parsed<ExposureRequest>.Failure($"the exposure request is not JSON: {error}");
        }

        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != 1)
            {
                return Parsed<ExposureRequest>.Failure("the exposure request is not a version 1 object");
            }

            var bucket = root.TextOf("bucket");
            if (!BucketName.IsValid(bucket))
            {
                return Parsed<ExposureRequest>.Failure($"the exposure request names no valid bucket ({Untrusted.Clean(bucket) ?? "none"})");
            }

            var account = root.TextOf("account");
            if (account is not null && !AccountId.IsValid(account))
            {
                return Parsed<ExposureRequest>.Failure($"the exposure request's account is not 12 digits ({Untrusted.Clean(account)})");
            }

            var key = root.TextOf("objectKey");
            if (key is { Length: 0 or > MaxKeyLength })
            {
                return Parsed<ExposureRequest>.Failure("the exposure request's object key is empty or longer than S3 allows");
            }

            if (!TryTime(root.TextOf("decidedAt"), out var decidedAt) || decidedAt is null)
            {
                return Parsed<ExposureRequest>.Failure("the exposure request has no decidedAt time");
            }

            if (!TryTime(root.TextOf("lockedAt"), out var lockedAt))
            {
                return Parsed<ExposureRequest>.Failure("the exposure request's lockedAt is not an ISO 8601 time");
            }

            if (!TryTime(root.TextOf("notBefore"), out var notBefore))
            {
                return Parsed<ExposureRequest>.Failure("the exposure request's notBefore is not an ISO 8601 time");
            }

            var incident = root.TextOf("incidentId");
            if (incident is not null && !IsIncidentId(incident))
            {
                return Parsed<ExposureRequest>.Failure($"the exposure request's incidentId is not one (inc-yyyyMMdd-HASH): {Untrusted.Clean(incident, 60)}");
            }

            var recheck = root.TryGetProperty("recheck", out var look) && look.ValueKind == JsonValueKind.Number && look.TryGetInt32(out var n) ? n : 0;
            if (recheck is < 0 or > 100)
            {
                return Parsed<ExposureRequest>.Failure($"the exposure request's recheck {recheck} is not 0 to 100");
            }

            var attributes = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("attributes", out var given) && given.ValueKind == JsonValueKind.Object)
            {
                foreach (var attribute in given.EnumerateObject())
                {
                    if (Untrusted.Clean(attribute.Name, 64) is { Length: > 0 } name && attribute.Value.ValueKind == JsonValueKind.String)
                    {
                        Notifications.AddAttribute(attributes, name, attribute.Value.GetString());
                    }
                }
            }

            return Parsed<ExposureRequest>.Success(new ExposureRequest(
                bucket, account, key, Untrusted.Clean(root.TextOf("eventType"), 64) ?? "unknown", Untrusted.Clean(root.TextOf("eventId"), 128),
                decidedAt.Value, lockedAt, Untrusted.Clean(root.TextOf("findingId"), 512), attributes.ToImmutable())
            {
                IncidentId = incident,
                Recheck = recheck,
                NotBefore = notBefore,
            });
        }
    }

    /// <summary>inc-yyyyMMdd-HASH, as IncidentUpdate.NewId makes them: letters, digits and hyphens, at most 40.</summary>
    public static bool IsIncidentId(string id) => id.StartsWith("inc-", StringComparison.Ordinal) && id.Length <= 40 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static bool TryTime(string? text, out DateTimeOffset? time)
    {
        time = null;
        if (text is null)
        {
            return true;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return false;
        }

        time = parsed;
        return true;
    }
}
