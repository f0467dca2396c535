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

        var s3 = AwsClients.CreateS3();
        var reader = S3BucketStateReader.FromEnvironment(s3, policy.Value!);
        var writer = new S3PublicAccessBlockWriter(s3, reader);
        var notifier = new SnsNotifier(new AmazonSimpleNotificationServiceClient(), topic);
        return Parsed<RemediationPipeline>.Success(new RemediationPipeline(reader, writer, notifier, policy.Value!, TimeProvider.System));
    }
}
