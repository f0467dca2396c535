using System.Collections.Immutable;
using System.Globalization;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Decisions;

public enum ExemptionState
{
    /// <summary>The bucket carries no exemption tags.</summary>
    None,

    /// <summary>Every required tag is present and well-formed, and the expiry is within bounds.</summary>
    Valid,

    /// <summary>Exemption tags are present but not honoured; Problems says why.</summary>
    Invalid,
}

/// <summary>Whether the security team approved an exemption (BUCKETGUARD_EXEMPTION_KEY_ID): with no key configured every
/// well-formed exemption is honoured and reported as unapproved; with one, only an exemption whose signature tag
/// verifies with the key.</summary>
public enum ExemptionApproval
{
    /// <summary>No approval key is configured: honoured as in the tags, and every notice says it is unapproved.</summary>
    NotRequired,

    /// <summary>Its signature verifies with the approval key (KMS VerifyMac).</summary>
    Approved,

    /// <summary>A key is configured and the exemption is unsigned, signed for something else, or cannot be verified.</summary>
    NotApproved,
}

/// <summary>What may be public under an exemption: object reads (s3:GetObject and its versions), or those plus listing.</summary>
public enum ExemptionScope
{
    Read,
    ReadList,
}

/// <summary>A bucket owner's exemption, read from tags: &lt;prefix&gt;exempt-until (YYYY-MM-DD, UTC, inclusive; required),
/// &lt;prefix&gt;exempt-reason (required), &lt;prefix&gt;exempt-scope (read | read-list; default read), &lt;prefix&gt;owner.</summary>
public sealed record Exemption(
    ExemptionState State,
    string? Owner,
    DateOnly? Until,
    ExemptionScope Scope,
    string? Reason,
    ImmutableArray<string> Problems)
{
    /// <summary>Whether the security team approved it; NotRequired until <see cref="Approve"/> says otherwise.</summary>
    public ExemptionApproval Approval { get; init; } = ExemptionApproval.NotRequired;

    /// <summary>The &lt;prefix&gt;exempt-signature tag: base64 of the HMAC-SHA-256 of <see cref="CanonicalMessage"/>.</summary>
    public string? Signature { get; init; }

    public static readonly ImmutableArray<string> ObjectReadActions = ["s3:GetObject", "s3:GetObjectVersion"];
    public static readonly ImmutableArray<string> ListActions = ["s3:ListBucket", "s3:ListBucketVersions"];

    public bool IsValid => State == ExemptionState.Valid;

    public string ScopeName => Scope == ExemptionScope.ReadList ? "read-list" : "read";

    /// <summary>Days from today until the last exempt day (0: it ends today).</summary>
    public int? DaysLeft(DateOnly today) => Until is { } until ? until.DayNumber - today.DayNumber : null;

    public override string ToString() => State switch
    {
        ExemptionState.None => "no exemption",
        ExemptionState.Valid => $"exempt until {Until:yyyy-MM-dd} (scope {ScopeName}, reason \"{Reason}\"{(Owner is null ? string.Empty : $", owner {Owner}")}; {ApprovalText})",
        _ => "exemption not honoured: " + string.Join("; ", Problems),
    };

    private string ApprovalText => Approval switch
    {
        ExemptionApproval.Approved => "approved by the security team's signature",
        ExemptionApproval.NotApproved => "not approved",
        ExemptionApproval.NotRequired => "unapproved: no approval key is configured, so whoever may tag the bucket may exempt it",
    };

    /// <summary>The exact bytes an approver signs and BucketGuard verifies (UTF-8): a version line, then the account,
    /// the bucket, the scope, the last exempt day and the reason, one per line, the reason last and as tagged (S3 keeps
    /// tag values byte for byte; tag values are at most 256 characters). Changing any of them, or copying the tags to
    /// another bucket or account, changes the message, so the signature no longer verifies. The owner tag is not bound:
    /// it routes notifications and widens nothing.</summary>
    public static byte[] CanonicalMessage(string account, string bucket, string scope, DateOnly until, string reason) =>
        System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"bucketguard-exemption-v1\naccount={account}\nbucket={bucket}\nscope={scope}\nuntil={until:yyyy-MM-dd}\nreason={reason}"));

    /// <summary>This exemption's canonical message for a bucket; null when it is not well-formed.</summary>
    public byte[]? CanonicalMessage(string account, string bucket) =>
        IsValid && Until is { } until && Reason is { } reason ? CanonicalMessage(account, bucket, ScopeName, until, reason) : null;

    /// <summary>The exemption as the approval check leaves it. <paramref name="notApproved"/> null: approved; otherwise
    /// why not, and the exemption is not honoured.</summary>
    public Exemption Approve(string? notApproved) => notApproved is null
        ? this with { Approval = ExemptionApproval.Approved }
        : this with { Approval = ExemptionApproval.NotApproved, State = ExemptionState.Invalid, Problems = Problems.Add(notApproved) };

    /// <summary>Reads and validates the exemption in a bucket's tags. Tag keys are matched ignoring case; two tags
    /// whose keys differ only in case and disagree make the exemption invalid (which one did the owner mean?).</summary>
    public static Exemption From(IEnumerable<Tag> tags, RemediationPolicy policy, DateOnly today)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        string? Value(string name)
        {
            var key = policy.TagPrefix + name;
            var values = tags.Where(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase)).Select(t => t.Value.Trim()).Distinct(StringComparer.Ordinal).ToList();
            if (values.Count > 1)
            {
                problems.Add($"{values.Count} tags named {key} (in different case) disagree: {string.Join(", ", values.Select(v => $"\"{v}\""))}");
                return null;
            }

            return values.Count == 1 ? values[0] : null;
        }

        var owner = Value("owner");
        var untilText = Value("exempt-until");
        var scopeText = Value("exempt-scope");
        var reason = Value("exempt-reason");
        var signature = NullIfEmpty(Value("exempt-signature"));
        if (untilText is null && scopeText is null && reason is null && problems.Count == 0)
        {
            return new Exemption(ExemptionState.None, NullIfEmpty(owner), null, ExemptionScope.Read, null, []) { Signature = signature };
        }

        DateOnly? until = null;
        if (string.IsNullOrEmpty(untilText))
        {
            problems.Add($"no {policy.TagPrefix}exempt-until tag: an exemption must say when it ends (YYYY-MM-DD)");
        }
        else if (!DateOnly.TryParseExact(untilText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            problems.Add($"{policy.TagPrefix}exempt-until \"{untilText}\" is not a date in YYYY-MM-DD form");
        }
        else
        {
            until = parsed;
            var latest = today.AddDays(policy.MaxExemptionDays);
            if (parsed < today)
            {
                problems.Add($"the exemption expired on {parsed:yyyy-MM-dd}");
            }
            else if (parsed > latest)
            {
                problems.Add($"expiry {parsed:yyyy-MM-dd} is more than {policy.MaxExemptionDays} days ahead (the latest allowed today is {latest:yyyy-MM-dd})");
            }
        }

        var scope = ExemptionScope.Read;
        switch (scopeText?.ToLowerInvariant())
        {
            case null or "" or "read":
                break;
            case "read-list":
                scope = ExemptionScope.ReadList;
                break;
            default:
                problems.Add($"{policy.TagPrefix}exempt-scope \"{scopeText}\" is neither read nor read-list");
                break;
        }

        if (string.IsNullOrEmpty(reason))
        {
            problems.Add($"no {policy.TagPrefix}exempt-reason tag: an exemption must say why the bucket is public");
        }
        else if (reason.Any(Untrusted.IsUnsafe))
        {
            // A reason is shown to people and signed as it is: nothing in it may hide, reorder or break lines.
            problems.Add($"{policy.TagPrefix}exempt-reason contains control, bidi or invisible characters");
        }

        return new Exemption(problems.Count == 0 ? ExemptionState.Valid : ExemptionState.Invalid, NullIfEmpty(owner), until, scope, NullIfEmpty(reason), problems.ToImmutable())
        {
            Signature = signature,
        };
    }

    /// <summary>Whether this exemption covers a finding; when not, why not. Public write and permissions management are
    /// never covered unless the remediation policy allows them.</summary>
    public bool Covers(Finding finding, RemediationPolicy policy, out string? why)
    {
        why = null;
        if (!IsValid)
        {
            why = ToString();
            return false;
        }

        var write = finding.Access & (AccessLevel.Write | AccessLevel.PermissionsManagement);
        if (write != AccessLevel.None)
        {
            why = policy.ExemptWrite ? null : $"{finding.Location} grants public {AccessLevels.Describe(write)}, which no exemption covers";
            return policy.ExemptWrite;
        }

        var allowed = Scope == ExemptionScope.ReadList ? [.. ObjectReadActions, .. ListActions] : ObjectReadActions;
        var covered = finding.Source switch
        {
            FindingSource.AclGrant => Scope == ExemptionScope.ReadList && finding.Actions.All(p => p == "READ"), // a bucket ACL's READ is listing
            FindingSource.ObjectAclGrant => finding.Actions.All(p => p == "READ"), // an object ACL's READ is reading that object
            FindingSource.PolicyStatement or FindingSource.AccessPointPolicyStatement => finding.Actions.All(a => allowed.Contains(a, StringComparer.OrdinalIgnoreCase)),
        };
        if (!covered)
        {
            why = $"{finding.Location} grants {string.Join(", ", finding.Actions)} to {finding.Principal}, beyond exemption scope {ScopeName} ({(Scope == ExemptionScope.ReadList ? "object reads and listing" : "object reads only")})";
        }

        return covered;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>The one place an exemption's approval is checked: at most one VerifyMac per bucket decision, and only for a
/// well-formed exemption when an approval key is configured. Shared by the event path and the sweep.</summary>
public static class ExemptionApprovals
{
    public const string NoSignature = "not approved: it has no signature (the security team approves an exemption with `bucketguard exempt ... --sign --apply`)";
    public const string Mismatch = "signature does not match: the tags changed after approval, or it was made for another bucket";

    /// <summary>The bucket's exemption, approval checked. Throws what the verifier throws (key service unreachable or
    /// throttled), so that the event is retried and the sweep reports the bucket as not verifiable.</summary>
    public static async Task<Exemption> CheckAsync(BucketState state, string? account, RemediationPolicy policy, IExemptionVerifier? verifier, DateOnly today, CancellationToken cancellationToken)
    {
        var exemption = Exemption.From(state.Tags, policy, today);
        if (policy.ExemptionKeyId is null || !exemption.IsValid)
        {
            return exemption;
        }

        if (exemption.Signature is not { } signature)
        {
            return exemption.Approve(NoSignature);
        }

        if (verifier is null)
        {
            return exemption.Approve("not approved: BucketGuard has no way to check signatures here");
        }

        if (await verifier.AccountAsync(account, cancellationToken).ConfigureAwait(false) is not { } owningAccount)
        {
            return exemption.Approve("not approved: the bucket's account is unknown, so the signature cannot be checked");
        }

        var check = await verifier.VerifyAsync(exemption.CanonicalMessage(owningAccount, state.Bucket)!, signature, cancellationToken).ConfigureAwait(false);
        return check.Unverifiable is { } why ? exemption.Approve($"not approved: the signature cannot be verified ({why})")
            : check.Verifies ? exemption.Approve(null)
            : exemption.Approve(Mismatch);
    }
}
