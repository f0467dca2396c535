using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Policies;

namespace BucketGuard.Core.Decisions;

/// <summary>Triage: what is decided on the event alone, before any read: not a bucket exposure change, a failed call,
/// BucketGuard's own call, an account outside the organisation, an account-level change (reported, never changed), an
/// object upload whose requested ACL is not public, a multi-region access point, an event that names no bucket.</summary>
public static partial class Remediation
{
    /// <summary>Decides what needs no bucket read: null means "read the bucket and Decide".</summary>
    public static Verdict? Triage(BucketChange change, RemediationPolicy policy)
    {
        if (change.Kind == ChangeKind.NotBucketChange)
        {
            return new Verdict(Outcome.Skipped, $"not a bucket exposure change: {change.NotBucketChangeReason}", Severity.Info);
        }

        if (change.Failed)
        {
            return new Verdict(Outcome.Skipped, $"{change.EventName} failed ({change.ErrorCode}), so nothing changed", Severity.Info);
        }

        if (IsOwnCall(change, policy))
        {
            return new Verdict(Outcome.Skipped, $"{change.EventName} was BucketGuard's own remediation", Severity.Info);
        }

        if (!policy.OrganizationAccounts.IsEmpty && change.Account is { } account && account != policy.MemberRole.HomeAccount
            && !policy.OrganizationAccounts.Contains(account, StringComparer.Ordinal))
        {
            // Member accounts forward their own events; one that names an account outside the organisation is noise or
            // a forgery, and BucketGuard has no role there anyway. Logged and counted, not notified.
            return new Verdict(Outcome.Skipped, $"account {account} is not one of the organisation's accounts (BUCKETGUARD_ORGANIZATION_ACCOUNTS), so the event is not BucketGuard's to act on", Severity.Info);
        }

        if (change.IsAccountLevel)
        {
            var weakened = change.Kind == ChangeKind.AccountPublicAccessBlockDeleted || change.RequestedPublicAccessBlock?.IsAll != true;
            var what = change.Kind == ChangeKind.AccountPublicAccessBlockDeleted
                ? "removed the account's Block Public Access"
                : $"set the account's Block Public Access to: {change.RequestedPublicAccessBlock?.ToString() ?? "(not stated)"}";
            return new Verdict(
                Outcome.AccountBlockChanged,
                $"{change.Actor} {what}; this affects every bucket in account {change.Account ?? "(unknown)"} and is reported, not changed automatically",
                weakened ? Severity.Critical : Severity.Low);
        }

        if (change.IsObjectLevel && change.Bucket is not null)
        {
            if (change.ObjectKey is null)
            {
                return new Verdict(Outcome.Incomplete, $"{change.EventName} names no object key, so BucketGuard cannot re-read the object's ACL", Severity.Medium);
            }

            // Uploads and copies carry an ACL only when someone asks for one; without it S3 gives the object the default
            // ACL (its owner has FULL_CONTROL, nobody else anything: S3 User Guide, "Access control list (ACL) overview"),
            // so nothing became public and no S3 call is needed. PutObjectAcl always changes the ACL: re-read.
            if (change.EventName != "PutObjectAcl" && !change.AclInRequest)
            {
                return new Verdict(Outcome.Skipped, $"{change.EventName} of {change.ObjectName} carries no ACL: S3 gives a new object the default ACL (owner FULL_CONTROL only), so it made nothing public", Severity.Info);
            }

            if (change.EventName != "PutObjectAcl" && change.RequestedAcl is { } requested && change.RequestProblem is null
                && !AclEvaluator.EvaluateObject(requested, change.ObjectName!).IsPublic)
            {
                return new Verdict(Outcome.Skipped, $"{change.EventName} of {change.ObjectName} asked for an ACL that is not public ({requested.CannedName ?? "no AllUsers or AuthenticatedUsers grant"})", Severity.Info);
            }
        }

        if (change.IsMultiRegionAccessPoint)
        {
            // Judged on the event alone: BucketGuard does not read multi-region access points. S3 applies each
            // underlying bucket's Block Public Access to requests through one, so the buckets' own locks still hold.
            var requested = change.RequestedPolicy is { } mrapPolicy && PolicyEvaluator.Evaluate(mrapPolicy, change.RequestedPolicyKind) is { Ok: true } evaluated ? evaluated.Value! : null;
            var blockOff = change.Kind == ChangeKind.MultiRegionAccessPointCreated && change.RequestedPublicAccessBlock is { IsAll: false };
            return requested is { IsPublic: true }
                ? new Verdict(Outcome.Incomplete, $"{change.Actor} gave multi-region access point {change.AccessPointName} a public policy ({AccessLevels.Describe(requested.Access)}); BucketGuard judges multi-region access points on their event only and does not lock them: each underlying bucket's Block Public Access still applies to requests through it", Severity.High, requested)
                : blockOff
                    ? new Verdict(Outcome.Incomplete, $"{change.Actor} created multi-region access point {change.AccessPointName} with Block Public Access {change.RequestedPublicAccessBlock!.DescribeEach()}; it cannot be changed later, and a public policy on it would then depend on its buckets' own Block Public Access", Severity.Medium)
                    : new Verdict(Outcome.Skipped, $"{change.EventName} of multi-region access point {change.AccessPointName} requests nothing public", Severity.Info);
        }

        if (change.Bucket is null && !(change.IsAccessPointLevel && change.AccessPointName is not null))
        {
            return new Verdict(Outcome.Incomplete, $"{change.EventName} names no bucket, so BucketGuard cannot re-read or protect it", Severity.Medium);
        }

        return null;
    }

    /// <summary>Whether BucketGuard itself made the call: a session its member role issued, or one of its own role ARNs
    /// (BUCKETGUARD_ROLE_ARNS). Triage skips such events; the exposure window reads them as BucketGuard's locks.</summary>
    public static bool IsOwnCall(BucketChange change, RemediationPolicy policy) =>
        policy.MemberRole.Issued(change.Actor.SessionIssuerArn, change.Account)
        || policy.OwnPrincipals.Any(own =>
            string.Equals(own, change.Actor.Arn, StringComparison.Ordinal) || string.Equals(own, change.Actor.SessionIssuerArn, StringComparison.Ordinal));
}
