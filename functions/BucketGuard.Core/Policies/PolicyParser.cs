using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using BucketGuard.Core.Json;

namespace BucketGuard.Core.Policies;

/// <summary>Reads a bucket policy in every shape S3 accepts and CloudTrail records: Statement, Action,
/// Resource and principal values as one value or a list, Version missing or 2008-10-17, condition values
/// as strings, numbers, booleans or lists, and the whole policy as a JSON string. Structural faults
/// (no Statement, an Effect that is neither Allow nor Deny...) come back as an error, never an exception.</summary>
public static class PolicyParser
{
    public static Parsed<PolicyDocument> Parse(string json)
    {
        if (!JsonRead.TryParse(json, out var document, out var error))
        {
            return Parsed<PolicyDocument>.Failure($"the policy is {error}");
        }

        using (document)
        {
            return Parse(document!.RootElement);
        }
    }

    public static Parsed<PolicyDocument> Parse(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.String)
        {
            // CloudTrail and some tools carry the policy as a JSON string inside JSON.
            var inner = root.GetString() ?? string.Empty;
            if (!JsonRead.TryParse(inner, out var document, out var error))
            {
                return Parsed<PolicyDocument>.Failure($"the policy is a string that is {error}");
            }

            using (document)
            {
                return document!.RootElement.ValueKind == JsonValueKind.String
                    ? Parsed<PolicyDocument>.Failure("the policy is a string holding another string, not a policy")
                    : Parse(document.RootElement);
            }
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return Parsed<PolicyDocument>.Failure($"a policy must be a JSON object, not {JsonRead.Describe(root.ValueKind)}");
        }

        if (!root.TryGet("Statement", out var statementsElement))
        {
            return Parsed<PolicyDocument>.Failure("the policy has no Statement");
        }

        var statements = ImmutableArray.CreateBuilder<Statement>();
        var index = 0;
        foreach (var item in statementsElement.OneOrMany())
        {
            var statement = ParseStatement(item, index, out var problem);
            if (statement is null)
            {
                return Parsed<PolicyDocument>.Failure($"statement {index + 1}: {problem}");
            }

            statements.Add(statement);
            index++;
        }

        if (statements.Count == 0)
        {
            return Parsed<PolicyDocument>.Failure("the policy's Statement list is empty");
        }

        return Parsed<PolicyDocument>.Success(new PolicyDocument(root.TextOf("Version"), root.TextOf("Id"), statements.ToImmutable()));
    }

    private static Statement? ParseStatement(JsonElement element, int index, out string? problem)
    {
        problem = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            problem = $"a statement must be an object, not {JsonRead.Describe(element.ValueKind)}";
            return null;
        }

        var effectText = element.TextOf("Effect");
        Effect effect;
        if (string.Equals(effectText, "Allow", StringComparison.OrdinalIgnoreCase))
        {
            effect = Effect.Allow;
        }
        else if (string.Equals(effectText, "Deny", StringComparison.OrdinalIgnoreCase))
        {
            effect = Effect.Deny;
        }
        else
        {
            problem = effectText is null ? "no Effect" : $"Effect \"{effectText}\" is neither Allow nor Deny";
            return null;
        }

        var notPrincipal = false;
        ImmutableArray<Principal> principals;
        if (element.TryGet("Principal", out var principalElement) || (notPrincipal = element.TryGet("NotPrincipal", out principalElement)))
        {
            principals = ParsePrincipals(principalElement, out problem);
            if (problem is not null)
            {
                return null;
            }
        }
        else
        {
            principals = [];
        }

        var notAction = false;
        if (!element.TryGet("Action", out var actionElement) && !(notAction = element.TryGet("NotAction", out actionElement)))
        {
            problem = "no Action or NotAction";
            return null;
        }

        var actions = actionElement.Strings();
        if (actions is null)
        {
            problem = $"{(notAction ? "NotAction" : "Action")} must be a string or a list of strings";
            return null;
        }

        ImmutableArray<string> resources = [];
        if (element.TryGet("Resource", out var resourceElement) || element.TryGet("NotResource", out resourceElement))
        {
            resources = [.. resourceElement.Strings() ?? []];
        }

        ImmutableArray<ConditionClause> conditions = [];
        if (element.TryGet("Condition", out var conditionElement))
        {
            conditions = ParseConditions(conditionElement, out problem);
            if (problem is not null)
            {
                return null;
            }
        }

        return new Statement(index, element.TextOf("Sid"), effect, principals, notPrincipal, [.. actions], notAction, resources, conditions);
    }

    private static ImmutableArray<Principal> ParsePrincipals(JsonElement element, out string? problem)
    {
        problem = null;
        if (element.ValueKind == JsonValueKind.String)
        {
            var value = element.GetString()!;
            // A bare string principal other than "*" is not valid policy grammar, but S3 has historically
            // accepted an account ARN there; read it as an AWS principal rather than refuse the policy.
            return [value == "*" ? Principal.Everyone : new Principal("AWS", value)];
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            problem = $"Principal must be \"*\" or an object, not {JsonRead.Describe(element.ValueKind)}";
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<Principal>();
        foreach (var property in element.EnumerateObject())
        {
            var values = property.Value.Strings();
            if (values is null)
            {
                problem = $"Principal {property.Name} must be a string or a list of strings";
                return [];
            }

            foreach (var value in values)
            {
                builder.Add(new Principal(CanonicalPrincipalType(property.Name), value));
            }
        }

        return builder.ToImmutable();
    }

    private static string CanonicalPrincipalType(string name) => name.ToUpperInvariant() switch
    {
        "AWS" => "AWS",
        "SERVICE" => "Service",
        "FEDERATED" => "Federated",
        "CANONICALUSER" => "CanonicalUser",
        _ => name,
    };

    private static ImmutableArray<ConditionClause> ParseConditions(JsonElement element, out string? problem)
    {
        problem = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            problem = $"Condition must be an object, not {JsonRead.Describe(element.ValueKind)}";
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<ConditionClause>();
        foreach (var op in element.EnumerateObject())
        {
            if (op.Value.ValueKind != JsonValueKind.Object)
            {
                problem = $"condition operator {op.Name} must hold an object of keys, not {JsonRead.Describe(op.Value.ValueKind)}";
                return [];
            }

            foreach (var key in op.Value.EnumerateObject())
            {
                var values = key.Value.Strings();
                if (values is null)
                {
                    problem = string.Create(CultureInfo.InvariantCulture, $"condition {op.Name} {key.Name} must be a value or a list of values");
                    return [];
                }

                builder.Add(new ConditionClause(op.Name, key.Name, [.. values]));
            }
        }

        return builder.ToImmutable();
    }
}
