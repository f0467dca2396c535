using BucketGuard.Core;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Tests;

/// <summary>One fake of the S3 and SNS ports for pipeline tests: serves a bucket state and its objects' ACLs, records the
/// blocks applied (and then serves the bucket as blocked, as S3 would) and the notifications sent.</summary>
public sealed class FakeAws(BucketState state) : IBucketStateReader, IObjectReader, IAccessPointResolver, IPublicAccessBlockWriter, INotifier
{
    /// <summary>Access points by name, with their bucket (GetAccessPoint).</summary>
    public Dictionary<string, string> AccessPointBuckets { get; } = new(StringComparer.Ordinal);

    public Task<string?> BucketOfAsync(string accessPoint, string? account, CancellationToken cancellationToken) =>
        Task.FromResult(AccessPointBuckets.GetValueOrDefault(accessPoint));

    /// <summary>The bucket's objects by key; a null ACL is an object whose GetObjectAcl is denied.</summary>
    public Dictionary<string, BucketGuard.Core.Acls.AccessControlList?> Objects { get; } = new(StringComparer.Ordinal);

    public int ObjectReads { get; private set; }

    public List<int> Samples { get; } = [];

    public Task<BucketState> ReadObjectAsync(string bucket, string key, string? versionId, string? account, CancellationToken cancellationToken)
    {
        ObjectReads++;
        var name = versionId is null ? key : $"{key} (version {versionId})";
        var found = Objects.TryGetValue(key, out var acl);
        var denied = found && acl is null;
        return Task.FromResult(State with
        {
            Acl = null,
            PolicyJson = null,
            Problems = denied ? [.. State.Problems, "GetObjectAcl: AccessDenied"] : State.Problems,
            Object = new ObjectState(key, versionId, name, found, acl, denied ? "GetObjectAcl: AccessDenied" : null),
        });
    }

    public Task<ObjectSample> SampleAsync(string bucket, string? account, int max, CancellationToken cancellationToken)
    {
        Samples.Add(max);
        var sampled = Objects.Take(max).Select(o => new ObjectState(o.Key, null, o.Key, true, o.Value, o.Value is null ? "GetObjectAcl: AccessDenied" : null)).ToList();
        return Task.FromResult(new ObjectSample([.. sampled], Objects.Count > max, [.. sampled.Where(o => o.Problem is not null).Select(o => $"{o.Key}: {o.Problem}")]));
    }

    public BucketState State { get; set; } = state;

    public List<PublicAccessBlock> Applied { get; } = [];

    public List<Notification> Sent { get; } = [];

    /// <summary>When set, putting Block Public Access fails with this error.</summary>
    public string? FailWith { get; init; }

    /// <summary>When true, publishing throws, as an unreachable SNS does after retries.</summary>
    public bool SnsDown { get; set; }

    public int Reads { get; private set; }

    /// <summary>This fake as every port the pipeline takes (bucket, object and access point reads, the writer).</summary>
    public PipelinePorts Ports => new(this, this) { Objects = this, AccessPoints = this };

    public RemediationPipeline Pipeline(RemediationPolicy? policy = null, TimeProvider? clock = null) =>
        new(Ports, this, policy ?? RemediationPolicy.Default, clock ?? TimeProvider.System);

    /// <summary>A CloudTrail S3 event as EventBridge delivers it, in account 111122223333 at 2026-11-21T11:59:00Z.</summary>
    public static string Event(string eventName, string bucket, string actor, string? eventId = null)
    {
        var detail = new System.Text.Json.Nodes.JsonObject
        {
            ["eventSource"] = "s3.amazonaws.com",
            ["eventName"] = eventName,
            ["eventTime"] = "2026-11-21T11:59:00Z",
            ["userIdentity"] = new System.Text.Json.Nodes.JsonObject { ["arn"] = actor },
            ["requestParameters"] = new System.Text.Json.Nodes.JsonObject { ["bucketName"] = bucket },
        };
        if (eventId is not null)
        {
            detail["eventID"] = eventId;
        }

        return new System.Text.Json.Nodes.JsonObject
        {
            ["detail-type"] = "AWS API Call via CloudTrail",
            ["source"] = "aws.s3",
            ["account"] = "111122223333",
            ["detail"] = detail,
        }.ToJsonString();
    }

    public Task<BucketState> ReadAsync(string bucket, string? account, CancellationToken cancellationToken)
    {
        Reads++;
        return Task.FromResult(State);
    }

    public Task<ActionResult> ApplyAsync(string bucket, string? account, PublicAccessBlock flags, CancellationToken cancellationToken)
    {
        if (FailWith is not null)
        {
            return Task.FromResult(new ActionResult(null, FailWith));
        }

        Applied.Add(flags);
        State = State with { BucketBlock = flags, Problems = [.. State.Problems.Where(p => !p.StartsWith("GetPublicAccessBlock:", StringComparison.Ordinal))] };
        return Task.FromResult(new ActionResult(flags, null));
    }

    public Task<string?> PublishAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (SnsDown)
        {
            throw new InvalidOperationException("SNS unreachable");
        }

        Sent.Add(notification);
        return Task.FromResult<string?>("m-" + Sent.Count);
    }
}
