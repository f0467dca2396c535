using System.Collections.Immutable;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Policies;

namespace BucketGuard.Core.Decisions;

/// <summary>Every remediation decision is made here: first on the event alone (Triage, in Triage.cs), then on the
/// bucket's real state (Evaluate and Decide, in this file).</summary>
public static partial class Remediation
{
    /// <summary>What a read must fetch beyond the ACL and the policy: Block Public Access, ownership and tags matter to
    /// the decision only when the ACL or the policy may make the bucket public, or could not be read (then "maybe").
    /// The sweep's reader asks this, so that it makes no more S3 calls than the decision needs.</summary>
    /// <param name="acl">The ACL, or null when it could not be read.</param>
    /// <param name="policyRead">False when GetBucketPolicy failed (denied, or an answer that was not the policy).</param>
    /// <param name="policyJson">The policy, or null when the bucket has none (or it could not be read).</param>
    public static bool NeedsProtection(AccessControlList? acl, bool policyRead, string? policyJson) =>
        acl is null
        || AclEvaluator.Evaluate(acl).IsPublic
        || !policyRead
        || (policyJson is not null && PolicyEvaluator.Evaluate(policyJson, PolicyKind.Bucket) is var verdict && (!verdict.Ok || verdict.Value!.IsPublic));

    /// <summary>What the bucket exposes, judged by AWS's rule on its ACL and policy, with its Block Public Access
    /// and ownership settings applied; reads that failed and a policy that cannot be read are problems.</summary>
    public static Exposure Evaluate(BucketState state, out ImmutableArray<string> problems)
    {
        var found = state.Problems.ToBuilder();
        var exposure = state.Acl is { } acl ? AclEvaluator.Evaluate(acl) : Exposure.NotPublic;
        if (state.PolicyJson is { } json)
        {
            var policy = PolicyEvaluator.Evaluate(json, PolicyKind.Bucket);
            if (policy.Ok)
            {
                exposure = Exposure.Combine(exposure, policy.Value!);
            }
            else
            {
                found.Add($"the bucket policy could not be read: {policy.Error}");
            }
        }

        foreach (var point in state.AccessPoints ?? [])
        {
            if (point.Problem is { } unread)
            {
                found.Add($"access point {point.Name}: {unread}");
            }

            if (point.PolicyJson is not { } pointPolicy)
            {
                continue;
            }

            var evaluated = PolicyEvaluator.Evaluate(pointPolicy, PolicyKind.AccessPoint);
            if (evaluated.Ok)
            {
                exposure = Exposure.Combine(exposure, OfAccessPoint(evaluated.Value!, point));
            }
            else
            {
                found.Add($"the policy of access point {point.Name} could not be read: {evaluated.Error}");
            }
        }

        problems = found.ToImmutable();
        return state.Protection.Apply(Combine(exposure, state.Sample));
    }

    /// <summary>An access point policy's public statements as the access point's findings. For a request through an
    /// access point S3 applies the Block Public Access of the access point, the bucket and the account (S3 User Guide,
    /// "Managing public access to access points"): the access point's own RestrictPublicBuckets stops them here, the
    /// bucket's and account's in BucketProtection.Apply. A VPC-origin access point takes requests only from its VPC, so
    /// nothing it grants is public.</summary>
    public static Exposure OfAccessPoint(Exposure policy, AccessPoint point) => !point.InternetOrigin
        ? new Exposure([], policy.IsPublic ? [$"access point {point.Name} has a public policy but a VPC network origin: only {point.VpcId ?? "its VPC"} can reach it, never the Internet"] : [])
        : policy with
        {
            Findings = [.. policy.Findings.Select(f => f with
            {
                Source = FindingSource.AccessPointPolicyStatement,
                AccessPoint = point.Name,
                NeutralisedBy = f.NeutralisedBy ?? (point.Block?.RestrictPublicBuckets == true ? "RestrictPublicBuckets (access point)" : null),
            })],
        };

    /// <summary>The public grants of the sampled objects' ACLs, added to an exposure.</summary>
    private static Exposure Combine(Exposure exposure, ObjectSample? sample) =>
        sample is null ? exposure : sample.Objects.Where(o => o.Acl is not null).Aggregate(exposure, (e, o) => Exposure.Combine(e, AclEvaluator.EvaluateObject(o.Acl!, o.Name)));

