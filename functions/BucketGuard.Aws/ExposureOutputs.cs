using System.Collections.Concurrent;
using Amazon.CloudTrail;
using Amazon.EventBridge;
using Amazon.EventBridge.Model;
using Amazon.SecurityHub;
using Amazon.SecurityHub.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using BucketGuard.Core;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Evidence;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Aws;

/// <summary>The decision's side of the after-lock function: every decision that finds a bucket or object public
/// (ExposureRequest.For) is sent to the exposure queue (SQS SendMessage, DelaySeconds so that CloudTrail shows the lock
/// first). A send that fails fails the output like any other, so the event is retried. The message id is the output's id.</summary>
public sealed class ExposureQueueOutput(IAmazonSQS sqs, string queueUrl, int delaySeconds) : IDecisionOutput
{
    public string Name => "exposure-queue";

    public async Task<string?> PublishAsync(BucketDecision decision, CancellationToken cancellationToken)
    {
        if (ExposureRequest.For(decision) is not { } request)
        {
            return null;
        }

        var response = await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = queueUrl, MessageBody = request.Json(), DelaySeconds = delaySeconds }, cancellationToken).ConfigureAwait(false);
        return response.MessageId;
    }

    public Task PublishSummaryAsync(SweepCounts report, string? account, bool organization, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A later look of an exposure request, back onto the exposure queue (SQS SendMessage with DelaySeconds).</summary>
public sealed class ExposureQueueFollowUps(IAmazonSQS sqs, string queueUrl) : IExposureRequests
{
    public Task SendAsync(ExposureRequest request, TimeSpan delay, CancellationToken cancellationToken) =>
        sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = queueUrl, MessageBody = request.Json(), DelaySeconds = (int)Math.Clamp(Math.Ceiling(delay.TotalSeconds), 0, 900) }, cancellationToken);
}

/// <summary>The exposure report to the notification topic: the short block in the e-mail, the report as the document,
/// the decision's attributes (so owners' filters match) with event "exposure-report".</summary>
public sealed class ExposureNotificationOutput(INotifier topic) : IExposureOutput
{
    public string Name => "sns";

    public Task<string?> PublishAsync(ExposureRequest request, ExposureReport report, CancellationToken cancellationToken) =>
        topic.PublishAsync(ExposureReports.For(request, report), cancellationToken);
}

/// <summary>The exposure report onto the decision's Security Hub finding: BatchUpdateFindings with the ledger as
/// user-defined fields (bucketguard/AccessVerdict, OutsideReads...) and a note. An update, not an import: the fields the
/// decision imported (compliance, workflow, record state) are left as the latest decision set them, even when that came
/// after this request. A finding Security Hub does not process fails the output.</summary>
public sealed class ExposureFindingOutput(IAmazonSecurityHub securityHub, Func<CancellationToken, Task<string?>> account, string region, string partition = "aws") : IExposureOutput
{
    public string Name => "security-hub";

    public async Task<string?> PublishAsync(ExposureRequest request, ExposureReport report, CancellationToken cancellationToken)
    {
        if (request.FindingId is not { } id)
        {
            return null;
        }

        var home = await account(cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("the account BucketGuard runs in is unknown (STS GetCallerIdentity answered none)");
        var response = await securityHub.BatchUpdateFindingsAsync(new BatchUpdateFindingsRequest
        {
            FindingIdentifiers = [new AwsSecurityFindingIdentifier { Id = id, ProductArn = $"arn:{partition}:securityhub:{region}:{home}:product/{home}/default" }],
            Note = new NoteUpdate { Text = ExposureReports.Note(report), UpdatedBy = "bucketguard" },
            UserDefinedFields = new Dictionary<string, string>(ExposureReports.Fields(report)),
        }, cancellationToken).ConfigureAwait(false);
        if (response.UnprocessedFindings is { Count: > 0 } unprocessed)
        {
            throw new InvalidOperationException($"Security Hub did not update finding {id}: {unprocessed[0].ErrorCode ?? "(no error code)"} {unprocessed[0].ErrorMessage}".TrimEnd());
        }

        return id;
    }
}

/// <summary>The exposure report as a "BucketGuard Exposure Report" event (source "bucketguard", detail = the report's
/// document) on the configured bus, for the SOAR. An entry the service refuses fails the output.</summary>
public sealed class ExposureEventOutput(IAmazonEventBridge events, string bus) : IExposureOutput
{
    public const string DetailType = "BucketGuard Exposure Report";

    public string Name => "eventbridge";

    public async Task<string?> PublishAsync(ExposureRequest request, ExposureReport report, CancellationToken cancellationToken)
    {
        // PutEvents takes 256 KiB an entry: the detail lists the most read objects, as the notification does.
        var response = await events.PutEventsAsync(new PutEventsRequest
        {
            Entries = [new PutEventsRequestEntry
            {
                Source = EventBridgeOutput.Source,
                DetailType = DetailType,
                Detail = ExposureReports.Document(request, report, report.Ledger.Objects.Length > 500 ? 500 : null),
                EventBusName = bus,
                Resources = [$"arn:aws:s3:::{request.Bucket}"],
                Time = DateTime.UtcNow,
            }],
        }, cancellationToken).ConfigureAwait(false);
        var entry = response.Entries?.FirstOrDefault();
        if (response.FailedEntryCount > 0 || entry?.ErrorCode is not null)
        {
            throw new InvalidOperationException($"EventBridge refused the {DetailType} event on bus {bus}: {entry?.ErrorCode ?? "(no error code)"} {entry?.ErrorMessage}".TrimEnd());
        }

        return entry?.EventId;
    }
}

/// <summary>Investigates a request in the bucket's own account, as the decision read it: with the function's credentials
/// at home, through the member role elsewhere (MemberRole.For), for S3 and CloudTrail alike (LookupEvents and the trails
/// are per account). One pair of clients per identity, kept. An account BucketGuard may not enter is a report whose
/// problems say so, not a retry.</summary>
public sealed class RoutedExposureInvestigator(RemediationPolicy policy, TimeProvider clock, IReadOnlySet<string>? organization = null) : IExposureInvestigator
{
    private readonly ConcurrentDictionary<string, Lazy<ExposureInvestigation>> byRole = new(StringComparer.Ordinal);

    public async Task<Parsed<ExposureReport>> InvestigateAsync(ExposureRequest request, CancellationToken cancellationToken)
    {
        var access = policy.MemberRole.For(request.Account);
        if (access.Refusal is { } refusal)
        {
            return Parsed<ExposureReport>.Failure($"account {request.Account} cannot be entered: {refusal}");
        }

        var investigation = byRole.GetOrAdd(access.RoleArn ?? string.Empty, role => new Lazy<ExposureInvestigation>(() =>
        {
            var credentials = role.Length == 0 ? null : AwsClients.AssumeRole(role);
            var s3 = AwsClients.CreateS3(credentials);
            var cloudTrail = credentials is null ? new AmazonCloudTrailClient() : new AmazonCloudTrailClient(credentials, new AmazonCloudTrailConfig());
            return new ExposureInvestigation(s3, cloudTrail, policy, clock);
        })).Value;
        return await investigation.InvestigateAsync(
            new ExposureQuestion(request.Bucket, request.Account ?? policy.MemberRole.HomeAccount, request.ObjectKey, null, null, null, organization)
            {
                KeepSources = request.IncidentId is null ? 0 : AfterLock.MaxSources,
            },
            cancellationToken).ConfigureAwait(false);
    }
}
