// Stands in for the NuGet package Amazon.Lambda.RuntimeSupport, which this project's registry does not serve.
// It mirrors that package's shape (LambdaBootstrap, LambdaBootstrapBuilder, InvocationRequest, InvocationResponse)
// and implements the documented Lambda Runtime API (2018-06-01): GET invocation/next, POST invocation/ID/response,
// POST invocation/ID/error, POST init/error. Swap: delete this folder, add the package.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.Lambda.Core;

namespace Amazon.Lambda.RuntimeSupport;

public sealed class InvocationRequest(Stream inputStream, ILambdaContext lambdaContext)
{
    public Stream InputStream { get; } = inputStream;

    public ILambdaContext LambdaContext { get; } = lambdaContext;
}

public sealed class InvocationResponse(Stream outputStream)
{
    public Stream OutputStream { get; } = outputStream;
}

public sealed class LambdaBootstrapBuilder
{
    private readonly Func<Stream, ILambdaContext, Task<Stream>> handler;

    private LambdaBootstrapBuilder(Func<Stream, ILambdaContext, Task<Stream>> handler) => this.handler = handler;

    public static LambdaBootstrapBuilder Create(Func<Stream, ILambdaContext, Task<Stream>> handler) => new(handler);

    public LambdaBootstrap Build() =>
        new(async request => new InvocationResponse(await handler(request.InputStream, request.LambdaContext).ConfigureAwait(false)));
}

/// <summary>The runtime loop: fetch the next invocation, run the handler, report its response or its error.</summary>
public sealed class LambdaBootstrap(Func<InvocationRequest, Task<InvocationResponse>> handler, HttpClient? httpClient = null) : IDisposable
{
    private const string Api = "2018-06-01/runtime";

    // Long-polling GET next may wait indefinitely for work: no client timeout.
    private readonly HttpClient http = httpClient ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var endpoint = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API")
            ?? throw new InvalidOperationException("AWS_LAMBDA_RUNTIME_API is not set: this program runs inside Lambda (or a local Runtime API)");
        var baseUri = new Uri($"http://{endpoint}/{Api}/");
        while (!cancellationToken.IsCancellationRequested)
        {
            using var next = await http.GetAsync(new Uri(baseUri, "invocation/next"), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            next.EnsureSuccessStatusCode();
            var context = RuntimeContext.From(next.Headers);
            if (next.Headers.TryGetValues("Lambda-Runtime-Trace-Id", out var trace))
            {
                Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", trace.First());
            }

            var input = new MemoryStream(await next.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            HttpResponseMessage reply;
            try
            {
                var response = await handler(new InvocationRequest(input, context)).ConfigureAwait(false);
                reply = await http.PostAsync(new Uri(baseUri, $"invocation/{context.AwsRequestId}/response"), new StreamContent(response.OutputStream), cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The runtime loop must report any handler failure to Lambda rather than die.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // The log line carries a level and timestamp for Lambda's JSON log filter, as the real runtime's does.
                context.Logger.LogLine(BucketGuard.Core.JsonLine.Log("error", DateTimeOffset.UtcNow, "invocation failed", ("errorType", ex.GetType().Name), ("errorMessage", ex.Message)));
                using var content = new StringContent(ErrorJson(ex), Encoding.UTF8, "application/json");
                content.Headers.Add("Lambda-Runtime-Function-Error-Type", ex.GetType().Name);
                reply = await http.PostAsync(new Uri(baseUri, $"invocation/{context.AwsRequestId}/error"), content, cancellationToken).ConfigureAwait(false);
            }

            reply.Dispose();
        }
    }

    /// <summary>Reports a failure before the first invocation (configuration, construction) and lets Lambda recycle.</summary>
    public static async Task ReportInitErrorAsync(Exception error)
    {
        var endpoint = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API");
        if (endpoint is null)
        {
            return;
        }

        using var http = new HttpClient();
        using var content = new StringContent(ErrorJson(error), Encoding.UTF8, "application/json");
        content.Headers.Add("Lambda-Runtime-Function-Error-Type", "Runtime.InitError");
        using var _ = await http.PostAsync(new Uri($"http://{endpoint}/{Api}/init/error"), content).ConfigureAwait(false);
    }

    public void Dispose() => http.Dispose();

    private static string ErrorJson(Exception ex)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("errorType", ex.GetType().Name);
            w.WriteString("errorMessage", ex.Message);
            w.WriteStartArray("stackTrace");
            foreach (var line in (ex.StackTrace ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                w.WriteStringValue(line.Trim());
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private sealed class RuntimeContext : ILambdaContext
    {
        private long deadlineMs;

        public string AwsRequestId { get; private init; } = string.Empty;

        public string FunctionName { get; } = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME") ?? string.Empty;

        public string FunctionVersion { get; } = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_VERSION") ?? "$LATEST";

        public string InvokedFunctionArn { get; private init; } = string.Empty;

        public int MemoryLimitInMB { get; } = int.TryParse(Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), NumberStyles.None, CultureInfo.InvariantCulture, out var mb) ? mb : 0;

        public TimeSpan RemainingTime => TimeSpan.FromMilliseconds(Math.Max(0, deadlineMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

        public string LogGroupName { get; } = Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_GROUP_NAME") ?? string.Empty;

        public string LogStreamName { get; } = Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_STREAM_NAME") ?? string.Empty;

        public ILambdaLogger Logger { get; } = new ConsoleLogger();

        public static RuntimeContext From(System.Net.Http.Headers.HttpResponseHeaders headers)
        {
            string Header(string name) => headers.TryGetValues(name, out var values) ? values.First() : string.Empty;
            return new RuntimeContext
            {
                AwsRequestId = Header("Lambda-Runtime-Aws-Request-Id"),
                InvokedFunctionArn = Header("Lambda-Runtime-Invoked-Function-Arn"),
                deadlineMs = long.TryParse(Header("Lambda-Runtime-Deadline-Ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 0,
            };
        }
    }

    /// <summary>Lambda collects stdout: one line per call.</summary>
    private sealed class ConsoleLogger : ILambdaLogger
    {
        public void Log(string message) => Console.Out.Write(message);

        public void LogLine(string message) => Console.Out.WriteLine(message);
    }
}
