using System.Collections.Immutable;
using Amazon.CloudTrail;
using Amazon.CloudTrail.Model;
using Amazon.S3;
using BucketGuard.Core;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Evidence;

namespace BucketGuard.Aws;

/// <summary>What to find out about one bucket (or one of its objects).</summary>
/// <param name="Account">The bucket's account: finds the trail's files, tells inside from outside.</param>
/// <param name="ObjectKey">Replay this object's exposure (its ACL) instead of the bucket's; the ledger is the bucket's.</param>
/// <param name="Since">How far back to look; older than LookupEvents' 90 days only with a trail; null: as far as
/// LookupEvents reaches.</param>
/// <param name="AccessLogs">Where its server access logs are; null: from its logging configuration.</param>
/// <param name="Trail">Where a trail that logs its data events delivers; null: the trails CloudTrail describes here.</param>
/// <param name="Organization">The organisation's account ids, to tell its accounts from outsiders; null: unknown.</param>
public sealed record ExposureQuestion(
    string Bucket, string? Account, string? ObjectKey, DateTimeOffset? Since, S3Location? AccessLogs, S3Location? Trail,
    IReadOnlySet<string>? Organization)
{
    /// <summary>Keep the raw records of up to this many counted outside requests in the report (ExposureReport.Sources),
    /// for an incident's evidence; 0: none.</summary>
    public int KeepSources { get; init; }
}

