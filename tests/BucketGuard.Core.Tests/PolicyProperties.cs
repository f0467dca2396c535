using System.Text.Json.Nodes;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Check;
using BucketGuard.Core.Events;
using BucketGuard.Core.Policies;
using FsCheck;
using FsCheck.Fluent;

namespace BucketGuard.Tests;

/// <summary>Properties of the evaluator over generated policies. A generated policy is a small model
/// rendered to JSON in one of several equivalent forms (scalar or list, key case, statement order).</summary>
public class PolicyProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(400);

    public sealed record GPrincipal(string Type, string Value);

    public sealed record GClause(string Op, string Key, string[] Values);

    public sealed record GStatement(bool Allow, GPrincipal[] Principals, string[] Actions, GClause[] Clauses);

    public sealed record GPolicy(GStatement[] Statements);

    /// <summary>How to write the same policy: single values bare or in a list, condition key case, statement order.</summary>
    public sealed record Form(bool ScalarWhenSingle, int KeyCaseSeed, int OrderSeed);

    private static readonly string[] QualifyingKeys =
    [
        "aws:SourceVpc", "aws:SourceVpce", "aws:PrincipalOrgID", "aws:SourceAccount", "aws:SourceArn", "aws:userid",
        "aws:PrincipalArn", "aws:PrincipalAccount", "aws:SourceIp", "s3:DataAccessPointAccount",
    ];

    private static readonly Gen<GPrincipal> Principal = Gen.Elements(
        new GPrincipal("*", "*"),
        new GPrincipal("AWS", "*"),
        new GPrincipal("AWS", "arn:aws:iam::111122223333:root"),
        new GPrincipal("AWS", "444455556666"),
        new GPrincipal("AWS", "arn:aws:iam::*:root"),
        new GPrincipal("Service", "cloudtrail.amazonaws.com"),
        new GPrincipal("Federated", "graph.facebook.com"),
        new GPrincipal("CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"));

    private static readonly Gen<string> Value = Gen.Elements(
        "vpc-1a2b3c", "o-abc123", "111122223333", "arn:aws:iam::111122223333:role/R", "AROAEXAMPLE:ann",
        "192.0.2.0/24", "10.1.2.3", "2001:db8::/48", "0.0.0.0/0", "11.0.0.0/7", "vpc-*", "${aws:username}",
        "arn:aws:s3:us-east-1:111122223333:accesspoint/*", "true", "https://example.com/*");

    private static readonly Gen<GClause> Clause =
        from op in Gen.Elements("StringEquals", "StringLike", "ArnEquals", "ArnLike", "IpAddress", "StringNotEquals",
            "NotIpAddress", "StringEqualsIfExists", "ForAnyValue:StringEquals", "ForAllValues:StringEquals", "Bool", "Null")
        from key in Gen.Elements([.. QualifyingKeys, "aws:Referer", "aws:SecureTransport", "aws:UserAgent"])
        from values in Gen.NonEmptyListOf(Value).Select(v => v.Take(3).ToArray())
        select new GClause(op, key, values);

    private static readonly Gen<GStatement> Statement =
        from allow in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from principals in Gen.NonEmptyListOf(Principal).Select(p => p.Take(3).DistinctBy(x => (x.Type, x.Value)).ToArray())
        from actions in Gen.NonEmptyListOf(Gen.Elements("s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:*", "s3:Get*", "s3:PutBucketPolicy")).Select(a => a.Take(3).Distinct().ToArray())
        from clauses in Gen.ListOf(Clause).Select(c => c.Take(3).DistinctBy(x => (x.Op, x.Key)).ToArray())
        select new GStatement(allow, principals, actions, clauses);

    private static readonly Gen<GPolicy> Policy = Gen.NonEmptyListOf(Statement).Select(s => new GPolicy([.. s.Take(4)]));

    private static readonly Gen<Form> AnyForm =
        from scalar in Gen.Elements(true, false)
        from keyCase in Gen.Choose(0, 1000)
        from order in Gen.Choose(0, 1000)
        select new Form(scalar, keyCase, order);

    public static string Render(GPolicy policy, Form form)
    {
        JsonNode Values(IReadOnlyList<string> values) =>
            form.ScalarWhenSingle && values.Count == 1 ? values[0] : new JsonArray([.. values.Select(v => (JsonNode)v!)]);

        var random = new Random(form.KeyCaseSeed);
        string Case(string key) => new([.. key.Select(c => random.Next(3) == 0 ? char.ToUpperInvariant(c) : random.Next(2) == 0 ? char.ToLowerInvariant(c) : c)]);

        var statements = policy.Statements.Select(s =>
        {
            var statement = new JsonObject { ["Effect"] = s.Allow ? "Allow" : "Deny", ["Action"] = Values(s.Actions), ["Resource"] = "*" };
            if (s.Principals is [{ Type: "*" }])
            {
                statement["Principal"] = "*";
            }
            else
            {
                var principal = new JsonObject();
                foreach (var group in s.Principals.GroupBy(p => p.Type == "*" ? "AWS" : p.Type))
                {
                    principal[group.Key] = Values([.. group.Select(p => p.Value)]);
                }

                statement["Principal"] = principal;
            }

            if (s.Clauses.Length > 0)
            {
                var condition = new JsonObject();
                foreach (var byOp in s.Clauses.GroupBy(c => c.Op))
                {
                    var keys = new JsonObject();
                    foreach (var clause in byOp.DistinctBy(c => c.Key.ToUpperInvariant()))
                    {
                        keys[Case(clause.Key)] = Values(clause.Values);
                    }

                    condition[byOp.Key] = keys;
                }

                statement["Condition"] = condition;
            }

            return (JsonNode)statement;
        }).ToList();

        var order = new Random(form.OrderSeed);
        var shuffled = statements.OrderBy(_ => order.Next()).ToList();
        JsonNode statementNode = form.ScalarWhenSingle && shuffled.Count == 1 ? shuffled[0] : new JsonArray([.. shuffled]);
        return new JsonObject { ["Version"] = "2012-10-17", ["Statement"] = statementNode }.ToJsonString();
    }

    private static bool IsPublic(string json)
    {
        var result = PolicyEvaluator.Evaluate(json, PolicyKind.Bucket);
        Assert.True(result.Ok, result.Error + "\n" + json);
        return result.Value!.IsPublic;
    }

    [Fact]
    public void Adding_a_deny_statement_never_makes_a_policy_public()
    {
        var gen = from policy in Policy
                  from deny in Statement.Select(s => s with { Allow = false })
                  from form in AnyForm
                  select (policy, deny, form);
        Check.One(Runs, Prop.ForAll(Arb.From(gen), t =>
        {
            var before = IsPublic(Render(t.policy, t.form));
            var after = IsPublic(Render(new GPolicy([.. t.policy.Statements, t.deny]), t.form));
            return !after || before;
        }));
    }

    [Fact]
    public void Replacing_a_fixed_condition_value_with_a_wildcard_never_makes_a_public_policy_non_public()
    {
        var gen = from policy in Policy
                  from form in AnyForm
                  from pick in Gen.Choose(0, 1000)
                  select (policy, form, pick);
        Check.One(Runs, Prop.ForAll(Arb.From(gen), t =>
        {
            if (!IsPublic(Render(t.policy, t.form)))
            {
                return true;
            }

            // Wildcard one value of every clause chosen by the pick bits.
            var bit = 0;
            var widened = new GPolicy([.. t.policy.Statements.Select(s => s with
            {
                Clauses = [.. s.Clauses.Select(c => ((t.pick >> (bit++ % 10)) & 1) == 1
                    ? c with { Values = [.. c.Values.Select((v, i) => i == t.pick % c.Values.Length ? "*" + v : v)] }
                    : c)],
            })]);
            return IsPublic(Render(widened, t.form));
        }));
    }

    [Fact]
    public void Statement_order_list_or_scalar_and_key_case_never_change_the_verdict()
    {
        var gen = from policy in Policy
                  from a in AnyForm
                  from b in AnyForm
                  select (policy, a, b);
        Check.One(Runs, Prop.ForAll(Arb.From(gen), t =>
        {
            var first = PolicyEvaluator.Evaluate(Render(t.policy, t.a), PolicyKind.Bucket).Value!;
            var second = PolicyEvaluator.Evaluate(Render(t.policy, t.b), PolicyKind.Bucket).Value!;
            return first.IsPublic == second.IsPublic && first.Findings.Length == second.Findings.Length && first.Access == second.Access;
        }));
    }

    [Fact]
    public void The_generated_policies_cover_both_verdicts_and_limiting_conditions()
    {
        // Guards the properties above against a generator that only ever produces one kind of policy.
        var sample = Gen.Sample(Gen.Zip(Policy, AnyForm), 300).Select(t => PolicyEvaluator.Evaluate(Render(t.Item1, t.Item2), PolicyKind.Bucket).Value!).ToList();

        Assert.Contains(sample, e => e.IsPublic);
        Assert.Contains(sample, e => !e.IsPublic);
        Assert.Contains(sample, e => e.Notes.Any(n => n.Contains("but limited by", StringComparison.Ordinal)));
    }

    private static readonly string[] Vocabulary =
    [
        "Statement", "Effect", "Allow", "Deny", "Principal", "NotPrincipal", "AWS", "Service", "Action", "NotAction",
        "Resource", "Condition", "StringEquals", "IpAddress", "aws:SourceIp", "aws:SourceVpc", "*", "Grants", "Grantee",
        "URI", "Permission", "AccessControlPolicy", "AccessControlList", "Grant", "detail", "eventName", "PutBucketAcl",
        "PutBucketPolicy", "requestParameters", "bucketPolicy", "x-amz-acl", "policy", "acl", "canned", "xml", "Tagging",
        "TagSet", "Tag", "PublicAccessBlockConfiguration", "userIdentity", "detail-type", "AWS API Call via CloudTrail",
        "http://acs.amazonaws.com/groups/global/AllUsers", "0.0.0.0/0", "public-read", "<AccessControlPolicy/>",
    ];

    private static Gen<JsonNode?> RandomJson(int depth)
    {
        var leaf = Gen.OneOf(
            Gen.Elements(Vocabulary).Select(v => (JsonNode?)v),
            Gen.Choose(-5, 5).Select(n => (JsonNode?)n),
            Gen.Elements(true, false).Select(b => (JsonNode?)b),
            Gen.Constant<JsonNode?>(null),
            Gen.Elements("", "{", "\"x\"", "{\"Statement\":1}", "[]").Select(v => (JsonNode?)v));
        if (depth == 0)
        {
            return leaf;
        }

        var child = RandomJson(depth - 1);
        var array = Gen.ListOf(child).Select(items => (JsonNode?)new JsonArray([.. items.Take(4).Select(i => i?.DeepClone())]));
        var obj = Gen.ListOf(Gen.Zip(Gen.Elements(Vocabulary), child)).Select(pairs =>
        {
            var o = new JsonObject();
            foreach (var (key, value) in pairs.Take(5))
            {
                o[key] = value?.DeepClone();
            }

            return (JsonNode?)o;
        });
        return Gen.Frequency((2, leaf), (3, obj), (1, array));
    }

    [Fact]
    public void Random_json_never_throws_out_of_the_parsers_the_evaluators_or_check()
    {
        var text = Gen.OneOf(
            RandomJson(4).Select(n => n?.ToJsonString() ?? "null"),
            Gen.ArrayOf(Gen.Elements('{', '}', '[', ']', '"', ':', ',', 'a', '1', ' ', '<', '>', '\\')).Select(c => new string(c)));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(Arb.From(text), json =>
        {
            var policy = PolicyEvaluator.Evaluate(json, PolicyKind.Bucket);
            var acl = AclParser.Parse(json);
            if (acl.Ok)
            {
                AclEvaluator.Evaluate(acl.Value!);
            }

            var change = CloudTrailEventParser.Parse(json);
            var checkedResult = Checker.Check("random.json", json);

            // Every outcome is a value or an explanation, never neither.
            return (policy.Ok || policy.Error is not null)
                && (acl.Ok || acl.Error is not null)
                && (change.Ok || change.Error is not null)
                && (checkedResult.Public is not null || checkedResult.Error is not null || checkedResult.Kind == InputKind.Event);
        }));
    }
}
