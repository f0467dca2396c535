using BucketGuard.LocalLambda;

// bucketguard-local-lambda --bootstrap PATH --handler NAME [--function NAME] [--port N (0: any free port)] [--timeout 30] [--memory 512]
// Runs one function's bootstrap under a local Lambda Runtime API and serves Lambda's Invoke path on 127.0.0.1.
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

var bootstrap = Arg("--bootstrap", string.Empty);
if (bootstrap.Length == 0 || !File.Exists(bootstrap))
{
    Console.Error.WriteLine("usage: --bootstrap PATH --handler NAME [--function NAME] [--port N] [--timeout 30] [--memory 512]");
    return 2;
}

var passthrough = FunctionOptions.Inherited("AWS_", "BUCKETGUARD_");
var function = new FunctionOptions(
    Arg("--function", "bucketguard"),
    bootstrap,
    Arg("--handler", "bucketguard"),
    int.Parse(Arg("--timeout", "30"), System.Globalization.CultureInfo.InvariantCulture),
    int.Parse(Arg("--memory", "512"), System.Globalization.CultureInfo.InvariantCulture),
    Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1",
    Environment: passthrough);
await using var emulator = await LambdaEmulator.StartAsync(function, int.Parse(Arg("--port", "0"), System.Globalization.CultureInfo.InvariantCulture), Console.Out);
Console.WriteLine($"Lambda Runtime API for {function.Name} on {emulator.Endpoint} (invoke: POST {emulator.Endpoint}2015-03-31/functions/{function.Name}/invocations)");
// ASP.NET's console lifetime takes SIGTERM/SIGINT for itself; register here too so that `kill PID` ends this
// process (and, through DisposeAsync, the runtime it started) instead of leaving it serving.
var stop = new TaskCompletionSource();
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
await stop.Task;
return 0;
