using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace BucketGuard.LocalLambda;

/// <summary>One function: its bootstrap, handler and limits, as Lambda would configure them.</summary>
public sealed record FunctionOptions(
    string Name,
    string Bootstrap,
    string Handler,
    int TimeoutSeconds = 30,
    int MemoryMb = 512,
    string Region = "us-east-1",
    string AccountId = "000000000000",
    IReadOnlyDictionary<string, string>? Environment = null)
{
    public string Arn => $"arn:aws:lambda:{Region}:{AccountId}:function:{Name}";

    /// <summary>This process's environment variables whose names start with one of the prefixes ("AWS_": endpoints,
    /// credentials, region), for a function that must reach the same services as its caller.</summary>
    public static Dictionary<string, string> Inherited(params string[] prefixes) =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => prefixes.Any(p => ((string)e.Key).StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? string.Empty);
}

/// <summary>What an invocation ended with: the payload, or a function error (as Lambda's X-Amz-Function-Error).</summary>
public sealed record InvocationResult(string RequestId, string Payload, string? FunctionError);

/// <summary>A Lambda Runtime API (2018-06-01) server for one function, written to the documented API: it starts
/// the bootstrap with Lambda's environment variables, hands each invocation to the runtime's GET .../next with
/// the request id, an epoch-millisecond deadline, the function ARN and a trace id, takes .../response and
/// .../error, enforces the timeout (the sandbox is reset, as Lambda does), fails in-flight work when the runtime
/// exits, and re-queues an event whose poller went away while waiting so that nothing is lost. Invocations come
/// in on Lambda's Invoke path, POST /2015-03-31/functions/NAME/invocations (RequestResponse or Event).</summary>
public sealed class LambdaEmulator : IAsyncDisposable
{
    private const string Runtime = "/2018-06-01/runtime";

    private readonly FunctionOptions function;
    private readonly Channel<Invocation> queue = Channel.CreateUnbounded<Invocation>();
    private readonly ConcurrentDictionary<string, Invocation> inFlight = new();
    private readonly ConcurrentQueue<string> logs = new();
    private readonly Lock processLock = new();
    private readonly TextWriter? echo;
    private WebApplication? app;
    private Process? runtime;

    private LambdaEmulator(FunctionOptions function, TextWriter? echo)
    {
        this.function = function;
        this.echo = echo;
    }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every line the runtime wrote to stdout or stderr, in order.</summary>
    public IReadOnlyCollection<string> Logs => logs;

    /// <summary>The running runtime's process id, if one runs.</summary>
    public int? RuntimeProcessId => runtime is { HasExited: false } r ? r.Id : null;

    /// <summary>How many times the runtime process was started (a cold start each).</summary>
    public int RuntimeStarts { get; private set; }

    /// <summary>Init as Lambda counts it: from the runtime process's start to its first GET .../next (the last start).</summary>
    public TimeSpan? InitDuration { get; private set; }

