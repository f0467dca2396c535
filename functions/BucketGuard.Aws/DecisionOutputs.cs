using System.Globalization;
using Amazon.EventBridge;
using Amazon.EventBridge.Model;
using Amazon.SecurityHub;
using Amazon.SecurityHub.Model;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Aws;

/// <summary>Security Hub: one finding per bucket exposure (SecurityHubFinding decides which and in what state), imported
/// with BatchImportFindings into the account that runs BucketGuard (the importing account must be the finding's
/// AwsAccountId; the bucket's own account is in the resource's details), under that account's default product
/// ("arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default"). The finding's Id is stable per bucket, so a
/// retried event updates the same finding instead of adding one. A finding the service refuses fails the output.</summary>
/// <param name="account">The account the functions run in (STS GetCallerIdentity, asked once).</param>
public sealed class SecurityHubOutput(IAmazonSecurityHub securityHub, Func<CancellationToken, Task<string?>> account, string region, string partition = "aws") : IDecisionOutput
{
    public const string SchemaVersion = "2018-10-08";

    public string Name => "security-hub";

    public async Task<string?> PublishAsync(BucketDecision decision, CancellationToken cancellationToken)
    {
        if (SecurityHubFinding.For(decision) is not { } f)
        {
            return null;
        }

        var home = await account(cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("the account BucketGuard runs in is unknown (STS GetCallerIdentity answered none)");
        var finding = ToAsff(f, decision, home, region, partition);
        var response = await securityHub.BatchImportFindingsAsync(new BatchImportFindingsRequest { Findings = [finding] }, cancellationToken).ConfigureAwait(false);
        if (response.FailedCount > 0 || response.FailedFindings is { Count: > 0 })
        {
            var failure = response.FailedFindings?.FirstOrDefault();
            throw new InvalidOperationException($"Security Hub refused finding {f.Id}: {failure?.ErrorCode ?? "(no error code)"} {failure?.ErrorMessage}".TrimEnd());
        }

        return f.Id;
    }

    public Task PublishSummaryAsync(SweepCounts report, string? account, bool organization, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The ASFF finding as BatchImportFindings takes it.</summary>
    public static AwsSecurityFinding ToAsff(SecurityHubFinding f, BucketDecision decision, string home, string region, string partition)
    {
        var time = decision.DecidedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var created = (decision.Change?.EventTime ?? decision.DecidedAt).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return new AwsSecurityFinding
        {
            SchemaVersion = SchemaVersion,
            Id = f.Id,
            ProductArn = $"arn:{partition}:securityhub:{region}:{home}:product/{home}/default",
            GeneratorId = SecurityHubFinding.GeneratorId,
            AwsAccountId = home,
            Types = [.. f.Types],
            CreatedAt = created,
            UpdatedAt = time,
            Severity = new Amazon.SecurityHub.Model.Severity { Label = new SeverityLabel(f.SeverityLabel) },
            Title = f.Title,
            Description = f.Description,
            Remediation = new Amazon.SecurityHub.Model.Remediation { Recommendation = new Recommendation { Text = f.RemediationText, Url = SecurityHubFinding.RemediationUrl } },
            ProductFields = new Dictionary<string, string>(f.ProductFields),
            Resources =
            [
                new Resource
                {
                    Type = "AwsS3Bucket",
                    Id = $"arn:{partition}:s3:::{f.Bucket}",
                    Partition = new Partition(partition),
                    Region = f.Region ?? region,
                    Details = new ResourceDetails
                    {
                        AwsS3Bucket = new AwsS3BucketDetails
                        {
                            OwnerAccountId = f.BucketAccount,
                            PublicAccessBlockConfiguration = f.BlockInForce is { } block ? new AwsS3AccountPublicAccessBlockDetails
                            {
                                BlockPublicAcls = block.BlockPublicAcls,
                                BlockPublicPolicy = block.BlockPublicPolicy,
                                IgnorePublicAcls = block.IgnorePublicAcls,
                                RestrictPublicBuckets = block.RestrictPublicBuckets,
                            } : null,
                        },
                    },
                },
            ],
            Compliance = new Compliance { Status = new ComplianceStatus(f.ComplianceStatus) },
            Workflow = new Workflow { Status = new WorkflowStatus(f.WorkflowStatus) },
            RecordState = new RecordState(f.RecordState),
        };
    }
}

/// <summary>EventBridge: every reported decision as a "BucketGuard Decision" event (source "bucketguard", detail = the
/// decision's JSON document, the same as the notification's), and each sweep summary as "BucketGuard Sweep Summary",
/// on the configured bus, so that teams can route them to their SOAR. PutEvents has no idempotency key: a retried event
/// puts a second event with the same detail.change.eventId. An entry the service refuses fails the output.</summary>
public sealed class EventBridgeOutput(IAmazonEventBridge events, string bus) : IDecisionOutput
{
    public const string Source = "bucketguard";

    public const string DecisionDetailType = "BucketGuard Decision";

    public const string SummaryDetailType = "BucketGuard Sweep Summary";

    public string Name => "eventbridge";

    public async Task<string?> PublishAsync(BucketDecision decision, CancellationToken cancellationToken)
    {
        if (decision.Notification is not { } notification)
        {
            return null;
        }

        return await PutAsync(DecisionDetailType, notification.Document, decision.Bucket is { } bucket ? [$"arn:aws:s3:::{bucket}"] : [], decision.DecidedAt, cancellationToken).ConfigureAwait(false);
    }

    public Task PublishSummaryAsync(SweepCounts report, string? account, bool organization, CancellationToken cancellationToken) =>
        PutAsync(SummaryDetailType, Notifications.Summary(report, account, organization).Document, [], DateTimeOffset.UtcNow, cancellationToken);

    private async Task<string?> PutAsync(string detailType, string detail, List<string> resources, DateTimeOffset time, CancellationToken cancellationToken)
    {
        var response = await events.PutEventsAsync(new PutEventsRequest
        {
            Entries = [new PutEventsRequestEntry { Source = Source, DetailType = detailType, Detail = detail, EventBusName = bus, Resources = resources, Time = time.UtcDateTime }],
        }, cancellationToken).ConfigureAwait(false);
        var entry = response.Entries?.FirstOrDefault();
        if (response.FailedEntryCount > 0 || entry?.ErrorCode is not null)
        {
            throw new InvalidOperationException($"EventBridge refused the {detailType} event on bus {bus}: {entry?.ErrorCode ?? "(no error code)"} {entry?.ErrorMessage}".TrimEnd());
        }

        return entry?.EventId;
    }
}

/// <summary>Keeps a locked but unreported decision in the stack's dead-letter queue (SQS SendMessage, which both function
/// roles may call): the notification document and why each output failed, as one JSON message that the dead-letter alarm
/// announces. SQS takes up to 256 KiB; the document is already within SNS's budget.</summary>
public sealed class DeadLetterQueueKeeper(Amazon.SQS.IAmazonSQS sqs, string queueUrl) : IUnreportedLocks
{
    public async Task KeepAsync(BucketDecision decision, System.Collections.Immutable.ImmutableArray<string> failures, CancellationToken cancellationToken)
    {
        var body = BucketGuard.Core.JsonLine.Write(w =>
        {
            w.WriteString("bucketguard", "report-not-sent");
            w.WriteString("summary", $"bucket {decision.Bucket} locked; notification not sent: {string.Join("; ", failures)}");
            BucketGuard.Core.FindingJson.WriteStrings(w, "failures", failures);
            w.WritePropertyName("decision");
            w.WriteRawValue(decision.Notification?.Document ?? "null");
        });
        await sqs.SendMessageAsync(new Amazon.SQS.Model.SendMessageRequest { QueueUrl = queueUrl, MessageBody = body }, cancellationToken).ConfigureAwait(false);
    }
}
