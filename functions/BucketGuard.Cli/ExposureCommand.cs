using System.CommandLine;
using System.Globalization;
using Amazon.CloudTrail;
using BucketGuard.Aws;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Evidence;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Cli;

/// <summary>`bucketguard exposure BUCKET [--since TIME] [--access-logs s3://B/P] [--trail s3://B/P] [--account ID]
/// [--output json|text] [--html FILE]`: when the bucket was public (its management events from CloudTrail LookupEvents, replayed) and
/// who read what while it was (its server access logs and the trail's data events, read from S3). The access logs are
/// found from the bucket's logging configuration unless given. Exit code 0: no read from outside the account in a
/// covered window; 1: something was read, or coverage leaves it unknown; 2: it could not run.</summary>
public static class ExposureCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var bucket = new Argument<string>("BUCKET") { Description = "The bucket" };
        var since = new Option<string?>("--since") { Description = "How far back to look, ISO 8601 (default: 90 days, as far as LookupEvents reaches)" };
        var accessLogs = new Option<string?>("--access-logs") { Description = "Where the bucket's server access logs are, s3://BUCKET/PREFIX (default: its logging configuration)" };
        var trail = new Option<string?>("--trail") { Description = "Where a trail that logs the bucket's data events delivers, s3://BUCKET/PREFIX" };
        var account = new Option<string?>("--account") { Description = "The bucket's account id (default: BUCKETGUARD_HOME_ACCOUNT)" };
        var organization = new Option<string?>("--organization-accounts") { Description = "The organisation's account ids, comma-separated, to tell its accounts from outsiders" };
        var format = new Option<string?>("--output") { Description = "Output format: text (default) or json" };
        format.AcceptOnlyFromAmong("text", "json");
        var html = new Option<FileInfo?>("--html") { Description = "Also write a self-contained HTML report (window, timeline, coverage, sortable table of objects) to this file" };
        var command = new Command("exposure", "When the bucket was public, and who read what while it was") { bucket, since, accessLogs, trail, account, organization, format, html };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(bucket)!, parse.GetValue(since), parse.GetValue(accessLogs), parse.GetValue(trail), parse.GetValue(account), parse.GetValue(organization),
            parse.GetValue(format) == "json", parse.GetValue(html)?.FullName, output, errors, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string bucket, string? sinceText, string? accessLogsText, string? trailText, string? account, string? organizationText, bool json, string? htmlFile, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        var since = DateTimeOffset.MinValue;
        if (sinceText is not null && !DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since))
        {
            await errors.WriteLineAsync($"bucketguard exposure: --since \"{sinceText}\" is not an ISO 8601 time").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        var accessLogs = accessLogsText is null ? null : S3Location.Parse(accessLogsText);
        var trail = trailText is null ? null : S3Location.Parse(trailText);
        foreach (var (name, text, location) in new[] { ("--access-logs", accessLogsText, accessLogs), ("--trail", trailText, trail) })
        {
            if (text is not null && location is null)
            {
                await errors.WriteLineAsync($"bucketguard exposure: {name} \"{text}\" is not s3://BUCKET[/PREFIX]").ConfigureAwait(false);
                return BucketGuardCli.CouldNotRun;
            }
        }
        var settings = BucketGuardSettings.FromEnvironment(Environment.GetEnvironmentVariable);
        if (!settings.Ok)
        {
            await errors.WriteLineAsync($"bucketguard exposure: {settings.Error}").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        var policy = settings.Value!.Policy;
        account ??= policy.MemberRole.HomeAccount;
        using var s3 = AwsClients.CreateS3();
        using var cloudTrail = new AmazonCloudTrailClient();
        var organization = organizationText?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var investigation = new ExposureInvestigation(s3, cloudTrail, policy, TimeProvider.System, errors.WriteLine);
        var answer = await investigation.InvestigateAsync(new ExposureQuestion(bucket, account, null, sinceText is null ? null : since, accessLogs, trail, organization), cancellationToken).ConfigureAwait(false);
        if (!answer.Ok)
        {
            await errors.WriteLineAsync($"bucketguard exposure: {answer.Error}").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        var report = answer.Value!;
        await output.WriteAsync(json ? report.Json() + "\n" : report.Text()).ConfigureAwait(false);
        if (htmlFile is not null && !await BucketGuardCli.WriteHtmlAsync(htmlFile, ExposureHtml.Write(report, account, DateTimeOffset.UtcNow), "exposure", errors, cancellationToken).ConfigureAwait(false))
        {
            return BucketGuardCli.CouldNotRun;
        }

        return report.Ledger.Verdict is LedgerVerdict.NoOutsideAccess or LedgerVerdict.Attempted ? 0 : 1;
    }
}
