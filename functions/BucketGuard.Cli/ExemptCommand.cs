using System.CommandLine;
using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Aws;
using BucketGuard.Core.Remediation;
using Tag = BucketGuard.Core.Events.Tag;

namespace BucketGuard.Cli;

/// <summary>`bucketguard exempt BUCKET --until DATE --reason TEXT [--scope read|read-list] [--owner WHO] [--apply]`:
/// prints the exemption tags, validated by the same code the functions use, and with --apply puts them on the bucket
/// (keeping its other tags). Exit code 0 when valid (and applied), 2 when not.</summary>
public static class ExemptCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var bucket = new Argument<string>("BUCKET") { Description = "The bucket to exempt" };
        var until = new Option<string>("--until") { Description = "Last exempt day, YYYY-MM-DD (UTC, inclusive)", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why the bucket is public on purpose", Required = true };
        var scope = new Option<string>("--scope") { Description = "read (object reads) or read-list (reads and listing)", DefaultValueFactory = _ => "read" };
        var owner = new Option<string?>("--owner") { Description = "Who owns the bucket (e-mail or team); notifications go there" };
        var apply = new Option<bool>("--apply") { Description = "Put the tags on the bucket (keeping its other tags)" };
        var command = new Command("exempt", "Print (and with --apply, put) a bucket's exemption tags, validated as BucketGuard will read them")
        {
            bucket, until, reason, scope, owner, apply,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(bucket)!, parse.GetValue(until)!, parse.GetValue(reason)!, parse.GetValue(scope)!,
            parse.GetValue(owner), parse.GetValue(apply), output, errors, DateOnly.FromDateTime(DateTime.UtcNow), cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string bucket, string until, string reason, string scope, string? owner, bool apply, TextWriter output, TextWriter errors, DateOnly today, CancellationToken cancellationToken)
    {
        var policy = RemediationPolicy.FromEnvironment(Environment.GetEnvironmentVariable);
        if (!policy.Ok)
        {
            await errors.WriteLineAsync($"bucketguard exempt: {policy.Error}").ConfigureAwait(false);
            return 2;
        }

        var prefix = policy.Value!.TagPrefix;
        List<Tag> tags = [new(prefix + "exempt-until", until), new(prefix + "exempt-scope", scope), new(prefix + "exempt-reason", reason)];
        if (owner is not null)
        {
            tags.Insert(0, new Tag(prefix + "owner", owner));
        }

        var problems = tags.Where(t => !IsTagValue(t.Value)).Select(t => $"{t.Key} \"{t.Value}\": S3 tag values allow only letters, digits, spaces and + - = . _ : / @").ToList();
        var exemption = Exemption.From(tags, policy.Value!, today);
        problems.AddRange(exemption.Problems);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await errors.WriteLineAsync("bucketguard exempt: " + problem).ConfigureAwait(false);
            }

            return 2;
        }

        await output.WriteLineAsync($"{bucket}: {exemption}").ConfigureAwait(false);
        foreach (var tag in tags)
        {
            await output.WriteLineAsync($"  {tag.Key} = {tag.Value}").ConfigureAwait(false);
        }

        if (!apply)
        {
            await output.WriteLineAsync("(not applied: add --apply to put these tags on the bucket, keeping its other tags)").ConfigureAwait(false);
            return 0;
        }

        using var s3 = AwsClients.CreateS3();
        List<Amazon.S3.Model.Tag> existing;
        try
        {
            existing = (await s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false)).TagSet ?? [];
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchTagSet")
        {
            existing = [];
        }

        var merged = existing.Where(t => !tags.Any(n => string.Equals(n.Key, t.Key, StringComparison.OrdinalIgnoreCase))).ToList();
        merged.AddRange(tags.Select(t => new Amazon.S3.Model.Tag { Key = t.Key, Value = t.Value }));
        await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = merged }, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"applied: {merged.Count} tag(s) on {bucket}")).ConfigureAwait(false);
        return 0;
    }

    private static bool IsTagValue(string value) =>
        value.Length <= 256 && value.All(c => char.IsLetterOrDigit(c) || c is ' ' or '+' or '-' or '=' or '.' or '_' or ':' or '/' or '@');
}