    /// <summary>A multipart upload that is not complete has no object yet; the ACL it asked for is what the object will have.</summary>
    private static bool JudgedOnRequest(BucketChange change, BucketState state) =>
        state.Object is { Exists: false } && change.EventName == "CreateMultipartUpload" && change.RequestedAcl is not null;

    /// <summary>What the object an object-level event names exposes: its ACL as read (ObjectAclGrant findings), with the
    /// bucket's Block Public Access and ownership applied. A multipart upload that is not complete has no object yet:
    /// its requested ACL is what the object will have, so that is judged.</summary>
    public static Exposure EvaluateObject(BucketChange change, BucketState state, out ImmutableArray<string> problems)
    {
        problems = state.Problems;
        var exposure = state.Object switch
        {
            { Acl: { } acl, Name: var name } => AclEvaluator.EvaluateObject(acl, name),
            _ when JudgedOnRequest(change, state) => AclEvaluator.EvaluateObject(change.RequestedAcl!, change.ObjectName!),
            _ => Exposure.NotPublic,
        };
        return state.Protection.Apply(Combine(exposure, state.Sample));
    }

    /// <summary>How many objects to sample before deciding (0: none): when ACLs are honoured and IgnorePublicAcls is off,
    /// an ownership change away from BucketOwnerEnforced brings back every object ACL S3 kept (S3 User Guide,
    /// "Controlling ownership of objects and disabling ACLs"), so BUCKETGUARD_OBJECT_SAMPLE objects are read; the sweep
    /// and `audit` read BUCKETGUARD_SWEEP_OBJECT_SAMPLE (`--objects`).</summary>
    public static int ObjectSampleSize(BucketChange change, BucketState state, RemediationPolicy policy)
    {
        if (!state.Exists || !state.ProtectionRead || !state.Protection.ObjectsCanBePublic)
        {
            return 0;
        }

        return change.Kind switch
        {
            ChangeKind.OwnershipControlsChanged when change.RequestedObjectOwnership != "BucketOwnerEnforced" => policy.ObjectSample,
            ChangeKind.OwnershipControlsDeleted => policy.ObjectSample,
            ChangeKind.Sweep => policy.SweepObjectSample,
            _ => 0,
        };
    }

