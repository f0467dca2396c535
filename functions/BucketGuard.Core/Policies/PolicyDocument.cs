using System.Collections.Immutable;

namespace BucketGuard.Core.Policies;

public enum Effect
{
    Allow,
    Deny,
}

/// <summary>One principal value: Type is "*" for the bare wildcard principal, otherwise the key it sat under
/// (AWS, Service, Federated, CanonicalUser).</summary>
public sealed record Principal(string Type, string Value)
{
    public static readonly Principal Everyone = new("*", "*");

    public override string ToString() => Type == "*" ? "*" : $"{Type}:{Value}";
}

/// <summary>One operator/key pair of a Condition block with its values (ORed together). Pairs are ANDed.</summary>
public sealed record ConditionClause(string Operator, string Key, ImmutableArray<string> Values);

/// <param name="Index">Zero-based position in the policy.</param>
/// <param name="Principals">Empty only when the statement names no principal.</param>
/// <param name="NotPrincipal">True when the principals came from NotPrincipal (everyone except them).</param>
/// <param name="NotAction">True when the actions came from NotAction (every action except them).</param>
public sealed record Statement(
    int Index,
    string? Sid,
    Effect Effect,
    ImmutableArray<Principal> Principals,
    bool NotPrincipal,
    ImmutableArray<string> Actions,
    bool NotAction,
    ImmutableArray<string> Resources,
    ImmutableArray<ConditionClause> Conditions);

public sealed record PolicyDocument(string? Version, string? Id, ImmutableArray<Statement> Statements);
