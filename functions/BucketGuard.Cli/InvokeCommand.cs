using System.CommandLine;
using BucketGuard.Aws;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Cli;

/// <summary>`bucketguard invoke EVENT.json [--topic ARN]`: runs the remediation pipeline the functions run, in
/// process, against the configured AWS (or local) endpoints, for local use and support. It acts for real: in mode
/// enforce a public bucket is locked. Exit code 0 when the event was handled, 2 when it could not be.</summary>
public static class InvokeCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var file = new Argument<string>("EVENT") { Description = "An EventBridge \"AWS API Call via CloudTrail\" event (JSON file)" };
        var topic = new Option<string?>("--topic") { Description = "SNS topic for the notification (default: BUCKETGUARD_TOPIC_ARN)" };
        var mode = new Option<string?>("--mode") { Description = "enforce or notify (default: BUCKETGUARD_MODE, else enforce)" };
        var command = new Command("invoke", "Handle one CloudTrail event exactly as the functions do, against the configured endpoints") { file, topic, mode };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(file)!, parse.GetValue(topic), parse.GetValue(mode), output, errors, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string path, string? topic, string? mode, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await errors.WriteLineAsync($"bucketguard invoke: {path}: cannot be read: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        string? Setting(string name) => name switch
        {
            "BUCKETGUARD_TOPIC_ARN" when topic is not null => topic,
            "BUCKETGUARD_MODE" when mode is not null => mode,
            _ => Environment.GetEnvironmentVariable(name),
        };

        var pipeline = Composition.CreatePipeline(Setting);
        if (!pipeline.Ok)
        {
            await errors.WriteLineAsync($"bucketguard invoke: {pipeline.Error}").ConfigureAwait(false);
            return 2;
        }

        HandledEvent handled;
        try
        {
            handled = await pipeline.Value!.HandleAsync(json, cancellationToken).ConfigureAwait(false);
        }
        catch (OutputsFailedException failed)
        {
            // What was done is said as well as what failed: a lock that took effect must not read as nothing done.
            await output.WriteLineAsync(DecisionRecord.LogLine("invoke", "local-" + Guid.NewGuid().ToString("n")[..12], failed.Handled, DateTimeOffset.UtcNow)).ConfigureAwait(false);
            var done = failed.Handled switch
            {
                { Verdict.Outcome: Outcome.Block, Result: { Succeeded: true } result } => $"bucket {failed.Handled.Change?.Bucket} locked ({result.InForce?.ToString() ?? "Block Public Access put"})",
                { Change.Bucket: { } bucket } => $"bucket {bucket}: {failed.Handled.Verdict.Outcome}",
                _ => "the event was decided",
            };
            await errors.WriteLineAsync($"bucketguard invoke: {done}; notification not sent: {failed.Message}").ConfigureAwait(false);
            return 2;
        }

        await output.WriteLineAsync(DecisionRecord.LogLine("invoke", "local-" + Guid.NewGuid().ToString("n")[..12], handled, DateTimeOffset.UtcNow)).ConfigureAwait(false);
        if (handled.Notification is { } sent)
        {
            await output.WriteLineAsync($"notified ({sent.Attributes["event"]}, {sent.Attributes["severity"]}): {sent.Subject}").ConfigureAwait(false);
        }

        return 0;
    }
}