    /// <summary>Decides on what S3 says is true now. Fail safe (README, "Fail safe"): a read that was denied or could
    /// not be understood never makes a bucket "not public". When the event itself requested public access that the
    /// denied reads would have shown, the lock rests on the event; otherwise BUCKETGUARD_UNREADABLE decides (report or
    /// lock). When the bucket's own Block Public Access could not be read, all four flags are put, so that the put
    /// (which replaces the whole configuration) can turn no flag off.</summary>
    /// <param name="exemption">The bucket's exemption with its approval checked (ExemptionApprovals.CheckAsync); null:
    /// read from the state's tags here, and when an approval key is configured, treated as not approved.</param>
    public static Verdict Decide(BucketChange change, BucketState state, RemediationPolicy policy, DateOnly today, Exemption? exemption = null)
    {
        if (!state.Exists)
        {
            return new Verdict(Outcome.BucketGone, $"bucket {state.Bucket} no longer exists (deleted before BucketGuard looked), so nothing is exposed and nothing can be locked", Severity.Medium);
        }

        if (change.IsObjectLevel && state.Object is { Exists: false } gone && !JudgedOnRequest(change, state))
        {
            return new Verdict(Outcome.NothingToDo, $"object {gone.Name} no longer exists (deleted before BucketGuard looked), so it exposes nothing", Severity.Info);
        }

        var exposure = change.IsObjectLevel ? EvaluateObject(change, state, out var problems) : Evaluate(state, out problems);
        string? disagreement = null;
        var s3Public = false;
        if (policy.TrustS3PolicyStatus && state.S3SaysPublic is { } s3)
        {
            var ours = exposure.Findings.Any(f => f.Source switch
            {
                FindingSource.PolicyStatement => true,
                FindingSource.AclGrant or FindingSource.ObjectAclGrant or FindingSource.AccessPointPolicyStatement => false, // GetBucketPolicyStatus judges the bucket policy only
            });
            s3Public = s3 && !state.Protection.InForce.RestrictPublicBuckets;
            if (s3 != ours)
            {
                disagreement = $"S3 (GetBucketPolicyStatus) says the policy is {(s3 ? "public" : "not public")}; BucketGuard's evaluator says it is {(ours ? "public" : "not public")}. One of them is wrong; the bucket is treated as public if either says so.";
            }
        }

        // S3's own verdict on access point policies, trusted as for the bucket policy: a public one that BucketGuard's
        // evaluator did not find public, reachable from the Internet and not restricted, makes the bucket public too.
        if (policy.TrustS3PolicyStatus && !change.IsObjectLevel)
        {
            foreach (var point in (state.AccessPoints ?? []).Where(p => p.S3SaysPublic == true && p.InternetOrigin && p.Block?.RestrictPublicBuckets != true))
            {
                if (!exposure.Findings.Any(f => f.AccessPoint == point.Name) && !state.Protection.InForce.RestrictPublicBuckets)
                {
                    s3Public = true;
                    disagreement = $"S3 (GetAccessPointPolicyStatus) says the policy of access point {point.Name} is public; BucketGuard's evaluator does not. The bucket is treated as public.";
                }
            }
        }

        var restsOnEvent = false;
        if (!exposure.IsPublicInEffect && !s3Public && !problems.IsEmpty && RequestedWhereUnread(change, state) is { IsPublicInEffect: true } requested)
        {
            exposure = Exposure.Combine(exposure, requested);
            restsOnEvent = true;
        }

        var blockUnknown = state.BucketBlock is null && state.Unread("GetPublicAccessBlock");
        var before = state.BucketBlock ?? PublicAccessBlock.None;
        var restores = RacedFlags(change, state, policy);
        if (exemption is null)
        {
            var fromTags = Exemption.From(state.Tags, policy, today);
            exemption = policy.ExemptionKeyId is not null && fromTags.IsValid ? fromTags.Approve("not approved: its signature was not checked") : fromTags;
        }

        var objectsCanBePublic = state.ProtectionRead && state.Protection.ObjectsCanBePublic;
        var dataClass = DataClasses.Of(state, policy, out var dataClassSource);
        var context = new Decision(change, exposure, problems, s3Public, before, blockUnknown, objectsCanBePublic, restores, restsOnEvent, disagreement, policy, exemption, today, dataClass, dataClassSource);
        var verdict = DecideOn(context, out var notExempt);
        return verdict with
        {
            DataClass = dataClass,
            DataClassSource = dataClassSource,
            Problems = problems,
            Exemption = exemption,
            NotExempt = notExempt,
            RestsOnEvent = restsOnEvent && verdict.Outcome is Outcome.Block or Outcome.WouldBlock,
            ObjectsCanBePublic = objectsCanBePublic && verdict is not { Outcome: Outcome.Block, Apply.IgnorePublicAcls: true },
        };
    }

    /// <summary>What the event itself asked for, for the parts of the bucket the reads could not show: the requested ACL
    /// when GetBucketAcl failed, the requested policy when GetBucketPolicy failed or its answer could not be read.
    /// Judged with the protection that could be read.</summary>
    private static Exposure? RequestedWhereUnread(BucketChange change, BucketState state)
    {
        var found = Exposure.NotPublic;
        if (change.IsObjectLevel)
        {
            return state.Object is { Acl: null } && state.Unread("GetObjectAcl") && change.RequestedAcl is { } objectAcl
                && AclEvaluator.EvaluateObject(objectAcl, change.ObjectName!) is { IsPublic: true } requestedObject
                ? state.Protection.Apply(requestedObject)
                : null;
        }

        if (state.Acl is null && state.Unread("GetBucketAcl") && change.RequestedAcl is { } acl)
        {
            found = Exposure.Combine(found, AclEvaluator.Evaluate(acl));
        }

        if ((state.PolicyJson is null && state.Unread("GetBucketPolicy") || state.PolicyJson is { } json && !PolicyEvaluator.Evaluate(json, PolicyKind.Bucket).Ok)
            && change.RequestedPolicy is { } requested && PolicyEvaluator.Evaluate(requested, change.RequestedPolicyKind) is { Ok: true } verdict)
        {
            found = Exposure.Combine(found, verdict.Value!);
        }

        return found.IsPublic ? state.Protection.Apply(found) : null;
    }

