using Amazon.Lambda.RuntimeSupport;
using BucketGuard.Aws;
using BucketGuard.Functions;

// Composition root of the `bootstrap` (Lambda provided.al2023): the handler named by _HANDLER, wired to S3 and SNS
// from the environment. A configuration fault is reported to Lambda as an init error, never run around.
var handler = Environment.GetEnvironmentVariable("_HANDLER") ?? string.Empty;
try
{
    if (handler == "sweep")
    {
        var sweeper = Composition.CreateSweeper(Environment.GetEnvironmentVariable, requireTopic: true);
        if (!sweeper.Ok)
        {
            throw new InvalidOperationException(sweeper.Error);
        }

        var concurrency = int.TryParse(Environment.GetEnvironmentVariable("BUCKETGUARD_SWEEP_CONCURRENCY"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 64;
        var sweep = new SweepHandler(sweeper.Value!, concurrency, TimeProvider.System);
        using var sweepBootstrap = LambdaBootstrapBuilder.Create(sweep.HandleAsync).Build();
        await sweepBootstrap.RunAsync();
        return 0;
    }

    if (!Handlers.EventNames.ContainsKey(handler))
    {
        throw new InvalidOperationException($"unknown handler \"{handler}\" (known: {string.Join(", ", Handlers.EventNames.Keys)}, sweep)");
    }

    var pipeline = Composition.CreatePipeline(Environment.GetEnvironmentVariable);
    if (!pipeline.Ok)
    {
        throw new InvalidOperationException(pipeline.Error);
    }

    var quiet = Environment.GetEnvironmentVariable("BUCKETGUARD_LOG_LEVEL")?.Trim().ToLowerInvariant() switch
    {
        null or "" or "info" or "debug" => false,
        "warn" => true,
        var other => throw new InvalidOperationException($"BUCKETGUARD_LOG_LEVEL \"{other}\" is not debug, info or warn"),
    };
    var events = new BucketGuard.Functions.EventHandler(handler, pipeline.Value!, TimeProvider.System, quiet);
    using var bootstrap = LambdaBootstrapBuilder.Create(events.HandleAsync).Build();
    await bootstrap.RunAsync();
    return 0;
}
#pragma warning disable CA1031 // Any start-up failure must reach Lambda as an init error.
catch (Exception ex)
#pragma warning restore CA1031
{
    Console.Error.WriteLine(BucketGuard.Core.JsonLine.Log("error", DateTimeOffset.UtcNow, "init failed", ("error", ex.Message)));
    await LambdaBootstrap.ReportInitErrorAsync(ex);
    return 1;
}
