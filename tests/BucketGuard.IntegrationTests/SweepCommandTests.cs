using System.Text.Json.Nodes;
using BucketGuard.Cli;

namespace BucketGuard.IntegrationTests;

/// <summary>`bucketguard sweep --redrive` against moto's Step Functions (its executions stay RUNNING until stopped when
/// moto is not told to execute them, which serves here as a sweep still running): the Step Functions substitute's
/// ListExecutions and StartExecution on a real endpoint, the refusal while the sweep runs, and the redrive execution's
/// name and input as the planner reads them.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SweepCommandTests
{
    private static async Task<(int Exit, string Output, string Errors)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await BucketGuardCli.RunAsync(args, TextReader.Null, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    [Fact]
    public async Task A_redrive_waits_for_the_sweep_to_end_then_starts_an_execution_that_sweeps_what_it_left()
    {
        var machine = (await MotoClient.OkAsync("states", "AWSStepFunctions.CreateStateMachine", new JsonObject
        {
            ["name"] = "bucketguard-sweep-" + Guid.NewGuid().ToString("N")[..8],
            ["definition"] = """{"StartAt":"Plan","States":{"Plan":{"Type":"Pass","End":true}}}""",
            ["roleArn"] = $"arn:aws:iam::{MotoClient.Account}:role/bucketguard-sweep",
        }, "1.0"))["stateMachineArn"]!.GetValue<string>();
        try
        {
            var sweep = (await MotoClient.OkAsync("states", "AWSStepFunctions.StartExecution", new JsonObject { ["stateMachineArn"] = machine, ["name"] = "sweep-daily-1", ["input"] = "{}" }, "1.0"))["executionArn"]!.GetValue<string>();

            var running = await CliAsync("sweep", "--redrive", "--state-machine", machine);

            Assert.Equal(2, running.Exit);
            Assert.Contains("sweep sweep-daily-1 is still running", running.Errors, StringComparison.Ordinal);

            await MotoClient.OkAsync("states", "AWSStepFunctions.StopExecution", new JsonObject { ["executionArn"] = sweep }, "1.0");
            var started = await CliAsync("sweep", "--redrive", "--state-machine", machine);

            Assert.True(started.Exit == 0, started.Errors);
            var executions = (await MotoClient.OkAsync("states", "AWSStepFunctions.ListExecutions", new JsonObject { ["stateMachineArn"] = machine }, "1.0"))["executions"]!.AsArray();
            var redrive = Assert.Single(executions, e => e!["name"]!.GetValue<string>().StartsWith("sweep-daily-1" + SweepCommand.RedriveMark, StringComparison.Ordinal))!;
            Assert.Contains(redrive["executionArn"]!.GetValue<string>(), started.Output, StringComparison.Ordinal);
            var described = await MotoClient.OkAsync("states", "AWSStepFunctions.DescribeExecution", new JsonObject { ["executionArn"] = redrive["executionArn"]!.GetValue<string>() }, "1.0");
            Assert.Equal("""{"redrive":"sweep-daily-1"}""", described["input"]!.GetValue<string>());

            // The redrive is itself running now: a second one is refused for the same sweep.
            var twice = await CliAsync("sweep", "--redrive", "sweep-daily-1", "--state-machine", machine);
            Assert.Equal(2, twice.Exit);
            Assert.Contains("still running", twice.Errors, StringComparison.Ordinal);
        }
        finally
        {
            await MotoClient.JsonAsync("states", "AWSStepFunctions.DeleteStateMachine", new JsonObject { ["stateMachineArn"] = machine }, "1.0");
        }
    }

    [Theory]
    [InlineData(new[] { "sweep", "--redrive", "--state-machine", "arn:aws:sns:us-east-1:123456789012:topic" }, "is not a state machine ARN")]
    [InlineData(new[] { "sweep", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:x" }, "say --redrive")]
    [InlineData(new[] { "sweep", "--redrive", "../x", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:x" }, "is not a sweep id")]
    public async Task A_redrive_that_cannot_be_right_is_refused_before_any_call(string[] args, string reason)
    {
        var (exit, _, errors) = await CliAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains(reason, errors, StringComparison.Ordinal);
    }
}