    /// <summary>The flags a PutBucketPublicAccessBlock turned on that are off now, when every flag BucketGuard sets is on:
    /// BucketGuard's own put (which replaces the whole configuration) then landed after the owner's and switched them
    /// off. Null when nothing needs putting back.</summary>
    private static PublicAccessBlock? RacedFlags(BucketChange change, BucketState state, RemediationPolicy policy)
    {
        if (change.Kind != ChangeKind.BucketPublicAccessBlockChanged || change.RequestedPublicAccessBlock is not { } requested || state.BucketBlock is not { } current)
        {
            return null;
        }

        var missing = new PublicAccessBlock(
            requested.BlockPublicAcls && !current.BlockPublicAcls,
            requested.IgnorePublicAcls && !current.IgnorePublicAcls,
            requested.BlockPublicPolicy && !current.BlockPublicPolicy,
            requested.RestrictPublicBuckets && !current.RestrictPublicBuckets);
        return missing.OnFlags().Any() && current.Merge(policy.Flags) == current ? missing : null;
    }

    private sealed record Decision(
        BucketChange Change,
        Exposure Exposure,
        ImmutableArray<string> Problems,
        bool S3Public,
        PublicAccessBlock Before,
        bool BlockUnknown,
        bool ObjectsCanBePublic,
        PublicAccessBlock? Restores,
        bool RestsOnEvent,
        string? Disagreement,
        RemediationPolicy Policy,
        Exemption Exemption,
        DateOnly Today,
        DataClass DataClass,
        string DataClassSource)
    {
        /// <summary>The flags to put for <paramref name="wanted"/> of the policy's flags: merged with those on (never
        /// fewer); all four when the bucket's own Block Public Access could not be read, since the put replaces it whole.</summary>
        public PublicAccessBlock Lock(PublicAccessBlock wanted) => BlockUnknown ? PublicAccessBlock.All : Before.Merge(wanted);

        public PublicAccessBlock LockFlags => Lock(Policy.Flags);

        /// <summary>The policy's ACL flags (BlockPublicAcls, IgnorePublicAcls), for object grants.</summary>
        public PublicAccessBlock AclFlags => Policy.Flags with { BlockPublicPolicy = false, RestrictPublicBuckets = false };

        /// <summary>The policy's policy flags (BlockPublicPolicy, RestrictPublicBuckets), for access point policies.</summary>
        public PublicAccessBlock PolicyFlags => Policy.Flags with { BlockPublicAcls = false, IgnorePublicAcls = false };
    }

