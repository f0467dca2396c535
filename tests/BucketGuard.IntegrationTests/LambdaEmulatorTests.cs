using System.Diagnostics;
using System.Text.Json.Nodes;
using BucketGuard.LocalLambda;

namespace BucketGuard.IntegrationTests;

/// <summary>The local Runtime API behaves like Lambda's, checked with an independent runtime: a bash loop that
/// speaks the documented API with curl.</summary>
[Trait("Category", "Integration")]
public sealed class LambdaEmulatorTests : IAsyncLifetime
{
    private const string Bootstrap = """
        #!/usr/bin/env bash
        set -u
        API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        header() { grep -i "^$1:" "$2" | cut -d' ' -f2- | tr -d '\r'; }
        if [ "${BUCKETGUARD_EXTRA:-}" = "init-fails" ]; then
          curl -sS -X POST "$API/init/error" -d '{"errorType":"Runtime.InitError","errorMessage":"BUCKETGUARD_MODE is wrong"}' >/dev/null
          exit 1
        fi
        while true; do
          h=$(mktemp)
          event=$(curl -sS -D "$h" "$API/invocation/next") || exit 1  # no Runtime API: stop, as a runtime must
          id=$(header Lambda-Runtime-Aws-Request-Id "$h")
          case "$event" in
            *crash*) exit 3 ;;
            *sleep*) sleep 60 ;;
            *fail*) curl -sS -X POST "$API/invocation/$id/error" -H 'Lambda-Runtime-Function-Error-Type: Boom' \
                      -d '{"errorType":"Boom","errorMessage":"it failed"}' >/dev/null; continue ;;
          esac
          echo "handled $id"
          curl -sS -X POST "$API/invocation/$id/response" -d "{\"event\":$event,\"id\":\"$id\",\"deadline\":$(header Lambda-Runtime-Deadline-Ms "$h"),\"arn\":\"$(header Lambda-Runtime-Invoked-Function-Arn "$h")\",\"trace\":\"$(header Lambda-Runtime-Trace-Id "$h")\",\"handler\":\"$_HANDLER\",\"function\":\"$AWS_LAMBDA_FUNCTION_NAME\",\"memory\":\"$AWS_LAMBDA_FUNCTION_MEMORY_SIZE\",\"extra\":\"${BUCKETGUARD_EXTRA:-}\"}" >/dev/null
        done
        """;

    private readonly string folder = Directory.CreateTempSubdirectory("bg-lambda-").FullName;
    private LambdaEmulator? emulator;

