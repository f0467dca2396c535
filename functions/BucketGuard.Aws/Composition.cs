using System.Collections.Immutable;
using Amazon.SimpleNotificationService;
using BucketGuard.Core;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Aws;

/// <summary>Wires the remediation pipeline to S3 and the outputs from the settings (BucketGuardSettings, parsed in one
/// place). Used by the Lambda bootstrap's composition root and by the CLI, so all of them run exactly the same path.</summary>
public static class Composition
{
    /// <summary>The event path. Fails with a clear message when the settings are wrong or name no topic: a function that
    /// cannot notify must not run.</summary>
    public static Parsed<RemediationPipeline> CreatePipeline(Func<string, string?> environment)
    {
        var settings = BucketGuardSettings.FromEnvironment(environment);
        if (!settings.Ok)
        {
            return Parsed<RemediationPipeline>.Failure(settings.Error!);
        }

        if (settings.Value!.TopicArn is null)
        {
            return Parsed<RemediationPipeline>.Failure("BUCKETGUARD_TOPIC_ARN is not set: BucketGuard has nowhere to send notifications");
        }

        return Parsed<RemediationPipeline>.Success(Pipeline(settings.Value, S3Ports(settings.Value.Policy, lazy: false)));
    }

    /// <summary>One account's sweep over every bucket (`bucketguard audit`), through the same pipeline, listing and
    /// per-bucket step as the organisation sweep's planner and worker (its reads lazy: only what each decision needs).
    /// Without a topic it reports to the other configured outputs only.</summary>
    public static Parsed<Sweeper> CreateSweeper(Func<string, string?> environment, bool requireTopic)
    {
        var settings = BucketGuardSettings.FromEnvironment(environment);
        if (!settings.Ok)
        {
            return Parsed<Sweeper>.Failure(settings.Error!);
        }

        if (requireTopic && settings.Value!.TopicArn is null)
        {
            return Parsed<Sweeper>.Failure("BUCKETGUARD_TOPIC_ARN is not set: BucketGuard has nowhere to send notifications");
        }

        var s3 = S3Ports(settings.Value!.Policy, lazy: true);
        return Parsed<Sweeper>.Success(new Sweeper(s3, Pipeline(settings.Value, s3)));
    }

    /// <summary>The organisation sweep's three states (plan, batch, summary) over the one pipeline, its records in the
    /// DynamoDB table BUCKETGUARD_SWEEP_TABLE and its items in the bucket BUCKETGUARD_SWEEP_BUCKET, both required, as is
    /// the topic. The planner lists the organisation's ACTIVE accounts when BUCKETGUARD_SWEEP_ORGANIZATION=on and the
    /// execution's input names none.</summary>
    public static Parsed<DistributedSweep> CreateDistributedSweep(Func<string, string?> environment)
    {
        var parsed = BucketGuardSettings.FromEnvironment(environment);
        if (!parsed.Ok)
        {
            return Parsed<DistributedSweep>.Failure(parsed.Error!);
        }

        var settings = parsed.Value!;
        if (settings.TopicArn is null)
        {
            return Parsed<DistributedSweep>.Failure("BUCKETGUARD_TOPIC_ARN is not set: BucketGuard has nowhere to send notifications");
        }

        if (settings.SweepTable is not { } table || settings.SweepBucket is not { } bucket)
        {
            return Parsed<DistributedSweep>.Failure("BUCKETGUARD_SWEEP_TABLE and BUCKETGUARD_SWEEP_BUCKET are both needed by the organisation sweep (the template's SweepTable and SweepBucket)");
        }

        if (settings.Policy.MemberRole.HomeAccount is not { } home)
        {
            return Parsed<DistributedSweep>.Failure("BUCKETGUARD_HOME_ACCOUNT is not set: the organisation sweep names every bucket's account, its own included");
        }

        var s3 = S3Ports(settings.Policy, lazy: true);
        var pipeline = Pipeline(settings, s3);
        var records = new DynamoDbSweepRecords(AwsClients.CreateDynamoDb(), table, TimeProvider.System);
        var organization = settings.SweepOrganization ? new OrganizationAccountLister(new Amazon.Organizations.AmazonOrganizationsClient()) : null;
        return Parsed<DistributedSweep>.Success(new DistributedSweep(
            new SweepPlanner(s3, records, new S3SweepItems(AwsClients.CreateS3(), bucket), home, TimeProvider.System, organization, Throttling.IsThrottling),
            new SweepWorker(pipeline, records, Throttling.IsThrottling),
            new SweepSummariser(records, pipeline),
            settings.SweepConcurrency));
    }

    /// <summary>The one path over the account-routed S3 ports: bucket, object and access point reads and the writer all
    /// go through the member role of the bucket's account.</summary>
    private static RemediationPipeline Pipeline(BucketGuardSettings settings, AccountRoutedS3 s3) =>
        new(new PipelinePorts(s3, s3)
        {
            Objects = s3,
            AccessPoints = s3,
            Snapshots = s3,
            Verifier = AwsClients.ExemptionVerifier(settings.Policy),
            Unreported = settings.DeadLetterQueueUrl is { } queue ? new DeadLetterQueueKeeper(AwsClients.CreateSqs(), queue) : null,
            Incidents = settings.IncidentTable is { } incidents ? new DynamoDbIncidents(AwsClients.CreateDynamoDb(), incidents) : null,
            Evidence = settings.IncidentEvidenceBucket is { } evidence ? new S3EvidenceStore(AwsClients.CreateS3(), evidence) : null,
            Sensitivity = settings.Policy.MacieSensitiveDataClass is null ? null : Macie(),
            Floors = settings.IncidentTable is { } floors ? new DynamoDbDataClassFloors(AwsClients.CreateDynamoDb(), floors) : null,
        }, Outputs(settings), settings.Policy, TimeProvider.System);