    private static Verdict DecideOn(Decision d, out ImmutableArray<string> notExempt)
    {
        var (change, exposure, problems, s3Public, before, _, _, restores, _, disagreement, policy, exemption, today, _, _) = d;
        var neverExempt = DataClasses.NeverExempt(d.DataClass);
        notExempt = [];
        if (!exposure.IsPublicInEffect && !s3Public)
        {
            if (exposure.IsPublic && change.Kind == ChangeKind.BucketTaggingChanged && exemption.IsValid && !neverExempt && exposure.Findings.All(f => exemption.Covers(f, policy, out _)))
            {
                return new Verdict(Outcome.ExemptionRecorded, $"the bucket now carries a valid exemption ({exemption}), but it is blocked ({string.Join(", ", exposure.Findings.Select(f => f.NeutralisedBy).Distinct())}) and BucketGuard never lifts a block", Severity.Low, exposure, before, null, disagreement);
            }

            if (restores is not null)
            {
                var put = before.Merge(restores);
                var why = $"{change.Actor} turned on {restores} in this change, and they are off now while BucketGuard's flags are on: BucketGuard's own put replaced the configuration after it, so they are put back";
                return Act(policy, why, Severity.Medium, exposure, before, put, disagreement) with { Restores = restores };
            }

            if (!problems.IsEmpty)
            {
                var unread = string.Join("; ", problems);
                if (policy.Unreadable == Unreadable.Lock && d.LockFlags != before)
                {
                    return Act(policy, $"BucketGuard could not read what would show the bucket is private ({unread}), and BUCKETGUARD_UNREADABLE=lock treats such a bucket as public", Severity.High, exposure, before, d.LockFlags, disagreement);
                }

                return new Verdict(Outcome.Incomplete, $"the bucket may be public: what could be read is not, but {unread}; BucketGuard cannot show it is private (BUCKETGUARD_UNREADABLE=report: reported, not locked)", Severity.High, exposure, before, null, disagreement);
            }

            if (policy.ObjectAcls == ObjectAcls.LockWhenPossible && d.ObjectsCanBePublic && !exemption.IsValid && d.Lock(d.AclFlags) != before)
            {
                return Act(policy, "objects can be public (ACLs are honoured and IgnorePublicAcls is off), the bucket has no valid exemption, and BUCKETGUARD_OBJECT_ACLS=lock-when-possible locks such buckets", Severity.Medium, exposure, before, d.Lock(d.AclFlags), disagreement);
            }

            if (change.IsObjectLevel)
            {
                return exposure.IsPublic
                    ? new Verdict(Outcome.AlreadyBlocked, $"object {change.ObjectName}'s public grants are already stopped ({string.Join(", ", exposure.Findings.Select(f => f.NeutralisedBy).Distinct())}); nothing changed", Severity.Info, exposure, before, null, disagreement)
                    : new Verdict(Outcome.NothingToDo, $"object {change.ObjectName} is not public", Severity.Info, exposure, before, null, disagreement);
            }

            return exposure.IsPublic
                ? new Verdict(Outcome.AlreadyBlocked, $"public grants exist but are already stopped ({string.Join(", ", exposure.Findings.Select(f => f.NeutralisedBy).Distinct())}); nothing changed", Severity.Info, exposure, before, null, disagreement)
                : new Verdict(Outcome.NothingToDo, "the bucket is not public", Severity.Info, exposure, before, null, disagreement);
        }

        // Health and cardholder data in public is always critical (issue "data-sensitivity tiers").
        var severity = d.RestsOnEvent || neverExempt ? Severity.Critical : SeverityOf(exposure.AccessInEffect == AccessLevel.None ? AccessLevel.Read : exposure.AccessInEffect);
        var uncovered = ImmutableArray.CreateBuilder<string>();
        if (exemption.State == ExemptionState.Invalid)
        {
            uncovered.Add(exemption.ToString());
        }
        else if (exemption.IsValid && neverExempt)
        {
            uncovered.Add($"the bucket's data class is {DataClasses.Name(d.DataClass)} ({d.DataClassSource}): BucketGuard never honours an exemption for phi or pci data, whoever approved it");
        }
        else if (exemption.IsValid)
        {
            foreach (var finding in exposure.Findings.Where(f => f.InEffect))
            {
                if (!exemption.Covers(finding, policy, out var why))
                {
                    uncovered.Add(why!);
                }
            }

            if (s3Public && !exposure.Findings.Any(f => f.InEffect))
            {
                uncovered.Add("S3 says the policy is public and BucketGuard cannot tell which grant, so no exemption can be shown to cover it");
            }

            if (uncovered.Count == 0)
            {
                var daysLeft = exemption.DaysLeft(today) ?? 0;
                var ending = daysLeft <= policy.ExemptionWarningDays
                    ? $"; it ends {(daysLeft == 0 ? "today" : $"in {daysLeft} day(s)")}: renew it or the bucket will be locked when it expires"
                    : string.Empty;
                return new Verdict(Outcome.Exempted, $"the bucket is public ({AccessLevels.Describe(exposure.AccessInEffect)}) and {exemption}{ending}", Severity.Low, exposure, before, null, disagreement)
                {
                    ExemptionExpiring = ending.Length > 0,
                };
            }
        }

        notExempt = uncovered.ToImmutable();

        // Each source needs its own flags: object grants only the bucket's ACL flags (IgnorePublicAcls neutralises every
        // object ACL in the bucket at once, and a public policy the owner relies on keeps working); access point policies
        // only the policy flags (RestrictPublicBuckets stops public access through every access point of the bucket);
        // the bucket's own ACL and policy, every flag BucketGuard may set, as always.
        var inEffect = exposure.Findings.Where(f => f.InEffect).ToList();
        var needs = inEffect.Select(f => f.Source switch
        {
            FindingSource.ObjectAclGrant => LockNeed.Acls,
            FindingSource.AccessPointPolicyStatement => LockNeed.Policies,
            FindingSource.AclGrant or FindingSource.PolicyStatement => LockNeed.All,
        }).Distinct().ToList();
        var full = s3Public || needs.Count == 0 || needs.Contains(LockNeed.All);
        var objectsOnly = !full && needs is [LockNeed.Acls];
        var accessPointsOnly = !full && needs is [LockNeed.Policies];
        var flags = full ? d.LockFlags
            : d.Lock((needs.Contains(LockNeed.Acls) ? d.AclFlags : PublicAccessBlock.None).Merge(needs.Contains(LockNeed.Policies) ? d.PolicyFlags : PublicAccessBlock.None));
        var apply = restores is null ? flags : flags.Merge(restores);
        if (apply == before)
        {
            return new Verdict(Outcome.Incomplete, $"the bucket is public, but the flags BucketGuard may set ({policy.Flags}) are already on and do not stop it", severity, exposure, before, null, disagreement);
        }

        var publicWhat = AccessLevels.Describe(exposure.AccessInEffect == AccessLevel.None ? AccessLevel.Read : exposure.AccessInEffect);
        var objects = inEffect.Where(f => f.Object is not null).Select(f => f.Object!).Distinct().ToList();
        var points = inEffect.Where(f => f.AccessPoint is not null).Select(f => f.AccessPoint!).Distinct().ToList();
        var publicWhy = d.RestsOnEvent
            ? $"the {(change.IsObjectLevel ? "object" : "bucket")} denies BucketGuard's reads ({string.Join("; ", problems)}), and the event itself requested public access ({publicWhat}): the lock rests on the event, and a bucket that hides from its security tooling is critical"
            : accessPointsOnly
                ? $"access point {string.Join(", ", points.Take(3))} {(points.Count == 1 ? "is" : "are")} public ({publicWhat}) through {(inEffect.Count == 1 ? "its policy" : "their policies")}; the bucket's RestrictPublicBuckets stops public access through every access point of the bucket"
            : objectsOnly
                ? $"object {string.Join(", ", objects.Take(3))}{(objects.Count > 3 ? $" and {objects.Count - 3} more" : string.Empty)} {(objects.Count == 1 ? "is" : "are")} public ({publicWhat}); the bucket's IgnorePublicAcls neutralises every public object ACL in it at once"
                : $"the bucket is public ({publicWhat})";
        if (objectsOnly && policy.ObjectAcls == ObjectAcls.Report)
        {
            return new Verdict(Outcome.WouldBlock, $"{publicWhy}; BUCKETGUARD_OBJECT_ACLS=report, so Block Public Access was not applied", severity, exposure, before, apply, disagreement);
        }

        return Act(policy, publicWhy, severity, exposure, before, apply, disagreement) with { Restores = restores };
    }

