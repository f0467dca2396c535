using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Tests;

/// <summary>The organisation sweep's state machine (infra/sweep/sweep.asl.json), read as data: what cfn-lint's Step
/// Functions rule does not check (it checks state types and field types, not where Next goes or what the Map sends).
/// Every state is reachable and every Next exists; the Map is a Distributed Map reading the planner's JSON Lines
/// in batches of the planner's size; throttling is retried with backoff and a refused batch is not; the fields each
/// state reads are the ones the code before it writes.</summary>
public partial class SweepStateMachineTests
{
    private static readonly string Text = File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "infra", "sweep", "sweep.asl.json"));

    private static readonly JsonObject Definition = JsonNode.Parse(Text)!.AsObject();

    private static JsonObject States => Definition["States"]!.AsObject();

    private static JsonObject Template => JsonNode.Parse(File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "serverless.template")))!.AsObject();

    [GeneratedRegex(@"\$\{([A-Za-z0-9]+)\}")]
    private static partial Regex Substitution();

    private static IEnumerable<string> Targets(JsonNode state) =>
        new[] { state["Next"]?.GetValue<string>(), state["Default"]?.GetValue<string>() }
            .Concat(state["Choices"]?.AsArray().Select(c => c!["Next"]!.GetValue<string>()) ?? [])
            .Concat(state["Catch"]?.AsArray().Select(c => c!["Next"]!.GetValue<string>()) ?? [])
            .OfType<string>();

    [Fact]
    public void Every_state_is_reachable_from_the_start_and_every_transition_names_a_state()
    {
        var reached = new HashSet<string>();
        var pending = new Stack<string>([Definition["StartAt"]!.GetValue<string>()]);
        while (pending.TryPop(out var name))
        {
            Assert.True(States.ContainsKey(name), $"a transition goes to {name}, which is not a state");
            if (reached.Add(name))
            {
                foreach (var next in Targets(States[name]!))
                {
                    pending.Push(next);
                }
            }
        }

        Assert.Equal(States.Select(s => s.Key).Order(), reached.Order());
        Assert.All(States, s => Assert.True(s.Value!["End"]?.GetValue<bool>() == true || s.Value!["Type"]!.GetValue<string>() is "Succeed" or "Fail" or "Choice" || s.Value!["Next"] is not null, $"{s.Key} neither ends nor goes on"));
    }

    [Fact]
    public void The_sweep_is_a_distributed_map_over_the_planners_json_lines_in_batches_of_the_planners_size()
    {
        var map = States["Sweep"]!;

        Assert.Equal("Map", map["Type"]!.GetValue<string>());
        Assert.Equal("DISTRIBUTED", map["ItemProcessor"]!["ProcessorConfig"]!["Mode"]!.GetValue<string>());
        Assert.Equal("STANDARD", map["ItemProcessor"]!["ProcessorConfig"]!["ExecutionType"]!.GetValue<string>());
        Assert.Equal("arn:aws:states:::s3:getObject", map["ItemReader"]!["Resource"]!.GetValue<string>());
        Assert.Equal("JSONL", map["ItemReader"]!["ReaderConfig"]!["InputType"]!.GetValue<string>());
        Assert.Equal(("$.plan.itemsBucket", "$.plan.itemsKey"), (map["ItemReader"]!["Parameters"]!["Bucket.$"]!.GetValue<string>(), map["ItemReader"]!["Parameters"]!["Key.$"]!.GetValue<string>()));
        Assert.Equal(SweepPlanner.BatchSize, map["ItemBatcher"]!["MaxItemsPerBatch"]!.GetValue<int>());
        Assert.InRange(SweepPlanner.BatchSize, 1, SweepBatch.MaxItems);
        Assert.Equal("$.plan.sweepId", map["ItemBatcher"]!["BatchInput"]!["sweepId.$"]!.GetValue<string>());
        Assert.InRange(map["MaxConcurrency"]!.GetValue<int>(), 1, 1000);
        Assert.InRange(map["ToleratedFailurePercentage"]!.GetValue<int>(), 1, 10);

        // 4,000 batch answers for 1,000,000 buckets exceed a state's 256 KiB: the Map's results go to S3.
        Assert.Equal("arn:aws:states:::s3:putObject", map["ResultWriter"]!["Resource"]!.GetValue<string>());
        Assert.Equal("$", map["ItemProcessor"]!["States"]!["SweepBatch"]!["Parameters"]!["Payload.$"]!.GetValue<string>());
    }

    [Fact]
    public void The_batch_is_retried_with_backoff_on_throttling_and_a_refused_batch_is_not_retried()
    {
        var batch = States["Sweep"]!["ItemProcessor"]!["States"]!["SweepBatch"]!;
        var retries = batch["Retry"]!.AsArray();
        var throttling = retries.Single(r => r!["ErrorEquals"]!.AsArray().Any(e => e!.GetValue<string>() == nameof(SweepThrottledException)))!;

        Assert.Contains("Lambda.TooManyRequestsException", throttling["ErrorEquals"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.True(throttling["BackoffRate"]!.GetValue<double>() > 1);
        Assert.Equal("FULL", throttling["JitterStrategy"]!.GetValue<string>());
        Assert.InRange(throttling["MaxAttempts"]!.GetValue<int>(), 2, 10);
        var retried = retries.SelectMany(r => r!["ErrorEquals"]!.AsArray().Select(e => e!.GetValue<string>())).ToList();
        Assert.DoesNotContain(nameof(FormatException), retried);
        Assert.DoesNotContain("States.ALL", retried);
    }

    [Fact]
    public void A_start_while_another_sweep_holds_the_lease_ends_successfully_without_sweeping()
    {
        var choice = States["Planned"]!["Choices"]!.AsArray();
        var skipped = choice.Single(c => c!["Variable"]!.GetValue<string>() == "$.plan.skipped")!;

        Assert.True(skipped["BooleanEquals"]!.GetValue<bool>());
        Assert.Equal("Succeed", States[skipped["Next"]!.GetValue<string>()]!["Type"]!.GetValue<string>());
        Assert.Equal("Plan", Definition["StartAt"]!.GetValue<string>());
    }

    [Fact]
    public void The_fields_each_state_reads_are_the_ones_the_code_before_it_writes()
    {
        // Plan: what the state machine sends is what PlanRequest reads, and what it selects is what PlanAnswer writes.
        var plan = States["Plan"]!;
        var payload = plan["Parameters"]!["Payload"]!.AsObject().Select(p => p.Key).Order();
        Assert.Equal(["request.$", "sweepId.$"], payload);
        Assert.True(PlanRequest.Parse("""{"sweepId":"sweep-20261207T030000Z","request":{"memberAccounts":""}}""").Ok);
        var answer = JsonNode.Parse(new PlanAnswer("s", false, null, "b", "k", 1, 1).Json())!.AsObject();
        foreach (var (_, path) in plan["ResultSelector"]!.AsObject())
        {
            Assert.StartsWith("$.Payload.", path!.GetValue<string>(), StringComparison.Ordinal);
            Assert.True(answer.ContainsKey(path.GetValue<string>()["$.Payload.".Length..]), $"the planner's answer has no {path}");
        }

        // Summarise: the handler reads sweepId.
        Assert.Equal("$.plan.sweepId", States["Summarise"]!["Parameters"]!["Payload"]!["sweepId.$"]!.GetValue<string>());

        // The execution may not outlive the lease, or a failed sweep's lease would block the next day's start for ever.
        Assert.True(TimeSpan.FromSeconds(Definition["TimeoutSeconds"]!.GetValue<int>()) < SweepPlanner.LeaseDuration);
    }

    [Fact]
    public void Every_substitution_in_the_definition_is_given_by_the_template_and_names_the_function_of_that_state()
    {
        var machine = Template["Resources"]!["SweepStateMachine"]!["Properties"]!;
        var given = machine["DefinitionSubstitutions"]!.AsObject();
        var used = Substitution().Matches(Text).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Equal(used.Order(), given.Select(g => g.Key).Order());
        Assert.Equal("infra/sweep/sweep.asl.json", machine["DefinitionUri"]!.GetValue<string>());
        var handlers = new Dictionary<string, string> { ["SweepPlanFunctionArn"] = "sweep-plan", ["SweepBatchFunctionArn"] = "sweep-batch", ["SweepSummaryFunctionArn"] = "sweep-summary" };
        foreach (var (name, value) in given)
        {
            var function = value!["Fn::GetAtt"]![0]!.GetValue<string>();
            Assert.Equal(handlers[name], Template["Resources"]![function]!["Properties"]!["Handler"]!.GetValue<string>());
        }

        // The state machine's role may invoke exactly those functions, and read only the sweep's items.
        var role = Template["Resources"]!["SweepStateMachineRole"]!.ToJsonString();
        Assert.All(given, g => Assert.Contains(g.Value!["Fn::GetAtt"]![0]!.GetValue<string>(), role, StringComparison.Ordinal));
    }
}
