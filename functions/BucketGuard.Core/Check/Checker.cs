using System.Collections.Immutable;
using System.Text.Json;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Json;
using BucketGuard.Core.Policies;

namespace BucketGuard.Core.Check;

/// <summary>Decides what an input is (bucket policy, ACL, EventBridge event, or a corpus-style object holding
/// a policy or ACL) and evaluates it. Pure: the caller reads the file.</summary>
public static class Checker
{
    public static CheckResult Check(string path, string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (path.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("<"))
        {
            return FromAcl(path, AclParser.ParseXml(text), AclTarget.Bucket, null);
        }

        if (!JsonRead.TryParse(text, out var document, out var error))
        {
            return CheckResult.Failure(path, null, $"{path} is {error}");
        }

        using (document)
        {
            return Check(path, document!.RootElement);
        }
    }

    public static CheckResult Check(string path, JsonElement root)
    {
        switch (root.ValueKind)
        {
            case JsonValueKind.String when CannedAcl.IsName(root.GetString()!):
                return FromAcl(path, CannedAcl.Expand(root.GetString()!), AclTarget.Bucket, null);
            case JsonValueKind.String:
                return FromPolicy(path, root, null);
            case JsonValueKind.Object:
                break;
            default:
                return CheckResult.Failure(path, null, $"expected a policy, an ACL or an event, found {JsonRead.Describe(root.ValueKind)}");
        }

        if (root.TryGet("detail", out _) || root.TryGet("eventName", out _))
        {
            return FromEvent(path, CloudTrailEventParser.Parse(root));
        }

        var protection = root.TryGet("context", out var context) ? ProtectionFrom(context) : null;
        if (root.TryGet("policy", out var policy))
        {
            return FromPolicy(path, policy, protection);
        }

        if (root.TryGet("acl", out var acl))
        {
            return FromAcl(path, AclParser.Parse(acl), AclTarget.Bucket, protection);
        }

        if (root.TryGet("Statement", out _))
        {
            return FromPolicy(path, root, null);
        }

        var parsedAcl = AclParser.Parse(root);
        return parsedAcl.Ok
            ? FromAcl(path, parsedAcl, AclTarget.Bucket, null)
            : CheckResult.Failure(path, null, "not a bucket policy (no Statement), an ACL (no Grants, AccessControlPolicy or canned name) or an EventBridge event (no detail)");
    }

    /// <summary>A policy met on its own, judged by the rule of the kind its Resource ARNs show (PolicyKinds.Infer).</summary>
    private static CheckResult FromPolicy(string path, JsonElement policy, BucketProtection? protection)
    {
        var kind = PolicyKinds.Infer(policy);
        var evaluated = PolicyEvaluator.Evaluate(policy, kind);
        if (!evaluated.Ok)
        {
            return CheckResult.Failure(path, InputKind.Policy, evaluated.Error!);
        }

        var exposure = kind == PolicyKind.Bucket
            ? evaluated.Value!
            : evaluated.Value! with { Notes = evaluated.Value!.Notes.Insert(0, $"judged as {PolicyKinds.Describe(kind)} (its Resource names an access point)") };
        return Evaluated(path, InputKind.Policy, exposure, protection);
    }

    private static CheckResult FromAcl(string path, Parsed<AccessControlList> acl, AclTarget target, BucketProtection? protection)
    {
        if (!acl.Ok)
        {
            return CheckResult.Failure(path, InputKind.Acl, acl.Error!);
        }

        return Evaluated(path, InputKind.Acl, AclEvaluator.Evaluate(acl.Value!, target), protection);
    }

    private static CheckResult Evaluated(string path, InputKind kind, Exposure exposure, BucketProtection? protection)
    {
        var applied = protection is null ? exposure : protection.Apply(exposure);
        return new CheckResult(path, kind, applied.IsPublic, applied, null, null, protection, []);
    }

    private static CheckResult FromEvent(string path, Parsed<BucketChange> parsed)
    {
        if (!parsed.Ok)
        {
            return CheckResult.Failure(path, InputKind.Event, parsed.Error!);
        }

        var change = parsed.Value!;
        var notes = ImmutableArray.CreateBuilder<string>();
        if (change.Kind == ChangeKind.NotBucketChange)
        {
            notes.Add($"not a bucket exposure change: {change.NotBucketChangeReason}");
        }

        if (change.Failed)
        {
            notes.Add($"the call failed ({change.ErrorCode}{(change.ErrorMessage is null ? string.Empty : ": " + change.ErrorMessage)}), so the bucket did not change");
        }

        Exposure? exposure = null;
        var problem = change.RequestProblem;
        if (change.RequestedPolicy is { } policy)
        {
            var evaluated = PolicyEvaluator.Evaluate(policy, change.RequestedPolicyKind);
            exposure = evaluated.Value;
            problem ??= evaluated.Error is null ? null : $"the requested bucketPolicy: {evaluated.Error}";
        }
        else if (change.RequestedAcl is { } acl)
        {
            exposure = change.IsObjectLevel ? AclEvaluator.EvaluateObject(acl, change.ObjectName ?? "(unnamed)") : AclEvaluator.Evaluate(acl);
            if (change.IsObjectLevel)
            {
                notes.Add(ObjectNote(change, exposure));
            }
        }
        else if (change.IsObjectLevel && !change.AclInRequest)
        {
            exposure = Exposure.NotPublic;
            problem = null;
            notes.Add($"{change.EventName} carries no ACL: S3 gives a new object the default ACL, in which its owner has FULL_CONTROL and nobody else has anything (S3 User Guide, \"Access control list (ACL) overview\", Default ACL), so it makes nothing public (BucketGuard skips it without an S3 call)");
        }

        if (change.IsAccessPointLevel || change.IsMultiRegionAccessPoint)
        {
            var what = change.IsMultiRegionAccessPoint ? "multi-region access point" : "access point";
            var block = change.RequestedPublicAccessBlock is { } requested
                ? $", its Block Public Access {requested.DescribeEach()} (fixed at creation)"
                : change.Kind is ChangeKind.AccessPointCreated or ChangeKind.MultiRegionAccessPointCreated
                    ? $", with no Block Public Access configuration, so S3 turns all four flags on for the {what} (S3 User Guide, \"Managing public access to access points for general purpose buckets\": all block public access settings are enabled by default)"
                    : string.Empty;
            notes.Add($"an access point call ({change.EventName}) for {what} {change.AccessPointName ?? "(unnamed)"}"
                + (change.AccessPointVpc is { } vpc ? $", VPC origin {vpc}: only that VPC can reach it, so nothing it grants is public (S3 User Guide, \"The meaning of 'public'\", Access points)" : string.Empty)
                + block
                + $"; its policy is judged as {PolicyKinds.Describe(change.RequestedPolicyKind)}, and a public one exposes the bucket unless the access point's, the bucket's or the account's RestrictPublicBuckets stops it (S3 User Guide, \"Managing public access to access points\")");
        }

        notes.AddRange(Describe(change));
        return new CheckResult(path, InputKind.Event, exposure?.IsPublic, exposure, problem, change, null, notes.ToImmutable());
    }

