using System.Diagnostics;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Aws;
using Amazon.SimpleNotificationService;
using Amazon.SimpleNotificationService.Model;
using BucketGuard.LocalLambda;

namespace BucketGuard.Benchmarks;

/// <summary>Cold start on the real lock path: a fresh public-read bucket per cold start, and the event for it through
/// the local Lambda Runtime API against Ceph RGW and fauxqs (the five reads, the put, the re-read, SNS). Four builds of
/// the same handler: Native AOT (infra/package, the default), ReadyToRun (infra/package --r2r), framework-dependent JIT
/// (dotnet build), and a Python boto3 peer (PythonPeer/handler.py: the same calls, its simplifications stated there).
/// Each round starts every variant once, in a shuffled order (seeded), so that a busy moment of the machine hits all of
/// them alike; figures are medians, and ratios are medians of the per-round ratios. Wall time on the local S3 is bound
/// by its ~40 ms per request, so CPU time (utime + stime, 10 ms ticks) and peak RSS (VmHWM) are reported too. Then each
/// variant handles 50 warm events: CPU per warm event, and peak RSS after them.</summary>
public static class ColdStartBenchmark
{
    private sealed record Variant(string Name, string Bootstrap, string Build);

    private sealed record Sample(double WallMs, double InitMs, double CpuMs, double PeakMb);

