using BucketGuard.Core;
using BucketGuard.Core.Remediation;

namespace BucketGuard.Tests;

/// <summary>One fake of the S3 and SNS ports for pipeline tests: serves a bucket state, records the blocks applied
/// (and then serves the bucket as blocked, as S3 would) and the notifications sent.</summary>
public sealed class FakeAws(BucketState state) : IBucketStateReader, IPublicAccessBlockWriter, INotifier
{
    public BucketState State { get; set; } = state;

    public List<PublicAccessBlock> Applied { get; } = [];

    public List<Notification> Sent { get; } = [];

    /// <summary>When set, putting Block Public Access fails with this error.</summary>
    public string? FailWith { get; init; }

    /// <summary>When true, publishing throws, as an unreachable SNS does after retries.</summary>
    public bool SnsDown { get; set; }

    public int Reads { get; private set; }

    public RemediationPipeline Pipeline(RemediationPolicy? policy = null, TimeProvider? clock = null) =>
        new(this, this, this, policy ?? RemediationPolicy.Default, clock ?? TimeProvider.System);

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
