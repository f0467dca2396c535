using System.Collections.Immutable;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Core.Events;
using BucketGuard.Core.Evidence;

namespace BucketGuard.Aws;

/// <summary>An S3 location: a bucket and a key prefix (s3://bucket/prefix/).</summary>
public sealed record S3Location(string Bucket, string Prefix)
{
    /// <returns>Null when the text is not s3://BUCKET[/PREFIX].</returns>
    public static S3Location? Parse(string text)
    {
        if (!text.StartsWith("s3://", StringComparison.Ordinal) || text.Length <= 5)
        {
            return null;
        }

        var rest = text[5..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? new S3Location(rest, string.Empty) : slash == 0 ? null : new S3Location(rest[..slash], rest[(slash + 1)..]);
    }
}

/// <summary>Where a trail delivers its log files: the bucket and prefix, and for an organisation trail the organisation's
/// id, which its keys carry after AWSLogs/ (CloudTrail User Guide, "Creating a trail for an organization").</summary>
/// <param name="Name">The trail's name or ARN, for the report; the location when the trail is not known.</param>
public sealed record TrailFiles(S3Location Location, string Name, string? OrganizationId = null);

/// <summary>Reads the access evidence an account keeps in S3 into an AccessLedger, straight from the files: S3 server
/// access log objects (S3 User Guide, "Amazon S3 server access log format"; object keys in the simple format
/// TargetPrefix + YYYY-mm-DD-HH-MM-SS-UniqueString, or the partitioned one with account/region/bucket/date folders
/// before the same name) and a trail's log files
/// (PREFIX/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz;
/// CloudTrail User Guide, "Finding your CloudTrail log files"). Files are read one at a time and streamed.</summary>
public sealed class S3EvidenceFiles(IAmazonS3 s3)
{
    /// <summary>How long after a request its access log may still arrive: S3 delivers within a few hours, best effort.</summary>
    public static readonly TimeSpan LateDelivery = TimeSpan.FromHours(24);

    /// <summary>The access log files for the window, into the ledger.</summary>
    /// <returns>The coverage: from the window's start when a log file from before it exists (logging was on), else from
    /// the first file; problems are records that could not be read.</returns>
    public async Task<(SourceCoverage Coverage, List<string> Problems)> ReadAccessLogsAsync(S3Location logs, DateTimeOffset from, DateTimeOffset to, AccessLedger ledger, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        DateTimeOffset? first = null, last = null;
        var unnamed = 0;
        await foreach (var key in KeysAsync(logs, cancellationToken).ConfigureAwait(false))
        {
            // Simple format: PREFIX + YYYY-mm-DD-HH-MM-SS-UniqueString; partitioned: PREFIX + account/region/bucket/
            // YYYY/mm/DD/ + the same name. Either way the time starts the name after the prefix or after the last slash.
            if (!WrittenAt(key[logs.Prefix.Length..], out var written) && !WrittenAt(key[(key.LastIndexOf('/') + 1)..], out written))
            {
                unnamed++;
                continue;
            }

            first = first is { } f && f <= written ? f : written;
            last = last is { } l && l >= written ? l : written;
            if (written < from || written > to + LateDelivery)
            {
                continue;
            }

            using var response = await s3.GetObjectAsync(logs.Bucket, key, cancellationToken).ConfigureAwait(false);
            await ServerAccessLog.ReadAsync(response.ResponseStream, ledger, (line, error) => problems.Add($"s3://{logs.Bucket}/{key} line {line}: {error}"), cancellationToken).ConfigureAwait(false);
        }

        if (unnamed > 0)
        {
            problems.Add($"{unnamed} object(s) under s3://{logs.Bucket}/{logs.Prefix} are not named as access log files (YYYY-mm-DD-HH-MM-SS-...) and were not read");
        }

        var coverage = new SourceCoverage(RequestSource.AccessLog, true, first is { } start && start <= from ? from : first, last is null ? null : to);
        return (coverage, problems);
    }

