namespace BucketGuard.Core.Decisions;

/// <summary>How BucketGuard reaches an account: with its own credentials, by assuming the member role there, or not at all (why).</summary>
public sealed record AccountAccess(string? RoleArn, string? Refusal)
{
    public static readonly AccountAccess Own = new(null, null);

    public static AccountAccess Assume(string roleArn) => new(roleArn, null);

    public static AccountAccess Refused(string why) => new(null, why);
}

/// <summary>The role that infra/org/member.template creates in every member account of an organisation roll-out, which
/// the central functions assume to act in the account an event names. Single-account deployment has none: every
/// account is then reached with the function's own credentials.</summary>
/// <param name="ArnTemplate">The role's ARN with <see cref="AccountPlaceholder"/> for the account ("arn:aws:iam::{account}:role/BucketGuardMember").</param>
/// <param name="HomeAccount">The account the functions run in, reached with their own role.</param>
public sealed record MemberRole(string? ArnTemplate, string? HomeAccount)
{
    public const string AccountPlaceholder = "{account}";

    public static readonly MemberRole None = new(null, null);

    /// <summary>The one place that decides which identity acts in an account.</summary>
    public AccountAccess For(string? account)
    {
        if (ArnTemplate is null || account is null || account == HomeAccount)
        {
            return AccountAccess.Own;
        }

        return AccountId.IsValid(account)
            ? AccountAccess.Assume(ArnFor(account))
            : AccountAccess.Refused($"\"{account}\" is not an AWS account ID, so BucketGuard has no role to assume there");
    }

    /// <summary>Whether a session issuer is the member role of the account the call was made in: BucketGuard's own
    /// call there (the role trusts nothing else).</summary>
    public bool Issued(string? sessionIssuerArn, string? account) =>
        ArnTemplate is not null && sessionIssuerArn is not null && AccountId.IsValid(account)
        && string.Equals(sessionIssuerArn, ArnFor(account), StringComparison.Ordinal);

    /// <summary>Reads BUCKETGUARD_MEMBER_ROLE_ARN (a role ARN with {account} for the account ID; unset or empty for a
    /// single account) and BUCKETGUARD_HOME_ACCOUNT (required with it, optional without).</summary>
    public static Parsed<MemberRole> FromEnvironment(Func<string, string?> environment)
    {
        if (environment("BUCKETGUARD_MEMBER_ROLE_ARN")?.Trim() is not { Length: > 0 } template)
        {
            // A single account: the home account is still worth knowing (Security Hub's ProductArn, exemption signatures)
            // when the template gives it, and saves an STS call.
            return environment("BUCKETGUARD_HOME_ACCOUNT")?.Trim() switch
            {
                null or "" => Parsed<MemberRole>.Success(None),
                var known when AccountId.IsValid(known) => Parsed<MemberRole>.Success(None with { HomeAccount = known }),
                var bad => Parsed<MemberRole>.Failure($"BUCKETGUARD_HOME_ACCOUNT \"{bad}\" is not a 12-digit account ID"),
            };
        }

        // arn:PARTITION:iam::{account}:role/[path/]name
        var parts = template.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[1].Length == 0 || parts[2] != "iam" || parts[3].Length != 0
            || parts[4] != AccountPlaceholder || !parts[5].StartsWith("role/", StringComparison.Ordinal) || parts[5].Length == "role/".Length)
        {
            return Parsed<MemberRole>.Failure($"BUCKETGUARD_MEMBER_ROLE_ARN \"{template}\" is not a role ARN of the form arn:aws:iam::{AccountPlaceholder}:role/NAME");
        }

        if (environment("BUCKETGUARD_HOME_ACCOUNT")?.Trim() is not { } home || !AccountId.IsValid(home))
        {
            return Parsed<MemberRole>.Failure("BUCKETGUARD_HOME_ACCOUNT must be the functions' own 12-digit account ID when BUCKETGUARD_MEMBER_ROLE_ARN is set");
        }

        return Parsed<MemberRole>.Success(new MemberRole(template, home));
    }

    private string ArnFor(string account) => ArnTemplate!.Replace(AccountPlaceholder, account, StringComparison.Ordinal);
}
