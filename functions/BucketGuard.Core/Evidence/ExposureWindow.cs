using System.Collections.Immutable;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Events;
using BucketGuard.Core.Policies;

namespace BucketGuard.Core.Evidence;

/// <summary>Whether the bucket (or object) was public in effect over one stretch of its history: Yes, No, or Unknown
/// (a setting it depended on was changed by an event before the history starts, so its earlier value is not known).</summary>
public enum WasPublic
{
    No,
    Yes,
    Unknown,
}

/// <summary>One stretch of the replayed history: from the event that began it (null: the start of the history) to the
/// next one.</summary>
public sealed record ExposureStep(DateTimeOffset From, BucketChange? Change, WasPublic Public);

/// <summary>When a bucket or object became public and when it stopped, from its own management events.</summary>
/// <param name="Start">When it became public; when StartIsLowerBound, only the earliest time it is known to have been
/// public (the history does not reach the change that made it so); null when the history never shows it public.</param>
/// <param name="Cause">The change that made it public (who, when, from where); when StartIsLowerBound, the first change
/// after which it is known public (it may have been public before); null when public from the history's start.</param>
/// <param name="End">When it stopped being public (usually BucketGuard's lock); null while it still is.</param>
/// <param name="Ender">The change that ended it.</param>
public sealed record ExposureWindow(
    DateTimeOffset? Start, bool StartIsLowerBound, BucketChange? Cause, DateTimeOffset? End, BucketChange? Ender,
    ImmutableArray<ExposureStep> Steps, string Explanation)
{
    /// <summary>Replays the bucket's management events, oldest first, through the parser's BucketChange and the evaluator
    /// (AWS's definition of public, S3 User Guide "The meaning of 'public'", with Block Public Access and Object
    /// Ownership applied as S3 applies them), and finds the last stretch of public exposure before
    /// <paramref name="until"/>. A setting no event in the history touches has its value in <paramref name="now"/>
    /// (read at the lock) all along; a setting an event sets is unknown before the first such event, unless the
    /// history reaches the bucket's CreateBucket (then S3's defaults for a new bucket: private ACL, no policy, all four
    /// Block Public Access flags, BucketOwnerEnforced). A stretch is public (Yes) when the most private values of its
    /// unknown settings still make it public, not public (No) when the most public ones do not, and Unknown otherwise.
    /// Failed calls change nothing; tagging does not change exposure (exemptions do not make a bucket private).</summary>
    /// <param name="objectKey">Replay one object: its ACL from PutObject, CopyObject, PutObjectAcl and multipart uploads
    /// of that key, with the bucket's Block Public Access and ownership; null for the bucket.</param>
    /// <param name="historyStart">How far back <paramref name="history"/> reaches (CloudTrail LookupEvents: 90 days).</param>
    /// <param name="read">What the decision read (before its lock): the value of every setting no event up to
    /// <paramref name="readAt"/> changed.</param>
    /// <param name="isOwnLock">Whether a change is BucketGuard's own lock (Remediation.IsOwnCall): BucketGuard puts Block
    /// Public Access only on what it has just found public in effect, so the stretch before its lock is public even
    /// where the history alone cannot tell. Null: no change is taken as one.</param>
    public static ExposureWindow Replay(string bucket, string? objectKey, IEnumerable<BucketChange> history, BucketState read, DateTimeOffset readAt, DateTimeOffset historyStart, DateTimeOffset until, Func<BucketChange, bool>? isOwnLock = null)
    {
        var changes = history
            .Select((change, order) => (change, order))
            .Where(c => (c.change.Bucket == bucket || c.change.IsAccountLevel) && !c.change.Failed && c.change.EventTime is { } t && t >= historyStart && t <= until && Touches(c.change, objectKey))
            .OrderBy(c => c.change.EventTime).ThenBy(c => c.order)
            .Select(c => c.change)
            .ToList();

        // A setting an event changed before the read is unknown before that event; the others are as read, all along.
        var unknown = changes.Where(c => c.EventTime <= readAt).Select(Part).Where(p => p is not null).Select(p => p!.Value).ToHashSet();
        var state = Settings.From(read, objectKey, unknown);
        var exists = !changes.Any(c => c.Kind == ChangeKind.BucketCreated);
        var steps = ImmutableArray.CreateBuilder<ExposureStep>();
        steps.Add(new ExposureStep(historyStart, null, exists ? state.Public(objectKey) : WasPublic.No));
        foreach (var change in changes)
        {
            // Before its CreateBucket the bucket did not exist: nothing to expose. A re-created bucket starts anew.
            exists |= change.Kind == ChangeKind.BucketCreated;
            state = change.Kind == ChangeKind.BucketCreated ? Settings.NewBucket(change, state.AccountBlock, objectKey) : state.After(change, objectKey);
            if (change.Kind == ChangeKind.BucketPublicAccessBlockChanged && isOwnLock?.Invoke(change) == true && steps[^1].Public == WasPublic.Unknown)
            {
                steps[^1] = steps[^1] with { Public = WasPublic.Yes };
            }

            steps.Add(new ExposureStep(change.EventTime!.Value, change, exists ? state.Public(objectKey) : WasPublic.No));
        }

        return Window(steps.ToImmutable(), until);
    }

    private static ExposureWindow Window(ImmutableArray<ExposureStep> steps, DateTimeOffset until)
    {
        var last = steps.Length - 1;
        while (last >= 0 && steps[last].Public != WasPublic.Yes)
        {
            last--;
        }

        if (last < 0)
        {
            var unknown = steps.Any(s => s.Public == WasPublic.Unknown);
            return new ExposureWindow(null, false, null, null, null, steps, unknown
                ? "the history never shows it public for certain: settings changed before the history starts are unknown"
                : "the history never shows it public");
        }

        var first = last;
        while (first > 0 && steps[first - 1].Public == WasPublic.Yes)
        {
            first--;
        }

        var ender = last + 1 < steps.Length ? steps[last + 1] : null;
        var lowerBound = first == 0 || steps[first - 1].Public == WasPublic.Unknown || steps[first].Change is null;
        var start = steps[first].From;
        var cause = steps[first].Change;
        var by = cause is null ? string.Empty : $", when {cause.Actor} called {cause.EventName}{(cause.SourceIp is { } ip ? $" from {ip}" : string.Empty)} (event {cause.EventId})";
        var why = lowerBound
            ? $"public since at least {start:u}{by}; whether it was public before cannot be told: the history does not show its settings before then"
            : $"public from {start:u}{by}";
        why += ender is null
            ? $"; still public at {until:u}"
            : ender.Public == WasPublic.Unknown
                ? $"; from {ender.From:u} ({ender.Change?.EventName}) it cannot be told"
                : $"; until {ender.From:u}, when {ender.Change!.Actor} called {ender.Change.EventName} (event {ender.Change.EventId})";
        return new ExposureWindow(start, lowerBound, cause, ender?.From, ender?.Change, steps, why);
    }

    /// <summary>Whether a change can alter the exposure being replayed.</summary>
    private static bool Touches(BucketChange change, string? objectKey) => change.Kind switch
    {
        ChangeKind.ObjectAclChanged => objectKey is not null && change.ObjectKey == objectKey,
        ChangeKind.BucketAclChanged or ChangeKind.BucketPolicyChanged or ChangeKind.BucketPolicyDeleted => objectKey is null,
        ChangeKind.BucketCreated or ChangeKind.BucketPublicAccessBlockChanged or ChangeKind.BucketPublicAccessBlockDeleted
            or ChangeKind.OwnershipControlsChanged or ChangeKind.OwnershipControlsDeleted
            or ChangeKind.AccountPublicAccessBlockChanged or ChangeKind.AccountPublicAccessBlockDeleted => true,
        _ => false,
    };

    private enum Setting
    {
        Acl,
        Policy,
        BucketBlock,
        AccountBlock,
        Ownership,
    }

    /// <summary>The setting a change sets (an object's ACL is the Acl setting of an object replay).</summary>
    private static Setting? Part(BucketChange change) => change.Kind switch
    {
        ChangeKind.BucketAclChanged or ChangeKind.ObjectAclChanged => Setting.Acl,
        ChangeKind.BucketPolicyChanged or ChangeKind.BucketPolicyDeleted => Setting.Policy,
        ChangeKind.BucketPublicAccessBlockChanged or ChangeKind.BucketPublicAccessBlockDeleted => Setting.BucketBlock,
        ChangeKind.AccountPublicAccessBlockChanged or ChangeKind.AccountPublicAccessBlockDeleted => Setting.AccountBlock,
        ChangeKind.OwnershipControlsChanged or ChangeKind.OwnershipControlsDeleted => Setting.Ownership,
        _ => null,
    };

    /// <summary>A setting's value, or unknown.</summary>
    private readonly record struct Known<T>(bool IsKnown, T? Value);

    private sealed record Settings(Known<AccessControlList> Acl, Known<string> Policy, Known<PublicAccessBlock> BucketBlock, Known<PublicAccessBlock> AccountBlock, Known<string> Ownership)
    {
        public static Settings From(BucketState now, string? objectKey, HashSet<Setting> unknown) => new(
            unknown.Contains(Setting.Acl) ? default : new(true, objectKey is null ? now.Acl : now.Object?.Acl),
            unknown.Contains(Setting.Policy) ? default : new(true, now.PolicyJson),
            unknown.Contains(Setting.BucketBlock) ? default : new(true, now.BucketBlock),
            unknown.Contains(Setting.AccountBlock) ? default : new(true, now.AccountBlock),
            unknown.Contains(Setting.Ownership) ? default : new(true, now.ObjectOwnership));

        /// <summary>S3's defaults for a bucket created since April 2023 (S3 User Guide, "Default settings for new S3
        /// buckets"): Block Public Access all on and ACLs disabled (BucketOwnerEnforced), unless the request says otherwise.</summary>
        /// <param name="objectKey">In an object replay the object does not exist yet: its ACL is private until uploaded.</param>
        public static Settings NewBucket(BucketChange change, Known<PublicAccessBlock> account, string? objectKey) => new(
            new(true, objectKey is null ? change.RequestedAcl ?? CannedAcl.Expand("private").Value : CannedAcl.Expand("private").Value),
            new(true, null),
            new(true, change.RequestedPublicAccessBlock ?? PublicAccessBlock.All),
            account,
            new(true, change.RequestedObjectOwnership ?? "BucketOwnerEnforced"));

        public Settings After(BucketChange change, string? objectKey) => change.Kind switch
        {
            // An ACL the record does not show (unparsed, or an upload without one) leaves the object private; a bucket
            // ACL call whose ACL cannot be read makes the ACL unknown.
            ChangeKind.ObjectAclChanged => this with { Acl = new(true, change.RequestedAcl ?? (change.AclInRequest ? null : CannedAcl.Expand("private").Value)) },
            ChangeKind.BucketAclChanged => this with { Acl = change.RequestedAcl is { } acl ? new(true, acl) : default },
            ChangeKind.BucketPolicyChanged => this with { Policy = change.RequestedPolicy is { } policy ? new(true, policy) : default },
            ChangeKind.BucketPolicyDeleted => this with { Policy = new(true, null) },
            ChangeKind.BucketPublicAccessBlockChanged => this with { BucketBlock = change.RequestedPublicAccessBlock is { } block ? new(true, block) : default },
            ChangeKind.BucketPublicAccessBlockDeleted => this with { BucketBlock = new(true, null) },
            ChangeKind.AccountPublicAccessBlockChanged => this with { AccountBlock = change.RequestedPublicAccessBlock is { } block ? new(true, block) : default },
            ChangeKind.AccountPublicAccessBlockDeleted => this with { AccountBlock = new(true, null) },
            ChangeKind.OwnershipControlsChanged => this with { Ownership = change.RequestedObjectOwnership is { } ownership ? new(true, ownership) : default },
            ChangeKind.OwnershipControlsDeleted => this with { Ownership = new(true, null) },
            _ => this,
        };

        /// <summary>Yes when even the most private values of the unknown settings leave it public; No when even the most
        /// public ones do not; Unknown otherwise. A policy that cannot be read counts as unknown.</summary>
        public WasPublic Public(string? objectKey)
        {
            var mostPrivate = PublicInEffect(objectKey, worst: false);
            var mostPublic = PublicInEffect(objectKey, worst: true);
            return mostPrivate == true ? WasPublic.Yes : mostPublic == false ? WasPublic.No : WasPublic.Unknown;
        }

        private static readonly string OpenPolicy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}""";

        private bool? PublicInEffect(string? objectKey, bool worst)
        {
            var acl = Acl.IsKnown ? Acl.Value : CannedAcl.Expand(worst ? "public-read-write" : "private").Value;
            var policy = Policy.IsKnown ? Policy.Value : worst ? OpenPolicy : null;
            var block = BucketBlock.IsKnown ? BucketBlock.Value : worst ? null : PublicAccessBlock.All;
            var account = AccountBlock.IsKnown ? AccountBlock.Value : worst ? null : PublicAccessBlock.All;
            var ownership = Ownership.IsKnown ? Ownership.Value : worst ? "ObjectWriter" : "BucketOwnerEnforced";
            var protection = new BucketProtection(block, account, ownership);
            if (objectKey is not null)
            {
                return acl is null ? null : protection.Apply(AclEvaluator.EvaluateObject(acl, objectKey)).IsPublicInEffect;
            }

            var exposure = acl is null ? Exposure.NotPublic : AclEvaluator.Evaluate(acl);
            if (policy is not null)
            {
                var evaluated = PolicyEvaluator.Evaluate(policy, PolicyKind.Bucket);
                if (!evaluated.Ok)
                {
                    return null;
                }

                exposure = Exposure.Combine(exposure, evaluated.Value!);
            }

            return protection.Apply(exposure).IsPublicInEffect;
        }
    }
}
