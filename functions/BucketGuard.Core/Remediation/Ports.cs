namespace BucketGuard.Core.Remediation;

/// <summary>Reads a bucket's real state. NoSuchBucket is a state (Exists = false); a denied read is a Problem;
/// throttling and server errors are retried by the SDK and then thrown, so the invocation is retried.</summary>
public interface IBucketStateReader
{
    /// <param name="account">The bucket's account, when the event names it: its account-level Block Public Access is read where permitted.</param>
    Task<BucketState> ReadAsync(string bucket, string? account, CancellationToken cancellationToken);
}

/// <summary>Puts Block Public Access on a bucket and re-reads what is in force.</summary>
public interface IPublicAccessBlockWriter
{
    Task<ActionResult> ApplyAsync(string bucket, string? account, PublicAccessBlock flags, CancellationToken cancellationToken);
}

/// <summary>Publishes a notification; throws when it cannot, so that the event is retried rather than lost.</summary>
public interface INotifier
{
    Task<string?> PublishAsync(Notification notification, CancellationToken cancellationToken);
}
