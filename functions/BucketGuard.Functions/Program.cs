using Amazon.Lambda.RuntimeSupport;
using BucketGuard.Aws;
using BucketGuard.Functions;
using BucketGuard.Core.Pipeline;

// Composition root of the `bootstrap` (Lambda provided.al2023): the handler named by _HANDLER, wired to S3 and SNS
// from the environment. A configuration fault is reported to Lambda as an init error, never run around.
var handler = Environment.GetEnvironmentVariable("_HANDLER") ?? string.Empty;
try
{
    // Every setting is parsed here first (BucketGuardSettings): a bad value is an init error, never a silent default.
    var settings = BucketGuardSettings.FromEnvironment(Environment.GetEnvironmentVariable);
    if (!settings.Ok)
    {
        throw new InvalidOperationException(settings.Error);
    }

    if (handler is "sweep-plan" or "sweep-batch" or "sweep-summary")
    {
        var distributed = Composition.CreateDistributedSweep(Environment.GetEnvironmentVariable);
        if (!distributed.Ok)
        {
            throw new InvalidOperationException(distributed.Error);
        }

        var states = new SweepStatesHandler(distributed.Value!, TimeProvider.System);
        using var statesBootstrap = LambdaBootstrapBuilder.Create(handler switch
        {
            "sweep-plan" => states.PlanAsync,
            "sweep-batch" => states.BatchAsync,
            _ => states.SummaryAsync,
        }).Build();
        await statesBootstrap.RunAsync();
        return 0;
    }

    if (handler == "exposure")
    {
        var afterLock = Composition.CreateAfterLock(Environment.GetEnvironmentVariable);
        if (!afterLock.Ok)
        {
            throw new InvalidOperationException(afterLock.Error);
        }

        var exposure = new ExposureHandler(afterLock.Value!, settings.Value!.ExposureAttempts, TimeProvider.System);
        using var exposureBootstrap = LambdaBootstrapBuilder.Create(exposure.HandleAsync).Build();
        await exposureBootstrap.RunAsync();
        return 0;
    }

    if (!Handlers.EventNames.ContainsKey(handler))
    {
        throw new InvalidOperationException($"unknown handler \"{handler}\" (known: {string.Join(", ", Handlers.EventNames.Keys.Concat(Handlers.Others))})");
    }

    var pipeline = Composition.CreatePipeline(Environment.GetEnvironmentVariable);
    if (!pipeline.Ok)
    {
        throw new InvalidOperationException(pipeline.Error);
    }

    var events = new BucketGuard.Functions.EventHandler(handler, pipeline.Value!, TimeProvider.System, settings.Value!.Quiet);
    using var bootstrap = LambdaBootstrapBuilder.Create(events.HandleAsync).Build();
    await bootstrap.RunAsync();
    return 0;
}
#pragma warning disable CA1031 // Any start-up failure must reach Lambda as an init error.
catch (Exception ex)
#pragma warning restore CA1031
{
    // Written as given (Write, not WriteLine: the runtime would wrap a line in a record of its own).
    Console.Error.Write(BucketGuard.Core.JsonLine.Log("error", DateTimeOffset.UtcNow, "init failed", ("error", ex.Message)) + "\n");
    if (Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API") is not null)
    {
        using var http = new HttpClient();
        await new RuntimeApiClient(http).ReportInitializationErrorAsync(ex, "Runtime.InitError");
    }

    return 1;
}
