// Stands in for the NuGet package Amazon.Lambda.RuntimeSupport 2.x (mirrored from aws/aws-lambda-dotnet, release
// 2026-07-22, package 2.1.2), which this project's registry does not serve. It keeps that package's public shape for
// what BucketGuard uses (LambdaBootstrap with its LambdaBootstrapHandler and LambdaBootstrapInitializer delegates,
// LambdaBootstrapBuilder, RuntimeApiClient, InvocationRequest, InvocationResponse) and implements the documented Lambda
// Runtime API (2018-06-01): GET invocation/next, POST invocation/ID/response, POST invocation/ID/error, POST init/error.
// Its console behaves as the real runtime's does (Helpers/ConsoleLoggerWriter.cs there): Console.Out.WriteLine and
// ILambdaLogger.LogLine are Information records, dropped below AWS_LAMBDA_LOG_LEVEL and wrapped in a JSON record under
// AWS_LAMBDA_LOG_FORMAT=JSON (a tab-prefixed line otherwise); Console.Write and ILambdaLogger.Log pass text through as
// written. Swap: delete this folder, add the package.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.Lambda.Core;

namespace Amazon.Lambda.RuntimeSupport;

/// <summary>Runs one invocation.</summary>
public delegate Task<InvocationResponse> LambdaBootstrapHandler(InvocationRequest invocation);

/// <summary>Runs once before the first invocation; false stops the bootstrap. An exception is reported to Lambda as an
/// init error (POST init/error) and rethrown.</summary>
public delegate Task<bool> LambdaBootstrapInitializer();

public class InvocationRequest : IDisposable
{
    internal InvocationRequest()
    {
    }

    public Stream InputStream { get; internal set; } = Stream.Null;

    public ILambdaContext LambdaContext { get; internal set; } = null!;

    public void Dispose()
    {
        InputStream.Dispose();
        GC.SuppressFinalize(this);
    }
}

public class InvocationResponse(Stream outputStream, bool disposeOutputStream)
{
    public InvocationResponse(Stream outputStream)
        : this(outputStream, true)
    {
    }

    public Stream OutputStream { get; set; } = outputStream;

    public bool DisposeOutputStream { get; private set; } = disposeOutputStream;
}

public class LambdaBootstrapBuilder
{
    private readonly Func<Stream, ILambdaContext, Task<Stream>> handler;
    private HttpClient? httpClient;
    private LambdaBootstrapInitializer? initializer;

    private LambdaBootstrapBuilder(Func<Stream, ILambdaContext, Task<Stream>> handler) => this.handler = handler;

    public static LambdaBootstrapBuilder Create(Func<Stream, ILambdaContext, Task<Stream>> handler) => new(handler);

    public LambdaBootstrapBuilder UseHttpClient(HttpClient httpClient)
    {
        this.httpClient = httpClient;
        return this;
    }

    public LambdaBootstrapBuilder UseBootstrapHandler(LambdaBootstrapInitializer lambdaBootstrapInitializer)
    {
        initializer = lambdaBootstrapInitializer;
        return this;
    }

    public LambdaBootstrap Build()
    {
        LambdaBootstrapHandler invoke = async request => new InvocationResponse(await handler(request.InputStream, request.LambdaContext).ConfigureAwait(false));
        return httpClient is null ? new LambdaBootstrap(invoke, initializer) : new LambdaBootstrap(httpClient, invoke, initializer);
    }
}

/// <summary>The runtime loop: initialise once, then fetch the next invocation, run the handler, report its response or
/// its error.</summary>
public class LambdaBootstrap : IDisposable
{
    private readonly HttpClient http;
    private readonly bool ownsHttpClient;
    private readonly LambdaBootstrapHandler handler;
    private readonly LambdaBootstrapInitializer? initializer;

    public LambdaBootstrap(LambdaBootstrapHandler handler, LambdaBootstrapInitializer? initializer = null)
        : this(ConstructHttpClient(), handler, initializer) => ownsHttpClient = true;

    public LambdaBootstrap(HttpClient httpClient, LambdaBootstrapHandler handler, LambdaBootstrapInitializer? initializer = null)
    {
        http = httpClient;
        this.handler = handler;
        this.initializer = initializer;
        Client = new RuntimeApiClient(httpClient);
    }

    internal RuntimeApiClient Client { get; }