    private static MacieBucketSensitivity Macie()
    {
        var client = new Amazon.Macie2.AmazonMacie2Client();
        return new MacieBucketSensitivity(client, (client.Config.RegionEndpoint ?? Amazon.RegionEndpoint.USEast1).PartitionName);
    }

    /// <summary>The outputs the settings turn on, in the order they are tried: the notification topic, the chat topic,
    /// Security Hub, EventBridge.</summary>
    public static ImmutableArray<IDecisionOutput> Outputs(BucketGuardSettings settings)
    {
        var outputs = ImmutableArray.CreateBuilder<IDecisionOutput>();
        if (settings.TopicArn is { } topic)
        {
            outputs.Add(new NotificationOutput(new SnsNotifier(new AmazonSimpleNotificationServiceClient(), topic)));
        }

        if (settings.ChatTopicArn is { } chat)
        {
            outputs.Add(new ChatOutput(new SnsNotifier(new AmazonSimpleNotificationServiceClient(), chat)));
        }

        if (settings.SecurityHub)
        {
            var client = new Amazon.SecurityHub.AmazonSecurityHubClient();
            var caller = new CallerAccount(settings.Policy.MemberRole.HomeAccount, () => AwsClients.CreateSts(null));
            var region = client.Config.RegionEndpoint ?? Amazon.RegionEndpoint.USEast1;
            outputs.Add(new SecurityHubOutput(client, caller.GetAsync, region.SystemName, region.PartitionName));
        }

        if (settings.EventBus is { } bus)
        {
            outputs.Add(new EventBridgeOutput(new Amazon.EventBridge.AmazonEventBridgeClient(), bus));
        }

        if (settings.ExposureQueueUrl is { } exposure)
        {
            outputs.Add(new ExposureQueueOutput(AwsClients.CreateSqs(), exposure, settings.ExposureDelaySeconds));
        }

        return outputs.ToImmutable();
    }

    /// <summary>The after-lock path: the investigator in the bucket's account and the report's outputs (the notification
    /// topic, required; the decision's Security Hub finding and the EventBridge bus when those are on).</summary>
    public static Parsed<AfterLock> CreateAfterLock(Func<string, string?> environment)
    {
        var parsed = BucketGuardSettings.FromEnvironment(environment);
        if (!parsed.Ok)
        {
            return Parsed<AfterLock>.Failure(parsed.Error!);
        }

        var settings = parsed.Value!;
        if (settings.TopicArn is not { } topic)
        {
            return Parsed<AfterLock>.Failure("BUCKETGUARD_TOPIC_ARN is not set: BucketGuard has nowhere to send exposure reports");
        }

        if (settings.Policy.MemberRole.ArnTemplate is not null)
        {
            AwsClients.UseSecurityTokenService();
        }

        var outputs = ImmutableArray.CreateBuilder<IExposureOutput>();
        outputs.Add(new ExposureNotificationOutput(new SnsNotifier(new AmazonSimpleNotificationServiceClient(), topic)));
        if (settings.SecurityHub)
        {
            var client = new Amazon.SecurityHub.AmazonSecurityHubClient();
            var caller = new CallerAccount(settings.Policy.MemberRole.HomeAccount, () => AwsClients.CreateSts(null));
            var region = client.Config.RegionEndpoint ?? Amazon.RegionEndpoint.USEast1;
            outputs.Add(new ExposureFindingOutput(client, caller.GetAsync, region.SystemName, region.PartitionName));
        }

        if (settings.EventBus is { } bus)
        {
            outputs.Add(new ExposureEventOutput(new Amazon.EventBridge.AmazonEventBridgeClient(), bus));
        }

        var ports = new AfterLockPorts(TimeProvider.System)
        {
            Incidents = settings.IncidentTable is { } incidents ? new DynamoDbIncidents(AwsClients.CreateDynamoDb(), incidents) : null,
            Evidence = settings.IncidentEvidenceBucket is { } evidence ? new S3EvidenceStore(AwsClients.CreateS3(), evidence) : null,
            FollowUps = settings.ExposureQueueUrl is { } queue ? new ExposureQueueFollowUps(AwsClients.CreateSqs(), queue) : null,
            Floors = settings.IncidentTable is { } floors ? new DynamoDbDataClassFloors(AwsClients.CreateDynamoDb(), floors) : null,
        };
        var organization = settings.Policy.OrganizationAccounts.IsEmpty ? null : settings.Policy.OrganizationAccounts.ToHashSet(StringComparer.Ordinal);
        return Parsed<AfterLock>.Success(new AfterLock(new RoutedExposureInvestigator(settings.Policy, TimeProvider.System, organization), outputs.ToImmutable(), ports));
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

/// <summary>The organisation sweep's states, wired once for the function that runs them.</summary>
/// <param name="Concurrency">Buckets of a batch read at once, and accounts listed at once by the planner.</param>
public sealed record DistributedSweep(SweepPlanner Planner, SweepWorker Worker, SweepSummariser Summariser, int Concurrency);
