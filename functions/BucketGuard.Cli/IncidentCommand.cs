using System.CommandLine;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Incidents;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Cli;

/// <summary>`bucketguard incident show ID [--output json|text] [--html FILE]`, `bucketguard incident verify ID` and `bucketguard incident close ID --by WHO`: an
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
        var html = new Option<FileInfo?>("--html") { Description = "Also write the report as a self-contained HTML page with the worksheet as a form to complete and save" };
        var show = new Command("show", "Show an incident: its timeline and breach-assessment worksheet (HIPAA, GDPR Article 33)") { id, format, html };
        show.SetAction((parse, ct) => ShowAsync(parse.GetValue(id)!, parse.GetValue(format) == "json", parse.GetValue(html)?.FullName, output, errors, ct));

        var closeId = new Argument<string>("ID") { Description = "The incident id" };
        var by = new Option<string>("--by") { Description = "Who closes it (recorded with it)", Required = true };
        var close = new Command("close", "Close an incident: the next exposure of its bucket opens a new one") { closeId, by };
        close.SetAction((parse, ct) => CloseAsync(parse.GetValue(closeId)!, parse.GetValue(by)!, output, errors, ct));
        var verifyId = new Argument<string>("ID") { Description = "The incident id" };
        var verify = new Command("verify", "Check every piece of the incident's evidence against its SHA-256, and its Object Lock retention") { verifyId };
        verify.SetAction((parse, ct) => VerifyAsync(parse.GetValue(verifyId)!, output, errors, ct));
        return new Command("incident", "The incident record: show, verify or close an incident") { show, verify, close };
    }

    /// <summary>The record, once the id is one and the table is set; null (said on standard error) otherwise.</summary>
    private static async Task<DynamoDbIncidents?> StoreAsync(string id, TextWriter errors) => (await OpenAsync(id, errors).ConfigureAwait(false)).Store;

    /// <summary>The record and the settings it was found from (null store, said on standard error, when it cannot be).</summary>
    private static async Task<(DynamoDbIncidents? Store, BucketGuardSettings? Settings)> OpenAsync(string id, TextWriter errors)
    {
        if (!ValidId(id))
        {
            await errors.WriteLineAsync($"bucketguard incident: \"{Untrusted.Clean(id, 60)}\" is not an incident id (inc-yyyyMMdd-HASH)").ConfigureAwait(false);
            return (null, null);
        }

        var settings = BucketGuardSettings.FromEnvironment(Environment.GetEnvironmentVariable);
        if (!settings.Ok || settings.Value!.IncidentTable is not { } table)
        {
            await errors.WriteLineAsync($"bucketguard incident: {(settings.Ok ? "BUCKETGUARD_INCIDENT_TABLE is not set (the stack's output IncidentTableName)" : settings.Error)}").ConfigureAwait(false);
            return (null, null);
        }

        return (new DynamoDbIncidents(AwsClients.CreateDynamoDb(), table), settings.Value);
    }

    private static bool ValidId(string id) => BucketGuard.Core.Reports.ExposureRequest.IsIncidentId(id);

    private static async Task<int> ShowAsync(string id, bool json, string? htmlFile, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
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
        if (htmlFile is not null && !await BucketGuardCli.WriteHtmlAsync(htmlFile, IncidentHtml.Write(record, DateTimeOffset.UtcNow), "incident", errors, cancellationToken).ConfigureAwait(false))
        {
            return BucketGuardCli.CouldNotRun;
        }

        return 0;
    }

    /// <summary>Exit code 0: every piece of evidence the incident lists is there with its hash; 1: one is missing or
    /// differs; 2: it could not run (no such incident, no evidence bucket set).</summary>
    private static async Task<int> VerifyAsync(string id, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        var (opened, settings) = await OpenAsync(id, errors).ConfigureAwait(false);
        if (opened is not { } store)
        {
            return BucketGuardCli.CouldNotRun;
        }

        // From the settings, checked as every BUCKETGUARD_* setting is (a bucket name), not read raw.
        if (settings!.IncidentEvidenceBucket is not { } bucket)
        {
            await errors.WriteLineAsync("bucketguard incident: BUCKETGUARD_INCIDENT_EVIDENCE_BUCKET is not set (the stack's output IncidentEvidenceBucketName)").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        if (await store.ReadRecordAsync(id, cancellationToken).ConfigureAwait(false) is not { } record)
        {
            await errors.WriteLineAsync($"bucketguard incident: no incident {id}").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        var evidence = new S3EvidenceStore(AwsClients.CreateS3(), bucket);
        var failed = 0;
        foreach (var entry in record.History.OrderBy(h => h.Time))
        {
            if (entry.Evidence is not { } item)
            {
                await output.WriteLineAsync($"none kept  {Untrusted.Clean(entry.EventId)} ({entry.EventType})").ConfigureAwait(false);
                continue;
            }

            try
            {
                var (sha, mode, until) = await evidence.ReadAsync(item.Key, cancellationToken).ConfigureAwait(false);
                var ok = string.Equals(sha, item.Sha256, StringComparison.Ordinal);
                failed += ok ? 0 : 1;
                await output.WriteLineAsync($"{(ok ? "ok        " : "DIFFERS   ")} {item.Key} sha256 {sha}{(ok ? string.Empty : $" (the incident lists {item.Sha256})")}; {(mode is null ? "no Object Lock retention" : $"{mode} until {until:u}")}").ConfigureAwait(false);
            }
            catch (Amazon.S3.AmazonS3Exception ex) when (ex.ErrorCode is "NoSuchKey" or "NotFound")
            {
                failed++;
                await output.WriteLineAsync($"MISSING    {item.Key}").ConfigureAwait(false);
            }
        }

        await output.WriteLineAsync(failed == 0 ? $"incident {id}: the evidence matches its hashes" : $"incident {id}: {failed} piece(s) of evidence missing or changed").ConfigureAwait(false);
        return failed == 0 ? 0 : 1;
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
