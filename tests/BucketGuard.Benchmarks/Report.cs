using System.Globalization;
using BenchmarkDotNet.Reports;

namespace BucketGuard.Benchmarks;

/// <summary>Prints the figures the project tracks: throughput, and the evaluate/parse ratio against its target.</summary>
public static class Report
{
    public const double TargetRatio = 1.5;

    public static int Print(Summary summary, TextWriter output)
    {
        var count = EvaluatorBenchmarks.LoadCorpusPolicies().Length;
        BenchmarkDotNet.Mathematics.Statistics Stats(string method) => summary.Reports.Single(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method).ResultStatistics!;
        var parseStats = Stats(nameof(EvaluatorBenchmarks.ParseOnly));
        var evaluateStats = Stats(nameof(EvaluatorBenchmarks.Evaluate));

        // Judged on medians: one slow iteration (a GC, a noisy neighbour) moves a mean, not a median.
        var parse = parseStats.Median;
        var evaluate = evaluateStats.Median;
        var ratio = evaluate / parse;
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine();
        output.WriteLine(string.Create(inv, $"corpus policies: {count}"));
        output.WriteLine(string.Create(inv, $"parse only:        {count / (parse / 1e9):N0} policies/s (median)"));
        output.WriteLine(string.Create(inv, $"parse + evaluate:  {count / (evaluate / 1e9):N0} policies/s (median)"));
        output.WriteLine(string.Create(inv, $"ratio evaluate/parse, means: {evaluateStats.Mean / parseStats.Mean:F2}x"));
        output.WriteLine(string.Create(inv, $"ratio evaluate/parse, medians: {ratio:F2}x (target <= {TargetRatio:F1}x): {(ratio <= TargetRatio ? "MET" : "NOT MET")}"));
        return ratio <= TargetRatio ? 0 : 1;
    }
}
