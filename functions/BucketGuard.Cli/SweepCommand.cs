using System.CommandLine;
using System.Globalization;
using Amazon.StepFunctions;
using Amazon.StepFunctions.Model;
using BucketGuard.Core;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Cli;

/// <summary>`bucketguard sweep --redrive [SWEEP_ID] [--state-machine ARN]`: sweeps the buckets an organisation sweep
/// listed and did not sweep (its failed batches), as one more execution of the sweep's state machine whose planner
/// writes only those buckets, under the first sweep's id (so no bucket it reported is reported again). The sweep is the
/// last one when no id is given. Refused while any execution of that sweep still runs (its batches would be swept twice
/// at once). A failed execution can also be redriven as it stands from the Step Functions console (RedriveExecution);
/// this command covers a sweep that finished with batches missing too. Exit code 0: started; 2: it could not.</summary>
public static class SweepCommand
{
    /// <summary>What redrive executions are named: SWEEPID-redrive-yyyyMMddTHHmmssZ (80 characters at most).</summary>
    public const string RedriveMark = "-redrive-";

    public static Command Create(TextWriter output, TextWriter errors)
    {
        var redrive = new Option<bool>("--redrive") { Description = "Sweep the buckets the sweep listed and did not sweep (required: the schedule starts the daily sweep)" };
        var sweepId = new Argument<string?>("SWEEP_ID") { Description = "The sweep (its first execution's name; default: the last sweep)", Arity = ArgumentArity.ZeroOrOne };
        var machine = new Option<string?>("--state-machine") { Description = "The sweep's state machine ARN (default: BUCKETGUARD_SWEEP_STATE_MACHINE; the stack's output SweepStateMachineArn)" };
        var command = new Command("sweep", "Redrive the organisation sweep: sweep what its failed batches left") { redrive, sweepId, machine };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(redrive), parse.GetValue(sweepId), parse.GetValue(machine) ?? Environment.GetEnvironmentVariable("BUCKETGUARD_SWEEP_STATE_MACHINE"),
            () => new AmazonStepFunctionsClient(), TimeProvider.System, output, errors, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(bool redrive, string? sweepId, string? stateMachine, Func<IAmazonStepFunctions> client, TimeProvider clock, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        if (!redrive)
        {
            await errors.WriteLineAsync("bucketguard sweep: say --redrive (the schedule starts the daily sweep; `bucketguard audit` sweeps one account now)").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        if (stateMachine is null || stateMachine.Split(':') is not [_, _, "states", _, _, "stateMachine", _])
        {
            await errors.WriteLineAsync($"bucketguard sweep: {(stateMachine is null ? "no state machine: give --state-machine or BUCKETGUARD_SWEEP_STATE_MACHINE (the stack's output SweepStateMachineArn)" : $"\"{Untrusted.Clean(stateMachine, 200)}\" is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)")}").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        if (sweepId is not null && !SweepIds.IsValid(sweepId))
        {
            await errors.WriteLineAsync($"bucketguard sweep: \"{Untrusted.Clean(sweepId, 100)}\" is not a sweep id (an execution name: letters, digits, - and _)").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        var stepFunctions = client();
        using var owned = stepFunctions as IDisposable;
        var recent = new List<ExecutionListItem>();
        string? next = null;
        do
        {
            // Newest first (ListExecutions' order); a sweep and its redrives are within the last 1,000 executions.
            var page = await stepFunctions.ListExecutionsAsync(new ListExecutionsRequest { StateMachineArn = stateMachine, MaxResults = 100, NextToken = next }, cancellationToken).ConfigureAwait(false);
            recent.AddRange(page.Executions ?? []);
            next = page.NextToken;
        }
        while (next is not null && recent.Count < 1000);

        var choice = Choose(recent, sweepId);
        if (choice.Error is { } error)
        {
            await errors.WriteLineAsync($"bucketguard sweep: {error}").ConfigureAwait(false);
            return BucketGuardCli.CouldNotRun;
        }

        var name = choice.SweepId + RedriveMark + clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var started = await stepFunctions.StartExecutionAsync(new StartExecutionRequest
        {
            StateMachineArn = stateMachine,
            Name = name.Length <= 80 ? name : name[^80..],
            Input = JsonLine.Write(w => w.WriteString("redrive", choice.SweepId)),
        }, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"redriving sweep {choice.SweepId}: execution {started.ExecutionArn}").ConfigureAwait(false);
        await output.WriteLineAsync("its summary says, per account, the buckets listed and swept once it ends").ConfigureAwait(false);
        return 0;
    }

    /// <summary>The sweep to redrive, from the state machine's executions (newest first): the named one, or the newest
    /// that is not itself a redrive; refused while any execution of it runs.</summary>
    public static (string? SweepId, string? Error) Choose(IReadOnlyList<ExecutionListItem> executions, string? sweepId)
    {
        static string SweepOf(string name) => name.IndexOf(RedriveMark, StringComparison.Ordinal) is >= 0 and var at ? name[..at] : name;
        var id = sweepId ?? executions.Select(e => e.Name).OfType<string>().Where(n => !n.Contains(RedriveMark, StringComparison.Ordinal)).FirstOrDefault();
        if (id is null)
        {
            return (null, "the state machine has no sweep to redrive yet");
        }

        if (executions.FirstOrDefault(e => e.Name is { } n && SweepOf(n) == id && e.Status == ExecutionStatus.RUNNING) is { } running)
        {
            return (null, $"sweep {id} is still running ({running.Name}, started {running.StartDate:u}): redrive it when it has ended, or its batches would be swept twice at once");
        }

        return (id, null);
    }
}