    /// <summary>The HttpClient the bootstrap makes for itself: long-polling GET next may wait indefinitely for work,
    /// so no client timeout.</summary>
    public static HttpClient ConstructHttpClient() => new() { Timeout = Timeout.InfiniteTimeSpan };

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (initializer is not null)
        {
            try
            {
                if (!await initializer().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine(ex.ToString());
                await Client.ReportInitializationErrorAsync(ex, cancellationToken: cancellationToken).ConfigureAwait(false);
                throw;
            }
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            using var invocation = await Client.GetNextInvocationAsync(cancellationToken).ConfigureAwait(false);
            var requestId = invocation.LambdaContext.AwsRequestId;
            try
            {
                var response = await handler(invocation).ConfigureAwait(false);
                await Client.SendResponseAsync(requestId, response.OutputStream, cancellationToken).ConfigureAwait(false);
                if (response.DisposeOutputStream)
                {
                    await response.OutputStream.DisposeAsync().ConfigureAwait(false);
                }
            }
#pragma warning disable CA1031 // The runtime loop must report any handler failure to Lambda rather than die.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // As the real runtime does (WriteUnhandledExceptionToLog): an Error record on the console.
                Console.Error.WriteLine(ex.ToString());
                await Client.ReportInvocationErrorAsync(requestId, ex, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                LambdaConsole.RequestId = null;
            }
        }
    }

    public void Dispose()
    {
        if (ownsHttpClient)
        {
            http.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>The Lambda Runtime API at AWS_LAMBDA_RUNTIME_API. Creating one routes the console through the runtime's
/// log formatting, as the real client does.</summary>
public class RuntimeApiClient
{
    private const string Api = "2018-06-01/runtime";

    private readonly HttpClient http;
    private readonly Uri baseUri;

    public RuntimeApiClient(HttpClient httpClient)
    {
        http = httpClient;
        var endpoint = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API")
            ?? throw new InvalidOperationException("AWS_LAMBDA_RUNTIME_API is not set: this program runs inside Lambda (or a local Runtime API)");
        baseUri = new Uri($"http://{endpoint}/{Api}/");
        LambdaConsole.Install();
    }

    /// <param name="errorType">Sent as Lambda-Runtime-Function-Error-Type (for example "Runtime.InitError"); none when null.</param>
    public async Task ReportInitializationErrorAsync(Exception exception, string? errorType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exception);
        await PostErrorAsync("init/error", exception, errorType, cancellationToken).ConfigureAwait(false);
    }

    public async Task<InvocationRequest> GetNextInvocationAsync(CancellationToken cancellationToken = default)
    {
        using var next = await http.GetAsync(new Uri(baseUri, "invocation/next"), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        next.EnsureSuccessStatusCode();
        var context = RuntimeContext.From(next.Headers);
        if (next.Headers.TryGetValues("Lambda-Runtime-Trace-Id", out var trace))
        {
            Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", trace.First());
        }

        LambdaConsole.RequestId = context.AwsRequestId;
        return new InvocationRequest
        {
            InputStream = new MemoryStream(await next.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false)),
            LambdaContext = context,
        };
    }

    public async Task SendResponseAsync(string awsRequestId, Stream outputStream, CancellationToken cancellationToken = default)
    {
        using var content = new StreamContent(outputStream);
        using var _ = await http.PostAsync(new Uri(baseUri, $"invocation/{awsRequestId}/response"), content, cancellationToken).ConfigureAwait(false);
    }

    public Task ReportInvocationErrorAsync(string awsRequestId, Exception exception, CancellationToken cancellationToken = default) =>
        PostErrorAsync($"invocation/{awsRequestId}/error", exception, exception.GetType().Name, cancellationToken);

    private async Task PostErrorAsync(string path, Exception exception, string? errorType, CancellationToken cancellationToken)
    {
        using var content = new StringContent(ErrorJson(exception), Encoding.UTF8, "application/json");
        if (errorType is not null)
        {
            content.Headers.Add("Lambda-Runtime-Function-Error-Type", errorType);
        }

        using var _ = await http.PostAsync(new Uri(baseUri, path), content, cancellationToken).ConfigureAwait(false);
    }

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

        public ILambdaLogger Logger { get; } = new LambdaConsoleLogger();

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

    /// <summary>As the real runtime's LambdaConsoleLogger: Log is Console.Write, LogLine a formatted Information record.</summary>
    private sealed class LambdaConsoleLogger : ILambdaLogger
    {
        public void Log(string message) => Console.Write(message);

        public void LogLine(string message) => LambdaConsole.Out.FormattedWriteLine(message);
    }
}