    private static bool WrittenAt(string name, out DateTimeOffset written)
    {
        written = default;
        return name.Length >= 19 && DateTimeOffset.TryParseExact(name[..19], "yyyy-MM-dd-HH-mm-ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out written);
    }

    /// <summary>The trail's data events for the window (the bucket's region, day by day), into the ledger.</summary>
    /// <param name="reads">What the trail's event selectors log of the bucket's reads (DataEventSelectors), or null when
    /// they could not be read: then the coverage says so. None: the files are not read at all.</param>
    public async Task<(SourceCoverage Coverage, List<string> Problems)> ReadTrailAsync(TrailFiles trail, string account, string region, DataEventScope? reads, DateTimeOffset from, DateTimeOffset to, AccessLedger ledger, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (reads == DataEventScope.None)
        {
            return (new SourceCoverage(RequestSource.DataEvent, false, null, null, DataEventSelectors.Gap(DataEventScope.None, trail.Name)), problems);
        }

        var (first, last) = await EachTrailFileAsync(trail, account, region, from, to, file => CloudTrailRecords.ReadDataEventsAsync(file, ledger, cancellationToken), problems, cancellationToken).ConfigureAwait(false);
        var coverage = reads is { } scope
            ? new SourceCoverage(RequestSource.DataEvent, true, first, last, DataEventSelectors.Gap(scope, trail.Name), scope == DataEventScope.Whole)
            : new SourceCoverage(RequestSource.DataEvent, true, first, last,
                "whether the trail's event selectors log this bucket's data events could not be checked: read files that hold none count as no requests");
        return (coverage, problems);
    }

    /// <summary>The bucket's management events (and the account's Block Public Access changes) from the trail's files,
    /// for history older than LookupEvents reaches; each record through the product's parser.</summary>
    public async Task<ManagementHistory> ReadTrailHistoryAsync(TrailFiles trail, string account, string region, string bucket, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var changes = ImmutableArray.CreateBuilder<BucketChange>();
        var (first, _) = await EachTrailFileAsync(trail, account, region, from, to, async file =>
        {
            await foreach (var document in CloudTrailRecords.ReadAsync(file, cancellationToken).ConfigureAwait(false))
            {
                using (document)
                {
                    var record = document.RootElement;
                    if (CloudTrailRecords.DataEvent(record) is null && CloudTrailEventParser.Parse(record) is { Ok: true, Value: { } change }
                        && (change.Bucket == bucket || change.IsAccountLevel) && change.EventTime is { } time && time >= from && time < to)
                    {
                        changes.Add(change);
                    }
                }
            }

            return 0;
        }, problems, cancellationToken).ConfigureAwait(false);
        // The history reaches as far back as the trail's first file (no file: not at all).
        return new ManagementHistory(changes.ToImmutable(), first is null ? to : first > from ? first.Value : from, [.. problems]);
    }

    /// <summary>Every one of the trail's files for the days of [from, to] in the region, decompressed and streamed to
    /// <paramref name="read"/> one at a time; a file that is not a CloudTrail log is a problem, the others are read.</summary>
    /// <returns>The times of the earliest and latest files read (from their names).</returns>
    private async Task<(DateTimeOffset? First, DateTimeOffset? Last)> EachTrailFileAsync(TrailFiles trail, string account, string region, DateTimeOffset from, DateTimeOffset to, Func<Stream, Task<int>> read, List<string> problems, CancellationToken cancellationToken)
    {
        DateTimeOffset? first = null, last = null;
        for (var day = from.UtcDateTime.Date; day <= to.UtcDateTime.Date; day = day.AddDays(1))
        {
            var prefix = $"{AwsLogs(trail.Location)}{(trail.OrganizationId is { } org ? org + "/" : string.Empty)}{account}/CloudTrail/{region}/{day:yyyy/MM/dd}/";
            await foreach (var key in KeysAsync(trail.Location with { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
            {
                var stamp = key.Split('_').FirstOrDefault(p => p.Length == 14 && p[8] == 'T' && p[13] == 'Z');
                if (stamp is not null && DateTimeOffset.TryParseExact(stamp, "yyyyMMdd'T'HHmm'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var written))
                {
                    first = first is { } f && f <= written ? f : written;
                    last = last is { } l && l >= written ? l : written;
                }

                try
                {
                    using var response = await s3.GetObjectAsync(trail.Location.Bucket, key, cancellationToken).ConfigureAwait(false);
                    await using var gzip = new GZipStream(response.ResponseStream, CompressionMode.Decompress);
                    await read(gzip).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is FormatException or InvalidDataException or JsonException)
                {
                    problems.Add($"s3://{trail.Location.Bucket}/{key}: {ex.Message}");
                }
            }
        }

        return (first, last);
    }

    /// <summary>An organisation trail's organisation id, from the folder its files are under (PREFIX/AWSLogs/o-.../);
    /// null when there is none.</summary>
    public async Task<string?> OrganizationIdAsync(S3Location trail, CancellationToken cancellationToken)
    {
        var root = AwsLogs(trail);
        var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = trail.Bucket, Prefix = root, Delimiter = "/" }, cancellationToken).ConfigureAwait(false);
        return (page.CommonPrefixes ?? []).Select(p => p[root.Length..].TrimEnd('/')).FirstOrDefault(p => p.StartsWith("o-", StringComparison.Ordinal));
    }

    /// <summary>The folder a trail's files are under: PREFIX/AWSLogs/ (no slash doubled, none missing).</summary>
    private static string AwsLogs(S3Location trail) =>
        $"{trail.Prefix}{(trail.Prefix.Length == 0 || trail.Prefix.EndsWith('/') ? string.Empty : "/")}AWSLogs/";

    private async IAsyncEnumerable<string> KeysAsync(S3Location location, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = location.Bucket, Prefix = location.Prefix, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
            {
                yield return item.Key;
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }
}
