using System.Text.Json.Nodes;
using BucketGuard.Functions;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Reports;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Tests;

/// <summary>What AWS will really create: serverless.template run through SAM's own translator (aws-sam-translator,
/// as `sam deploy` and CloudFormation's AWS::Serverless transform do, via tests/tools/sam-transform.py) for every
/// parameter combination that changes resources, and checked as CloudFormation. These are the checks that the template
/// read as data cannot make: SAM ignores what it does not know and creates what it decides.</summary>
public class SamTransformTests
{
    public static TheoryData<string> Combinations =>
    [
        string.Empty,
        "OrganizationId=o-abc123def4",
        "OrganizationId=o-abc123def4 SweepOrganizationAccounts=true MemberAccountIds=222233334444",
        "Architecture=arm64 ReservedConcurrency=-1 LogLevel=warn",
        "ExemptionApprovers=arn:aws:iam::111122223333:role/SecurityApprover,arn:aws:iam::111122223333:role/CISO",
        "SecurityHubFindings=Enabled EventBusName=soar ChatTopicArn=arn:aws:sns:us-east-1:111122223333:chat ObjectDataEvents=ObjectAclsAndUploads",
    ];

    private static readonly Dictionary<string, JsonObject> Cache = [];

    /// <summary>The transformed template's Resources for a parameter combination.</summary>
    internal static JsonObject Transformed(string parameters)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(parameters, out var cached))
            {
                return cached;
            }

            return Cache[parameters] = BucketGuard.LocalLambda.SamTransform.Resources(Corpus.RepositoryRoot, parameters);
        }
    }

    private static IEnumerable<(string Name, JsonNode Resource)> OfType(JsonObject resources, string type) =>
        resources.Where(r => r.Value!["Type"]!.GetValue<string>() == type).Select(r => (r.Key, r.Value!));

    private static string GetAttTarget(JsonNode? node) => node?["Fn::GetAtt"]?[0]?.GetValue<string>() ?? "(not a GetAtt: " + node?.ToJsonString() + ")";

    [Theory]
    [MemberData(nameof(Combinations))]
    public void The_dead_letter_queue_and_the_exposure_queue_exist_and_every_rule_and_every_function_fails_over_into_the_first(string parameters)
    {
        var resources = Transformed(parameters);

        Assert.Equal(["DeadLetterQueue", "ExposureQueue"], OfType(resources, "AWS::SQS::Queue").Select(q => q.Name).Order(StringComparer.Ordinal));
        Assert.Equal("DeadLetterQueue", GetAttTarget(resources["ExposureQueue"]!["Properties"]!["RedrivePolicy"]!["deadLetterTargetArn"]));
        var mapping = Assert.Single(OfType(resources, "AWS::Lambda::EventSourceMapping")).Resource["Properties"]!;
        Assert.Equal(("ExposureQueue", "ReportBatchItemFailures", 1), (GetAttTarget(mapping["EventSourceArn"]), mapping["FunctionResponseTypes"]![0]!.GetValue<string>(), mapping["BatchSize"]!.GetValue<int>()));
        var rules = OfType(resources, "AWS::Events::Rule").ToList();
        Assert.Equal(6, rules.Count); // five CloudTrail patterns (acl, policy, public-access-block, tagging, objects) and the sweep's schedule
        foreach (var (name, rule) in rules)
        {
            var target = Assert.Single(rule["Properties"]!["Targets"]!.AsArray())!;
            Assert.True(GetAttTarget(target["DeadLetterConfig"]?["Arn"]) == "DeadLetterQueue", $"{name} dead-letters to {target["DeadLetterConfig"]?.ToJsonString()}");
            Assert.NotNull(target["RetryPolicy"]);
        }

        // The event functions are invoked asynchronously and fail over to the queue; the sweep's are invoked by its state
        // machine (its Retry, then a failed execution and its alarm); the exposure function by its queue.
        var configs = OfType(resources, "AWS::Lambda::EventInvokeConfig").ToList();
        Assert.Equal(5, configs.Count);
        Assert.All(configs, c => Assert.Equal("DeadLetterQueue", GetAttTarget(c.Resource["Properties"]!["DestinationConfig"]!["OnFailure"]!["Destination"])));
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void The_dead_letter_queue_accepts_exactly_the_stacks_rules_and_the_functions_may_send_their_failures_there(string parameters)
    {
        var resources = Transformed(parameters);
        var rules = OfType(resources, "AWS::Events::Rule").Select(r => r.Name).Order(StringComparer.Ordinal);

        var policy = Assert.Single(OfType(resources, "AWS::SQS::QueuePolicy")).Resource["Properties"]!;
        Assert.Equal("DeadLetterQueue", policy["Queues"]![0]!["Ref"]!.GetValue<string>());
        var statement = Assert.Single(policy["PolicyDocument"]!["Statement"]!.AsArray())!;
        Assert.Equal("events.amazonaws.com", statement["Principal"]!["Service"]!.GetValue<string>());
        Assert.Equal("sqs:SendMessage", statement["Action"]!.GetValue<string>());
        var sources = statement["Condition"]!["ArnEquals"]!["aws:SourceArn"]!.AsArray().Select(GetAttTarget).Order(StringComparer.Ordinal);
        Assert.Equal(rules, sources);

        var consumers = OfType(resources, "AWS::Lambda::EventSourceMapping").ToList();
        foreach (var (name, function) in OfType(resources, "AWS::Lambda::Function"))
        {
            var role = GetAttTarget(function["Properties"]!["Role"]);
            if (consumers.SingleOrDefault(m => m.Resource["Properties"]!["FunctionName"]!.ToJsonString().Contains($"\"{name}\"", StringComparison.Ordinal)) is { Resource: { } mapping })
            {
                // SQS's redrive moves its failures to the dead-letter queue; the function sends nothing there itself.
                var queue = GetAttTarget(mapping["Properties"]!["EventSourceArn"]);
                Assert.Equal("DeadLetterQueue", GetAttTarget(resources[queue]!["Properties"]!["RedrivePolicy"]!["deadLetterTargetArn"]));
                continue;
            }

            var sends = resources[role]!["Properties"]!["Policies"]!.AsArray().SelectMany(p => p!["PolicyDocument"]!["Statement"]!.AsArray())
                .Where(s => s!["Action"] is JsonArray a && a.Any(x => x!.GetValue<string>() == "sqs:SendMessage"));
            Assert.True(sends.Any(s => GetAttTarget(s!["Resource"]) == "DeadLetterQueue"), $"{name}'s role {role} may not send its failed invocations to the dead-letter queue");
        }
    }

    /// <summary>The (namespace, metric, dimensions) the real code emits, read from its own embedded-metric lines.</summary>
    private static HashSet<string> EmittedMetrics()
    {
        var handled = new HandledEvent(null, new Verdict(Outcome.Block, "x", Severity.High), new ActionResult(null, "denied"), null, null, TimeSpan.FromSeconds(1));
        var lines = Handlers.EventNames.Keys.Select(h => DecisionRecord.Metrics(h, handled, DateTimeOffset.UnixEpoch))
            .Append(DecisionRecord.DistributedSweepMetrics(new SweepSummary("s", [], SweepCounts.None with { Listed = 0 }), DateTimeOffset.UnixEpoch));
        var emitted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines.Select(l => JsonNode.Parse(l)!))
        {
            foreach (var directive in line["_aws"]!["CloudWatchMetrics"]!.AsArray())
            {
                foreach (var dimensions in directive!["Dimensions"]!.AsArray())
                {
                    var set = string.Join(",", dimensions!.AsArray().Select(d => $"{d}={line[d!.GetValue<string>()]}").Order(StringComparer.Ordinal));
                    foreach (var metric in directive["Metrics"]!.AsArray())
                    {
                        emitted.Add($"{directive["Namespace"]}/{metric!["Name"]}/{set}");
                    }
                }
            }
        }

        return emitted;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Every_alarm_on_bucketguards_own_metrics_watches_a_metric_and_dimension_set_the_code_really_emits(string parameters)
    {
        var emitted = EmittedMetrics();
        var watched = new List<string>();
        foreach (var (name, alarm) in OfType(Transformed(parameters), "AWS::CloudWatch::Alarm"))
        {
            var properties = alarm["Properties"]!;
            var stats = properties["Metrics"]?.AsArray().Select(m => m!["MetricStat"]?["Metric"]).OfType<JsonNode>().ToList() ?? [properties];
            foreach (var metric in stats.Where(m => m["Namespace"]?.GetValue<string>() == "BucketGuard"))
            {
                var set = string.Join(",", (metric["Dimensions"]?.AsArray() ?? []).Select(d => $"{d!["Name"]}={d["Value"]}").Order(StringComparer.Ordinal));
                var key = $"BucketGuard/{metric["MetricName"]}/{set}";
                Assert.True(emitted.Contains(key), $"{name} watches {key}, which the code never emits (it emits {string.Join("; ", emitted.Where(e => e.Contains("/Failed/", StringComparison.Ordinal)))})");
                watched.Add(key);
            }
        }

        // Every handler's Failed is watched, or a failing handler could go unseen.
        Assert.Superset(emitted.Where(e => e.Contains("/Failed/", StringComparison.Ordinal)).ToHashSet(), watched.ToHashSet());
        Assert.Equal(emitted.Count(e => e.Contains("/Failed/", StringComparison.Ordinal)), watched.Where(w => w.Contains("/Failed/", StringComparison.Ordinal)).Distinct().Count());
        Assert.Contains("BucketGuard/MissingBuckets/Handler=sweep-summary", watched);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Functions_log_as_json_at_the_parameters_level_follow_the_architecture_parameter_event_functions_reserve_concurrency_and_one_sweep_runs_at_a_time(string parameters)
    {
        foreach (var (name, function) in OfType(Transformed(parameters), "AWS::Lambda::Function"))
        {
            var properties = function["Properties"]!;
            Assert.Equal("JSON", properties["LoggingConfig"]!["LogFormat"]!.GetValue<string>());
            Assert.Equal("""{"Fn::FindInMap":["LogLevels",{"Ref":"LogLevel"},"Application"]}""", properties["LoggingConfig"]!["ApplicationLogLevel"]!.ToJsonString());
            Assert.Equal("""[{"Ref":"Architecture"}]""", properties["Architectures"]!.ToJsonString());
            var reserved = properties["ReservedConcurrentExecutions"]?.ToJsonString();
            // The sweep's planner, what each execution starts with, reserves exactly one execution (and the lease makes a
            // second start a no-op); the batch and summary functions are bounded by the Map's MaxConcurrency and the one
            // execution. The exposure function is bounded by its event source mapping's MaximumConcurrency instead (SQS
            // scaling), so that a storm of locks never takes the event functions' concurrency.
            Assert.Equal(name switch
            {
                "SweepPlanFunction" => "1",
                "SweepBatchFunction" or "SweepSummaryFunction" or "ExposureFunction" => null,
                _ => """{"Fn::If":["ReservesConcurrency",{"Ref":"ReservedConcurrency"},{"Ref":"AWS::NoValue"}]}""",
            }, reserved);
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void The_approval_key_exists_only_with_approvers_who_alone_may_sign_while_the_functions_may_only_verify(string parameters)
    {
        var resources = Transformed(parameters);
        var key = resources["ExemptionApprovalKey"];
        Assert.NotNull(key); // conditional: CloudFormation drops it without approvers
        Assert.Equal("RequiresApproval", key!["Condition"]!.GetValue<string>());
        Assert.Equal("HMAC_256", key["Properties"]!["KeySpec"]!.GetValue<string>());
        Assert.Equal("GENERATE_VERIFY_MAC", key["Properties"]!["KeyUsage"]!.GetValue<string>());
        var statements = key["Properties"]!["KeyPolicy"]!["Statement"]!.AsArray().ToList();
        JsonNode[] Granting(string action) => [.. statements.Where(s => s!["Action"]!.AsArray().Any(a => a!.GetValue<string>() == action || a.GetValue<string>() == "kms:*"))!];
        var signers = Assert.Single(Granting("kms:GenerateMac"));
        Assert.Equal("""{"Ref":"ExemptionApprovers"}""", signers["Principal"]!["AWS"]!.ToJsonString());
        var verifiers = Assert.Single(Granting("kms:VerifyMac"));
        Assert.Contains("Function*Role-*", verifiers["Condition"]!["ArnLike"]!["aws:PrincipalArn"]!.ToJsonString(), StringComparison.Ordinal);
        foreach (var role in new[] { "EventFunctionsRole", "SweepFunctionRole" })
        {
            var conditional = resources[role]!["Properties"]!["Policies"]![0]!["PolicyDocument"]!["Statement"]!.AsArray()
                .Single(s => s!["Fn::If"]?[0]?.GetValue<string>() == "RequiresApproval")!["Fn::If"]![1]!;
            Assert.Equal(["kms:VerifyMac"], conditional["Action"]!.AsArray().Select(a => a!.GetValue<string>()));
            Assert.Equal("ExemptionApprovalKey", GetAttTarget(conditional["Resource"]));
        }

        var variable = resources["AclFunction"]!["Properties"]!["Environment"]!["Variables"]!["BUCKETGUARD_EXEMPTION_KEY_ID"]!;
        Assert.Equal("""{"Fn::If":["RequiresApproval",{"Fn::GetAtt":["ExemptionApprovalKey","Arn"]},""]}""", variable.ToJsonString());
    }

    [Fact]
    public void The_log_levels_the_template_maps_are_lambdas_and_the_code_writes_levels_lambda_reads()
    {
        var template = JsonNode.Parse(File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "serverless.template")))!;
        var levels = template["Mappings"]!["LogLevels"]!.AsObject();
        Assert.Equal(template["Parameters"]!["LogLevel"]!["AllowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).Order(StringComparer.Ordinal), levels.Select(l => l.Key).Order(StringComparer.Ordinal));
        string[] lambda = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
        Assert.All(levels, l => Assert.Contains(l.Value!["Application"]!.GetValue<string>(), lambda));
        Assert.All(levels, l => Assert.Contains(l.Value!["System"]!.GetValue<string>(), (string[])["DEBUG", "INFO", "WARN"]));
    }
}
