using System.Text.Json.Nodes;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Tests;

/// <summary>The organisation roll-out, read as data: infra/org/member.template (StackSets) and the central template's
/// organisation resources agree with each other and with the functions' code, and give no one more than they need.</summary>
public partial class TemplateTests
{
    private static readonly JsonObject Member = JsonNode.Parse(File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "infra", "org", "member.template")))!.AsObject();

    private static JsonObject MemberResource(string name) => Member["Resources"]![name]!.AsObject();

    private static IEnumerable<JsonNode> CentralPatterns =>
        Functions.SelectMany(f => f.Function["Properties"]!["Events"]?.AsObject() ?? [])
            .Where(e => e.Value!["Type"]!.GetValue<string>() == "EventBridgeRule")
            .Select(e => e.Value!["Properties"]!["Pattern"]!);

    [Fact]
    public void The_member_template_is_plain_cloudformation_whose_references_all_resolve()
    {
        Assert.Null(Member["Transform"]);
        Assert.Equal("2010-09-09", Member["AWSTemplateFormatVersion"]!.GetValue<string>());
        Assert.Empty(Undefined(Member));
    }

    [Fact]
    public void Members_forward_exactly_the_s3_calls_the_central_functions_handle_and_every_sample_event_is_forwarded()
    {
        var forwarding = MemberResource("ForwardingRule")["Properties"]!["EventPattern"]!;
        var forwarded = forwarding["detail"]!["eventName"]!.AsArray().Select(n => n!.GetValue<string>()).Order().ToList();
        var handled = CentralPatterns.SelectMany(p => p["detail"]!["eventName"]!.AsArray().Select(n => n!.GetValue<string>())).Order().ToList();

        Assert.Equal(handled, forwarded);
        foreach (var sample in Directory.EnumerateFiles(Path.Combine(Corpus.RepositoryRoot, "events"), "*.json"))
        {
            Assert.True(Matches(forwarding, JsonNode.Parse(File.ReadAllText(sample))), $"{Path.GetFileName(sample)} is not forwarded");
        }

        var getObject = JsonNode.Parse("""{"source":"aws.s3","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}}""");
        Assert.False(Matches(forwarding, getObject));
    }

    [Fact]
    public void Members_forward_to_the_central_default_bus_through_a_role_that_can_only_put_events_there()
    {
        var target = MemberResource("ForwardingRule")["Properties"]!["Targets"]!.AsArray().Single()!;
        var bus = target["Arn"]!["Fn::Sub"]!.GetValue<string>();
        Assert.Equal("arn:${AWS::Partition}:events:${CentralRegion}:${CentralAccountId}:event-bus/default", bus);
        Assert.Equal("ForwardingRole", target["RoleArn"]!["Fn::GetAtt"]![0]!.GetValue<string>());

        var role = MemberResource("ForwardingRole")["Properties"]!;
        var statement = role["Policies"]!.AsArray().SelectMany(p => Statements(p!["PolicyDocument"]!)).Single();
        Assert.Equal(["events:PutEvents"], statement["Action"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(bus, statement["Resource"]!["Fn::Sub"]!.GetValue<string>());
        Assert.Equal("events.amazonaws.com", role["AssumeRolePolicyDocument"]!["Statement"]![0]!["Principal"]!["Service"]!.GetValue<string>());

        var central = Resources["OrganizationEventBusPolicy"]!;
        Assert.Equal("IsOrganization", central["Condition"]!.GetValue<string>());
        Assert.Equal("events:PutEvents", central["Properties"]!["Statement"]!["Action"]!.GetValue<string>());
        Assert.Equal("OrganizationId", central["Properties"]!["Statement"]!["Condition"]!["StringEquals"]!["aws:PrincipalOrgID"]!["Ref"]!.GetValue<string>());
        Assert.Equal("default", central["Properties"]!["EventBusName"]!.GetValue<string>());
    }

    [Fact]
    public void The_member_role_trusts_only_the_central_functions_roles_within_the_organisation()
    {
        var role = MemberResource("MemberRole");
        var trust = role["Properties"]!["AssumeRolePolicyDocument"]!["Statement"]!.AsArray().Single()!;

        Assert.Equal("Allow", trust["Effect"]!.GetValue<string>());
        Assert.Equal("sts:AssumeRole", trust["Action"]!.GetValue<string>());
        Assert.Equal(["AWS"], trust["Principal"]!.AsObject().Select(p => p.Key));
        Assert.Equal("CentralRoleArns", trust["Principal"]!["AWS"]!["Ref"]!.GetValue<string>());
        Assert.Equal("CommaDelimitedList", Member["Parameters"]!["CentralRoleArns"]!["Type"]!.GetValue<string>());
        var orgCondition = trust["Condition"]!["Fn::If"]!.AsArray();
        Assert.Equal("OrganizationId", orgCondition[1]!["StringEquals"]!["aws:PrincipalOrgID"]!["Ref"]!.GetValue<string>());

        // IAM is global: one stack instance per account makes it, and the central account acts with its own role.
        Assert.Equal("CreateMemberRole", role["Condition"]!.GetValue<string>());
        Assert.Equal("MemberRoleName", role["Properties"]!["RoleName"]!["Ref"]!.GetValue<string>());
    }

    [Fact]
    public void The_member_role_may_only_read_exposure_lock_and_list_buckets()
    {
        var allowed = AllowedActions.Except(["sns:Publish", "kms:GenerateDataKey", "kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents", "sts:AssumeRole", "securityhub:BatchUpdateFindings"])
            .Where(a => !a.StartsWith("sqs:", StringComparison.Ordinal)).ToHashSet();
        var statements = MemberResource("MemberRole")["Properties"]!["Policies"]!.AsArray().SelectMany(p => Statements(p!["PolicyDocument"]!)).ToList();
        var actions = statements.SelectMany(s => s["Action"]!.AsArray().Select(a => a!.GetValue<string>())).ToList();

        Assert.All(actions, a => Assert.True(allowed.Contains(a), $"{a} is not allowed in member accounts"));
        Assert.Contains("s3:PutBucketPublicAccessBlock", actions);
        Assert.Contains("s3:ListAllMyBuckets", actions);
        foreach (var statement in statements.Where(s => s["Resource"] is JsonValue v && v.GetValue<string>() == "*"))
        {
            Assert.All(statement["Action"]!.AsArray(), a => Assert.Contains(a!.GetValue<string>(), NoResourceScope));
        }
    }

    [Fact]
    public void The_central_functions_may_assume_only_the_member_role_and_only_inside_the_organisation()
    {
        foreach (var role in new[] { "EventFunctionsRole", "SweepFunctionRole", "ExposureFunctionRole" })
        {
            var conditional = Resources[role]!["Properties"]!["Policies"]![0]!["PolicyDocument"]!["Statement"]!.AsArray()
                .Single(s => s!["Fn::If"]?[0]?.GetValue<string>() == "IsOrganization")!["Fn::If"]!.AsArray();
            Assert.Equal("AWS::NoValue", conditional[2]!["Ref"]!.GetValue<string>());
            var statement = conditional[1]!;
            Assert.Equal(["sts:AssumeRole"], statement["Action"]!.AsArray().Select(a => a!.GetValue<string>()));
            Assert.Equal("arn:${AWS::Partition}:iam::*:role/${MemberRoleName}", statement["Resource"]!["Fn::Sub"]!.GetValue<string>());
            Assert.Equal("OrganizationId", statement["Condition"]!["StringEquals"]!["aws:ResourceOrgID"]!["Ref"]!.GetValue<string>());
        }

        Assert.Equal(
            Template["Parameters"]!["MemberRoleName"]!["Default"]!.GetValue<string>(),
            Member["Parameters"]!["MemberRoleName"]!["Default"]!.GetValue<string>());
    }

    [Fact]
    public void Only_the_sweep_may_list_the_organisations_accounts_and_only_when_the_template_enables_it()
    {
        var and = Template["Conditions"]!["SweepsOrganization"]!["Fn::And"]!.AsArray();
        Assert.Equal("IsOrganization", and[0]!["Condition"]!.GetValue<string>());
        Assert.Equal("""{"Fn::Equals":[{"Ref":"SweepOrganizationAccounts"},"true"]}""", and[1]!.ToJsonString());
        string[] Conditional(string role) => [.. Resources[role]!["Properties"]!["Policies"]![0]!["PolicyDocument"]!["Statement"]!.AsArray()
            .Where(s => s!["Fn::If"]?[0]?.GetValue<string>() == "SweepsOrganization")
            .SelectMany(s => s!["Fn::If"]![1]!["Action"]!.AsArray().Select(a => a!.GetValue<string>()))];
        Assert.Equal(["organizations:ListAccounts"], Conditional("SweepFunctionRole"));
        Assert.Empty(Conditional("EventFunctionsRole"));

        // The values the template can give the sweep are the ones its composition accepts.
        var choice = Resources["SweepPlanFunction"]!["Properties"]!["Environment"]!["Variables"]!["BUCKETGUARD_SWEEP_ORGANIZATION"]!["Fn::If"]!.AsArray();
        foreach (var value in new[] { choice[1]!.GetValue<string>(), choice[2]!.GetValue<string>() })
        {
            Assert.NotNull(BucketGuard.Core.Pipeline.BucketGuardSettings.OnOff(n => n == "BUCKETGUARD_SWEEP_ORGANIZATION" ? value : null, "BUCKETGUARD_SWEEP_ORGANIZATION", out _));
        }

        Assert.True(BucketGuard.Core.Pipeline.BucketGuardSettings.OnOff(n => n == "BUCKETGUARD_SWEEP_ORGANIZATION" ? choice[1]!.GetValue<string>() : null, "BUCKETGUARD_SWEEP_ORGANIZATION", out _));
        Assert.Null(BucketGuard.Core.Pipeline.BucketGuardSettings.OnOff(n => n == "BUCKETGUARD_SWEEP_ORGANIZATION" ? "yes" : null, "BUCKETGUARD_SWEEP_ORGANIZATION", out var error));
        Assert.Contains("neither on nor off", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_member_role_arn_the_template_gives_the_functions_is_one_their_code_accepts_and_resolves_per_account()
    {
        var variables = Template["Globals"]!["Function"]!["Environment"]!["Variables"]!;
        var choice = variables["BUCKETGUARD_MEMBER_ROLE_ARN"]!["Fn::If"]!.AsArray();
        Assert.Equal("IsOrganization", choice[0]!.GetValue<string>());
        Assert.Equal(string.Empty, choice[2]!.GetValue<string>());
        Assert.Equal("AWS::AccountId", variables["BUCKETGUARD_HOME_ACCOUNT"]!["Ref"]!.GetValue<string>());

        // What CloudFormation's Fn::Sub makes of it, then the functions' own reading of it.
        var arn = choice[1]!["Fn::Sub"]!.GetValue<string>().Replace("${AWS::Partition}", "aws", StringComparison.Ordinal)
            .Replace("${MemberRoleName}", Member["Parameters"]!["MemberRoleName"]!["Default"]!.GetValue<string>(), StringComparison.Ordinal);
        var environment = new Dictionary<string, string> { ["BUCKETGUARD_MEMBER_ROLE_ARN"] = arn, ["BUCKETGUARD_HOME_ACCOUNT"] = "111122223333" };
        var parsed = RemediationPolicy.FromEnvironment(n => environment.GetValueOrDefault(n));

        Assert.True(parsed.Ok, parsed.Error);
        Assert.Equal("arn:aws:iam::222233334444:role/BucketGuardMember", parsed.Value!.MemberRole.For("222233334444").RoleArn);
        Assert.Equal(AccountAccess.Own, parsed.Value.MemberRole.For("111122223333"));
    }

    [Fact]
    public void The_scheduled_sweep_is_asked_for_the_member_accounts_the_template_names_as_its_planner_reads_them()
    {
        var input = Resources["SweepStateMachine"]!["Properties"]!["Events"]!["Schedule"]!["Properties"]!["Input"]!["Fn::Sub"]!.GetValue<string>()
            .Replace("${MemberAccountIds}", "222233334444,333344445555", StringComparison.Ordinal);

        // The state machine's Plan state passes the execution's input as "request", its name as "sweepId".
        var request = PlanRequest.Parse($$"""{"sweepId":"x","request":{{input}}}""");
        var none = PlanRequest.Parse($$"""{"sweepId":"x","request":{{input.Replace("222233334444,333344445555", string.Empty, StringComparison.Ordinal)}}}""");

        Assert.True(request.Ok, request.Error);
        Assert.Equal("222233334444,333344445555", string.Join(",", request.Value!.MemberAccounts));
        Assert.Empty(none.Value!.MemberAccounts);
    }

    [Fact]
    public void Single_account_deployment_stays_the_default_and_creates_nothing_for_an_organisation()
    {
        Assert.Equal(string.Empty, Template["Parameters"]!["OrganizationId"]!["Default"]!.GetValue<string>());
        var organisationOnly = Template["Conditions"]!["IsOrganization"]!.ToJsonString();
        Assert.Contains("OrganizationId", organisationOnly, StringComparison.Ordinal);
        Assert.Equal("IsOrganization", Resources["OrganizationEventBusPolicy"]!["Condition"]!.GetValue<string>());
    }
}
