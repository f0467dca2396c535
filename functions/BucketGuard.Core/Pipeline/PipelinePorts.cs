using BucketGuard.Core.Decisions;

namespace BucketGuard.Core.Pipeline;

/// <summary>Every capability the one path (RemediationPipeline) uses, handed to it by the composition root; the pipeline
/// never discovers one by casting. The bucket reader and the writer are required; each other port is null where this
/// BucketGuard lacks it, and the decisions that would need it say so (Incomplete) rather than guess.</summary>
/// <param name="Buckets">Re-reads a bucket's state (ACL, policy, Block Public Access, ownership, tags).</param>
/// <param name="Writer">Puts Block Public Access and re-reads what is in force.</param>
public sealed record PipelinePorts(IBucketStateReader Buckets, IPublicAccessBlockWriter Writer)
{
    /// <summary>Reads objects' ACLs: object-level events and object sampling. Null: object events end Incomplete.</summary>
    public IObjectReader? Objects { get; init; }

    /// <summary>Finds the bucket of an access point named only by name. Null: such events end Incomplete.</summary>
    public IAccessPointResolver? AccessPoints { get; init; }

    /// <summary>Checks exemption signatures when an approval key is configured; null otherwise.</summary>
    public IExemptionVerifier? Verifier { get; init; }

    /// <summary>Takes the snapshot of a bucket once it is locked, before it is reported. Null: no snapshot.</summary>
    public ILockSnapshotReader? Snapshots { get; init; }

    /// <summary>Where a decision goes when its lock took effect and its reports failed (null: nowhere but the retry).</summary>
    public IUnreportedLocks? Unreported { get; init; }

    /// <summary>The incident record: every exposure opens or updates its bucket's incident before it is reported, so
    /// that the incident id travels in every output. Null: no incidents kept.</summary>
    public Incidents.IIncidents? Incidents { get; init; }

    /// <summary>The evidence bucket (S3 Object Lock): each exposure's evidence is kept there before its incident is
    /// updated. Null: none kept.</summary>
    public Incidents.IEvidenceStore? Evidence { get; init; }

    /// <summary>Amazon Macie, consulted for an exposure's data class when the policy says which class a Sensitive score
    /// raises it to. Null: not consulted.</summary>
    public IBucketSensitivity? Sensitivity { get; init; }

    /// <summary>The classes buckets held recently: kept for every phi or pci bucket decided, read for an exposure.
    /// Null: not kept (a lowered tag then counts at once).</summary>
    public IDataClassFloors? Floors { get; init; }
}