    private async Task<LambdaEmulator> StartAsync(int timeoutSeconds = 10, string extra = "passed-through")
    {
        var path = Path.Combine(folder, "bootstrap");
        await File.WriteAllTextAsync(path, Bootstrap.Replace("\r", string.Empty, StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var function = new FunctionOptions("bucketguard-acl", path, "acl-changes", timeoutSeconds, 256, "eu-west-1", "111122223333",
            new Dictionary<string, string> { ["BUCKETGUARD_EXTRA"] = extra });
        return emulator = await LambdaEmulator.StartAsync(function);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 disposes test classes only through IDisposable/IAsyncLifetime,
    // and an undisposed emulator would leave its runtime process behind.
    public async Task DisposeAsync()
    {
        if (emulator is not null)
        {
            await emulator.DisposeAsync();
        }

        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task An_invocation_reaches_the_bootstrap_with_lambdas_environment_and_headers_and_its_response_comes_back()
    {
        var lambda = await StartAsync(timeoutSeconds: 10);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var (status, body, error) = await lambda.InvokeAsync("""{"detail-type":"AWS API Call via CloudTrail"}""");

        Assert.Equal(200, status);
        Assert.Null(error);
        var echo = JsonNode.Parse(body)!;
        Assert.Equal("AWS API Call via CloudTrail", echo["event"]!["detail-type"]!.GetValue<string>());
        Assert.Equal("acl-changes", echo["handler"]!.GetValue<string>());
        Assert.Equal("bucketguard-acl", echo["function"]!.GetValue<string>());
        Assert.Equal("256", echo["memory"]!.GetValue<string>());
        Assert.Equal("passed-through", echo["extra"]!.GetValue<string>());
        Assert.Equal("arn:aws:lambda:eu-west-1:111122223333:function:bucketguard-acl", echo["arn"]!.GetValue<string>());
        Assert.StartsWith("Root=1-", echo["trace"]!.GetValue<string>(), StringComparison.Ordinal);
        var deadline = echo["deadline"]!.GetValue<long>();
        Assert.InRange(deadline, before + 9_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 10_000);
        Assert.Contains($"handled {echo["id"]!.GetValue<string>()}", lambda.Logs);
    }

    [Fact]
    public async Task A_function_error_comes_back_as_an_unhandled_function_error_with_its_body()
    {
        var lambda = await StartAsync();

        var (status, body, error) = await lambda.InvokeAsync("""{"fail":true}""");

        Assert.Equal(200, status);
        Assert.Equal("Unhandled", error);
        Assert.Equal("Boom", JsonNode.Parse(body)!["errorType"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_timeout_ends_the_invocation_and_the_next_one_runs_in_a_fresh_runtime()
    {
        var lambda = await StartAsync(timeoutSeconds: 2);
        var clock = Stopwatch.StartNew();

        var (_, body, error) = await lambda.InvokeAsync("""{"sleep":true}""");
        var next = await lambda.InvokeAsync("""{"n":2}""");

        Assert.Equal("Unhandled", error);
        Assert.Contains("Task timed out after 2.00 seconds", body, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 20);
        Assert.Null(next.FunctionError);
        Assert.Equal(2, lambda.RuntimeStarts);
    }

    [Fact]
    public async Task A_runtime_whose_init_fails_answers_the_waiting_invocation_with_the_init_error_instead_of_restarting_forever()
    {
        var lambda = await StartAsync(extra: "init-fails");

        var (_, body, error) = await lambda.InvokeAsync("""{"n":1}""").WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("Unhandled", error);
        Assert.Contains("BUCKETGUARD_MODE is wrong", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runtime_that_exits_fails_its_invocation_and_a_new_one_takes_the_next()
    {
        var lambda = await StartAsync();

        var (_, body, error) = await lambda.InvokeAsync("""{"crash":true}""");
        var next = await lambda.InvokeAsync("""{"n":2}""");

        Assert.Equal("Unhandled", error);
        Assert.Contains("Runtime exited with error: exit status 3", body, StringComparison.Ordinal);
        Assert.Null(next.FunctionError);
        Assert.Equal(2, lambda.RuntimeStarts);
    }

    [Fact]
    public async Task An_event_whose_poller_went_away_while_waiting_is_delivered_to_the_next_poller()
    {
        var lambda = await StartAsync();
        using (var dying = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) })
        {
            await Assert.ThrowsAsync<TaskCanceledException>(() => dying.GetAsync(new Uri(lambda.Endpoint, "/2018-06-01/runtime/invocation/next")));
        }

        var (status, body, error) = await lambda.InvokeAsync("""{"after":"a dead poller"}""");

        Assert.Equal(200, status);
        Assert.Null(error);
        Assert.Equal("a dead poller", JsonNode.Parse(body)!["event"]!["after"]!.GetValue<string>());
    }

    [Fact]
    public async Task Disposing_the_emulator_stops_its_runtime_process()
    {
        var lambda = await StartAsync();
        await lambda.InvokeAsync("""{"n":1}""");
        var pid = lambda.RuntimeProcessId!.Value;

        await lambda.DisposeAsync();
        emulator = null;

        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
    }

    [Fact]
    public async Task An_event_invocation_is_accepted_at_once_and_still_runs()
    {
        var lambda = await StartAsync();

        var (status, _, _) = await lambda.InvokeAsync("""{"async":true}""", "Event");

        Assert.Equal(202, status);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!lambda.Logs.Any(l => l.StartsWith("handled ", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains(lambda.Logs, l => l.StartsWith("handled ", StringComparison.Ordinal));
    }
}
