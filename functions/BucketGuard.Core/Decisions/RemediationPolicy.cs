using System.Collections.Immutable;

namespace BucketGuard.Core.Decisions;

public enum Mode
{
    /// <summary>Apply Block Public Access when a bucket is public (the default).</summary>
    Enforce,

    /// <summary>Only report what would be done.</summary>
    Notify,
}

/// <summary>What BucketGuard does with a bucket whose exposure it cannot read (BUCKETGUARD_UNREADABLE).</summary>
public enum Unreadable
{
    /// <summary>Report it as possibly public (evaluation-incomplete, severity high), never as private; do not lock
    /// without evidence. The default: a bucket BucketGuard cannot read may carry an exemption it cannot read either,
    /// and a lock on no evidence could break a sanctioned public site.</summary>
    Report,

    /// <summary>Lock it (all four flags when its own Block Public Access is unreadable too).</summary>
    Lock,
}

/// <summary>What BucketGuard does about object ACLs (BUCKETGUARD_OBJECT_ACLS).</summary>
public enum ObjectAcls
{
    /// <summary>Lock the bucket's ACLs (IgnorePublicAcls, BlockPublicAcls) when an object grant is public in effect and no
    /// exemption covers it. The default.</summary>
    LockWhenPublic,

    /// <summary>Also lock every bucket whose objects can be public (ACLs honoured, IgnorePublicAcls off) and that has no
    /// valid exemption, before any object is found public.</summary>
    LockWhenPossible,

    /// <summary>Report public objects (would-remediate), never lock on their account.</summary>
    Report,
}