    public static async Task<int> RunAsync(int rounds, TextWriter output)
    {
        var root = FindRoot();
        Variant[] variants =
        [
            new("AOT", Path.Combine(root, "out", "lambda-x86_64", "bootstrap"), "infra/package"),
            new("R2R", Path.Combine(root, "out", "r2r", "lambda-x86_64", "bootstrap"), "infra/package --r2r --out out/r2r"),
            new("JIT", Path.Combine(root, "functions", "BucketGuard.Functions", "bin", "Release", "net10.0", "bootstrap"), "dotnet build -c Release"),
            new("Python", Path.Combine(root, "tests", "BucketGuard.Benchmarks", "PythonPeer", "bootstrap"), "python3 with boto3 on PATH"),
        ];
        foreach (var variant in variants.Where(v => !File.Exists(v.Bootstrap)))
        {
            Console.Error.WriteLine($"cold-start benchmark: {variant.Bootstrap} is missing (run {variant.Build} first)");
            return 2;
        }

        if (AwsEndpoints.Configured("S3") is null)
        {
            Console.Error.WriteLine("cold-start benchmark: needs the local AWS (eval \"$(infra/local/start)\")");
            return 2;
        }

        using var s3 = AwsClients.CreateS3();
        using var sns = new AmazonSimpleNotificationServiceClient();
        var id = Guid.NewGuid().ToString("n")[..6];
        var topic = (await sns.CreateTopicAsync(new CreateTopicRequest { Name = "bg-coldstart-" + id })).TopicArn!;
        var environment = FunctionEnvironment(topic);
        environment.Remove("AWS_ENDPOINT_URL_S3_CONTROL"); // the peer reads no account-level block; neither does ours here
        var template = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(root, "events", "putbucketacl-public-read.json")))!;
        var buckets = new List<string>();
        var cold = variants.ToDictionary(v => v.Name, _ => new List<Sample>());
        var random = new Random(20261201);
        try
        {
            async Task<string> PublicBucketAsync()
            {
                var name = $"bg-cs-{id}-{buckets.Count:D4}";
                await s3.PutBucketAsync(name);
                await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = name, ACL = S3CannedACL.PublicRead });
                buckets.Add(name);
                return name;
            }

            string Event(string bucket)
            {
                var e = template.DeepClone();
                e["detail"]!["requestParameters"]!["bucketName"] = bucket;
                e["detail"]!["eventID"] = Guid.NewGuid().ToString();
                return e.ToJsonString();
            }

            for (var round = 0; round < rounds; round++)
            {
                foreach (var variant in variants.OrderBy(_ => random.Next()))
                {
                    var bucket = await PublicBucketAsync();
                    await using var lambda = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-acl", variant.Bootstrap, "acl", 60, 512, "us-east-1", "111122223333", environment));
                    var clock = Stopwatch.StartNew();
                    await InvokeBlockAsync(lambda, Event(bucket), variant.Name);
                    clock.Stop();
                    cold[variant.Name].Add(new Sample(clock.Elapsed.TotalMilliseconds, lambda.InitDuration!.Value.TotalMilliseconds, lambda.RuntimeCpu.TotalMilliseconds, lambda.RuntimePeakMb));
                }
            }

            output.WriteLine($"cold start on the lock path, {rounds} rounds, variants interleaved in random order (median; ratio = median of per-round ratios to AOT):");
            output.WriteLine("  variant   start->response  init(start->/next)  CPU (utime+stime)  peak RSS   wall ratio  CPU ratio");
            foreach (var variant in variants)
            {
                var s = cold[variant.Name];
                var wallRatio = Median(s.Select((x, i) => x.WallMs / cold["AOT"][i].WallMs));
                var cpuRatio = Median(s.Select((x, i) => x.CpuMs / Math.Max(10, cold["AOT"][i].CpuMs)));
                output.WriteLine($"  {variant.Name,-8} {Median(s.Select(x => x.WallMs)),10:F0} ms {Median(s.Select(x => x.InitMs)),14:F1} ms {Median(s.Select(x => x.CpuMs)),15:F0} ms {Median(s.Select(x => x.PeakMb)),8:F0} MB {wallRatio,9:F2}x {cpuRatio,9:F2}x");
            }

            // Issue 27's target: Native AOT init (process start to the first GET /next) at most 10 ms, by the median.
            var aotInit = cold["AOT"].Select(x => x.InitMs).Order().ToArray();
            var aotInitMedian = Median(aotInit);
            output.WriteLine($"  AOT init median {aotInitMedian:F1} ms, p90 {aotInit[(int)Math.Ceiling(0.9 * aotInit.Length) - 1]:F1} ms: target <= 10 ms {(aotInitMedian <= 10 ? "met" : "MISSED")}");

            output.WriteLine("warm: one runtime per variant, a cold event then 50 warm events on public buckets (the full path each time):");
            foreach (var variant in variants)
            {
                await using var lambda = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-acl", variant.Bootstrap, "acl", 60, 512, "us-east-1", "111122223333", environment));
                await InvokeBlockAsync(lambda, Event(await PublicBucketAsync()), variant.Name);
                var afterCold = lambda.RuntimeCpu;
                var warmBuckets = new List<string>();
                for (var i = 0; i < 50; i++)
                {
                    warmBuckets.Add(await PublicBucketAsync());
                }

                var clock = Stopwatch.StartNew();
                foreach (var bucket in warmBuckets)
                {
                    await InvokeBlockAsync(lambda, Event(bucket), variant.Name);
                }

                var perEvent = (lambda.RuntimeCpu - afterCold).TotalMilliseconds / 50;
                output.WriteLine($"  {variant.Name,-8} CPU per warm event {perEvent,6:F1} ms; wall per warm event {clock.Elapsed.TotalMilliseconds / 50,6:F0} ms; peak RSS after 50 warm events {lambda.RuntimePeakMb,4:F0} MB");
            }

            return 0;
        }
        finally
        {
            foreach (var bucket in buckets)
            {
                try
                {
                    await s3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
                    await s3.DeleteBucketAsync(bucket);
                }
                catch (AmazonS3Exception)
                {
                    // Not created or already gone: nothing to clean.
                }
            }

            await sns.DeleteTopicAsync(new DeleteTopicRequest { TopicArn = topic });
        }
    }

    private static async Task InvokeBlockAsync(LambdaEmulator lambda, string payload, string variant)
    {
        var (status, body, error) = await lambda.InvokeAsync(payload);
        if (status != 200 || error is not null || JsonNode.Parse(body)?["outcome"]?.GetValue<string>() != "Block")
        {
            throw new InvalidOperationException($"{variant}: the event did not end in a lock: {status} {error} {body}\n{string.Join('\n', lambda.Logs.TakeLast(20))}");
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>A function's environment for the local AWS: the caller's AWS_ settings, the topic, and S3's policy
    /// status off (Ceph's is not AWS's rule).</summary>
    internal static Dictionary<string, string> FunctionEnvironment(string topic)
    {
        var environment = FunctionOptions.Inherited("AWS_");
        environment["BUCKETGUARD_TOPIC_ARN"] = topic;
        environment["BUCKETGUARD_S3_POLICY_STATUS"] = "off";
        return environment;
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
