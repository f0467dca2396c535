using Amazon.Lambda.RuntimeSupport;
using BucketGuard.Aws;
using BucketGuard.Functions;

// Composition root of the `bootstrap` (Lambda provided.al2023): the handler named by _HANDLER, wired to S3 and SNS
// from the environment. A configuration fault is reported to Lambda as an init error, never run around.
var handler = Environment.GetEnvironmentVariable("_HANDLER") ?? string.Empty;
try
{
    if (!Handlers.EventNames.ContainsKey(handler))
    {
        throw new InvalidOperationException($"unknown handler \"{handler}\" (known: {string.Join(", ", Handlers.EventNames.Keys)})");
    }

    var pipeline = Composition.CreatePipeline(Environment.GetEnvironmentVariable);
    if (!pipeline.Ok)
    {
        throw new InvalidOperationException(pipeline.Error);
    }

    var events = new BucketGuard.Functions.EventHandler(handler, pipeline.Value!, TimeProvider.System);
    using var bootstrap = LambdaBootstrapBuilder.Create(events.HandleAsync).Build();
    await bootstrap.RunAsync();
    return 0;
}
#pragma warning disable CA1031 // Any start-up failure must reach Lambda as an init error.
catch (Exception ex)
#pragma warning restore CA1031
{
    Console.Error.WriteLine($"{{\"level\":\"error\",\"message\":\"init failed\",\"error\":\"{ex.Message.Replace("\"", "'", StringComparison.Ordinal)}\"}}");
    await LambdaBootstrap.ReportInitErrorAsync(ex);
    return 1;
}