/// <summary>How BucketGuard may act, from the function's environment.</summary>
/// <param name="Flags">The Block Public Access flags to turn on (merged with those already on; never turns one off).</param>
/// <param name="TrustS3PolicyStatus">Whether to also ask S3 (GetBucketPolicyStatus): true on AWS, false for
/// S3-compatible endpoints whose answer is not AWS's rule (Ceph RGW).</param>
/// <param name="OwnPrincipals">BucketGuard's own role ARNs: calls they make are its own remediation and are skipped.
/// Matched on the caller's ARN or session issuer, never on the user agent, which a caller chooses freely.</param>
public sealed record RemediationPolicy(
    Mode Mode,
    PublicAccessBlock Flags,
    string TagPrefix,
    bool TrustS3PolicyStatus,
    ImmutableArray<string> OwnPrincipals)
{
    public static readonly RemediationPolicy Default = new(Mode.Enforce, PublicAccessBlock.All, "bucketguard:", true, []);

    public const int MaxObjectSample = 10_000;

    /// <summary>The longest an exemption may run, from today (BUCKETGUARD_MAX_EXEMPTION_DAYS).</summary>
    public int MaxExemptionDays { get; init; } = 90;

    /// <summary>Exemptions ending within this many days are reported as expiring (BUCKETGUARD_EXEMPTION_WARNING_DAYS).</summary>
    public int ExemptionWarningDays { get; init; } = 7;

    /// <summary>Whether a valid exemption may also cover public write and permissions management (BUCKETGUARD_EXEMPT_WRITE=allow).
    /// Off by default: a world-writable bucket is never acceptable by a tag alone.</summary>
    public bool ExemptWrite { get; init; }

    /// <summary>The role assumed in other accounts of an organisation roll-out; its calls there are BucketGuard's own too.</summary>
    public MemberRole MemberRole { get; init; } = MemberRole.None;

    /// <summary>What to do when the reads that would show a bucket private are denied or unreadable, and the event
    /// carries no evidence of public access (BUCKETGUARD_UNREADABLE=report|lock).</summary>
    public Unreadable Unreadable { get; init; } = Unreadable.Report;

    /// <summary>The organisation's accounts, when known (BUCKETGUARD_ORGANIZATION_ACCOUNTS): an event for any other
    /// account is logged and skipped. Empty: every account is served.</summary>
    public ImmutableArray<string> OrganizationAccounts { get; init; } = [];

    /// <summary>The security team's KMS HMAC key (ARN or alias) that approves exemptions (BUCKETGUARD_EXEMPTION_KEY_ID):
    /// set, only exemptions whose signature verifies with it are honoured. Null: exemptions are honoured unapproved.</summary>
    public string? ExemptionKeyId { get; init; }

    /// <summary>BUCKETGUARD_OBJECT_ACLS: lock-when-public (default), lock-when-possible or report.</summary>
    public ObjectAcls ObjectAcls { get; init; } = ObjectAcls.LockWhenPublic;

    /// <summary>Objects sampled when an ownership change makes a bucket honour ACLs again (BUCKETGUARD_OBJECT_SAMPLE, 0 to 10000).</summary>
    public int ObjectSample { get; init; } = 100;

    /// <summary>Objects sampled per bucket whose objects can be public, by the sweep and `audit`
    /// (BUCKETGUARD_SWEEP_OBJECT_SAMPLE, `audit --objects N`; 0 to 10000, default 0: one ListObjectsV2 page and one
    /// GetObjectAcl per object sampled, so N + 1 requests per such bucket at most for N up to 1000).</summary>
    public int SweepObjectSample { get; init; }

    public string OwnerTag => TagPrefix + "owner";

    /// <summary>The tag that says how sensitive a bucket's data is (DataClasses).</summary>
    public string DataClassTag => TagPrefix + "data-class";

    /// <summary>BUCKETGUARD_DEFAULT_DATA_CLASS: the class of a bucket without a data-class tag (default internal; a
    /// health organisation sets phi, so that no untagged bucket can be exempted).</summary>
    public DataClass DefaultDataClass { get; init; } = DataClass.Internal;

    /// <summary>The class a bucket Amazon Macie scores Sensitive (51 to 100) is raised to, never lowered
    /// (BUCKETGUARD_MACIE_SENSITIVE_DATA_CLASS; the template's MacieSensitiveDataClass, pii by default); null: Macie is
    /// not consulted ("off", and the default where the variable is unset).</summary>
    public DataClass? MacieSensitiveDataClass { get; init; }

    /// <summary>Reads BUCKETGUARD_MODE (enforce|notify), BUCKETGUARD_BLOCK_FLAGS (all, or a comma list of flag
    /// names), BUCKETGUARD_TAG_PREFIX, BUCKETGUARD_S3_POLICY_STATUS (on|off), BUCKETGUARD_ROLE_ARNS, BUCKETGUARD_UNREADABLE (report|lock), BUCKETGUARD_ORGANIZATION_ACCOUNTS and the member role (see MemberRole). A value
    /// that cannot be understood is an error, not a silent default: the function must not guess how to act.</summary>
    public static Parsed<RemediationPolicy> FromEnvironment(Func<string, string?> environment)
    {
        var policy = Default;
        string? error;
        switch (Setting.TwoWay(environment, "BUCKETGUARD_MODE", "enforce", "notify", out error))
        {
            case true:
                policy = policy with { Mode = Mode.Notify };
                break;
            case null:
                return Parsed<RemediationPolicy>.Failure(error!);
        }

        if (environment("BUCKETGUARD_BLOCK_FLAGS") is { Length: > 0 } flagList && !string.Equals(flagList.Trim(), "all", StringComparison.OrdinalIgnoreCase))
        {
            var flags = PublicAccessBlock.None;
            foreach (var name in flagList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                PublicAccessBlock? with = name.ToUpperInvariant() switch
                {
                    "BLOCKPUBLICACLS" => flags with { BlockPublicAcls = true },
                    "IGNOREPUBLICACLS" => flags with { IgnorePublicAcls = true },
                    "BLOCKPUBLICPOLICY" => flags with { BlockPublicPolicy = true },
                    "RESTRICTPUBLICBUCKETS" => flags with { RestrictPublicBuckets = true },
                    _ => null,
                };
                if (with is null)
                {
                    return Parsed<RemediationPolicy>.Failure($"BUCKETGUARD_BLOCK_FLAGS names an unknown flag \"{name}\" (known: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets, or all)");
                }

                flags = with;
            }

            if (!flags.OnFlags().Any())
            {
                return Parsed<RemediationPolicy>.Failure("BUCKETGUARD_BLOCK_FLAGS turns no flag on");
            }

            policy = policy with { Flags = flags };
        }

        if (environment("BUCKETGUARD_TAG_PREFIX") is { Length: > 0 } prefix)
        {
            policy = policy with { TagPrefix = prefix };
        }

        switch (Setting.TwoWay(environment, "BUCKETGUARD_S3_POLICY_STATUS", "on", "off", out error))
        {
            case true:
                policy = policy with { TrustS3PolicyStatus = false };
                break;
            case null:
                return Parsed<RemediationPolicy>.Failure(error!);
        }

        foreach (var (name, apply) in new (string, Func<RemediationPolicy, int, RemediationPolicy>)[]
        {
            ("BUCKETGUARD_MAX_EXEMPTION_DAYS", (p, days) => p with { MaxExemptionDays = days }),
            ("BUCKETGUARD_EXEMPTION_WARNING_DAYS", (p, days) => p with { ExemptionWarningDays = days }),
        })
        {
            if (environment(name) is { Length: > 0 } text)
            {
                if (Setting.Whole(name, text, 0, 3650, "days", out var days) is { } bad)
                {
                    return Parsed<RemediationPolicy>.Failure(bad);
                }

                policy = apply(policy, days);
            }
        }

        switch (Setting.TwoWay(environment, "BUCKETGUARD_EXEMPT_WRITE", "deny", "allow", out error))
        {
            case true:
                policy = policy with { ExemptWrite = true };
                break;
            case null:
                return Parsed<RemediationPolicy>.Failure(error!);
        }

        switch (Setting.TwoWay(environment, "BUCKETGUARD_UNREADABLE", "report", "lock", out error))
        {
            case true:
                policy = policy with { Unreadable = Unreadable.Lock };
                break;
            case null:
                return Parsed<RemediationPolicy>.Failure(error!);
        }

        switch (environment("BUCKETGUARD_OBJECT_ACLS")?.Trim().ToLowerInvariant())
        {
            case null or "" or "lock-when-public":
                break;
            case "lock-when-possible":
                policy = policy with { ObjectAcls = ObjectAcls.LockWhenPossible };
                break;
            case "report":
                policy = policy with { ObjectAcls = ObjectAcls.Report };
                break;
            case var other:
                return Parsed<RemediationPolicy>.Failure($"BUCKETGUARD_OBJECT_ACLS \"{other}\" is not lock-when-public, lock-when-possible or report");
        }

        foreach (var (name, apply) in new (string, Func<RemediationPolicy, int, RemediationPolicy>)[]
        {
            ("BUCKETGUARD_OBJECT_SAMPLE", (p, n) => p with { ObjectSample = n }),
            ("BUCKETGUARD_SWEEP_OBJECT_SAMPLE", (p, n) => p with { SweepObjectSample = n }),
        })
        {
            if (environment(name)?.Trim() is { Length: > 0 } text)
            {
                if (Setting.Whole(name, text, 0, MaxObjectSample, "objects", out var n) is { } bad)
                {
                    return Parsed<RemediationPolicy>.Failure(bad);
                }

                policy = apply(policy, n);
            }
        }

        if (environment("BUCKETGUARD_ORGANIZATION_ACCOUNTS") is { Length: > 0 } accountList)
        {
            var accounts = accountList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (accounts.FirstOrDefault(a => !AccountId.IsValid(a)) is { } bad)
            {
                return Parsed<RemediationPolicy>.Failure($"BUCKETGUARD_ORGANIZATION_ACCOUNTS names \"{bad}\", which is not a 12-digit account ID");
            }

            policy = policy with { OrganizationAccounts = [.. accounts] };
        }

        if (environment("BUCKETGUARD_DEFAULT_DATA_CLASS")?.Trim() is { Length: > 0 } dataClass)
        {
            if (DataClasses.Parse(dataClass) is not { } parsed)
            {
                return Parsed<RemediationPolicy>.Failure($"BUCKETGUARD_DEFAULT_DATA_CLASS \"{dataClass}\" is not public, internal, pii, pci or phi");
            }

            policy = policy with { DefaultDataClass = parsed };
        }

        if (environment("BUCKETGUARD_MACIE_SENSITIVE_DATA_CLASS")?.Trim() is { Length: > 0 } macie && !macie.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            if (DataClasses.Parse(macie) is not { } parsed)
            {
                return Parsed<RemediationPolicy>.Failure($"BUCKETGUARD_MACIE_SENSITIVE_DATA_CLASS \"{macie}\" is not off, public, internal, pii, pci or phi");
            }

            policy = policy with { MacieSensitiveDataClass = parsed };
        }

        if (environment("BUCKETGUARD_EXEMPTION_KEY_ID")?.Trim() is { Length: > 0 } key)
        {
            if (!key.StartsWith("arn:", StringComparison.Ordinal) && !key.StartsWith("alias/", StringComparison.Ordinal) && !Guid.TryParse(key, out _))
            {
                return Parsed<RemediationPolicy>.Failure($"BUCKETGUARD_EXEMPTION_KEY_ID \"{key}\" is not a KMS key ARN, key ID or alias/NAME");
            }

            policy = policy with { ExemptionKeyId = key };
        }

        if (environment("BUCKETGUARD_ROLE_ARNS") is { Length: > 0 } roles)
        {
            policy = policy with { OwnPrincipals = [.. roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] };
        }

        var member = MemberRole.FromEnvironment(environment);
        if (!member.Ok)
        {
            return Parsed<RemediationPolicy>.Failure(member.Error!);
        }

        policy = policy with { MemberRole = member.Value! };
        return Parsed<RemediationPolicy>.Success(policy);
    }
}