    /// <summary>What an object event's requested ACL means, said only as far as it is true: a refused call changed
    /// nothing, a non-public ACL exposes nothing, a public one exposes that object.</summary>
    private static string ObjectNote(BucketChange change, Exposure exposure)
    {
        var name = change.ObjectName ?? "(unnamed)";
        if (change.Failed)
        {
            return $"an object ACL ({change.EventName}) that S3 refused: object {name} kept the ACL it had";
        }

        return exposure.IsPublic
            ? $"an object ACL ({change.EventName}): it exposes object {name} ({AccessLevels.Describe(exposure.Access)}); where the bucket honours ACLs, BucketGuard locks the bucket's ACLs (IgnorePublicAcls, BlockPublicAcls), which neutralises every public object ACL in it at once (S3 User Guide, \"Blocking public access\")"
            : $"an object ACL ({change.EventName}) that is not public for object {name}: no grant to AllUsers or AuthenticatedUsers (S3 User Guide, \"The meaning of 'public'\", ACLs)";
    }

    private static IEnumerable<string> Describe(BucketChange change)
    {
        switch (change.Kind)
        {
            case ChangeKind.BucketPolicyDeleted:
                yield return "deletes the bucket policy: no policy grant remains (the ACL may still be public)";
                break;
            case ChangeKind.BucketPublicAccessBlockChanged when change.RequestedPublicAccessBlock is { } pab:
                yield return pab.IsAll
                    ? "turns every Block Public Access flag on for the bucket"
                    : $"sets the bucket's Block Public Access to: {pab}; the flags left off no longer protect the bucket";
                break;
            case ChangeKind.BucketPublicAccessBlockDeleted:
                yield return "removes the bucket's Block Public Access configuration: only the account's settings still protect it";
                break;
            case ChangeKind.AccountPublicAccessBlockChanged when change.RequestedPublicAccessBlock is { } pab:
                yield return $"sets the ACCOUNT's Block Public Access to: {pab} (affects every bucket in account {change.Account ?? "unknown"})";
                break;
            case ChangeKind.AccountPublicAccessBlockDeleted:
                yield return $"removes the ACCOUNT's Block Public Access (affects every bucket in account {change.Account ?? "unknown"})";
                break;
            case ChangeKind.OwnershipControlsChanged:
                yield return change.RequestedObjectOwnership == "BucketOwnerEnforced"
                    ? "sets Object Ownership to BucketOwnerEnforced: ACLs stop granting access"
                    : $"sets Object Ownership to {change.RequestedObjectOwnership ?? "(not stated)"}: ACLs keep granting access";
                break;
            case ChangeKind.OwnershipControlsDeleted:
                yield return "removes Object Ownership controls: ACLs grant access again";
                break;
            case ChangeKind.BucketTaggingChanged:
                yield return $"sets {change.RequestedTags?.Length ?? 0} tag(s): {string.Join(", ", (change.RequestedTags ?? []).Select(t => $"{t.Key}={t.Value}"))}";
                var exemption = Decisions.Exemption.From(change.RequestedTags ?? [], Decisions.RemediationPolicy.Default, change.EventTime is { } t ? DateOnly.FromDateTime(t.UtcDateTime) : DateOnly.FromDateTime(DateTime.UtcNow));
                if (exemption.State != Decisions.ExemptionState.None)
                {
                    yield return $"exemption as of the event: {exemption}";
                }

                break;
            case ChangeKind.BucketTaggingDeleted:
                yield return "removes every tag of the bucket (including any BucketGuard exemption)";
                break;
        }
    }

    /// <summary>Reads the corpus's context: {"public_access_block": {"bucket": {...}, "account": {...}}, "object_ownership": "..."}.</summary>
    private static BucketProtection? ProtectionFrom(JsonElement context)
    {
        if (context.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        PublicAccessBlock? bucket = null, account = null;
        if (context.TryGetAny(out var pab, "public_access_block", "PublicAccessBlock"))
        {
            bucket = pab.TryGet("bucket", out var b) ? PublicAccessBlock.FromJson(b) : null;
            account = pab.TryGet("account", out var a) ? PublicAccessBlock.FromJson(a) : null;
        }

        var ownership = context.TryGetAny(out var o, "object_ownership", "ObjectOwnership") ? o.Text() : null;
        return new BucketProtection(bucket, account, ownership);
    }
}
