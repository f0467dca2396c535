using System.CommandLine;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Incidents;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Cli;

/// <summary>`bucketguard incident show ID [--output json|text]` and `bucketguard incident close ID --by WHO`: an
/// incident of the record (BUCKETGUARD_INCIDENT_TABLE, the stack's output IncidentTableName) as its breach-assessment
/// report (BreachAssessment: the timeline, the HIPAA and GDPR worksheet with its deadlines, what is unknown); closing it (a person's decision) makes
/// the next exposure of that bucket open a new incident. Exit code 0: shown or closed; 2: no such incident, or it could
/// not run. Every text from the record (keys, actors, reasons) is neutralised on output.</summary>
public static class IncidentCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var id = new Argument<string>("ID") { Description = "The incident id (inc-yyyyMMdd-HASH), as the notification's incidentId says" };
        var format = new Option<string?>("--output") { Description = "Output format: text (default) or json" };
        format.AcceptOnlyFromAmong("text", "json");
        var show = new Command("show", "Show an incident: its timeline and breach-assessment worksheet (HIPAA, GDPR Article 33)") { id, format };
        show.SetAction((parse, ct) => ShowAsync(parse.GetValue(id)!, parse.GetValue(format) == "json", output, errors, ct));

        var closeId = new Argument<string>("ID") { Description = "The incident id" };
        var by = new Option<string>("--by") { Description = "Who closes it (recorded with it)", Required = true };
        var close = new Command("close", "Close an incident: the next exposure of its bucket opens a new one") { closeId, by };
        close.SetAction((parse, ct) => CloseAsync(parse.GetValue(closeId)!, parse.GetValue(by)!, output, errors, ct));
        return new Command("incident", "The incident record: show or close an incident") { show, close };
    }

    /// <summary>The record, once the id is one and the table is set; null (said on standard error) otherwise.</summary>
    private static async Task<DynamoDbIncidents?> StoreAsync(string id, TextWriter errors)
    {
        if (!ValidId(id))
        {
            await errors.WriteLineAsync($"bucketguard incident: \"{Untrusted.Clean(id, 60)}\" is not an incident id (inc-yyyyMMdd-HASH)").ConfigureAwait(false);
            return null;
        }

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
        if (await StoreAsync(id, errors).ConfigureAwait(false) is not { } store)
        {
            return BucketGuardCli.CouldNotRun;
        }

        if (await store.ReadRecordAsync(id, cancellationToken).ConfigureAwait(false) is not { } record)
        {
            await errors.WriteLineAsync($"bucketguard incident: no incident {id}").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        await output.WriteAsync(json ? BreachAssessment.Json(record) + "\n" : BreachAssessment.Text(record)).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> CloseAsync(string id, string by, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        if (await StoreAsync(id, errors).ConfigureAwait(false) is not { } store)
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
