using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Incidents;

namespace BucketGuard.Aws;

/// <summary>The incident record in DynamoDB (the template's IncidentTable: partition key "pk", sort key "sk", strings).
/// Two items: "open#KEY"/"open" points at the bucket's (or object's) open incident, "incident#ID"/"incident" is the
/// incident (key, state, openedAt, lastAt, severity, dataClass, eventIds, history). Every write decides by condition
/// (DynamoDB Developer Guide, "Condition expressions"): the pointer is created only where none exists, so concurrent
/// first events agree on one incident; an entry is appended only when its event id is not already in eventIds, in one
/// atomic UpdateItem (list_append, ADD), so concurrent updates never lose one another and a replay adds nothing.</summary>
public sealed class DynamoDbIncidents(IAmazonDynamoDB dynamo, string table) : IIncidents
{
    public async Task<IncidentRef> RecordAsync(IncidentUpdate update, CancellationToken cancellationToken)
    {
        var (id, opened) = await OpenOrFindAsync(update, cancellationToken).ConfigureAwait(false);
        var time = update.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var entry = new Dictionary<string, AttributeValue>
        {
            ["eventId"] = new(update.EventId),
            ["time"] = new(time),
            ["eventType"] = new(update.EventType),
            ["outcome"] = new(update.Outcome.ToString()),
            ["severity"] = new(update.Severity.ToString().ToLowerInvariant()),
            ["locked"] = new() { BOOL = update.Locked },
            ["why"] = new(update.Why.Length == 0 ? "-" : update.Why),
        };
        foreach (var (name, value) in new[] { ("dataClass", update.DataClass), ("actor", update.Actor), ("exemption", update.Exemption), ("evidenceKey", update.Evidence?.Key), ("evidenceSha256", update.Evidence?.Sha256) })
        {
            if (value is { Length: > 0 })
            {
                entry[name] = new(value);
            }
        }

        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table,
                Key = Key("incident#" + id, "incident"),
                ConditionExpression = "attribute_not_exists(eventIds) OR NOT contains(eventIds, :eventId)",
                UpdateExpression = "SET incidentKey = :key, openedAt = if_not_exists(openedAt, :time), lastAt = :time, #state = :state, severity = :severity, "
                    + "dataClass = :dataClass, history = list_append(if_not_exists(history, :none), :entry) ADD eventIds :eventIds, updates :one",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#state"] = "state" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":eventId"] = new(update.EventId),
                    [":eventIds"] = new() { SS = [update.EventId] },
                    [":key"] = new(update.Key),
                    [":time"] = new(time),
                    [":state"] = new(IncidentRules.Name(update.State)),
                    [":severity"] = new(update.Severity.ToString().ToLowerInvariant()),
                    [":dataClass"] = new(update.DataClass ?? "unknown"),
                    [":none"] = new() { L = [] },
                    [":entry"] = new() { L = [new() { M = entry }] },
                    [":one"] = new() { N = "1" },
                },
            }, cancellationToken).ConfigureAwait(false);
            return new IncidentRef(id, update.State, opened, Replayed: false);
        }
        catch (ConditionalCheckFailedException)
        {
            // This event is already in the incident (a replay or a retry): nothing changes.
            var item = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key("incident#" + id, "incident"), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
            var state = item.Item?.GetValueOrDefault("state")?.S switch
            {
                "contained" => IncidentState.Contained,
                "closed" => IncidentState.Closed,
                _ => IncidentState.Open,
            };
            return new IncidentRef(id, state, Opened: false, Replayed: true);
        }
    }

    /// <summary>Appends the report to the incident's "reports" list (its version is its place in it) and its hash to
    /// "reportHashes", in one UpdateItem conditioned on the incident existing and the hash not being there yet, so that
    /// concurrent looks never lose one another and the same content is never a second version.</summary>
    public async Task<ReportRef> RecordReportAsync(string incidentId, ExposureSummary report, CancellationToken cancellationToken)
    {
        static string T(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var entry = new Dictionary<string, AttributeValue>
        {
            ["reportedAt"] = new(T(report.ReportedAt)),
            ["fromIsLowerBound"] = new() { BOOL = report.FromIsLowerBound },
            ["access"] = new(report.Access),
            ["reads"] = new() { N = report.Reads.ToString(CultureInfo.InvariantCulture) },
            ["refused"] = new() { N = report.Refused.ToString(CultureInfo.InvariantCulture) },
            ["bytesSent"] = new() { N = report.BytesSent.ToString(CultureInfo.InvariantCulture) },
            ["objectsRead"] = new() { N = report.ObjectsRead.ToString(CultureInfo.InvariantCulture) },
            ["anonymousRequests"] = new() { N = report.AnonymousRequests.ToString(CultureInfo.InvariantCulture) },
            ["gaps"] = new() { L = [.. report.Gaps.Select(g => new AttributeValue(g))] },
            ["contentHash"] = new(report.ContentHash),
        };
        foreach (var (name, value) in new[]
        {
            ("publicFrom", report.PublicFrom is { } from ? T(from) : null), ("publicUntil", report.PublicUntil is { } until ? T(until) : null),
            ("causeEventId", report.CauseEventId), ("causeActor", report.CauseActor), ("dataClassInWindow", report.DataClassInWindow),
            ("evidenceKey", report.Evidence?.Key), ("evidenceSha256", report.Evidence?.Sha256),
        })
        {
            if (value is { Length: > 0 })
            {
                entry[name] = new(value);
            }
        }

        try
        {
            var updated = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table,
                Key = Key("incident#" + incidentId, "incident"),
                ConditionExpression = "attribute_exists(incidentKey) AND (attribute_not_exists(reportHashes) OR NOT contains(reportHashes, :hash))",
                UpdateExpression = "SET reports = list_append(if_not_exists(reports, :none), :entry), lastReportAt = :time ADD reportHashes :hashes",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":hash"] = new(report.ContentHash),
                    [":hashes"] = new() { SS = [report.ContentHash] },
                    [":none"] = new() { L = [] },
                    [":entry"] = new() { L = [new() { M = entry }] },
                    [":time"] = new(T(report.ReportedAt)),
                },
                ReturnValues = ReturnValue.UPDATED_NEW,
            }, cancellationToken).ConfigureAwait(false);
            return new ReportRef(updated.Attributes?.GetValueOrDefault("reports")?.L?.Count ?? throw new InvalidOperationException($"incident {incidentId}: DynamoDB did not return the reports it updated"), Unchanged: false);
        }
        catch (ConditionalCheckFailedException)
        {
            var item = await ReadAsync(incidentId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"incident {incidentId} does not exist: the report cannot be recorded in it");
            var reports = item.GetValueOrDefault("reports")?.L ?? [];
            var earlier = reports.FindIndex(r => r.M?.GetValueOrDefault("contentHash")?.S == report.ContentHash);
            return new ReportRef(earlier + 1, Unchanged: true);
        }
    }

    /// <summary>The open incident of the key: a new one when none is open (the conditional put wins), else the one a
    /// concurrent or earlier event opened.</summary>
    private async Task<(string Id, bool Opened)> OpenOrFindAsync(IncidentUpdate update, CancellationToken cancellationToken)
    {
        var id = update.NewId();
        try
        {
            var pointer = Key("open#" + update.Key, "open");
            pointer["incidentId"] = new(id);
            await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = pointer, ConditionExpression = "attribute_not_exists(pk)" }, cancellationToken).ConfigureAwait(false);
            return (id, true);
        }
        catch (ConditionalCheckFailedException)
        {
            var open = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key("open#" + update.Key, "open"), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
            return (open.Item?.GetValueOrDefault("incidentId")?.S ?? throw new InvalidOperationException($"the open incident of {update.Key} has no incidentId"), false);
        }
    }

    /// <summary>Closes an incident (a person's decision): its state becomes closed and its key's pointer goes, so the
    /// next exposure opens a new incident. False when no such incident exists.</summary>
    public async Task<bool> CloseAsync(string id, string who, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var item = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key("incident#" + id, "incident"), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        if (item.Item?.GetValueOrDefault("incidentKey")?.S is not { } key)
        {
            return false;
        }

        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = Key("incident#" + id, "incident"),
            UpdateExpression = "SET #state = :closed, closedAt = :now, closedBy = :who",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#state"] = "state" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":closed"] = new("closed"),
                [":now"] = new(now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
                [":who"] = new(who),
            },
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            await dynamo.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = table,
                Key = Key("open#" + key, "open"),
                ConditionExpression = "incidentId = :id",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":id"] = new(id) },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // The key's pointer already names a newer incident: it stays.
        }

        return true;
    }

    /// <summary>The incident's item as DynamoDB holds it, or null.</summary>
    public async Task<Dictionary<string, AttributeValue>?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        var item = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key("incident#" + id, "incident"), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        return item.Item is { Count: > 0 } found ? found : null;
    }

    /// <summary>The incident as the record holds it, or null when there is none.</summary>
    /// <exception cref="FormatException">The item lacks a field every incident has: never shown as an empty incident.</exception>
    public async Task<IncidentRecord?> ReadRecordAsync(string id, CancellationToken cancellationToken)
    {
        if (await ReadAsync(id, cancellationToken).ConfigureAwait(false) is not { } item)
        {
            return null;
        }

        static string? S(Dictionary<string, AttributeValue> map, string name) => map.GetValueOrDefault(name)?.S;
        static DateTimeOffset Time(string? text, string what) =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time.ToUniversalTime() : throw new FormatException($"the incident's {what} \"{text}\" is not a time");
        var history = (item.GetValueOrDefault("history")?.L ?? []).Select(e => e.M).OfType<Dictionary<string, AttributeValue>>().Select(m => new IncidentEntry(
            Time(S(m, "time"), "entry time"), S(m, "eventId") ?? "-", S(m, "eventType") ?? "-", S(m, "outcome") ?? "-", S(m, "severity") ?? "-",
            m.GetValueOrDefault("locked")?.BOOL == true, S(m, "actor"), S(m, "exemption"), S(m, "why") ?? "-")
        {
            Evidence = S(m, "evidenceKey") is { } key && S(m, "evidenceSha256") is { } sha ? new EvidenceItem(key, sha, 0) : null,
        }).ToList();
        static int N(Dictionary<string, AttributeValue> map, string name) => int.TryParse(map.GetValueOrDefault(name)?.N, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var reports = (item.GetValueOrDefault("reports")?.L ?? []).Select(e => e.M).OfType<Dictionary<string, AttributeValue>>().Select((m, i) => new ExposureSummary(
            Time(S(m, "reportedAt"), "report time"), S(m, "publicFrom") is { } from ? Time(from, "publicFrom") : null, m.GetValueOrDefault("fromIsLowerBound")?.BOOL == true,
            S(m, "publicUntil") is { } until ? Time(until, "publicUntil") : null, S(m, "causeEventId"), S(m, "causeActor"), S(m, "access") ?? "unknown",
            N(m, "reads"), N(m, "refused"), long.TryParse(m.GetValueOrDefault("bytesSent")?.N, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : 0,
            N(m, "objectsRead"), N(m, "anonymousRequests"), [.. (m.GetValueOrDefault("gaps")?.L ?? []).Select(g => g.S).OfType<string>()], S(m, "contentHash") ?? "-", S(m, "dataClassInWindow"))
        {
            Version = i + 1,
            Evidence = S(m, "evidenceKey") is { } key && S(m, "evidenceSha256") is { } sha ? new EvidenceItem(key, sha, 0) : null,
        }).ToList();
        return new IncidentRecord(
            id, S(item, "incidentKey") ?? throw new FormatException($"incident {id} has no key"),
            S(item, "state") switch { "contained" => IncidentState.Contained, "closed" => IncidentState.Closed, _ => IncidentState.Open },
            Time(S(item, "openedAt"), "openedAt"), Time(S(item, "lastAt"), "lastAt"), S(item, "severity") ?? "unknown", S(item, "dataClass"),
            S(item, "closedAt") is { } closed ? Time(closed, "closedAt") : null, S(item, "closedBy"), [.. history])
        {
            Reports = [.. reports],
        };
    }

    private static Dictionary<string, AttributeValue> Key(string pk, string sk) => new() { ["pk"] = new(pk), ["sk"] = new(sk) };
}
