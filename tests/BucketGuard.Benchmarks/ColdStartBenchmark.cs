using System.Diagnostics;
using BucketGuard.LocalLambda;

namespace BucketGuard.Benchmarks;

/// <summary>Cold start of the bootstrap: from process start to the first response through the local Lambda Runtime
/// API, median of N, for the packaged build (self-contained, trimmed, ReadyToRun) and the framework-dependent JIT
/// build. The event is a refused call, which the handler answers without reading S3, so the figure is start-up.</summary>
public static class ColdStartBenchmark
{
    public static async Task<int> RunAsync(int runs, TextWriter output)
    {
        var root = FindRoot();
        var packaged = Path.Combine(root, "out", "lambda-x86_64", "bootstrap");
        var jit = Path.Combine(root, "functions", "BucketGuard.Functions", "bin", "Release", "net10.0", "bootstrap");
        foreach (var (path, how) in new[] { (packaged, "run infra/package first"), (jit, "run dotnet build -c Release first") })
        {
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"cold-start benchmark: {path} is missing ({how})");
                return 2;
            }
        }

        var payload = File.ReadAllText(Path.Combine(root, "events", "putbucketacl-denied.json"));
        var environment = new Dictionary<string, string>
        {
            ["BUCKETGUARD_TOPIC_ARN"] = "arn:aws:sns:us-east-1:111122223333:bucketguard",
            ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE",
            ["AWS_SECRET_ACCESS_KEY"] = "not-used-by-a-skipped-event",
        };
        var packagedMs = await MeasureAsync(packaged, payload, environment, runs);
        var jitMs = await MeasureAsync(jit, payload, environment, runs);
        output.WriteLine($"cold start, median of {runs} (process start to first response):");
        output.WriteLine($"  packaged (self-contained, trimmed, ReadyToRun): {packagedMs:F0} ms");
        output.WriteLine($"  framework-dependent JIT:                        {jitMs:F0} ms");
        output.WriteLine($"  ratio packaged/JIT: {packagedMs / jitMs:F2}");
        return 0;
    }

    private static async Task<double> MeasureAsync(string bootstrap, string payload, Dictionary<string, string> environment, int runs)
    {
        var samples = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            await using var lambda = await LambdaEmulator.StartAsync(new FunctionOptions("cold-start", bootstrap, "acl", 30, 256, "us-east-1", "111122223333", environment));
            var clock = Stopwatch.StartNew();
            var (status, _, error) = await lambda.InvokeAsync(payload);
            clock.Stop();
            if (status != 200 || error is not null)
            {
                throw new InvalidOperationException($"{bootstrap}: invocation failed: {status} {error}\n{string.Join('\n', lambda.Logs)}");
            }

            samples.Add(clock.Elapsed.TotalMilliseconds);
        }

        samples.Sort();
        return samples.Count % 2 == 1 ? samples[samples.Count / 2] : (samples[(samples.Count / 2) - 1] + samples[samples.Count / 2]) / 2;
    }

    internal static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BucketGuard.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BucketGuard.slnx not found");
    }
}
