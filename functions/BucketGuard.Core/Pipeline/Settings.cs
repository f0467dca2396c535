using BucketGuard.Core.Decisions;

namespace BucketGuard.Core.Pipeline;

/// <summary>Every BUCKETGUARD_* setting, parsed in one place: the remediation policy (RemediationPolicy.FromEnvironment)
/// and where and how the functions report and sweep. A value that cannot be understood is an error (the function's init
/// error, the CLI's usage error), never a silent default.</summary>
/// <param name="TopicArn">BUCKETGUARD_TOPIC_ARN: the notification topic (security team and owners).</param>
/// <param name="ChatTopicArn">BUCKETGUARD_CHAT_TOPIC_ARN: a topic mapped to a chat channel (Amazon Q Developer in chat
/// applications), sent custom notifications; null: none.</param>
/// <param name="SecurityHub">BUCKETGUARD_SECURITY_HUB=on|off: import one finding per bucket exposure (BatchImportFindings).</param>
/// <param name="EventBus">BUCKETGUARD_EVENT_BUS: name or ARN of the EventBridge bus that receives "BucketGuard Decision"
/// events; null: none.</param>
/// <param name="SweepConcurrency">BUCKETGUARD_SWEEP_CONCURRENCY: buckets read at once by the sweep, 1 to 1000 (default 64).</param>
/// <param name="Quiet">BUCKETGUARD_LOG_LEVEL=warn (debug and info: false): decision lines only for outcomes that need attention.</param>
/// <param name="SweepOrganization">BUCKETGUARD_SWEEP_ORGANIZATION=on|off: the sweep takes the member accounts from AWS
/// Organizations when its request names none.</param>
public sealed record BucketGuardSettings(
    RemediationPolicy Policy,
    string? TopicArn,
    string? ChatTopicArn,
    bool SecurityHub,
    string? EventBus,
    int SweepConcurrency,
    bool Quiet,
    bool SweepOrganization)
{
    /// <summary>BUCKETGUARD_DEAD_LETTER_QUEUE_URL: the stack's dead-letter queue, where a decision whose lock took effect
    /// but whose reports failed is kept (IUnreportedLocks); null: none.</summary>
    public string? DeadLetterQueueUrl { get; init; }

    /// <summary>BUCKETGUARD_EXPOSURE_QUEUE_URL: the queue of the after-lock function: every decision that finds a bucket
    /// or object public asks there when it was public and who read it (ExposureRequest); null: not asked.</summary>
    public string? ExposureQueueUrl { get; init; }

    /// <summary>BUCKETGUARD_EXPOSURE_DELAY: seconds the request waits in the queue before the first investigation, 0 to
    /// 900 (SQS DelaySeconds' range; default 900): CloudTrail LookupEvents shows a call within about 15 minutes.</summary>
    public int ExposureDelaySeconds { get; init; } = DefaultExposureDelaySeconds;

    public const int DefaultExposureDelaySeconds = 900;

    /// <summary>BUCKETGUARD_EXPOSURE_ATTEMPTS: the exposure queue's maxReceiveCount, 1 to 1000 (default 5): on that delivery
    /// a request whose lock CloudTrail does not show yet is reported as it stands instead of waiting again.</summary>
    public int ExposureAttempts { get; init; } = DefaultExposureAttempts;

    public const int DefaultExposureAttempts = 5;

    /// <summary>BUCKETGUARD_INCIDENT_TABLE: the DynamoDB table of the incident record (the template's IncidentTable);
    /// null: no incidents kept.</summary>
    public string? IncidentTable { get; init; }

    /// <summary>BUCKETGUARD_INCIDENT_EVIDENCE_BUCKET: the S3 bucket (Object Lock on) where each exposure's evidence is kept, the
    /// template's IncidentEvidenceBucket; null: none kept.</summary>
    public string? IncidentEvidenceBucket { get; init; }

    /// <summary>BUCKETGUARD_SWEEP_TABLE: the DynamoDB table of the organisation sweep's lease and records (the template's
    /// SweepTable); null: no Step Functions sweep here.</summary>
    public string? SweepTable { get; init; }

    /// <summary>BUCKETGUARD_SWEEP_BUCKET: the S3 bucket the organisation sweep's planner writes its items to, which the
    /// Distributed Map reads; null: no Step Functions sweep here.</summary>
    public string? SweepBucket { get; init; }

    public const int DefaultSweepConcurrency = 64;

    public const int MaxSweepConcurrency = 1000;

    public static Parsed<BucketGuardSettings> FromEnvironment(Func<string, string?> environment)
    {
        var policy = RemediationPolicy.FromEnvironment(environment);
        if (!policy.Ok)
        {
            return Parsed<BucketGuardSettings>.Failure(policy.Error!);
        }

        var concurrency = DefaultSweepConcurrency;
        if (environment("BUCKETGUARD_SWEEP_CONCURRENCY")?.Trim() is { Length: > 0 } text
            && Setting.Whole("BUCKETGUARD_SWEEP_CONCURRENCY", text, 1, MaxSweepConcurrency, "buckets", out concurrency) is { } bad)
        {
            return Parsed<BucketGuardSettings>.Failure(bad);
        }

        bool quiet;
        switch (environment("BUCKETGUARD_LOG_LEVEL")?.Trim().ToLowerInvariant())
        {
            case null or "" or "info" or "debug":
                quiet = false;
                break;
            case "warn":
                quiet = true;
                break;
            case var other:
                return Parsed<BucketGuardSettings>.Failure($"BUCKETGUARD_LOG_LEVEL \"{other}\" is not debug, info or warn");
        }

        if (OnOff(environment, "BUCKETGUARD_SECURITY_HUB", out var error) is not { } securityHub
            || OnOff(environment, "BUCKETGUARD_SWEEP_ORGANIZATION", out error) is not { } sweepOrganization)
        {
            return Parsed<BucketGuardSettings>.Failure(error!);
        }

        var topic = Text(environment, "BUCKETGUARD_TOPIC_ARN");
        var chat = Text(environment, "BUCKETGUARD_CHAT_TOPIC_ARN");
        foreach (var (name, arn) in new[] { ("BUCKETGUARD_TOPIC_ARN", topic), ("BUCKETGUARD_CHAT_TOPIC_ARN", chat) })
        {
            if (arn is not null && !(arn.StartsWith("arn:", StringComparison.Ordinal) && arn.Split(':').Length == 6 && arn.Split(':')[2] == "sns"))
            {
                return Parsed<BucketGuardSettings>.Failure($"{name} \"{arn}\" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)");
            }
        }

        var bus = Text(environment, "BUCKETGUARD_EVENT_BUS");
        if (bus is not null && !(bus.StartsWith("arn:", StringComparison.Ordinal) ? bus.Split(':') is [_, _, "events", _, _, var resource] && resource.StartsWith("event-bus/", StringComparison.Ordinal) : IsBusName(bus)))
        {
            return Parsed<BucketGuardSettings>.Failure($"BUCKETGUARD_EVENT_BUS \"{bus}\" is neither an event bus name (letters, digits, . - _ /, up to 256) nor an event bus ARN");
        }

        var deadLetters = Text(environment, "BUCKETGUARD_DEAD_LETTER_QUEUE_URL");
        var exposureQueue = Text(environment, "BUCKETGUARD_EXPOSURE_QUEUE_URL");
        foreach (var (name, url) in new[] { ("BUCKETGUARD_DEAD_LETTER_QUEUE_URL", deadLetters), ("BUCKETGUARD_EXPOSURE_QUEUE_URL", exposureQueue) })
        {
            // Only the scheme is checked: SQS takes the URL in the request, and some local SQS servers answer URLs that
            // are not well-formed (fauxqs: http://sqs.REGION.127.0.0.1:4566:4566/ACCOUNT/NAME).
            if (url is not null && !url.StartsWith("https://", StringComparison.Ordinal) && !url.StartsWith("http://", StringComparison.Ordinal))
            {
                return Parsed<BucketGuardSettings>.Failure($"{name} \"{url}\" is not an SQS queue URL");
            }
        }

        var delay = DefaultExposureDelaySeconds;
        if (environment("BUCKETGUARD_EXPOSURE_DELAY")?.Trim() is { Length: > 0 } delayText
            && Setting.Whole("BUCKETGUARD_EXPOSURE_DELAY", delayText, 0, 900, "seconds", out delay) is { } badDelay)
        {
            return Parsed<BucketGuardSettings>.Failure(badDelay);
        }

        var attempts = DefaultExposureAttempts;
        if (environment("BUCKETGUARD_EXPOSURE_ATTEMPTS")?.Trim() is { Length: > 0 } attemptsText
            && Setting.Whole("BUCKETGUARD_EXPOSURE_ATTEMPTS", attemptsText, 1, 1000, "deliveries", out attempts) is { } badAttempts)
        {
            return Parsed<BucketGuardSettings>.Failure(badAttempts);
        }

        var sweepTable = Text(environment, "BUCKETGUARD_SWEEP_TABLE");
        var incidentTable = Text(environment, "BUCKETGUARD_INCIDENT_TABLE");
        foreach (var (name, value) in new[] { ("BUCKETGUARD_SWEEP_TABLE", sweepTable), ("BUCKETGUARD_INCIDENT_TABLE", incidentTable) })
        {
            if (value is not null && !(value.Length is >= 3 and <= 255 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
            {
                return Parsed<BucketGuardSettings>.Failure($"{name} \"{value}\" is not a DynamoDB table name (3 to 255 letters, digits, _ - .)");
            }
        }

        var sweepBucket = Text(environment, "BUCKETGUARD_SWEEP_BUCKET");
        var evidenceBucket = Text(environment, "BUCKETGUARD_INCIDENT_EVIDENCE_BUCKET");
        foreach (var (name, value) in new[] { ("BUCKETGUARD_SWEEP_BUCKET", sweepBucket), ("BUCKETGUARD_INCIDENT_EVIDENCE_BUCKET", evidenceBucket) })
        {
            if (value is not null && !BucketName.IsValid(value))
            {
                return Parsed<BucketGuardSettings>.Failure($"{name} \"{value}\" is not an S3 bucket name");
            }
        }

        return Parsed<BucketGuardSettings>.Success(new BucketGuardSettings(policy.Value!, topic, chat, securityHub, bus, concurrency, quiet, sweepOrganization)
        {
            SweepTable = sweepTable,
            IncidentTable = incidentTable,
            IncidentEvidenceBucket = evidenceBucket,
            SweepBucket = sweepBucket,
            ExposureAttempts = attempts,
            DeadLetterQueueUrl = deadLetters,
            ExposureQueueUrl = exposureQueue,
            ExposureDelaySeconds = delay,
        });
    }

    /// <summary>A setting that is on or off (unset: off); null with the error for anything else.</summary>
    public static bool? OnOff(Func<string, string?> environment, string name, out string? error) =>
        Setting.TwoWay(environment, name, "off", "on", out error, choices: "on nor off");

    private static string? Text(Func<string, string?> environment, string name) => environment(name)?.Trim() is { Length: > 0 } value ? value : null;

    private static bool IsBusName(string name) => name.Length <= 256 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/');
}
