using BucketGuard.Aws.SimpleNotificationService;
using BucketGuard.Core;
using BucketGuard.Core.Remediation;

namespace BucketGuard.Aws;

/// <summary>Wires the remediation pipeline to S3 and SNS from the environment. Used by the Lambda bootstrap's
/// composition root and by `bucketguard invoke`, so both run exactly the same path.</summary>
public static class Composition
{
    /// <summary>Fails with a clear message when the environment is incomplete: a function that cannot notify must not run.</summary>
    public static Parsed<RemediationPipeline> CreatePipeline(Func<string, string?> environment)
    {
        var policy = RemediationPolicy.FromEnvironment(environment);
        if (!policy.Ok)
        {
            return Parsed<RemediationPipeline>.Failure(policy.Error!);
        }

        if (environment("BUCKETGUARD_TOPIC_ARN") is not { Length: > 0 } topic)
        {
            return Parsed<RemediationPipeline>.Failure("BUCKETGUARD_TOPIC_ARN is not set: BucketGuard has nowhere to send notifications");
        }

        var s3 = S3Ports(policy.Value!, lazy: false);
        var notifier = new SnsNotifier(new AmazonSimpleNotificationServiceClient(), topic);
        return Parsed<RemediationPipeline>.Success(new RemediationPipeline(s3, s3, notifier, policy.Value!, TimeProvider.System, AwsClients.ExemptionVerifier(policy.Value!)));
    }

    /// <summary>The sweep over every bucket. Without a topic it only reports (the `audit` command without --fix).
    /// BUCKETGUARD_SWEEP_ORGANIZATION=on takes the member accounts from AWS Organizations when the request names none.</summary>
    public static Parsed<Sweeper> CreateSweeper(Func<string, string?> environment, bool requireTopic)
    {
        var policy = RemediationPolicy.FromEnvironment(environment);
        if (!policy.Ok)
        {
            return Parsed<Sweeper>.Failure(policy.Error!);
        }

        var topic = environment("BUCKETGUARD_TOPIC_ARN");
        if (requireTopic && string.IsNullOrEmpty(topic))
        {
            return Parsed<Sweeper>.Failure("BUCKETGUARD_TOPIC_ARN is not set: BucketGuard has nowhere to send notifications");
        }

        if (SweepsOrganization(environment, out var error) is not { } sweepsOrganization)
        {
            return Parsed<Sweeper>.Failure(error!);
        }

        var organization = sweepsOrganization ? new OrganizationAccountLister(new Amazon.Organizations.AmazonOrganizationsClient()) : null;

        var s3 = S3Ports(policy.Value!, lazy: true);
        var notifier = string.IsNullOrEmpty(topic) ? null : new SnsNotifier(new AmazonSimpleNotificationServiceClient(), topic);
        return Parsed<Sweeper>.Success(new Sweeper(s3, s3, s3, notifier, policy.Value!, TimeProvider.System, organization, AwsClients.ExemptionVerifier(policy.Value!)));
    }

    /// <summary>BUCKETGUARD_SWEEP_ORGANIZATION: on (list the organisation's accounts) or off (the default); null with
    /// the error for anything else.</summary>
    public static bool? SweepsOrganization(Func<string, string?> environment, out string? error)
    {
        error = null;
        switch (environment("BUCKETGUARD_SWEEP_ORGANIZATION")?.Trim().ToLowerInvariant())
        {
            case null or "" or "off":
                return false;
            case "on":
                return true;
            case var other:
                error = $"BUCKETGUARD_SWEEP_ORGANIZATION \"{other}\" is neither on nor off";
                return null;
        }
    }

    /// <param name="lazy">The sweep reads only what each decision needs; an event reads everything at once.</param>
    private static AccountRoutedS3 S3Ports(RemediationPolicy policy, bool lazy)
    {
        if (policy.MemberRole.ArnTemplate is not null)
        {
            AwsClients.UseSecurityTokenService();
        }

        return new AccountRoutedS3(policy.MemberRole, roleArn =>
        {
            var credentials = roleArn is null ? null : AwsClients.AssumeRole(roleArn);
            var s3 = AwsClients.CreateS3(credentials);
            var reader = S3BucketStateReader.FromEnvironment(s3, policy, lazy, credentials);
            return new S3Ports(reader, new S3PublicAccessBlockWriter(s3, reader), new S3BucketLister(s3));
        });
    }
}
