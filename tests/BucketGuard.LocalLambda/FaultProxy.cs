using System.Collections.Concurrent;

namespace BucketGuard.LocalLambda;

/// <summary>What the proxy does with one request: pass it on, answer it itself with an error, hold it until a task
/// completes (then pass it on), or drop the connection without an answer.</summary>
public abstract record Fault
{
    public sealed record Refuse(int Status, string Body, string ContentType = "application/xml") : Fault;

    public sealed record Hold(Task Release) : Fault;

    public sealed record Drop : Fault;
}

/// <summary>One request as the proxy saw it, for rules and for assertions.</summary>
public sealed record ProxiedRequest(string Method, string Path, string Query, string Body)
{
    /// <summary>Whether the query names a sub-resource (S3's "?policy", "?publicAccessBlock").</summary>
    public bool Has(string subresource) =>
        Query.TrimStart('?').Split('&').Any(p => string.Equals(p.Split('=')[0], subresource, StringComparison.Ordinal));
}

/// <summary>Test tooling: an HTTP proxy on 127.0.0.1 in front of one local service (RGW, fauxqs) that injects faults
/// chosen per request by a rule. The Host header is passed on unchanged, so SigV4 signatures made for the proxy's
/// address still verify at the service. Loopback only; every held request is released when the proxy stops.</summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly Uri target;
    private readonly HttpClient http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };
    private readonly ConcurrentQueue<ProxiedRequest> seen = new();
    private readonly TaskCompletionSource stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? app;

    private FaultProxy(Uri target) => this.target = target;

    /// <summary>Chooses the fault for a request; null passes it on. Replaceable while the proxy runs.</summary>
    public Func<ProxiedRequest, Fault?> Rule { get; set; } = _ => null;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every request that reached the proxy, in order.</summary>
    public IReadOnlyCollection<ProxiedRequest> Seen => seen;

    public static async Task<FaultProxy> StartAsync(Uri target)
    {
        if (!target.IsLoopback)
        {
            throw new ArgumentException("the fault proxy only fronts services on this machine's loopback", nameof(target));
        }

        var proxy = new FaultProxy(target);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 16 * 1024 * 1024);
        var app = builder.Build();
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        proxy.app = app;
        proxy.Endpoint = new Uri(app.Urls.First());
        return proxy;
    }

    /// <summary>A rule that applies <paramref name="fault"/> to the first <paramref name="times"/> requests that
    /// match, and passes on everything else.</summary>
    public static Func<ProxiedRequest, Fault?> First(int times, Func<ProxiedRequest, bool> match, Fault fault)
    {
        var left = times;
        return r => match(r) && Interlocked.Decrement(ref left) >= 0 ? fault : null;
    }

    /// <summary>An S3 error answer as S3 writes it.</summary>
    public static Fault.Refuse S3Error(int status, string code) =>
        new(status, $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected by the fault proxy</Message><RequestId>fault</RequestId></Error>");

    /// <summary>An SNS (Query API) error answer as SNS writes it.</summary>
    public static Fault.Refuse SnsError(int status, string code) =>
        new(status, $"<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the fault proxy</Message></Error><RequestId>fault</RequestId></ErrorResponse>", "text/xml");

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        var bytes = body.ToArray();
        var info = new ProxiedRequest(request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? string.Empty, System.Text.Encoding.UTF8.GetString(bytes));
        seen.Enqueue(info);
        switch (Rule(info))
        {
            case Fault.Refuse refuse:
                context.Response.StatusCode = refuse.Status;
                context.Response.ContentType = refuse.ContentType;
                await context.Response.WriteAsync(refuse.Body, context.RequestAborted);
                return;
            case Fault.Drop:
                context.Abort();
                return;
            case Fault.Hold hold:
                await Task.WhenAny(hold.Release, stopping.Task, Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted));
                break;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(target, request.Path.Value + request.QueryString.Value));
        if (bytes.Length > 0 || request.ContentLength is not null)
        {
            forward.Content = new ByteArrayContent(bytes);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Expect", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values) && forward.Content is not null)
            {
                forward.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values);
            }
        }

        forward.Headers.Host = request.Host.Value; // the signed Host, not the target's
        using var response = await http.SendAsync(forward, HttpCompletionOption.ResponseContentRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        stopping.TrySetResult();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        http.Dispose();
    }
}
