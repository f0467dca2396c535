using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BucketGuard.Benchmarks;

// `dotnet run -c Release --project tests/BucketGuard.Benchmarks [-- --quick]`
// In-process toolchain: BenchmarkDotNet 0.14 predates net10.0 and cannot generate a net10 host project.
var quick = args.Contains("--quick");
var job = (quick ? Job.ShortRun : Job.Default).WithToolchain(InProcessEmitToolchain.Instance);
var config = ManualConfig.Create(DefaultConfig.Instance).AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
var summary = BenchmarkRunner.Run<EvaluatorBenchmarks>(config);
return Report.Print(summary, Console.Out);
