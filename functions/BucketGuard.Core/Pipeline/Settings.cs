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
        // Only the scheme is checked: SQS takes the URL in the request, and some local SQS servers answer URLs that are
        // not well-formed (fauxqs: http://sqs.REGION.127.0.0.1:4566:4566/ACCOUNT/NAME).
        if (deadLetters is not null && !deadLetters.StartsWith("https://", StringComparison.Ordinal) && !deadLetters.StartsWith("http://", StringComparison.Ordinal))
        {
            return Parsed<BucketGuardSettings>.Failure($"BUCKETGUARD_DEAD_LETTER_QUEUE_URL \"{deadLetters}\" is not an SQS queue URL");
        }

        return Parsed<BucketGuardSettings>.Success(new BucketGuardSettings(policy.Value!, topic, chat, securityHub, bus, concurrency, quiet, sweepOrganization) { DeadLetterQueueUrl = deadLetters });
    }

    /// <summary>A setting that is on or off (unset: off); null with the error for anything else.</summary>
    public static bool? OnOff(Func<string, string?> environment, string name, out string? error) =>
        Setting.TwoWay(environment, name, "off", "on", out error, choices: "on nor off");

    private static string? Text(Func<string, string?> environment, string name) => environment(name)?.Trim() is { Length: > 0 } value ? value : null;

    private static bool IsBusName(string name) => name.Length <= 256 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/');
}
