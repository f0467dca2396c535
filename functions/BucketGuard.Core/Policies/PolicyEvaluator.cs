using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace BucketGuard.Core.Policies;

/// <summary>AWS's definition of a public bucket policy (S3 User Guide, "The meaning of 'public'"): a policy
/// is public unless every Allow statement grants only to fixed principals, or is limited by a condition
/// that pins one of a short list of keys to fixed values. This is the one place that rule is written.</summary>
public static class PolicyEvaluator
{
    /// <summary>Condition keys whose fixed values AWS accepts as limiting who can use a grant.
    /// aws:SourceIp is among them but is checked separately (CIDR breadth).</summary>
    private static readonly FrozenSet<string> LimitingKeys = FrozenSet.Create(
    StringComparer.OrdinalIgnoreCase,
    [
        "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner", "aws:SourceAccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id", "aws:userid", "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
    ]);

    private static readonly FrozenSet<string> EqualityOperators = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        ["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"]);

    /// <summary>Parses and evaluates; never throws for any JSON text.</summary>
    public static Parsed<Exposure> Evaluate(string json)
    {
        var parsed = PolicyParser.Parse(json);
        return parsed.Ok ? Parsed<Exposure>.Success(Evaluate(parsed.Value!)) : Parsed<Exposure>.Failure(parsed.Error!);
    }

    public static Parsed<Exposure> Evaluate(JsonElement policy)
    {
        var parsed = PolicyParser.Parse(policy);
        return parsed.Ok ? Parsed<Exposure>.Success(Evaluate(parsed.Value!)) : Parsed<Exposure>.Failure(parsed.Error!);
    }

    public static Exposure Evaluate(PolicyDocument policy)
    {
        ImmutableArray<Finding>.Builder? findings = null;
        ImmutableArray<string>.Builder? notes = null;
        foreach (var statement in policy.Statements)
        {
            var finding = Evaluate(statement, out var note);
            if (finding is not null)
            {
                (findings ??= ImmutableArray.CreateBuilder<Finding>()).Add(finding);
            }

            if (note is not null)
            {
                (notes ??= ImmutableArray.CreateBuilder<string>()).Add(note);
            }
        }

        return new Exposure(findings?.ToImmutable() ?? [], notes?.ToImmutable() ?? []);
    }

    /// <summary>The finding for one statement, or null when it grants nothing public (then a note may say why).</summary>
    public static Finding? Evaluate(Statement statement, out string? note)
    {
        note = null;
        var where = statement.Sid is { Length: > 0 } ? $"Statement {statement.Index + 1} (Sid \"{statement.Sid}\")" : $"Statement {statement.Index + 1}";
        if (statement.Effect == Effect.Deny)
        {
            // Deny statements take access away; they never grant it.
            return null;
        }

        var broad = BroadPrincipal(statement);
        if (broad is null)
        {
            return null;
        }

        var (principal, whyBroad) = broad.Value;
        var unlimited = new List<string>();
        foreach (var clause in statement.Conditions)
        {
            var limit = Limits(clause, out var explanation);
            if (limit)
            {
                note = $"{where}: {whyBroad}, but limited by {explanation}";
                return null;
            }

            unlimited.Add(explanation);
        }

        var reason = unlimited.Count == 0
            ? $"{whyBroad} with no limiting condition"
            : $"{whyBroad}; no condition limits it ({string.Join("; ", unlimited)})";
        var actions = statement.NotAction
            ? statement.Actions.Select(a => "NotAction " + a).ToImmutableArray()
            : statement.Actions;
        return new Finding(
            FindingSource.PolicyStatement,
            statement.Index,
            statement.Sid,
            principal,
            actions,
            S3Actions.LevelOf(statement.Actions, statement.NotAction),
            statement.NotAction ? reason + "; NotAction grants every action except those listed" : reason);
    }

    /// <summary>Who the statement opens to beyond fixed principals, and why; null when all its principals are fixed.</summary>
    private static (string Principal, string Why)? BroadPrincipal(Statement statement)
    {
        if (statement.NotPrincipal)
        {
            var excepted = string.Join(", ", statement.Principals);
            return ($"NotPrincipal {excepted}", $"NotPrincipal in an Allow grants everyone except {excepted}");
        }

        if (statement.Principals.IsEmpty)
        {
            return ("(none)", "the statement names no principal, so it cannot be shown to grant only to fixed principals");
        }

        string? first = null;
        string? why = null;
        foreach (var p in statement.Principals)
        {
            var reason = WhyNotFixed(p);
            if (reason is not null)
            {
                first ??= p.ToString();
                why ??= reason;
            }
        }

        return first is null ? null : (first, why!);
    }

    private static string? WhyNotFixed(Principal p)
    {
        if (p.Type == "*")
        {
            return "Principal * (anyone, including anonymous users)";
        }

        if (p.Value == "*")
        {
            return $"Principal {p.Type}:* (anyone{(p.Type == "AWS" ? ", including anonymous users" : string.Empty)})";
        }

        if (Wildcard.HasWildcard(p.Value))
        {
            return $"Principal {p} contains a wildcard";
        }

        if (p.Value.Contains("${", StringComparison.Ordinal))
        {
            return $"Principal {p} contains a policy variable";
        }

        return p.Type switch
        {
            "AWS" or "Service" or "CanonicalUser" => null,
            "Federated" => $"Principal Federated:{p.Value} is an identity provider: anyone who signs in through it",
            _ => $"Principal {p} is of type {p.Type}, which is not a fixed AWS principal",
        };
    }

    /// <summary>Whether a condition pins a qualifying key to fixed values; the explanation says which, or why not.</summary>
    public static bool Limits(ConditionClause clause, out string explanation)
    {
        var op = clause.Operator;
        var key = clause.Key;
        if (op.StartsWith("ForAllValues:", StringComparison.OrdinalIgnoreCase))
        {
            explanation = $"{op} on {key} is also true when the request has no {key}";
            return false;
        }

        var bare = op.StartsWith("ForAnyValue:", StringComparison.OrdinalIgnoreCase) ? op["ForAnyValue:".Length..] : op;
        if (bare.EndsWith("IfExists", StringComparison.OrdinalIgnoreCase))
        {
            explanation = $"{op} on {key} lets through requests that have no {key}";
            return false;
        }

        if (bare.Contains("Not", StringComparison.OrdinalIgnoreCase))
        {
            explanation = $"{op} on {key} is negated: it admits everyone except the values listed";
            return false;
        }

        if (string.Equals(bare, "Null", StringComparison.OrdinalIgnoreCase))
        {
            explanation = $"Null on {key} only tests whether the key is present";
            return false;
        }

        if (string.Equals(key, "aws:SourceIp", StringComparison.OrdinalIgnoreCase))
        {
            return SourceIpLimits(bare, clause, out explanation);
        }

        if (!LimitingKeys.Contains(key))
        {
            explanation = $"{key} is not a condition key that limits who can use the grant";
            return false;
        }

        if (!EqualityOperators.Contains(bare))
        {
            explanation = $"{key} is compared with {op}, not an equality or Like operator";
            return false;
        }

        if (clause.Values.IsEmpty)
        {
            explanation = $"{key} has no values";
            return false;
        }

        foreach (var value in clause.Values)
        {
            var problem = NotFixed(key, value);
            if (problem is not null)
            {
                explanation = problem;
                return false;
            }
        }

        explanation = $"{key} = {string.Join(", ", clause.Values)}";
        return true;
    }

    private static string? NotFixed(string key, string value)
    {
        if (value.Contains("${", StringComparison.Ordinal))
        {
            return $"{key} value {value} contains a policy variable";
        }

        if (string.Equals(key, "s3:DataAccessPointArn", StringComparison.OrdinalIgnoreCase))
        {
            return AccessPointArnProblem(value);
        }

        return Wildcard.HasWildcard(value) ? $"{key} value {value} contains a wildcard" : null;
    }

    /// <summary>An access point ARN qualifies when everything but the access point name is fixed:
    /// arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME, NAME may be a wildcard.</summary>
    private static string? AccessPointArnProblem(string value)
    {
        var parts = value.Split(':', 6);
        var ok = parts.Length == 6
            && parts[0] == "arn"
            && parts[2] == "s3"
            && parts[4].Length == 12 && parts[4].All(char.IsAsciiDigit)
            && !Wildcard.HasWildcard(string.Join(':', parts[..5]))
            && parts[5].StartsWith("accesspoint/", StringComparison.Ordinal);
        return ok ? null : $"s3:DataAccessPointArn value {value} does not fix the account (only the access point name may be a wildcard)";
    }

    private static bool SourceIpLimits(string op, ConditionClause clause, out string explanation)
    {
        if (!string.Equals(op, "IpAddress", StringComparison.OrdinalIgnoreCase))
        {
            explanation = $"aws:SourceIp is compared with {clause.Operator}, not IpAddress";
            return false;
        }

        if (clause.Values.IsEmpty)
        {
            explanation = "aws:SourceIp has no values";
            return false;
        }

        foreach (var value in clause.Values)
        {
            if (!TryParseCidr(value, out var ipv6, out var prefix))
            {
                explanation = $"aws:SourceIp value {value} is not an IP address or CIDR";
                return false;
            }

            var widest = ipv6 ? 32 : 8;
            if (prefix < widest)
            {
                explanation = string.Create(CultureInfo.InvariantCulture, $"aws:SourceIp {value} is broader than /{widest}");
                return false;
            }
        }

        explanation = $"aws:SourceIp {string.Join(", ", clause.Values)}";
        return true;
    }

    private static bool TryParseCidr(string value, out bool ipv6, out int prefix)
    {
        ipv6 = false;
        prefix = -1;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var address = slash < 0 ? value : value[..slash];
        if (!IPAddress.TryParse(address.Trim(), out var ip))
        {
            return false;
        }

        ipv6 = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var max = ipv6 ? 128 : 32;
        if (slash < 0)
        {
            prefix = max;
            return true;
        }

        return int.TryParse(value.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) && prefix <= max;
    }
}