    /// <summary>The runtime process's CPU time so far (utime + stime from /proc/PID/stat, in clock ticks of 10 ms).</summary>
    public TimeSpan RuntimeCpu
    {
        get
        {
            var pid = RuntimeProcessId ?? throw new InvalidOperationException("the runtime is not running");
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
    }

    /// <summary>The runtime process's peak resident set (VmHWM), which is what Lambda reports as Max Memory Used, in MB.</summary>
    public double RuntimePeakMb
    {
        get
        {
            var pid = RuntimeProcessId ?? throw new InvalidOperationException("the runtime is not running");
            var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
    }

    private long startedAt;

    public static async Task<LambdaEmulator> StartAsync(FunctionOptions function, int port = 0, TextWriter? echo = null)
    {
        var emulator = new LambdaEmulator(function, echo);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        emulator.Map(app);
        await app.StartAsync();
        emulator.app = app;
        emulator.Endpoint = new Uri(app.Urls.First());
        return emulator;
    }

    /// <summary>Invokes synchronously through the Invoke API, as a client would.</summary>
    public async Task<(int Status, string Body, string? FunctionError)> InvokeAsync(string payload, string invocationType = "RequestResponse")
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(function.TimeoutSeconds + 30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Endpoint, $"/2015-03-31/functions/{function.Name}/invocations"))
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Amz-Invocation-Type", invocationType);
        using var response = await http.SendAsync(request);
        var error = response.Headers.TryGetValues("X-Amz-Function-Error", out var values) ? values.First() : null;
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), error);
    }

    public async ValueTask DisposeAsync()
    {
        KillRuntime();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private void Map(WebApplication web)
    {
        web.MapPost("/2015-03-31/functions/{name}/invocations", Invoke);
        web.MapGet(Runtime + "/invocation/next", Next);
        web.MapPost(Runtime + "/invocation/{id}/response", Respond);
        web.MapPost(Runtime + "/invocation/{id}/error", Fail);
        web.MapPost(Runtime + "/init/error", InitError);
    }

    private async Task Invoke(HttpContext context, string name)
    {
        if (!string.Equals(name, function.Name, StringComparison.Ordinal) && !string.Equals(name, function.Arn, StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["Type"] = "User", ["message"] = $"Function not found: {name}" }, LocalLambdaJson.Default.DictionaryStringString);
            return;
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var invocation = new Invocation(Guid.NewGuid().ToString(), await reader.ReadToEndAsync());
        EnsureRuntime();
        await queue.Writer.WriteAsync(invocation);
        context.Response.Headers["x-amzn-RequestId"] = invocation.RequestId;
        if (string.Equals(context.Request.Headers["X-Amz-Invocation-Type"], "Event", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 202;
            return;
        }

        var result = await invocation.Completion.Task;
        context.Response.StatusCode = 200;
        context.Response.Headers["X-Amz-Executed-Version"] = "$LATEST";
        if (result.FunctionError is not null)
        {
            context.Response.Headers["X-Amz-Function-Error"] = result.FunctionError;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(result.Payload);
    }

    private async Task Next(HttpContext context)
    {
        if (InitDuration is null && Interlocked.Read(ref startedAt) is var started and not 0)
        {
            InitDuration = Stopwatch.GetElapsedTime(started);
        }

        Invocation invocation;
        try
        {
            invocation = await queue.Reader.ReadAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return; // the poller went away while waiting; nothing was taken
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            Requeue(invocation);
            return;
        }

        var deadline = DateTimeOffset.UtcNow.AddSeconds(function.TimeoutSeconds);
        inFlight[invocation.RequestId] = invocation;
        context.Response.Headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
        context.Response.Headers["Lambda-Runtime-Deadline-Ms"] = deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = function.Arn;
        context.Response.Headers["Lambda-Runtime-Trace-Id"] = $"Root=1-{DateTimeOffset.UtcNow.ToUnixTimeSeconds():x8}-{Guid.NewGuid():n}"[..41] + ";Sampled=0";
        context.Response.ContentType = "application/json";
        try
        {
            await context.Response.WriteAsync(invocation.Payload, context.RequestAborted);
            await context.Response.CompleteAsync();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            inFlight.TryRemove(invocation.RequestId, out _);
            Requeue(invocation);
            return;
        }

        _ = EnforceTimeoutAsync(invocation, deadline);
    }

    private async Task Respond(HttpContext context, string id)
    {
        if (!inFlight.TryRemove(id, out var invocation))
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("""{"errorType":"InvalidRequestID","errorMessage":"unknown or finished request id"}""");
            return;
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        invocation.Completion.TrySetResult(new InvocationResult(id, await reader.ReadToEndAsync(), null));
        context.Response.StatusCode = 202;
    }

    private async Task Fail(HttpContext context, string id)
    {
        if (!inFlight.TryRemove(id, out var invocation))
        {
            context.Response.StatusCode = 400;
            return;
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        invocation.Completion.TrySetResult(new InvocationResult(id, await reader.ReadToEndAsync(), "Unhandled"));
        context.Response.StatusCode = 202;
    }

    private async Task InitError(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var error = await reader.ReadToEndAsync();
        Log("INIT_ERROR " + error);
        context.Response.StatusCode = 202;

        // Lambda answers the invocation that started the environment with the init error (Runtime.InitError) rather than
        // starting it again and again: without this a waiting invocation would restart a failing runtime forever.
        if (queue.Reader.TryRead(out var waiting))
        {
            waiting.Completion.TrySetResult(new InvocationResult(waiting.RequestId, error, "Unhandled"));
        }

        KillRuntime();
    }

    private async Task EnforceTimeoutAsync(Invocation invocation, DateTimeOffset deadline)
    {
        var left = deadline - DateTimeOffset.UtcNow;
        if (await Task.WhenAny(invocation.Completion.Task, Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero)) == invocation.Completion.Task)
        {
            return;
        }

        if (inFlight.TryRemove(invocation.RequestId, out _))
        {
            invocation.Completion.TrySetResult(new InvocationResult(invocation.RequestId,
                $$"""{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: {{invocation.RequestId}} Error: Task timed out after {{function.TimeoutSeconds}}.00 seconds"}""", "Unhandled"));
            KillRuntime(); // Lambda resets the execution environment after a timeout
        }
    }

    private void Requeue(Invocation invocation) => queue.Writer.TryWrite(invocation);

    private void EnsureRuntime()
    {
        lock (processLock)
        {
            if (runtime is { HasExited: false })
            {
                return;
            }

            var start = new ProcessStartInfo(function.Bootstrap)
            {
                WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(function.Bootstrap))!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var env = start.Environment;
            foreach (var (key, value) in function.Environment ?? new Dictionary<string, string>())
            {
                env[key] = value;
            }

            env["AWS_LAMBDA_RUNTIME_API"] = Endpoint.Authority;
            env["_HANDLER"] = function.Handler;
            env["AWS_LAMBDA_FUNCTION_NAME"] = function.Name;
            env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST";
            env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = function.MemoryMb.ToString(CultureInfo.InvariantCulture);
            env["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + function.Name;
            env["AWS_LAMBDA_LOG_STREAM_NAME"] = $"{DateTime.UtcNow:yyyy/MM/dd}/[$LATEST]{Guid.NewGuid():n}";
            env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand";
            env["AWS_REGION"] = function.Region;
            env["AWS_DEFAULT_REGION"] = function.Region;
            env["AWS_EXECUTION_ENV"] = "AWS_Lambda_provided.al2023";
            env["LAMBDA_TASK_ROOT"] = start.WorkingDirectory;
            env["LAMBDA_RUNTIME_DIR"] = start.WorkingDirectory;
            env["TZ"] = ":UTC";

            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Log(e.Data); } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Log(e.Data); } };
            process.Exited += (_, _) => OnRuntimeExited(process);
            InitDuration = null;
            Interlocked.Exchange(ref startedAt, Stopwatch.GetTimestamp());
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            runtime = process;
            RuntimeStarts++;
        }
    }

    /// <summary>The runtime died: what it was running fails as Lambda reports it, and anything still queued gets a fresh runtime.</summary>
    private void OnRuntimeExited(Process process)
    {
        var code = process.ExitCode;
        foreach (var (id, invocation) in inFlight)
        {
            if (inFlight.TryRemove(id, out _))
            {
                invocation.Completion.TrySetResult(new InvocationResult(id,
                    $$"""{"errorType":"Runtime.ExitError","errorMessage":"RequestId: {{id}} Error: Runtime exited with error: exit status {{code}}"}""", "Unhandled"));
            }
        }

        if (queue.Reader.Count > 0)
        {
            EnsureRuntime();
        }
    }

    private void KillRuntime()
    {
        lock (processLock)
        {
            if (runtime is { HasExited: false })
            {
                runtime.Kill(entireProcessTree: true);
                runtime.WaitForExit(5000);
            }
        }
    }

    private void Log(string line)
    {
        logs.Enqueue(line);
        echo?.WriteLine($"[{function.Name}] {line}");
    }

    private sealed class Invocation(string requestId, string payload)
    {
        public string RequestId { get; } = requestId;

        public string Payload { get; } = payload;

        public TaskCompletionSource<InvocationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class LocalLambdaJson : System.Text.Json.Serialization.JsonSerializerContext;
