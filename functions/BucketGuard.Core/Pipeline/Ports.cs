using System.Collections.Immutable;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Pipeline;

/// <summary>Reads a bucket's real state. NoSuchBucket is a state (Exists = false); a denied read is a Problem;
/// throttling and server errors are retried by the SDK and then thrown, so the invocation is retried.</summary>
public interface IBucketStateReader
{
    /// <param name="account">The bucket's account, when the event names it: its account-level Block Public Access is read where permitted.</param>
    Task<BucketState> ReadAsync(string bucket, string? account, CancellationToken cancellationToken);
}

/// <summary>Reads objects' ACLs, for object-level events and for sampling a bucket whose objects can be public. Same error
/// rules as the bucket reader: a denied read is a problem, throttling and server errors are thrown after retries.</summary>
public interface IObjectReader
{
    /// <summary>The object's ACL (GetObjectAcl, of the version when named) with the bucket's Block Public Access, ownership
    /// controls, tags and account Block Public Access: everything an object decision needs, and not the bucket's ACL and
    /// policy. NoSuchBucket gives a gone state; NoSuchKey an object that does not exist.</summary>
    Task<BucketState> ReadObjectAsync(string bucket, string key, string? versionId, string? account, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> objects (ListObjectsV2, first page(s)) with their ACLs, read with bounded concurrency.</summary>
    Task<ObjectSample> SampleAsync(string bucket, string? account, int max, CancellationToken cancellationToken);
}

/// <summary>Keeps a decision whose lock took effect but whose reports failed (the stack's dead-letter queue). Lambda
/// retries the event, and the retry finds the bucket locked: for a bucket event it reports already-blocked, but for an
/// object event it says nothing (one upload of a storm after the lock), so this copy is what makes the report at least
/// once. Throws when it cannot keep it.</summary>
public interface IUnreportedLocks
{
    Task KeepAsync(BucketDecision decision, ImmutableArray<string> failures, CancellationToken cancellationToken);
}

/// <summary>Finds the bucket of an access point an event names only by name (PutAccessPointPolicy, GetAccessPoint).</summary>
public interface IAccessPointResolver
{
    /// <returns>The bucket, or null when the access point does not exist (any more).</returns>
    Task<string?> BucketOfAsync(string accessPoint, string? account, CancellationToken cancellationToken);
}

/// <summary>Puts Block Public Access on a bucket and re-reads what is in force.</summary>
public interface IPublicAccessBlockWriter
{
    Task<ActionResult> ApplyAsync(string bucket, string? account, PublicAccessBlock flags, CancellationToken cancellationToken);
}

/// <summary>Takes a locked bucket's snapshot (LockSnapshot): its object versions, bounded, and its access logging.
/// Never throws for what it cannot read: that is the snapshot's Problem, and the report goes out all the same.</summary>
public interface ILockSnapshotReader
{
    Task<LockSnapshot> SnapshotAsync(string bucket, string? account, int maxVersions, CancellationToken cancellationToken);
}

/// <summary>Amazon Macie's sensitivity score of a bucket (GetResourceProfile), for a data class it can only raise.</summary>
public interface IBucketSensitivity
{
    /// <returns>The score; null when Macie has no profile of the bucket (not analysed, or automated sensitive data
    /// discovery off).</returns>
    /// <exception cref="Exception">Macie refused or failed (not enabled, access denied, throttled after the SDK's
    /// retries): the decision stands on the tag and says Macie could not be consulted.</exception>
    Task<SensitivityScore?> ScoreAsync(string bucket, string? account, CancellationToken cancellationToken);
}

/// <summary>The data class each bucket held recently (DataClassFloor), so that lowering its tag does not lower it.</summary>
public interface IDataClassFloors
{
    /// <returns>The bucket's floor, or null when none is kept (or it ended).</returns>
    Task<DataClassFloor?> FloorAsync(string account, string bucket, CancellationToken cancellationToken);

    /// <summary>Keeps the floor unless one at least as high lasts about as long already (no write for every decision).</summary>
    Task RaiseAsync(string account, string bucket, DataClassFloor floor, CancellationToken cancellationToken);
}

/// <summary>Publishes a notification; throws when it cannot, so that the event is retried rather than lost.</summary>
public interface INotifier
{
    Task<string?> PublishAsync(Notification notification, CancellationToken cancellationToken);
}
