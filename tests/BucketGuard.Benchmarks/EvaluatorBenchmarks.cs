using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BucketGuard.Core.Policies;

namespace BucketGuard.Benchmarks;

/// <summary>Evaluator throughput over the corpus policies, against merely parsing the same JSON with
/// System.Text.Json (the baseline). Target: evaluating costs at most 1.5x parsing.</summary>
[MemoryDiagnoser]
public class EvaluatorBenchmarks
{
    private string[] policies = [];

    public static string[] LoadCorpusPolicies()
    {
        var folder = Environment.GetEnvironmentVariable("BUCKETGUARD_CORPUS") ?? FindCorpus();
        return [.. Directory.EnumerateFiles(folder, "policy-*.json").Order(StringComparer.Ordinal).Select(file =>
        {
            using var item = JsonDocument.Parse(File.ReadAllText(file));
            return item.RootElement.GetProperty("policy").GetRawText();
        })];
    }

    private static string FindCorpus()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BucketGuard.slnx")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "corpus"));
            }
        }

        throw new InvalidOperationException("BucketGuard.slnx not found; set BUCKETGUARD_CORPUS");
    }

    public int PolicyCount => policies.Length;

    [GlobalSetup]
    public void Setup() => policies = LoadCorpusPolicies();

    [Benchmark(Baseline = true, Description = "parse only (JsonDocument)")]
    public int ParseOnly()
    {
        var kinds = 0;
        foreach (var json in policies)
        {
            using var document = JsonDocument.Parse(json);
            kinds += (int)document.RootElement.ValueKind;
        }

        return kinds;
    }

    [Benchmark(Description = "parse + evaluate")]
    public int Evaluate()
    {
        var publicCount = 0;
        foreach (var json in policies)
        {
            if (PolicyEvaluator.Evaluate(json, PolicyKind.Bucket).Value?.IsPublic == true)
            {
                publicCount++;
            }
        }

        return publicCount;
    }
}