/// <summary>The one path from a bucket to its ExposureReport, shared by `bucketguard exposure` and the after-lock function:
/// the bucket's state now, its management events (CloudTrail LookupEvents; older ones from the trail's files), the window
/// they replay to (ExposureWindow), and the ledger over it from the access evidence in S3 (S3EvidenceFiles), with the
/// trail's event selectors checked (DataEventSelectors) so that a trail that does not log the bucket is a gap, not
/// silence.</summary>
/// <param name="progress">Told what is being read, for a person watching a long read.</param>
public sealed class ExposureInvestigation(AmazonS3Client s3, IAmazonCloudTrail cloudTrail, RemediationPolicy policy, TimeProvider clock, Action<string>? progress = null)
{
    /// <returns>The report; a failure when the bucket does not exist.</returns>
    /// <exception cref="AmazonServiceException">S3 or CloudTrail failed after the SDK's retries (throttling, outage).</exception>
    public async Task<Parsed<ExposureReport>> InvestigateAsync(ExposureQuestion question, CancellationToken cancellationToken)
    {
        var bucket = question.Bucket;
        var now = clock.GetUtcNow();
        var reader = S3BucketStateReader.FromEnvironment(s3, policy);
        var read = question.ObjectKey is { } key
            ? await reader.ReadObjectAsync(bucket, key, null, question.Account, cancellationToken).ConfigureAwait(false)
            : await reader.ReadAsync(bucket, question.Account, cancellationToken).ConfigureAwait(false);
        if (!read.Exists)
        {
            return Parsed<ExposureReport>.Failure($"bucket {bucket} does not exist (NoSuchBucket)");
        }

        var region = s3.Config.RegionEndpoint?.SystemName ?? s3.Config.AuthenticationRegion ?? "us-east-1";
        var partition = s3.Config.RegionEndpoint?.PartitionName ?? "aws";
        var files = new S3EvidenceFiles(s3);
        var problems = ImmutableArray.CreateBuilder<string>();
        problems.AddRange(read.Problems.Select(p => $"reading the bucket: {p}"));
        var (trail, reads) = await TrailAsync(question, region, partition, files, problems, cancellationToken).ConfigureAwait(false);

        progress?.Invoke($"reading the management events of {bucket} from CloudTrail LookupEvents...");
        var history = await new CloudTrailHistory(cloudTrail, clock).ReadAsync(bucket, question.Since ?? now - CloudTrailHistory.Reach, now, cancellationToken).ConfigureAwait(false);
        if (trail is not null && question.Account is { } owner && question.Since is { } since && since < history.Reaches)
        {
            // Older than LookupEvents reaches: the trail's own files, the same records in the same parser.
            progress?.Invoke($"reading older management events of {bucket} from s3://{trail.Location.Bucket}/{trail.Location.Prefix}...");
            var older = await files.ReadTrailHistoryAsync(trail, owner, region, bucket, since, history.Reaches, cancellationToken).ConfigureAwait(false);
            var known = history.Changes.Select(c => c.EventId).ToHashSet(StringComparer.Ordinal);
            history = new ManagementHistory([.. older.Changes.Where(c => !known.Contains(c.EventId)), .. history.Changes], older.Reaches, [.. older.Problems, .. history.Problems]);
        }

        problems.AddRange(history.Problems);
        var window = ExposureWindow.Replay(bucket, question.ObjectKey, history.Changes, read, now, history.Reaches, now, change => Remediation.IsOwnCall(change, policy));
        var from = window.Start ?? history.Reaches;
        var to = window.End ?? now;
        var ledger = new AccessLedger(bucket, question.Account ?? string.Empty, from, to, question.Organization).KeepSources(question.KeepSources);
        var coverage = new List<SourceCoverage>();
        var accessLogs = question.AccessLogs;
        if (accessLogs is null)
        {
            try
            {
                var logging = await s3.GetBucketLoggingAsync(new Amazon.S3.Model.GetBucketLoggingRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
                accessLogs = logging.BucketLoggingConfig?.TargetBucketName is { Length: > 0 } target ? new S3Location(target, logging.BucketLoggingConfig.TargetPrefix ?? string.Empty) : null;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.Forbidden)
            {
                problems.Add($"the bucket's access logging could not be read: {ex.ErrorCode} (s3:GetBucketLogging): server access logs are counted as off");
            }
        }

        if (accessLogs is not null)
        {
            progress?.Invoke($"reading server access logs from s3://{accessLogs.Bucket}/{accessLogs.Prefix}...");
            var (covered, unread) = await Refused(RequestSource.AccessLog, $"s3://{accessLogs.Bucket}/{accessLogs.Prefix}", () => files.ReadAccessLogsAsync(accessLogs, from, to, ledger, cancellationToken)).ConfigureAwait(false);
            coverage.Add(covered);
            problems.AddRange(unread);
        }
        else
        {
            coverage.Add(new SourceCoverage(RequestSource.AccessLog, false, null, null));
        }

        if (trail is not null && question.Account is { } account)
        {
            progress?.Invoke($"reading CloudTrail data events from s3://{trail.Location.Bucket}/{trail.Location.Prefix}...");
            var (covered, unread) = await Refused(RequestSource.DataEvent, $"s3://{trail.Location.Bucket}/{trail.Location.Prefix}", () => files.ReadTrailAsync(trail, account, region, reads, from, to, ledger, cancellationToken)).ConfigureAwait(false);
            coverage.Add(covered);
            problems.AddRange(unread);
        }
        else
        {
            coverage.Add(new SourceCoverage(RequestSource.DataEvent, false, null, null, trail is null ? "no trail here logs this bucket's object reads" : null));
            if (trail is not null)
            {
                problems.Add("the trail's files need the bucket's account (--account or BUCKETGUARD_HOME_ACCOUNT) to be found");
            }
        }

        return Parsed<ExposureReport>.Success(new ExposureReport(bucket, window, ledger.Report(coverage), problems.ToImmutable())
        {
            DataClassInWindow = question.ObjectKey is null ? DataClassInWindow.Of(bucket, history.Changes, read, policy, from, window.End) : null,
            Sources = [.. ledger.Sources],
            SourcesNotKept = ledger.SourcesNotKept,
        });
    }

    /// <summary>The trail to read data events from and how much of the bucket's reads it logs: the one given (its
    /// selectors looked up when CloudTrail describes it here), else the described trail that logs the most of them. A
    /// trail applies when it is multi-region or its home region is the bucket's.</summary>
    private async Task<(TrailFiles? Trail, DataEventScope? Reads)> TrailAsync(ExposureQuestion question, string region, string partition, S3EvidenceFiles files, ImmutableArray<string>.Builder problems, CancellationToken cancellationToken)
    {
        List<Trail> trails;
        try
        {
            trails = (await cloudTrail.DescribeTrailsAsync(new DescribeTrailsRequest { IncludeShadowTrails = true }, cancellationToken).ConfigureAwait(false)).TrailList ?? [];
        }
        catch (AmazonCloudTrailException ex) when (ex.StatusCode is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.BadRequest)
        {
            problems.Add($"the trails could not be described: {ex.Message}");
            return (question.Trail is { } given ? new TrailFiles(given, $"s3://{given.Bucket}/{given.Prefix}") : null, null);
        }

        (TrailFiles? Trail, DataEventScope? Reads) best = (null, null);
        foreach (var trail in trails.Where(t => t.S3BucketName is { Length: > 0 } && (t.IsMultiRegionTrail == true || t.HomeRegion == region)))
        {
            var location = new S3Location(trail.S3BucketName!, trail.S3KeyPrefix ?? string.Empty);
            if (question.Trail is { } given && !(given.Bucket == location.Bucket && given.Prefix.TrimEnd('/') == location.Prefix.TrimEnd('/')))
            {
                continue;
            }

            DataEventScope? reads;
            try
            {
                var selectors = await cloudTrail.GetEventSelectorsAsync(new GetEventSelectorsRequest { TrailName = trail.TrailARN ?? trail.Name }, cancellationToken).ConfigureAwait(false);
                reads = DataEventSelectors.ReadsOf(question.Bucket, partition, Basic(selectors), Advanced(selectors));
            }
            catch (AmazonCloudTrailException ex) when (ex.StatusCode is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.BadRequest)
            {
                // An organisation trail's selectors may be readable only in its home account: read its files unchecked.
                problems.Add($"the event selectors of trail {Untrusted.Clean(trail.Name ?? trail.TrailARN)} could not be read: {ex.Message}");
                reads = null;
            }

            if (best.Trail is null || (reads ?? DataEventScope.Part) > (best.Reads ?? DataEventScope.Part))
            {
                var organization = trail.IsOrganizationTrail == true ? await files.OrganizationIdAsync(location, cancellationToken).ConfigureAwait(false) : null;
                best = (new TrailFiles(location, Untrusted.Clean(trail.Name ?? trail.TrailARN) ?? "(unnamed)", organization), reads);
            }
        }

        if (best.Trail is null && question.Trail is { } unknown)
        {
            // Given, but not a trail CloudTrail describes here: read it, and say its selectors were not checked.
            return (new TrailFiles(unknown, $"s3://{unknown.Bucket}/{unknown.Prefix}"), null);
        }

        return best.Reads == DataEventScope.None && question.Trail is null ? (null, null) : best;
    }

    /// <summary>Evidence the function may not read (a log bucket in another account, a key policy that refuses
    /// kms:Decrypt) or that is gone is a gap in the coverage and a problem, not a failed investigation: retrying cannot
    /// grant the permission.</summary>
    private static async Task<(SourceCoverage Coverage, List<string> Problems)> Refused(RequestSource source, string where, Func<Task<(SourceCoverage, List<string>)>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.NotFound)
        {
            var why = $"{where} could not be read: {ex.ErrorCode ?? ((int)ex.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)} (BucketGuard's role needs s3:ListBucket and s3:GetObject there, and kms:Decrypt for encrypted files)";
            return (new SourceCoverage(source, true, null, null, why, Complete: false), [why]);
        }
    }

    private static ImmutableArray<BasicEventSelector> Basic(GetEventSelectorsResponse response) =>
        [.. (response.EventSelectors ?? []).Select(e => new BasicEventSelector(
            e.ReadWriteType?.Value ?? "All",
            [.. (e.DataResources ?? []).Select(r => new Core.Evidence.DataResource(r.Type ?? string.Empty, [.. r.Values ?? []]))]))];

    private static ImmutableArray<Core.Evidence.AdvancedEventSelector> Advanced(GetEventSelectorsResponse response) =>
        [.. (response.AdvancedEventSelectors ?? []).Select(a => new Core.Evidence.AdvancedEventSelector(
            [.. (a.FieldSelectors ?? []).Select(f => new FieldSelector(
                f.Field ?? string.Empty, [.. f.Equals ?? []], [.. f.StartsWith ?? []], [.. f.EndsWith ?? []],
                [.. f.NotEquals ?? []], [.. f.NotStartsWith ?? []], [.. f.NotEndsWith ?? []]))]))];
}