    /// <summary>Block in mode enforce, WouldBlock in mode notify: the one place the mode is applied.</summary>
    private static Verdict Act(RemediationPolicy policy, string why, Severity severity, Exposure exposure, PublicAccessBlock before, PublicAccessBlock apply, string? disagreement) =>
        policy.Mode == Mode.Notify
            ? new Verdict(Outcome.WouldBlock, $"{why}; mode notify, so Block Public Access was not applied", severity, exposure, before, apply, disagreement)
            : new Verdict(Outcome.Block, why, severity, exposure, before, apply, disagreement);

    /// <summary>Critical for public write or permissions management, high for public read or list.</summary>
    public static Severity SeverityOf(AccessLevel level) =>
        (level & (AccessLevel.Write | AccessLevel.PermissionsManagement)) != 0 ? Severity.Critical
        : (level & (AccessLevel.Read | AccessLevel.List)) != 0 ? Severity.High
        : Severity.Low;
}

/// <summary>Which flags a finding needs to be stopped.</summary>
internal enum LockNeed
{
    /// <summary>Every flag BucketGuard may set.</summary>
    All,

    /// <summary>BlockPublicAcls and IgnorePublicAcls.</summary>
    Acls,

    /// <summary>BlockPublicPolicy and RestrictPublicBuckets.</summary>
    Policies,
}
