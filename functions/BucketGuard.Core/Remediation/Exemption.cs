using System.Collections.Immutable;
using System.Globalization;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Remediation;

public enum ExemptionState
{
    /// <summary>The bucket carries no exemption tags.</summary>
    None,

    /// <summary>Every required tag is present and well-formed, and the expiry is within bounds.</summary>
    Valid,

    /// <summary>Exemption tags are present but not honoured; Problems says why.</summary>
    Invalid,
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
    public static readonly ImmutableArray<string> ObjectReadActions = ["s3:GetObject", "s3:GetObjectVersion"];
    public static readonly ImmutableArray<string> ListActions = ["s3:ListBucket", "s3:ListBucketVersions"];

    public bool IsValid => State == ExemptionState.Valid;

    public string ScopeName => Scope == ExemptionScope.ReadList ? "read-list" : "read";

    /// <summary>Days from today until the last exempt day (0: it ends today).</summary>
    public int? DaysLeft(DateOnly today) => Until is { } until ? until.DayNumber - today.DayNumber : null;

    public override string ToString() => State switch
    {
        ExemptionState.None => "no exemption",
        ExemptionState.Valid => $"exempt until {Until:yyyy-MM-dd} (scope {ScopeName}, reason \"{Reason}\"{(Owner is null ? string.Empty : $", owner {Owner}")})",
        _ => "exemption not honoured: " + string.Join("; ", Problems),
    };

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
        if (untilText is null && scopeText is null && reason is null && problems.Count == 0)
        {
            return new Exemption(ExemptionState.None, NullIfEmpty(owner), null, ExemptionScope.Read, null, []);
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

        return new Exemption(problems.Count == 0 ? ExemptionState.Valid : ExemptionState.Invalid, NullIfEmpty(owner), until, scope, NullIfEmpty(reason), problems.ToImmutable());
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
        var covered = finding.Source == FindingSource.AclGrant
            ? Scope == ExemptionScope.ReadList && finding.Actions.All(p => p == "READ") // a bucket ACL's READ is listing
            : finding.Actions.All(a => allowed.Contains(a, StringComparer.OrdinalIgnoreCase));
        if (!covered)
        {
            why = $"{finding.Location} grants {string.Join(", ", finding.Actions)} to {finding.Principal}, beyond exemption scope {ScopeName} ({(Scope == ExemptionScope.ReadList ? "object reads and listing" : "object reads only")})";
        }

        return covered;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
