using System.CommandLine;
using System.Text;
using Amazon.DynamoDBv2.Model;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Cli;

/// <summary>`bucketguard incident show ID [--output json|text]` and `bucketguard incident close ID --by WHO`: an
/// incident of the record (BUCKETGUARD_INCIDENT_TABLE, the stack's output IncidentTableName) as it stands: what it is
/// about, its state, when it opened and last changed, and every decision in it; closing it (a person's decision) makes
/// the next exposure of that bucket open a new incident. Exit code 0: shown or closed; 2: no such incident, or it could
/// not run. Every text from the record (keys, actors, reasons) is neutralised on output.</summary>
public static class IncidentCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var id = new Argument<string>("ID") { Description = "The incident id (inc-yyyyMMdd-HASH), as the notification's incidentId says" };
        var format = new Option<string?>("--output") { Description = "Output format: text (default) or json" };
        format.AcceptOnlyFromAmong("text", "json");
        var show = new Command("show", "Show an incident: its state and every decision in it") { id, format };
        show.SetAction((parse, ct) => ShowAsync(parse.GetValue(id)!, parse.GetValue(format) == "json", output, errors, ct));

        var closeId = new Argument<string>("ID") { Description = "The incident id" };
        var by = new Option<string>("--by") { Description = "Who closes it (recorded with it)", Required = true };
        var close = new Command("close", "Close an incident: the next exposure of its bucket opens a new one") { closeId, by };
        close.SetAction((parse, ct) => CloseAsync(parse.GetValue(closeId)!, parse.GetValue(by)!, output, errors, ct));
        return new Command("incident", "The incident record: show or close an incident") { show, close };
    }

    private static async Task<DynamoDbIncidents?> StoreAsync(TextWriter errors)
    {
        var settings = BucketGuardSettings.FromEnvironment(Environment.GetEnvironmentVariable);
        if (!settings.Ok || settings.Value!.IncidentTable is not { } table)
        {
            await errors.WriteLineAsync($"bucketguard incident: {(settings.Ok ? "BUCKETGUARD_INCIDENT_TABLE is not set (the stack's output IncidentTableName)" : settings.Error)}").ConfigureAwait(false);
            return null;
        }

        return new DynamoDbIncidents(AwsClients.CreateDynamoDb(), table);
    }

    private static bool ValidId(string id) => id.StartsWith("inc-", StringComparison.Ordinal) && id.Length <= 40 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static async Task<int> ShowAsync(string id, bool json, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        if (!ValidId(id))
        {
            await errors.WriteLineAsync($"bucketguard incident: \"{Untrusted.Clean(id, 60)}\" is not an incident id (inc-yyyyMMdd-HASH)").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        if (await StoreAsync(errors).ConfigureAwait(false) is not { } store)
        {
            return BucketGuardCli.CouldNotRun;
        }

        if (await store.ReadAsync(id, cancellationToken).ConfigureAwait(false) is not { } item)
        {
            await errors.WriteLineAsync($"bucketguard incident: no incident {id}").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        string? S(Dictionary<string, AttributeValue> map, string name) => map.GetValueOrDefault(name)?.S;
        var history = item.GetValueOrDefault("history")?.L?.Select(e => e.M).Where(m => m is not null).ToList() ?? [];
        if (json)
        {
            await output.WriteLineAsync(JsonLine.Write(w =>
            {
                w.WriteNumber("version", 1);
                w.WriteString("id", id);
                foreach (var name in new[] { "incidentKey", "state", "openedAt", "lastAt", "severity", "dataClass", "closedAt", "closedBy" })
                {
                    w.WriteString(name == "incidentKey" ? "key" : name, Untrusted.Clean(S(item, name), 1024));
                }

                w.WriteStartArray("history");
                foreach (var entry in history)
                {
                    w.WriteStartObject();
                    foreach (var (name, value) in entry!.OrderBy(e => e.Key, StringComparer.Ordinal))
                    {
                        if (value.BOOL is { } flag)
                        {
                            w.WriteBoolean(name, flag);
                        }
                        else
                        {
                            w.WriteString(name, Untrusted.Clean(value.S, 1024));
                        }
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
            })).ConfigureAwait(false);
            return 0;
        }

        var text = new StringBuilder();
        text.AppendLine($"Incident {id}: {Untrusted.Clean(S(item, "incidentKey"))}, {S(item, "state")}, severity {S(item, "severity")}, data class {S(item, "dataClass")}");
        text.AppendLine($"Opened {S(item, "openedAt")}, last changed {S(item, "lastAt")}{(S(item, "closedAt") is { } closed ? $", closed {closed} by {Untrusted.Clean(S(item, "closedBy"))}" : string.Empty)}.");
        text.AppendLine($"Decisions ({history.Count}):");
        foreach (var entry in history.OrderBy(e => S(e!, "time"), StringComparer.Ordinal))
        {
            text.AppendLine($"  {S(entry!, "time")} {S(entry!, "eventType")} ({S(entry!, "outcome")}, {S(entry!, "severity")}) event {Untrusted.Clean(S(entry!, "eventId"))} by {Untrusted.Clean(S(entry!, "actor") ?? "-")}: {Untrusted.Clean(S(entry!, "why"), 300)}");
        }

        await output.WriteAsync(text.ToString()).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> CloseAsync(string id, string by, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        if (!ValidId(id))
        {
            await errors.WriteLineAsync($"bucketguard incident: \"{Untrusted.Clean(id, 60)}\" is not an incident id (inc-yyyyMMdd-HASH)").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        if (await StoreAsync(errors).ConfigureAwait(false) is not { } store)
        {
            return BucketGuardCli.CouldNotRun;
        }

        if (!await store.CloseAsync(id, Untrusted.Clean(by, 200) ?? "-", DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false))
        {
            await errors.WriteLineAsync($"bucketguard incident: no incident {id}").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        await output.WriteLineAsync($"incident {id} closed: the next exposure of its bucket opens a new incident").ConfigureAwait(false);
        return 0;
    }
}
