using System.CommandLine;
using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Aws;
using Tag = BucketGuard.Core.Events.Tag;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Cli;

/// <summary>`bucketguard exempt BUCKET --until DATE --reason TEXT [--scope read|read-list] [--owner WHO] [--sign
/// --account ID] [--apply]`: prints the exemption tags, validated by the same code the functions use; with --sign adds
/// the approval signature (KMS GenerateMac with the caller's credentials on BUCKETGUARD_EXEMPTION_KEY_ID or --key, over
/// the canonical message of account, bucket, scope, end date and reason); with --apply puts them on the bucket (keeping
/// its other tags). `bucketguard exempt BUCKET --verify [--account ID]` says whether the bucket's current exemption
/// verifies. Exit code 0 when valid (and applied, or verified), 1 when --verify finds it not approved, 2 when the
/// command could not do what was asked.</summary>
public static class ExemptCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var bucket = new Argument<string>("BUCKET") { Description = "The bucket to exempt" };
        var until = new Option<string?>("--until") { Description = "Last exempt day, YYYY-MM-DD (UTC, inclusive); required unless --verify" };
        var reason = new Option<string?>("--reason") { Description = "Why the bucket is public on purpose; required unless --verify" };
        var sign = new Option<bool>("--sign") { Description = "Approve: add the signature tag (KMS GenerateMac on the approval key with your credentials)" };
        var verify = new Option<bool>("--verify") { Description = "Say whether the bucket's current exemption is approved (KMS VerifyMac)" };
        var account = new Option<string?>("--account") { Description = "The bucket's account ID, which the signature binds (default: your credentials' account)" };
        var key = new Option<string?>("--key") { Description = "The approval key (ARN, ID or alias/NAME; default BUCKETGUARD_EXEMPTION_KEY_ID)" };
        var scope = new Option<string>("--scope") { Description = "read (object reads) or read-list (reads and listing)", DefaultValueFactory = _ => "read" };
        var owner = new Option<string?>("--owner") { Description = "Who owns the bucket (e-mail or team); notifications go there" };
        var apply = new Option<bool>("--apply") { Description = "Put the tags on the bucket (keeping its other tags)" };
        var command = new Command("exempt", "Print (and with --apply, put) a bucket's exemption tags, validated as BucketGuard will read them; --sign approves, --verify checks")
        {
            bucket, until, reason, scope, owner, sign, account, key, verify, apply,
        };
        command.SetAction((parse, cancellationToken) => parse.GetValue(verify)
            ? VerifyAsync(parse.GetValue(bucket)!, parse.GetValue(account), parse.GetValue(key), output, errors, DateOnly.FromDateTime(DateTime.UtcNow), cancellationToken)
            : parse.GetValue(until) is not { } u || parse.GetValue(reason) is not { } r
                ? Usage(errors)
                : RunAsync(parse.GetValue(bucket)!, u, r, parse.GetValue(scope)!, parse.GetValue(owner), parse.GetValue(apply), output, errors, DateOnly.FromDateTime(DateTime.UtcNow), cancellationToken,
                    new Approval(parse.GetValue(sign), parse.GetValue(account), parse.GetValue(key))));
        return command;
    }

    /// <summary>--sign and what it needs: the bucket's account and the approval key.</summary>
    public sealed record Approval(bool Sign, string? Account, string? Key);

    private static async Task<int> Usage(TextWriter errors)
    {
        await errors.WriteLineAsync("bucketguard exempt: --until and --reason are required (or --verify)").ConfigureAwait(false);
        return 2;
    }

    public static async Task<int> RunAsync(string bucket, string until, string reason, string scope, string? owner, bool apply, TextWriter output, TextWriter errors, DateOnly today, CancellationToken cancellationToken, Approval? approval = null)
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

        if (approval is { Sign: true })
        {
            if ((approval.Key ?? policy.Value!.ExemptionKeyId) is not { } keyId)
            {
                await errors.WriteLineAsync("bucketguard exempt: --sign needs the approval key (--key, or BUCKETGUARD_EXEMPTION_KEY_ID)").ConfigureAwait(false);
                return 2;
            }

            using var kms = AwsClients.CreateKms();
            var verifier = new KmsExemptionVerifier(kms, keyId, null, () => AwsClients.CreateSts(null));
            if (await verifier.AccountAsync(approval.Account, cancellationToken).ConfigureAwait(false) is not { } owningAccount || !BucketGuard.Core.AccountId.IsValid(owningAccount))
            {
                await errors.WriteLineAsync("bucketguard exempt: --sign needs the bucket's 12-digit account ID (--account)").ConfigureAwait(false);
                return 2;
            }

            var signature = await KmsExemptionVerifier.SignAsync(kms, keyId, exemption.CanonicalMessage(owningAccount, bucket)!, cancellationToken).ConfigureAwait(false);
            tags.Add(new Tag(prefix + "exempt-signature", signature));
            exemption = exemption.Approve(null) with { Signature = signature };
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
        var existing = await TagsAsync(s3, bucket, cancellationToken).ConfigureAwait(false);

        var merged = existing.Where(t => !tags.Any(n => string.Equals(n.Key, t.Key, StringComparison.OrdinalIgnoreCase))).ToList();
        merged.AddRange(tags.Select(t => new Amazon.S3.Model.Tag { Key = t.Key, Value = t.Value }));
        await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = merged }, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"applied: {merged.Count} tag(s) on {bucket}")).ConfigureAwait(false);
        return 0;
    }

    /// <summary>--verify: the bucket's exemption as the functions will judge it, with its approval checked.</summary>
    public static async Task<int> VerifyAsync(string bucket, string? account, string? key, TextWriter output, TextWriter errors, DateOnly today, CancellationToken cancellationToken)
    {
        var parsed = RemediationPolicy.FromEnvironment(Environment.GetEnvironmentVariable);
        if (!parsed.Ok)
        {
            await errors.WriteLineAsync($"bucketguard exempt: {parsed.Error}").ConfigureAwait(false);
            return 2;
        }

        var policy = key is null ? parsed.Value! : parsed.Value! with { ExemptionKeyId = key };
        if (policy.ExemptionKeyId is null)
        {
            await errors.WriteLineAsync("bucketguard exempt: --verify needs the approval key (--key, or BUCKETGUARD_EXEMPTION_KEY_ID)").ConfigureAwait(false);
            return 2;
        }

        using var s3 = AwsClients.CreateS3();
        var tagSet = await TagsAsync(s3, bucket, cancellationToken).ConfigureAwait(false);

        var state = BucketState.Gone(bucket) with { Exists = true, Tags = [.. tagSet.Select(t => new Tag(t.Key, t.Value))] };
        var exemption = await ExemptionApprovals.CheckAsync(state, account, policy, AwsClients.ExemptionVerifier(policy), today, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"{bucket}: {exemption}").ConfigureAwait(false);
        return exemption.Approval == ExemptionApproval.Approved ? 0 : 1;
    }

    /// <summary>The bucket's tags; none when it has no tag set.</summary>
    private static async Task<List<Amazon.S3.Model.Tag>> TagsAsync(AmazonS3Client s3, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            return (await s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false)).TagSet ?? [];
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchTagSet")
        {
            return [];
        }
    }

    private static bool IsTagValue(string value) =>
        value.Length <= 256 && value.All(c => char.IsLetterOrDigit(c) || c is ' ' or '+' or '-' or '=' or '.' or '_' or ':' or '/' or '@');
}
