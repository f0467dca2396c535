using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BucketGuard.Benchmarks;

// `dotnet run -c Release --project tests/BucketGuard.Benchmarks [-- --quick]`: the evaluator against parsing.
// `... -- --audit [N]`: an audit of N (default 1000) buckets in the local Ceph RGW, sequential against parallel.
// `... -- --cold-start [N]`: N rounds of cold starts on the lock path through the local Runtime API, Native AOT
// (out/lambda-x86_64) against ReadyToRun (out/r2r), framework-dependent JIT and a Python boto3 peer; then 50 warm events.
// `... -- --footprint [N]`: the packaged bootstrap's peak memory and durations (an event; a sweep of N buckets), for
// the template's MemorySize and Timeout.
// `... -- --incident [N]`: N events (default 50) through the packaged bootstrap, each locking a public bucket with the
// incident record on: the function time from the lock to the contained incident (target under 2 s).
// `... -- --ledger [N]`: the access ledger over N (default 1,000,000) gzip'd access log lines and N/10 CloudTrail
// records, against gunzip plus a line count over the same files.
if (args.Contains("--cold-start"))
{
    var at = Array.IndexOf(args, "--cold-start");
    var runs = at + 1 < args.Length && int.TryParse(args[at + 1], out var r) ? r : 11;
    return await ColdStartBenchmark.RunAsync(runs, Console.Out);
}

if (args.Contains("--footprint"))
{
    var at = Array.IndexOf(args, "--footprint");
    var count = at + 1 < args.Length && int.TryParse(args[at + 1], out var n) ? n : 1000;
    return await FootprintBenchmark.RunAsync(count, Console.Out);
}

if (args.Contains("--incident"))
{
    var at = Array.IndexOf(args, "--incident");
    var count = at + 1 < args.Length && int.TryParse(args[at + 1], out var n) ? n : 50;
    return await IncidentBenchmark.RunAsync(count, Console.Out);
}

if (args.Contains("--ledger"))
{
    var at = Array.IndexOf(args, "--ledger");
    var lines = at + 1 < args.Length && int.TryParse(args[at + 1], out var n) ? n : 1_000_000;
    return await LedgerBenchmark.RunAsync(lines, Console.Out);
}

if (args.Contains("--audit"))
{
    var at = Array.IndexOf(args, "--audit");
    var count = at + 1 < args.Length && int.TryParse(args[at + 1], out var n) ? n : 1000;
    return await AuditBenchmark.RunAsync(count, Console.Out);
}

// In-process toolchain: BenchmarkDotNet 0.14 predates net10.0 and cannot generate a net10 host project.
var quick = args.Contains("--quick");
var job = (quick ? Job.ShortRun : Job.Default).WithToolchain(InProcessEmitToolchain.Instance);
var config = ManualConfig.Create(DefaultConfig.Instance).AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
var summary = BenchmarkRunner.Run<EvaluatorBenchmarks>(config);
return Report.Print(summary, Console.Out);
